// One scenario run as the reports see it: its run events, gathered by a reporter on the engine's
// stream, and what they add up to (verdict, failure, instances, nodes). Every report (HTML, JUnit,
// pcap, the text ladder) is drawn from these records alone.

import type {
  MediaEvent,
  NodeState,
  RtpEvent,
  RunEvent,
  RunInstance,
  RunNode,
  RunReporter,
  ScenarioFailedEvent,
  SipEvent,
} from '../../engine/run-events.js';

/** How a scenario run ended, for reports: `invalid` when it never started (the scenario did not load). */
export type ScenarioRunStatus = 'passed' | 'failed' | 'stopped' | 'invalid';

/** The node that failed a run, and why. */
export interface RunFailure {
  readonly message: string;
  readonly nodeId?: string;
  readonly instanceId?: string;
}

/** A node's story: its states over time, for timelines. */
export interface NodeHistory {
  readonly node: RunNode;
  /** Every state it entered, with when (Unix ms) and the error of a failed or stopped state. */
  readonly states: ReadonlyArray<{ readonly state: NodeState; readonly at: number; readonly error?: string }>;
}

/** One scenario run, recorded from its run events. */
export interface ScenarioRun {
  /** The scenario file (as given on the command line), or a name for one given in code. */
  readonly file: string;
  /** The engine's scenario id (its name, or its file). */
  readonly scenarioId: string;
  readonly status: ScenarioRunStatus;
  readonly failure: RunFailure | undefined;
  /** Unix ms of the first and last event (equal when there were none). */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly instances: readonly RunInstance[];
  readonly nodes: readonly RunNode[];
  /** Every run event but `rtp`, in order. */
  readonly events: readonly RunEvent[];
  /** The `sip` events, in order. */
  readonly sip: readonly SipEvent[];
  /** The `media` events, in order. */
  readonly media: readonly MediaEvent[];
  /** The `rtp` events, in order, when they were recorded (see {@link ScenarioRecorder}). */
  readonly packets: readonly RtpEvent[];
}

/** Options of a {@link ScenarioRecorder}. */
export interface ScenarioRecorderOptions {
  /** The scenario file, for the record. */
  readonly file: string;
  /** Also record every RTP and RTCP datagram (`rtp` events), for captures. Default false. */
  readonly packets?: boolean;
  /** Time source for a run with no events (Unix ms). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A run reporter that records one scenario run for the reports. Add it to the engine before the
 * run (`engine.addReporter(recorder)`); read {@link ScenarioRecorder.record} after it.
 *
 * @example
 * ```ts
 * const recorder = new ScenarioRecorder({ file: 'call.json', packets: true });
 * const off = engine.addReporter(recorder);
 * await engine.run(loadScenarioFile('call.json'));
 * off();
 * writeFileSync('run.pcap', writePcap([recorder.record()]));
 * ```
 */
export class ScenarioRecorder implements RunReporter {
  private readonly events: RunEvent[] = [];
  private readonly packets: RtpEvent[] = [];
  private readonly options: ScenarioRecorderOptions;
  /** Set when the scenario never ran (it did not load or an instance could not start). */
  private refused: { status: ScenarioRunStatus; message: string } | undefined;

  constructor(options: ScenarioRecorderOptions) {
    this.options = options;
    // Only a recorder that wants packets has onRtp: the engine builds rtp events for it alone.
    if (options.packets === true) this.onRtp = (e: RtpEvent): void => void this.packets.push(e);
  }

  onRtp?: (event: RtpEvent) => void;
  onStarted(e: RunEvent): void {
    this.events.push(e);
  }
  onCompleted(e: RunEvent): void {
    this.events.push(e);
  }
  onFailed(e: RunEvent): void {
    this.events.push(e);
  }
  onStopped(e: RunEvent): void {
    this.events.push(e);
  }
  onNodeState(e: RunEvent): void {
    this.events.push(e);
  }
  onActionLog(e: RunEvent): void {
    this.events.push(e);
  }
  onSip(e: RunEvent): void {
    this.events.push(e);
  }
  onMedia(e: RunEvent): void {
    this.events.push(e);
  }

  /**
   * Notes that the scenario did not run at all: `invalid` for a scenario that did not load,
   * `failed` for one whose instances could not start (the engine threw before its first event).
   */
  refuse(status: 'invalid' | 'failed', message: string): void {
    this.refused = { status, message };
  }

  /** The run as recorded so far (complete once the run has ended). */
  record(): ScenarioRun {
    return recordOf(this.options.file, this.events, this.packets, this.refused, this.options.now ?? Date.now);
  }
}

function recordOf(
  file: string,
  events: readonly RunEvent[],
  packets: readonly RtpEvent[],
  refused: { status: ScenarioRunStatus; message: string } | undefined,
  now: () => number,
): ScenarioRun {
  let scenarioId = file;
  let instances: readonly RunInstance[] = [];
  let nodes: readonly RunNode[] = [];
  let status: ScenarioRunStatus = 'stopped';
  let failure: RunFailure | undefined;
  const sip: SipEvent[] = [];
  const media: MediaEvent[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'scenario:started':
        scenarioId = e.scenarioId;
        instances = e.instances;
        nodes = e.nodes;
        break;
      case 'scenario:completed':
        status = 'passed';
        break;
      case 'scenario:failed':
        status = 'failed';
        failure = failureOf(e);
        break;
      case 'scenario:stopped':
        status = 'stopped';
        break;
      case 'sip':
        sip.push(e);
        break;
      case 'media':
        media.push(e);
        break;
      default:
        break;
    }
  }
  if (refused !== undefined && !events.some((e) => e.type === 'scenario:completed' || e.type === 'scenario:failed')) {
    status = refused.status;
    failure = { message: refused.message };
  }
  const first = events[0]?.timestamp ?? packets[0]?.timestamp;
  const last = events.at(-1)?.timestamp ?? packets.at(-1)?.timestamp;
  const stamp = first ?? now();
  return { file, scenarioId, status, failure, startedAt: stamp, endedAt: last ?? stamp, instances, nodes, events, sip, media, packets };
}

function failureOf(e: ScenarioFailedEvent): RunFailure {
  return { message: e.error, ...(e.nodeId !== undefined ? { nodeId: e.nodeId } : {}), ...(e.instanceId !== undefined ? { instanceId: e.instanceId } : {}) };
}

/** Every node's states over the run, in node order (nodes that never ran have no states). */
export function nodeHistories(run: ScenarioRun): NodeHistory[] {
  const byId = new Map<string, { node: RunNode; states: Array<{ state: NodeState; at: number; error?: string }> }>();
  for (const node of run.nodes) byId.set(node.id, { node, states: [] });
  for (const e of run.events) {
    if (e.type !== 'scenario:node-state') continue;
    let h = byId.get(e.nodeId);
    if (h === undefined) {
      h = { node: { id: e.nodeId, instanceId: e.instanceId, kind: 'command', name: e.nodeId, callId: '' }, states: [] };
      byId.set(e.nodeId, h);
    }
    h.states.push({ state: e.newState, at: e.timestamp, ...(e.error !== undefined ? { error: e.error } : {}) });
  }
  return [...byId.values()];
}

/** A recording a run made of one call, as its `media` events tell it. */
export interface RunRecording {
  /** The WAV file (an absolute path in the run's output folder). */
  readonly file: string;
  readonly instanceId: string;
  readonly callId: string | undefined;
  readonly sipCallId: string | undefined;
  /** Both directions (received left, sent right) rather than the received audio alone. */
  readonly stereo: boolean;
  /** How much audio the file holds, ms; undefined when the run never said it completed. */
  readonly durationMs: number | undefined;
}

/**
 * The recordings of a run, in the order they started, from its `recording-started` and
 * `recording-stopped` media events.
 *
 * @example
 * ```ts
 * for (const r of recordingsOf(run)) console.log(r.instanceId, r.callId, r.file);
 * ```
 */
export function recordingsOf(run: Pick<ScenarioRun, 'media'>): RunRecording[] {
  const byFile = new Map<string, RunRecording>();
  for (const e of run.media) {
    if ((e.kind !== 'recording-started' && e.kind !== 'recording-stopped') || e.audioFile === undefined) continue;
    const known = byFile.get(e.audioFile);
    byFile.set(e.audioFile, {
      file: e.audioFile,
      instanceId: e.instanceId,
      callId: e.callId ?? known?.callId,
      sipCallId: e.sipCallId ?? known?.sipCallId,
      stereo: e.stereo ?? known?.stereo ?? false,
      durationMs: e.kind === 'recording-stopped' ? e.durationMs : known?.durationMs,
    });
  }
  return [...byFile.values()];
}
