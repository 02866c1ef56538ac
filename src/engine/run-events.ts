// The run events: the only way out of the engine. The CLI, every reporter and the load statistics
// read these and nothing else, so they carry enough to redraw every call and every node's story.
// Names and payload keys follow the original sipflow (`scenario:*`, reference §4.5); `sip` is ours.

import type { MediaDirection } from '../sdp/model.js';
import type { Endpoint } from '../sip/transport/transport.js';

/** Where a node is: sipflow's pending → running → completed | failed, and `stopped` when the run stopped it. */
export type NodeState = 'pending' | 'running' | 'completed' | 'failed' | 'stopped';

/** Log levels of action logs (sipflow's, with `warn` for warnings throughout). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What an action log says about a SIP exchange, in sipflow's keys, filled from the real messages:
 * `sent INVITE 200` is our INVITE and the 200 it got.
 */
export interface SipMessageSummary {
  readonly direction: 'sent' | 'received';
  /** The request method (`INVITE`, `BYE`, `REFER` …). */
  readonly method: string;
  /** The status of the response it got or gave; 0 when there is none (yet). */
  readonly responseCode: number;
  /** The logical call key (`call-1`), never the SIP Call-ID. */
  readonly callId: string;
  /** The From user. */
  readonly from: string;
  /** The To user. */
  readonly to: string;
  /** The SDP direction, when it matters (`sendonly`, `recvonly`, `sendrecv`, `inactive`). */
  readonly note?: string;
}

/** An instance as it runs: where it listens, for ladder columns and captures. */
export interface RunInstance {
  readonly id: string;
  readonly dn: string;
  readonly label: string;
  readonly mode: 'local' | 'pbx';
  /** The address and port its SIP socket is bound to. */
  readonly address: Endpoint;
  /** Its Contact URI. */
  readonly contact: string;
}

/** A node of the run, as reports name it: for timelines and live views. */
export interface RunNode {
  readonly id: string;
  /** The instance it runs on. */
  readonly instanceId: string;
  readonly kind: 'command' | 'event';
  /** The command or event (`MakeCall`, `INCOMING` …). */
  readonly name: string;
  /** Its call key. */
  readonly callId: string;
  /** The author's label, if any. */
  readonly label?: string;
}

/** The run started: every instance is up (and registered, in PBX mode). */
export interface ScenarioStartedEvent {
  readonly type: 'scenario:started';
  readonly scenarioId: string;
  readonly timestamp: number;
  readonly instances: readonly RunInstance[];
  /** Every node that can run, in the graph's order (instance by instance, chains depth first). */
  readonly nodes: readonly RunNode[];
}

/** The run ended with every chain done and no unhandled failure. */
export interface ScenarioCompletedEvent {
  readonly type: 'scenario:completed';
  readonly scenarioId: string;
  readonly timestamp: number;
}

/** The run failed: a node failed with no failure branch (or an instance could not start). */
export interface ScenarioFailedEvent {
  readonly type: 'scenario:failed';
  readonly scenarioId: string;
  /** Why, as `instance <id>: <reason>` (sipflow's form). */
  readonly error: string;
  /** The node that failed, when a node did. */
  readonly nodeId?: string;
  readonly instanceId?: string;
  readonly timestamp: number;
}

/** The run was stopped (`engine.stop()`, the run's signal, SIGINT). */
export interface ScenarioStoppedEvent {
  readonly type: 'scenario:stopped';
  readonly scenarioId: string;
  readonly timestamp: number;
}

/** A node changed state. */
export interface NodeStateEvent {
  readonly type: 'scenario:node-state';
  readonly nodeId: string;
  readonly instanceId: string;
  readonly previousState: NodeState;
  readonly newState: NodeState;
  /** Why it failed or was stopped. */
  readonly error?: string;
  readonly timestamp: number;
}

/** Something a node (or the engine, with nodeId '') did or saw, for people to read. */
export interface ActionLogEvent {
  readonly type: 'scenario:action-log';
  /** The node; '' for the engine itself (start-up, registration, cleanup). */
  readonly nodeId: string;
  /** The instance; '' for the engine as a whole. */
  readonly instanceId: string;
  readonly message: string;
  readonly level: LogLevel;
  readonly timestamp: number;
  /** The logical call key the log is about. */
  readonly callId?: string;
  readonly sipMessage?: SipMessageSummary;
}

/** One SIP message any instance sent or received, as it was on the wire. */
export interface SipEvent {
  readonly type: 'sip';
  readonly instanceId: string;
  readonly direction: 'sent' | 'received';
  /** Our socket. */
  readonly local: Endpoint;
  /** The other end: where it went, or where it came from. */
  readonly remote: Endpoint;
  readonly timestamp: number;
  /** The same instant in Unix microseconds (whole), for captures and ladders that need finer order than ms. */
  readonly timeUs: number;
  /** The whole message as text (UTF-8). */
  readonly raw: string;
  /** The request method, for a request. */
  readonly method?: string;
  /** The status and reason, for a response. */
  readonly status?: number;
  readonly reason?: string;
  /** The SIP Call-ID header. */
  readonly sipCallId: string;
  /** The CSeq header, e.g. `1 INVITE`. */
  readonly cseq: string;
  /** The logical call key the message belongs to, when the engine knows the call. */
  readonly callId?: string;
}

/**
 * One RTP or RTCP datagram of a call's media, sent or received, as it was on the wire. Built only
 * while someone listens for `rtp` when the call's media opens: a call makes about 100 a second.
 */
export interface RtpEvent {
  readonly type: 'rtp';
  readonly instanceId: string;
  readonly protocol: 'rtp' | 'rtcp';
  readonly direction: 'sent' | 'received';
  /** Our socket (RTCP: the RTP port + 1). */
  readonly local: Endpoint;
  /** Where it went, or where it came from. */
  readonly remote: Endpoint;
  readonly timestamp: number;
  /** The same instant in Unix microseconds (whole). */
  readonly timeUs: number;
  /** The datagram (a copy of its own). */
  readonly data: Uint8Array;
  /** The SIP Call-ID of the call the media belongs to. */
  readonly sipCallId: string;
  /** The logical call key, when the call has one. */
  readonly callId?: string;
}

/** What happened to a call's media, for reports: a {@link MediaEvent}'s `kind`. */
export type MediaEventKind = 'dtmf-sent' | 'dtmf-received' | 'playback-started' | 'playback-ended' | 'held' | 'resumed' | 'recording-started' | 'recording-stopped';

/** Something that happened to a call's media: DTMF sent or received, a playback, a hold or a resume, a recording. */
export interface MediaEvent {
  readonly type: 'media';
  readonly kind: MediaEventKind;
  readonly instanceId: string;
  /** The logical call key. */
  readonly callId?: string;
  /** The SIP Call-ID of the call (keys are per instance; this names the call on the wire). */
  readonly sipCallId?: string;
  /** The node that did it (SendDTMF, PlayAudio, Hold, Retrieve), if a node did. */
  readonly nodeId?: string;
  readonly timestamp: number;
  /** `dtmf-sent`: the digit starting to go out; `dtmf-received`: the digit detected. */
  readonly digits?: string;
  /** `playback-*`: the audio file played; `recording-*`: the file written. */
  readonly audioFile?: string;
  /** `recording-*`: both directions (received left, sent right) rather than the received audio. */
  readonly stereo?: boolean;
  /** `recording-stopped`: how much audio the file holds, ms. */
  readonly durationMs?: number;
  /** `dtmf-received`: how the digit came (`rfc4733`, `inband` or `info`); `dtmf-sent`: how it went. */
  readonly form?: 'rfc4733' | 'inband' | 'info';
  /** `playback-ended`: how it ended. */
  readonly outcome?: 'completed' | 'stopped' | 'failed';
  /** `held` / `resumed`: who did it. */
  readonly by?: 'us' | 'peer';
  /** `held` / `resumed`: the SDP direction the hold or resume asked for (`sendonly`, `inactive`, `sendrecv` …). */
  readonly direction?: MediaDirection;
}

/** Every run event. */
export type RunEvent =
  | ScenarioStartedEvent
  | ScenarioCompletedEvent
  | ScenarioFailedEvent
  | ScenarioStoppedEvent
  | NodeStateEvent
  | ActionLogEvent
  | SipEvent
  | RtpEvent
  | MediaEvent;

/** The kinds of run events. */
export type RunEventType = RunEvent['type'];

/** The run event of one kind. */
export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/**
 * A reporter: one object with a method per kind of run event, as Playwright's reporters have.
 * Every method is optional; a reporter that throws is reported and does not stop the run.
 *
 * @example
 * ```ts
 * engine.addReporter({
 *   onNodeState: (e) => console.log(e.nodeId, e.previousState, '→', e.newState),
 *   onSip: (e) => console.log(e.direction, e.method ?? e.status),
 * });
 * ```
 */
export interface RunReporter {
  /** The run started: its instances and nodes. */
  onStarted?(event: ScenarioStartedEvent): void;
  /** The run passed (its last event). */
  onCompleted?(event: ScenarioCompletedEvent): void;
  /** The run failed (its last event). */
  onFailed?(event: ScenarioFailedEvent): void;
  /** The run was stopped (its last event). */
  onStopped?(event: ScenarioStoppedEvent): void;
  /** A node changed state. */
  onNodeState?(event: NodeStateEvent): void;
  /** An action log of a node or of the engine. */
  onActionLog?(event: ActionLogEvent): void;
  /** A SIP message was sent or received. */
  onSip?(event: SipEvent): void;
  /** An RTP or RTCP datagram was sent or received (only reporters with this method get them). */
  onRtp?(event: RtpEvent): void;
  /** DTMF, a playback, a hold or a resume on a call. */
  onMedia?(event: MediaEvent): void;
}

/** Which reporter method takes which event. */
export const REPORTER_METHODS: { readonly [T in RunEventType]: keyof RunReporter } = {
  'scenario:started': 'onStarted',
  'scenario:completed': 'onCompleted',
  'scenario:failed': 'onFailed',
  'scenario:stopped': 'onStopped',
  'scenario:node-state': 'onNodeState',
  'scenario:action-log': 'onActionLog',
  sip: 'onSip',
  rtp: 'onRtp',
  media: 'onMedia',
};
