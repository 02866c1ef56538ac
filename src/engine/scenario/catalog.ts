// The one table of what a scenario may say: every command and event with its fields, defaults and
// meaning, and every instance setting. The readers, the validator, the compiler, the JSON Schemas,
// the TypeScript authoring types and docs/scenarios.md all come from here, so adding a command
// touches this table (and its handler), nothing else.

/** The JSON shape of a field's value. */
export type FieldKind =
  /** A JSON string. */
  | 'string'
  /** A JSON boolean. */
  | 'boolean'
  /** A JSON number. */
  | 'number'
  /** A JSON array of strings. */
  | 'string-list'
  /** A port: an integer 1–65535, or a string of digits (sipflow's `pbxPort` is a string). */
  | 'port'
  /** `{ "min": 20000, "max": 20999 }`: RTP ports (even) with RTCP on the next port. */
  | 'port-range';

/** A check beyond the JSON type, made by the validator. */
export type ValueCheck =
  /** A DN of the run, or a `sip:`, `sips:` or `tel:` URI. */
  | 'target'
  /** One or more of `0-9 * # A-D`. */
  | 'dtmf-digits'
  /** One of `0-9 * # A-D`, or empty for any digit. */
  | 'dtmf-digit'
  /** A file that must exist (relative to the scenario file). */
  | 'file'
  /** Text that goes into a SIP header (a reason phrase, a display name): one line. */
  | 'reason'
  /** `host` or `host:port`. */
  | 'host-port'
  /** A SIP URI user part. */
  | 'user'
  /** An IPv4 or IPv6 address literal. */
  | 'ip'
  /** A transport name (only UDP is available). */
  | 'transport';

/** One field of a command, event or instance. */
export interface FieldSpec {
  readonly kind: FieldKind;
  /** One sentence for docs, schemas and editors. */
  readonly doc: string;
  /** The step is invalid without it. */
  readonly required?: boolean;
  /** The value used when the field is left out. */
  readonly default?: string | number | boolean | readonly string[];
  /** Whole numbers only. */
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly check?: ValueCheck;
  /** The only values a string field takes (an enumeration, compared exactly). */
  readonly values?: readonly string[];
  /** Not in the original sipflow app: one of our additions. */
  readonly ours?: boolean;
  /** In sipflow flow JSON the value must have this JSON type instead (sipflow's `pbxPort` is a string). */
  readonly sipflowKind?: FieldKind;
}

/** How a step's `timeout` (milliseconds) works. */
export interface TimeoutSpec {
  /** What the timeout bounds, for the docs. */
  readonly doc: string;
  /** When no timeout is given; `undefined`: the step has no bound of its own (the protocol's timers apply). */
  readonly default: number | undefined;
  /** A timeout ≤ 0: replaced by this (with a warning, as sipflow does), or an error. */
  readonly nonPositive: number | undefined | 'error';
}

/** A command or an event. */
export interface StepSpec {
  /** What it does, when it succeeds and when it fails. */
  readonly doc: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly timeout: TimeoutSpec;
  /** Not in the original sipflow app. */
  readonly ours?: boolean;
  /** It puts a new call under its `callId` (MakeCall, INCOMING). */
  readonly createsCall?: boolean;
  /** It does not touch a call, so its `callId` means nothing (TIMEOUT, Register, Unregister). */
  readonly noCall?: boolean;
}

/** The largest timeout or delay in milliseconds (Node's timers fire at once beyond it). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** The largest interval in seconds (registration expiry), for the same reason. */
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);

const noBound: TimeoutSpec = {
  doc: 'Optional bound on how long the command may take, in ms; without it the protocol timers apply.',
  default: undefined,
  nonPositive: undefined,
};

const eventWait: TimeoutSpec = {
  doc: 'How long to wait, in ms; the event fails when it runs out.',
  default: 10_000,
  nonPositive: 10_000,
};

/**
 * The commands, in sipflow's order (`MakeCall` … `MuteTransfer`) followed by ours
 * (`Reject`, `SessionProgress`, `StartRecording`, `StopRecording`, `CheckMedia`, `Register`, `Unregister`).
 */
export const COMMANDS = {
  MakeCall: {
    doc: 'Calls the target: an INVITE with an SDP offer from the instance codecs, stored under callId at once. Succeeds when the call is answered (2xx, ACKed); fails on a final status of 300 or more, on a transport error, or when the timeout runs out (the call is then CANCELled).',
    timeout: { doc: 'How long to wait for the answer, in ms.', default: 10_000, nonPositive: 30_000 },
    createsCall: true,
    fields: {
      targetUri: { kind: 'string', required: true, check: 'target', doc: 'Whom to call: a DN of this scenario (that instance is called), or a sip:, sips: or tel: URI.' },
      record: { kind: 'boolean', ours: true, doc: "Record this call's audio to the run's output folder; the instance record setting when left out." },
    },
  },
  Answer: {
    doc: 'Answers the incoming call under callId: 200 OK with an SDP answer (or offer, when the INVITE had none). Succeeds when the ACK arrives; fails when there is no unanswered incoming call under callId, when no codec is common (488), or when the ACK never comes.',
    timeout: noBound,
    fields: {
      record: { kind: 'boolean', ours: true, doc: "Record this call's audio to the run's output folder; the instance record setting when left out." },
    },
  },
  Release: {
    doc: 'Ends the call under callId: BYE when it is answered, CANCEL while our call rings, a final status (480 by default) to an unanswered incoming call. Succeeds also, with a warning, when there is no such call or it has already ended.',
    timeout: noBound,
    fields: {
      status: { kind: 'number', integer: true, min: 300, max: 699, ours: true, doc: 'Status for an unanswered incoming call (default 480 Temporarily Unavailable).' },
    },
  },
  PlayAudio: {
    doc: 'Plays a WAV file into the call under callId. Succeeds when all of it has been sent; fails when the file cannot be read or the call ends first.',
    timeout: noBound,
    fields: {
      filePath: { kind: 'string', required: true, check: 'file', doc: 'The WAV file, absolute or relative to the scenario file.' },
    },
  },
  SendDTMF: {
    doc: 'Sends DTMF digits on the call under callId: as RFC 4733 telephone events (default), as tone pairs in the audio (inband), or as SIP INFO requests with application/dtmf-relay (info). Succeeds when every digit has been sent.',
    timeout: noBound,
    fields: {
      digits: { kind: 'string', required: true, check: 'dtmf-digits', doc: 'The digits to send: 0-9, *, #, A-D.' },
      intervalMs: { kind: 'number', default: 100, min: 0, max: 60_000, doc: 'Pause between two digits, in ms.' },
      mode: { kind: 'string', default: 'rfc4733', values: ['rfc4733', 'inband', 'info'], ours: true, doc: 'How to send: rfc4733 (telephone events), inband (the ITU-T Q.23 tone pairs in the audio) or info (SIP INFO, application/dtmf-relay).' },
      durationMs: { kind: 'number', default: 100, min: 40, max: 5_000, ours: true, doc: 'How long each digit lasts, in ms.' },
    },
  },
  Hold: {
    doc: 'Puts the call under callId on hold: a re-INVITE with a sendonly offer, and our media stops sending. Fails, leaving the call as it was, when the peer refuses.',
    timeout: noBound,
    fields: {},
  },
  Retrieve: {
    doc: 'Takes the call under callId off hold: a re-INVITE with a sendrecv offer. Fails, leaving the call as it was, when the peer refuses.',
    timeout: noBound,
    fields: {},
  },
  BlindTransfer: {
    doc: 'Transfers the peer of the call under callId (REFER). Succeeds on 202 Accepted (with waitForNotify, on a 2xx final NOTIFY), then ends our leg with BYE; fails when the REFER is refused, or with waitForNotify when the final NOTIFY carries 300 or more.',
    timeout: { doc: 'How long to wait for the 202 and, with waitForNotify, the final NOTIFY, in ms.', default: 10_000, nonPositive: 10_000 },
    fields: {
      targetUri: { kind: 'string', check: 'target', ours: true, doc: 'Where to transfer: a DN of this scenario or a sip:, sips: or tel: URI. Used instead of targetUser and targetHost.' },
      targetUser: { kind: 'string', check: 'user', doc: 'User part of the transfer target (sipflow style, with targetHost).' },
      targetHost: { kind: 'string', check: 'host-port', doc: 'host[:port] of the transfer target (sipflow style, with targetUser).' },
      waitForNotify: { kind: 'boolean', default: false, ours: true, doc: 'Succeed only on a 2xx final NOTIFY (fail on 300 or more) instead of on the 202.' },
    },
  },
  MuteTransfer: {
    doc: 'Attended transfer: REFER on the primary call with Refer-To the consult peer and Replaces naming the consult call. Succeeds on a 2xx final NOTIFY, then ends both calls; fails, leaving both calls as they were, on a final NOTIFY of 300 or more or when the timeout runs out.',
    timeout: { doc: 'How long to wait for the final NOTIFY, in ms.', default: 10_000, nonPositive: 30_000 },
    fields: {
      primaryCallId: { kind: 'string', doc: 'The call to transfer (the one whose peer is referred); the step callId when left out.' },
      consultCallId: { kind: 'string', required: true, doc: 'The consultation call, whose peer the primary peer is connected to.' },
    },
  },
  Reject: {
    doc: 'Rejects the unanswered incoming call under callId with a final status. Fails when there is no unanswered incoming call under callId.',
    timeout: noBound,
    ours: true,
    fields: {
      status: { kind: 'number', integer: true, min: 300, max: 699, default: 486, doc: 'The final status.' },
      reason: { kind: 'string', check: 'reason', doc: 'The reason phrase; the standard one for the status when left out.' },
    },
  },
  SessionProgress: {
    doc: 'Sends 183 Session Progress with our SDP answer on the unanswered incoming call under callId: early media. PlayAudio, SendDTMF and the audio checks then work before Answer, whose 200 repeats the same answer.',
    timeout: noBound,
    ours: true,
    fields: {},
  },
  StartRecording: {
    doc: "Starts recording the call under callId to a WAV file in the run's output folder (named by instance, call key and Call-ID): the received audio, or with stereo both directions. A recording already running on the call is completed first.",
    timeout: noBound,
    ours: true,
    fields: {
      stereo: { kind: 'boolean', default: false, doc: 'Both directions: the received audio on the left channel, what we sent on the right.' },
    },
  },
  StopRecording: {
    doc: 'Stops the recording of the call under callId and completes its file. Succeeds also, with a warning, when nothing is recording.',
    timeout: noBound,
    ours: true,
    fields: {},
  },
  CheckMedia: {
    doc: "Checks the call's received media so far against the limits given (each optional; with none, that RTP arrived at all): codec, packets received, loss, jitter, an estimated MOS (ITU-T G.107 E-model from loss, its burstiness, jitter and delay) and the negotiated direction. Works during early media too. Fails with every measured value next to its limit.",
    timeout: noBound,
    ours: true,
    fields: {
      codec: { kind: 'string', ours: true, doc: 'The codec the call must use, by RTP encoding name: PCMU or PCMA (any case).' },
      minPacketsReceived: { kind: 'number', integer: true, min: 0, max: 1_000_000_000, ours: true, doc: 'At least this many RTP packets received.' },
      maxLossPercent: { kind: 'number', min: 0, max: 100, ours: true, doc: 'At most this much of the received stream lost, percent of the packets expected (RFC 3550 A.3).' },
      maxJitterMs: { kind: 'number', min: 0, max: 60_000, ours: true, doc: 'At most this interarrival jitter, ms (RFC 3550 A.8).' },
      minMos: { kind: 'number', min: 1, max: 4.5, ours: true, doc: 'At least this estimated MOS (1 to 4.5), from the ITU-T G.107 E-model; see docs/media.md for its inputs.' },
      direction: { kind: 'string', values: ['sendrecv', 'sendonly', 'recvonly', 'inactive'], ours: true, doc: 'The media direction our side must have (from the negotiated SDP): sendrecv, sendonly, recvonly or inactive.' },
    },
  },
  Register: {
    doc: "REGISTERs the instance with its PBX (answering digest challenges with authUsername and password). Succeeds on 2xx; fails with the registrar's status.",
    timeout: { doc: 'How long to wait for the registrar, in ms.', default: 10_000, nonPositive: 10_000 },
    ours: true,
    noCall: true,
    fields: {
      expires: { kind: 'number', integer: true, min: 1, max: MAX_TIMER_SECONDS, doc: 'Expires in seconds; the instance registerIntervalSeconds when left out.' },
    },
  },
  Unregister: {
    doc: 'Removes the registration of the instance (REGISTER with Expires 0). Succeeds on 2xx; fails with the status.',
    timeout: { doc: 'How long to wait for the registrar, in ms.', default: 10_000, nonPositive: 10_000 },
    ours: true,
    noCall: true,
    fields: {},
  },
} as const satisfies Record<string, StepSpec>;

/** The events, in sipflow's order. */
export const EVENTS = {
  INCOMING: {
    doc: 'Takes the oldest incoming call waiting on the instance and stores it under callId; it does not answer. Fails when none arrives in time.',
    timeout: eventWait,
    createsCall: true,
    fields: {},
  },
  DISCONNECTED: {
    doc: 'Waits until the call under callId has ended, for any reason (at once when it already has).',
    timeout: eventWait,
    fields: {},
  },
  RINGING: {
    doc: 'Waits for a 180 or 183 on our call under callId.',
    timeout: eventWait,
    fields: {},
  },
  TIMEOUT: {
    doc: 'Waits for timeout ms and succeeds.',
    timeout: { doc: 'The delay, in ms (more than 0).', default: 10_000, nonPositive: 'error' },
    noCall: true,
    fields: {},
  },
  DTMFReceived: {
    doc: 'Waits for a DTMF digit on the call under callId: expectedDigit (any digit when empty), or the expectedDigits sequence. Other digits are logged and skipped.',
    timeout: eventWait,
    fields: {
      expectedDigit: { kind: 'string', default: '', check: 'dtmf-digit', doc: 'The digit to wait for (0-9, *, #, A-D); any digit when empty.' },
      expectedDigits: { kind: 'string', check: 'dtmf-digits', ours: true, doc: 'A sequence of digits to wait for, in order.' },
    },
  },
  HELD: {
    doc: 'Waits until the peer puts the call under callId on hold (its offer is sendonly or inactive).',
    timeout: eventWait,
    fields: {},
  },
  RETRIEVED: {
    doc: 'Waits until the peer takes the call under callId off hold.',
    timeout: eventWait,
    fields: {},
  },
  TRANSFERRED: {
    doc: 'Waits until a REFER on the call under callId has been carried out: the Refer-To target called and the new call confirmed; it then takes the key of the old one.',
    timeout: eventWait,
    fields: {},
  },
  EARLY_MEDIA: {
    doc: 'Waits for a provisional response with SDP (usually 183 Session Progress) on our call under callId: early media, such as a ringback tone or an announcement played before the answer; its audio is received from then on.',
    timeout: eventWait,
    ours: true,
    fields: {},
  },
  ExpectAudio: {
    doc: 'Waits until the audio received on the call under callId matches: a tone (frequencyHz, within toleranceHz, for minDurationMs), silence or sound (below or above levelDbfs for minDurationMs), or a reference WAV file (filePath: the prompt expected, found by correlation anywhere in the audio heard from the start of the step). Works during early media too. Fails when the timeout runs out, saying what was heard instead.',
    timeout: eventWait,
    ours: true,
    fields: {
      expect: { kind: 'string', required: true, values: ['tone', 'silence', 'sound', 'file'], ours: true, doc: 'What to listen for: tone, silence, sound or file.' },
      frequencyHz: { kind: 'number', min: 50, max: 3_950, ours: true, doc: 'tone: the frequency, Hz (either of a dual tone such as 440+480 Hz matches).' },
      toleranceHz: { kind: 'number', default: 20, min: 1, max: 500, ours: true, doc: 'tone: how far the heard frequency may be from frequencyHz, Hz.' },
      minDurationMs: { kind: 'number', min: 20, max: 600_000, ours: true, doc: 'tone, silence, sound: how long the condition must hold without a break, ms (default 200 for tone and sound, 500 for silence).' },
      levelDbfs: { kind: 'number', min: -100, max: 0, ours: true, doc: 'silence: the level audio stays below (default -50 dBFS); sound and tone: the level it reaches at least (default -40 dBFS).' },
      filePath: { kind: 'string', check: 'file', ours: true, doc: 'file: the WAV file expected (any format PlayAudio takes), absolute or relative to the scenario file.' },
      minCorrelation: { kind: 'number', default: 0.7, min: 0, max: 1, ours: true, doc: 'file: the normalised correlation that counts as a match (0 to 1).' },
    },
  },
} as const satisfies Record<string, StepSpec>;

/** A command name. */
export type CommandName = keyof typeof COMMANDS;
/** An event name. */
export type EventName = keyof typeof EVENTS;
/** A command or event name. */
export type StepName = CommandName | EventName;

/** The call key of a step that names none (sipflow's DEFAULT_CALL_ID). */
export const DEFAULT_CALL_ID = 'call-1';

/** Fields every command and event has, besides its own. */
export const COMMON_STEP_FIELDS = {
  callId: { kind: 'string', default: DEFAULT_CALL_ID, doc: 'The call this step works on, by its logical key; an empty value means call-1.' },
  timeout: { kind: 'number', max: MAX_TIMEOUT_MS, doc: 'Milliseconds; what it bounds depends on the command or event.' },
  label: { kind: 'string', doc: 'A name to show for the step in reports.' },
} as const satisfies Record<string, FieldSpec>;

/**
 * Every field a step of `spec` takes: the common ones (its timeout with the step's default) and
 * its own; only the common ones when the step is unknown.
 */
export function stepFields(spec: StepSpec | undefined): Readonly<Record<string, FieldSpec>> {
  if (spec === undefined) return COMMON_STEP_FIELDS;
  const timeout: FieldSpec = { ...COMMON_STEP_FIELDS.timeout, doc: spec.timeout.doc, ...(spec.timeout.default !== undefined ? { default: spec.timeout.default } : {}) };
  return { ...COMMON_STEP_FIELDS, timeout, ...spec.fields };
}

/** The codecs sipflow knows, in its default order. */
export const KNOWN_CODECS = ['PCMU', 'PCMA'] as const;

/**
 * The settings of an instance (a SIP user agent). In sipflow JSON they sit in the `data` of a
 * `sipInstance` node; in the compact format, beside the instance's steps.
 */
export const INSTANCE_FIELDS = {
  dn: { kind: 'string', check: 'user', doc: 'The number or extension: the user part of From and Contact, what MakeCall targets name, the REGISTER user. Compact format: the instance name when left out.' },
  label: { kind: 'string', check: 'reason', doc: 'A name to show; also the display name unless displayName is set. Compact format: the instance name when left out.' },
  displayName: { kind: 'string', check: 'reason', ours: true, doc: 'Display name in From.' },
  register: { kind: 'boolean', doc: 'REGISTER with the PBX before the run (PBX mode only). Default true in sipflow JSON; in the compact format, true when pbxHost is set.' },
  codecs: { kind: 'string-list', default: KNOWN_CODECS, doc: 'Audio codecs to offer, in order of preference: PCMU, PCMA. telephone-event is always offered last.' },
  pbxHost: { kind: 'string', doc: 'The PBX or registrar host; setting it turns on PBX mode.' },
  pbxPort: { kind: 'port', sipflowKind: 'string', doc: "The PBX port (5060 when left out). sipflow JSON writes it as a string." },
  pbxTransport: { kind: 'string', default: 'UDP', check: 'transport', doc: 'Transport to the PBX; only UDP is available.' },
  registerIntervalSeconds: { kind: 'number', default: 300, max: MAX_TIMER_SECONDS, doc: 'REGISTER Expires and refresh interval, in seconds (≤ 0 means 300).' },
  authUsername: { kind: 'string', check: 'reason', ours: true, doc: 'Digest user name for challenges (401/407); the DN when left out.' },
  password: { kind: 'string', ours: true, doc: 'Digest password; use a ${PLACEHOLDER} rather than writing it in the file.' },
  host: { kind: 'string', check: 'ip', ours: true, doc: 'Address to bind (an IP literal); 127.0.0.1 in local mode when left out.' },
  port: { kind: 'number', integer: true, min: 1, max: 65_535, ours: true, doc: 'SIP port to bind, used as is; when left out a free port is picked from the run base (15060, 15062 …).' },
  rtpPortRange: { kind: 'port-range', ours: true, doc: 'RTP ports for this instance calls: { "min": 20000, "max": 20999 }.' },
  userAgent: { kind: 'string', check: 'reason', ours: true, doc: 'User-Agent header value.' },
  autoRinging: { kind: 'boolean', default: true, ours: true, doc: 'Send 180 Ringing as soon as an INVITE arrives, as a phone does.' },
  record: { kind: 'boolean', default: false, ours: true, doc: "Record every call of this instance to a WAV file in the run's output folder, named by instance, call key and Call-ID: the received audio." },
  recordStereo: { kind: 'boolean', default: false, ours: true, doc: 'With record: both directions as a stereo file (received left, sent right) instead of the received audio alone.' },
  color: { kind: 'string', doc: 'Colour for this instance in the desktop app and in reports, e.g. #3b82f6.' },
} as const satisfies Record<string, FieldSpec>;

/** An instance setting name. */
export type InstanceFieldName = keyof typeof INSTANCE_FIELDS;

/**
 * Keys the sipflow desktop app writes in `sipInstance` data for its own use: read without a
 * warning, and without effect (`pbxOutboundProxy` gets a warning when set, since users may expect
 * it to be used).
 */
export const SIPFLOW_UI_INSTANCE_KEYS = ['pbxInstanceId', 'serverId', 'pbxOutboundProxy', 'mode'] as const;

/** The commands in order: sipflow's nine, then ours. */
export function supportedCommands(): CommandName[] {
  return Object.keys(COMMANDS) as CommandName[];
}

/** The events in sipflow's order. */
export function supportedEvents(): EventName[] {
  return Object.keys(EVENTS) as EventName[];
}

/** Whether `name` is a command. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Whether `name` is an event. */
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENTS, name);
}

/** The spec of a command or event. */
export function stepSpec(kind: 'command' | 'event', name: StepName): StepSpec {
  return kind === 'command' ? COMMANDS[name as CommandName] : EVENTS[name as EventName];
}

/** The DTMF characters (RFC 4733 events 0–15), upper case only, as sipflow accepts them. */
export const DTMF_DIGITS = '0123456789*#ABCD';
