// Fuzz targets (issue 17): what must hold whatever bytes arrive. Each target takes one input and
// throws a FuzzFailure when the contract is broken; `npm run fuzz` (test/fuzz/run.ts) feeds them
// mutated inputs for as long as asked, the property tests (test/property/fuzz.test.ts) a bounded
// number in CI, and test/fuzz/corpus.test.ts replays every saved input.
//
//   parser    parseMessage returns a message or throws SipParseError, nothing else.
//   ua        a UserAgent (answering calls) takes the datagram on its socket: nothing throws,
//             nothing reaches its 'error' event, and once every timer has run it holds nothing
//             (no transaction, dialog, call or timer left).
//   scenario  validateScenario on the bytes as text never throws and never reports an internal error.

import { sdpOfferAnswer } from '../../src/sdp/index.js';
import { validateScenario } from '../../src/engine/scenario/load.js';
import { UserAgent } from '../../src/sip/dialog/user-agent.js';
import { parseMessage, SipParseError } from '../../src/sip/parser/index.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../src/sip/transport/memory-network.js';

/** A broken contract, with what was seen. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

/** One fuzz target. */
export interface FuzzTarget {
  readonly name: 'parser' | 'ua' | 'scenario';
  /** Inputs to start mutating from. */
  readonly seeds: readonly Uint8Array[];
  run(input: Uint8Array): Promise<void>;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const SDP = 'v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';

/** A request from 10.0.0.9:5060 to the fuzzed user agent at 10.0.0.1:5060. */
function request(method: string, extra: string[] = [], body = ''): string {
  return [
    `${method} sip:ua@10.0.0.1:5060 SIP/2.0`,
    'Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKfuzz1;rport',
    'From: "Fuzz" <sip:fuzz@10.0.0.9>;tag=f1',
    'To: <sip:ua@10.0.0.1>',
    'Call-ID: fuzz-1@10.0.0.9',
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    'Contact: <sip:fuzz@10.0.0.9:5060>',
    ...extra,
    ...(body !== '' ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
}

/** Valid and nearly valid messages of every kind the user agent meets. */
export const SIP_SEEDS: readonly Uint8Array[] = [
  text(request('INVITE', [], SDP)),
  text(request('INVITE', ['Replaces: abc@x;to-tag=1;from-tag=2', 'Require: replaces'], SDP)),
  text(request('OPTIONS', ['Accept: application/sdp'])),
  text(request('BYE').replace('To: <sip:ua@10.0.0.1>', 'To: <sip:ua@10.0.0.1>;tag=t1')),
  text(request('CANCEL')),
  text(request('ACK')),
  text(request('INFO', ['Content-Type: application/dtmf-relay']).replace('Content-Length: 0\r\n\r\n', 'Content-Length: 10\r\n\r\nSignal=5\r\n')),
  text(request('REFER', ['Refer-To: <sip:carol@10.0.0.3>']).replace('To: <sip:ua@10.0.0.1>', 'To: <sip:ua@10.0.0.1>;tag=t1')),
  text(request('NOTIFY', ['Event: refer', 'Subscription-State: active']).replace('To: <sip:ua@10.0.0.1>', 'To: <sip:ua@10.0.0.1>;tag=t1')),
  text('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nFrom: <sip:ua@10.0.0.1>;tag=a\r\nTo: <sip:fuzz@10.0.0.9>;tag=b\r\nCall-ID: c@x\r\nCSeq: 1 INVITE\r\nContact: <sip:fuzz@10.0.0.9>\r\nContent-Length: 0\r\n\r\n'),
  text('SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nFrom: <sip:ua@10.0.0.1>;tag=a\r\nTo: <sip:fuzz@10.0.0.9>;tag=b\r\nCall-ID: c@x\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm="r", nonce="n", qop="auth"\r\nContent-Length: 0\r\n\r\n'),
  text('\r\n\r\n'),
];

/** Scenario texts, compact and sipflow format, JSONC included. */
export const SCENARIO_SEEDS: readonly Uint8Array[] = [
  text('{ "instances": { "alice": { "steps": [ { "command": "MakeCall", "targetUri": "bob" }, "Release" ] }, "bob": { "steps": [ "INCOMING", "Answer", "DISCONNECTED" ] } } }'),
  text('// jsonc\n{ instances: { a: { dn: "${DN:-100}", steps: ["INCOMING", { command: "SendDTMF", digits: "12#", }, ], }, }, }'),
  text('{"nodes":[{"id":"i1","type":"sipInstance","data":{"label":"A","sipInstanceId":"a","dn":"100"}},{"id":"c1","type":"command","data":{"command":"MakeCall","sipInstanceId":"a","targetUri":"200"}}],"edges":[{"id":"e1","source":"i1","target":"c1"}]}'),
];

/** parseMessage: a message or a SipParseError. */
export const parserTarget: FuzzTarget = {
  name: 'parser',
  seeds: SIP_SEEDS,
  async run(input) {
    try {
      parseMessage(input);
    } catch (err) {
      if (!(err instanceof SipParseError)) throw new FuzzFailure(`parseMessage threw ${String(err)}`, { cause: err });
    }
  },
};

const UA: { address: string; port: number } = { address: '10.0.0.1', port: 5060 };
const PEER: { address: string; port: number } = { address: '10.0.0.9', port: 5060 };

/** A UserAgent that rings and answers every call takes the datagram; afterwards it holds nothing. */
export const uaTarget: FuzzTarget = {
  name: 'ua',
  seeds: SIP_SEEDS,
  async run(input) {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed: 1 });
    const peer = network.transport(PEER);
    peer.setHandlers({});
    const ua = new UserAgent({ transport: network.transport(UA), identity: { user: 'ua' }, clock, offerAnswer: sdpOfferAnswer({ address: UA.address, port: 42000 }) });
    const errors: unknown[] = [];
    ua.on('event', (e) => {
      if (e.type === 'error') errors.push(e.error);
    });
    ua.on('invite', (call) => {
      call.ringing();
      call.answer().then(
        (session) => void session.bye().catch(() => undefined),
        () => undefined,
      );
    });
    await peer.send(input, UA).catch(() => undefined);
    // Let every timer run (transactions end after 64·T1), promises settling between rounds.
    for (let round = 0; round < 50; round++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (clock.pendingTimers === 0) break;
      clock.runUntilIdle();
    }
    if (errors.length > 0) throw new FuzzFailure(`the user agent reported an error: ${String(errors[0])}`, { cause: errors[0] });
    const counts = ua.counts;
    const left = counts.transactions.client + counts.transactions.server + counts.dialogs + counts.sessions + counts.incoming + counts.outgoing + counts.unanswered;
    if (left > 0) throw new FuzzFailure(`the user agent still holds something after every timer ran: ${JSON.stringify(counts)}`);
    const closing = ua.close();
    for (let round = 0; round < 20; round++) {
      clock.runUntilIdle();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await closing;
    if (clock.pendingTimers > 0) throw new FuzzFailure(`${clock.pendingTimers} timers left after close()`);
  },
};

/** validateScenario: never throws, never an internal error. */
export const scenarioTarget: FuzzTarget = {
  name: 'scenario',
  seeds: SCENARIO_SEEDS,
  async run(input) {
    let result: ReturnType<typeof validateScenario>;
    try {
      result = validateScenario(input, { env: {} });
    } catch (err) {
      throw new FuzzFailure(`validateScenario threw ${String(err)}`, { cause: err });
    }
    const internal = result.diagnostics.find((d) => d.message.startsWith('internal error'));
    if (internal !== undefined) throw new FuzzFailure(internal.message);
  },
};

/** Every target, by name. */
export const TARGETS: Readonly<Record<FuzzTarget['name'], FuzzTarget>> = { parser: parserTarget, ua: uaTarget, scenario: scenarioTarget };
