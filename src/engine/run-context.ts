// What one run shares between the instance manager, the call wiring, the executor and the
// handlers: the clock, the calls, the instances, and the way out (run events).

import type { UserAgentLimits } from '../sip/dialog/user-agent.js';
import type { Clock } from '../sip/transport/clock.js';
import type { TimerSettings } from '../sip/transaction/timers.js';
import type { Transport } from '../sip/transport/transport.js';
import type { Endpoint } from '../sip/transport/transport.js';
import type { RunEventHub } from './event-hub.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { LogLevel, MediaEvent, SipMessageSummary } from './run-events.js';
import type { SessionStore } from './session-store.js';
import type { AbortScope } from './wait.js';

/** Settings of a run that the engine's options give. */
export interface RunSettings {
  /** First local-mode port (default 15060); instances take it and the next ones, stepping by 2. */
  readonly portBase: number;
  /** Incoming calls that may wait in an instance's queue; beyond, 503 with Retry-After (default 32). */
  readonly queueLimit: number;
  /** Open a MediaSession (RTP) for every call (default true). Off: SDP still offered, port 9, no RTP. */
  readonly media: boolean;
  /** SIP timers (T1, T2, T4, Timer D) for every instance. */
  readonly timers: Partial<TimerSettings> | undefined;
  /** Opens a SIP transport at an address and port (UDP by default; a MemoryNetwork in tests). */
  readonly bindTransport: (local: Endpoint) => Promise<Transport>;
  /** How long the cleanup waits for the answers to its BYEs, CANCELs and un-REGISTERs, ms (default 2000). */
  readonly closeTimeoutMs: number;
  /** Wait this long after a BlindTransfer's 202 for the first NOTIFY before the BYE, ms (default 2000). */
  readonly notifyGraceMs: number;
  /** Where recordings go (an absolute path; created when the first recording starts). */
  readonly outputDir: string;
  /** Bounds on each instance's user agent (its defaults when undefined). */
  readonly limits: UserAgentLimits | undefined;
  /** Leave credentials readable in `sip` run events (default false: masked in place). */
  readonly unsafeShowSecrets: boolean;
}

/** A log line of a node or of the engine. */
export interface LogInput {
  readonly message: string;
  readonly level?: LogLevel;
  readonly nodeId?: string;
  readonly instanceId?: string;
  readonly callId?: string;
  readonly sipMessage?: SipMessageSummary;
}

/** The state one run shares. */
export interface RunContext {
  readonly clock: Clock;
  readonly settings: RunSettings;
  readonly store: SessionStore;
  readonly hub: RunEventHub;
  /** The instances by id, once started. */
  readonly instances: ReadonlyMap<string, InstanceRuntime>;
  /** Aborts when the run stops or fails (in a load run: when the call does). */
  readonly scope: AbortScope;
  /** A timestamp for events: Unix ms. */
  timestamp(): number;
  /** The same clock in Unix microseconds (whole), for `sip` and `rtp` events. */
  timeUs(): number;
  /** Emits a `media` event (when anyone listens). */
  media(event: Omit<MediaEvent, 'type' | 'timestamp'>): void;
  /** Emits an action log (when anyone listens). */
  log(entry: LogInput): void;
  /** Reports an engine-internal problem (a listener of ours threw …) as an error log. */
  reportError(error: unknown, where: string): void;
}
