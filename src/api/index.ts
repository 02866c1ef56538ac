/**
 * sipflow's public entry point.
 *
 * Available now: the message layer ({@link parseMessage}, {@link serializeMessage},
 * {@link createRequest}, {@link createResponse} and the message, URI and header classes) and the
 * transport layer ({@link UdpTransport}, the in-memory {@link MemoryNetwork} for tests, and the
 * {@link Clock} with {@link RealClock} and {@link VirtualClock}), and the transaction layer
 * ({@link TransactionLayer} and the four RFC 3261 §17 state machines), the user agent
 * ({@link UserAgent}: calls, dialogs, re-INVITE, REFER/Replaces, REGISTER with digest), SDP
 * offer/answer ({@link sdpOfferAnswer}) and media ({@link MediaSession}: RTP, G.711, WAV, DTMF),
 * and the scenario model ({@link loadScenario}, {@link validateScenario}, {@link compileScenario},
 * {@link toCompact}, {@link toSipflow}, {@link defineScenario}: both scenario formats, validation
 * and the execution graph; see docs/scenarios.md), the {@link Engine} that runs scenarios on
 * real user agents, reporting what happens as run events, and the reports drawn from those events
 * ({@link ScenarioRecorder}, {@link buildLadder}, {@link renderTextLadder}, {@link renderHtmlReport},
 * {@link renderJunit}, {@link writePcap}, {@link eventLine}; see docs/cli.md).
 * @packageDocumentation
 */
export * from '../sip/parser/index.js';
export * from '../sip/transport/index.js';
export * from '../sip/transaction/index.js';
export * from '../sip/dialog/index.js';
export * from '../sdp/index.js';
export * from '../media/index.js';
export * from '../engine/index.js';
export * from './report/index.js';
