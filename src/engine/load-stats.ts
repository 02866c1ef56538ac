// The statistics of a load run: calls started, completed and failed, concurrency, call rate,
// setup times (a millisecond histogram, so percentiles are exact to the millisecond and two runs'
// histograms merge), retransmissions and error responses on the wire, and failures grouped by
// their reason. Snapshots are plain data, written as CSV rows or NDJSON lines by the CLI.

/** Setup times are counted per millisecond up to this many; longer ones go in the last bucket. */
export const SETUP_HISTOGRAM_MS = 60_000;

/** What a load run looks like at one moment (and, at its end, over all of it). */
export interface LoadSnapshot {
  /** Seconds since the load began. */
  readonly elapsedS: number;
  /** Calls (iterations of the client chains, or of the server chains when there are none) started so far. */
  readonly started: number;
  /** Calls whose chains all ended well. */
  readonly completed: number;
  /** Calls in which a chain failed. */
  readonly failed: number;
  /** Calls in progress now. */
  readonly concurrent: number;
  /** The most calls in progress at once so far. */
  readonly maxConcurrent: number;
  /**
   * Incoming calls the server chains took (INCOMING first) when the scenario also has client chains:
   * they answer the calls above and are not counted as calls themselves. 0 when there are none.
   */
  readonly served: number;
  /** Served calls in which a server chain failed (their reasons are among the failures). */
  readonly servedFailed: number;
  /** Calls started per second over the last interval. */
  readonly rate: number;
  /** Calls started per second since the beginning. */
  readonly averageRate: number;
  /** Setup time (INVITE sent → answered) percentiles over every answered call so far, ms; undefined before the first. */
  readonly setupP50Ms: number | undefined;
  readonly setupP95Ms: number | undefined;
  readonly setupP99Ms: number | undefined;
  /** Requests and responses sent again by a transaction (RFC 3261 timers A, E, G; 2xx re-sent). */
  readonly retransmissions: number;
  /** Final responses received, by class. */
  readonly received4xx: number;
  readonly received5xx: number;
  readonly received6xx: number;
  /**
   * How late sipflow's own event loop ran since the load began (after any warm-up), ms: the 99th
   * percentile and the most, over samples every 10 ms (a sample is how much later than due a 10-ms
   * timer fired). Long stalls show here (a major GC, a slow listener). Undefined before the first
   * sample, and in statistics written before these fields existed.
   */
  readonly loopLagP99Ms?: number | undefined;
  readonly loopLagMaxMs?: number | undefined;
  /**
   * How busy sipflow's own event loop was, percent of the time: over the last interval, and over
   * the busiest interval so far. Near 100 the process is short of CPU: datagrams then wait in the socket's
   * buffer before sipflow even reads them (which the lag above does not show: the loop still turns
   * every few milliseconds, each turn working through a backlog), so setup and response times
   * include sipflow's own delay. See {@link LOOP_BUSY_WARNING_PERCENT}.
   */
  readonly loopBusy?: number | undefined;
  readonly maxLoopBusy?: number | undefined;
  /**
   * Seconds since the load began during which client calls that were due waited, held back by the
   * concurrency limit (that many calls in progress) or by the setup limit (that many INVITEs
   * without any response yet: see {@link LoadRunOptions.setupLimit}). Above 0 the run started
   * its calls below the rate asked. Undefined in statistics written before these fields existed.
   */
  readonly heldByConcurrencyS?: number | undefined;
  readonly heldBySetupLimitS?: number | undefined;
  /**
   * What the instances' limits did since the load began (see {@link LoadRefusals}): new requests
   * refused with 503 at `maxDialogs` and at `maxTransactions`, and lingering transactions ended
   * early to make room. Counted per interval as well as in the summary, so that the moment a run
   * hit a limit shows. Undefined in statistics written before these fields existed.
   */
  readonly refusedAtMaxDialogs?: number | undefined;
  readonly refusedAtMaxTransactions?: number | undefined;
  readonly lingeringEndedEarly?: number | undefined;
  /**
   * sipflow's own memory, MB (10⁶ bytes, one decimal): the process's resident set now and at the
   * most seen in a snapshot so far, and the JavaScript heap in use now (garbage not yet collected
   * included, so it rises and falls between collections). Over a long load the resident set levels
   * off once the transactions of the first 32 s start to end: a level that keeps rising is a
   * leak. Undefined when {@link LoadStats} is given no way to read them, and in statistics written
   * before these fields existed. Merged runs add up (each process has its own).
   */
  readonly rssMB?: number | undefined;
  readonly maxRssMB?: number | undefined;
  readonly heapUsedMB?: number | undefined;
}

/** What {@link LoadStats} is told of its process's memory (see {@link LoadSnapshot.rssMB}). */
export interface ProcessMemory {
  /** Resident set size, bytes (`process.memoryUsage().rss`). */
  readonly rssBytes: number;
  /** JavaScript heap in use, bytes (`process.memoryUsage().heapUsed`). */
  readonly heapUsedBytes: number;
}

/** From this much event-loop lag at the 99th percentile ({@link LoadSnapshot.loopLagP99Ms}) the CLI warns that sipflow ran late. */
export const LOOP_LAG_WARNING_MS = 50;

/**
 * From this busy share of sipflow's event loop ({@link LoadSnapshot.loopBusy} over an interval,
 * {@link LoadSnapshot.maxLoopBusy} for the busiest) the CLI warns that sipflow was short of CPU:
 * its figures then say as much about sipflow as about the system under test.
 */
export const LOOP_BUSY_WARNING_PERCENT = 90;

/** What {@link LoadStats} is told of its process's event loop: figures since the load began. */
export interface LoopFigures {
  /** Lag, ms: 99th percentile and the most (see {@link LoadSnapshot.loopLagP99Ms}). */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Time the loop spent running code, and waiting for something to do, ms. */
  readonly activeMs: number;
  readonly idleMs: number;
}

/** Calls that failed for one reason: the failing node and what it said. */
export interface LoadFailureGroup {
  readonly nodeId: string;
  readonly instanceId: string;
  /** The node's failure message (a timeout's waiting details cut off after its first clause). */
  readonly reason: string;
  readonly count: number;
}

/** Counters of the wire: retransmissions sent (the instances' user agents count them) and error responses received (their transports). */
export interface WireCounters {
  retransmissions: number;
  received4xx: number;
  received5xx: number;
  received6xx: number;
  /** Responses of every status received: not in the snapshots; the runner watches it for a peer that has gone silent. */
  responses: number;
}

/** The columns of the CSV statistics file, in order. */
export const LOAD_CSV_COLUMNS = [
  'ElapsedS',
  'CallsStarted',
  'CallsCompleted',
  'CallsFailed',
  'Concurrent',
  'MaxConcurrent',
  'Served',
  'ServedFailed',
  'RatePerS',
  'AverageRatePerS',
  'SetupP50Ms',
  'SetupP95Ms',
  'SetupP99Ms',
  'Retransmissions',
  'Received4xx',
  'Received5xx',
  'Received6xx',
  'LoopLagP99Ms',
  'LoopLagMaxMs',
  'LoopBusyPercent',
  'MaxLoopBusyPercent',
  'HeldByConcurrencyS',
  'HeldBySetupLimitS',
  'RefusedAtMaxDialogs',
  'RefusedAtMaxTransactions',
  'LingeringEndedEarly',
  'RssMB',
  'MaxRssMB',
  'HeapUsedMB',
] as const;

/**
 * A snapshot as one CSV row (the columns of {@link LOAD_CSV_COLUMNS}, comma-separated, no
 * quoting needed: every value is a number; an empty cell for a percentile not measured yet).
 *
 * @example
 * ```ts
 * out.write(LOAD_CSV_COLUMNS.join(',') + '\n');
 * stats.on((s) => out.write(loadCsvRow(s) + '\n'));
 * ```
 */
export function loadCsvRow(s: LoadSnapshot): string {
  const n = (v: number | undefined, digits = 0): string => (v === undefined ? '' : digits > 0 ? v.toFixed(digits) : String(v));
  return [
    n(s.elapsedS, 3),
    n(s.started),
    n(s.completed),
    n(s.failed),
    n(s.concurrent),
    n(s.maxConcurrent),
    n(s.served),
    n(s.servedFailed),
    n(s.rate, 2),
    n(s.averageRate, 2),
    n(s.setupP50Ms),
    n(s.setupP95Ms),
    n(s.setupP99Ms),
    n(s.retransmissions),
    n(s.received4xx),
    n(s.received5xx),
    n(s.received6xx),
    n(s.loopLagP99Ms, 1),
    n(s.loopLagMaxMs, 1),
    n(s.loopBusy, 1),
    n(s.maxLoopBusy, 1),
    n(s.heldByConcurrencyS, 3),
    n(s.heldBySetupLimitS, 3),
    n(s.refusedAtMaxDialogs),
    n(s.refusedAtMaxTransactions),
    n(s.lingeringEndedEarly),
    n(s.rssMB, 1),
    n(s.maxRssMB, 1),
    n(s.heapUsedMB, 1),
  ].join(',');
}

/**
 * The running statistics of a load run. The runner calls `started`, `answered`, `ended`; the
 * instances' transports update `wire`; `snapshot` reads it all at a moment.
 *
 * @example
 * ```ts
 * const stats = new LoadStats(clock.now());
 * stats.started();
 * stats.answered(42);
 * stats.ended(undefined);
 * stats.snapshot(clock.now()).setupP50Ms; // 42
 * ```
 */
export class LoadStats {
  /** Updated by the instances' transports. */
  readonly wire: WireCounters = { retransmissions: 0, received4xx: 0, received5xx: 0, received6xx: 0, responses: 0 };
  /** What the instances' limits did so far: set by the runner before each snapshot. */
  readonly refused: { -readonly [K in keyof LoadRefusals]: number } = { atMaxDialogs: 0, atMaxTransactions: 0, lingeringEnded: 0 };
  private readonly setup = new Uint32Array(SETUP_HISTOGRAM_MS + 1);
  private setupCount = 0;
  private startedCount = 0;
  private completedCount = 0;
  private failedCount = 0;
  private running = 0;
  private maxRunning = 0;
  private servedCount = 0;
  private servedFailedCount = 0;
  private lastAt: number;
  private lastStarted = 0;
  private heldMs = { concurrency: 0, setup: 0 };
  private readonly failures = new Map<string, { nodeId: string; instanceId: string; reason: string; count: number }>();

  /**
   * @param startAt - the clock's time when the load began.
   * @param loop - reads the event loop's figures since the load began (undefined while there are
   *   none); without it the snapshots' loop fields are undefined.
   * @param memory - reads the process's memory (undefined when it cannot); without it, or when it
   *   cannot, the snapshots' memory fields are undefined.
   */
  constructor(
    private readonly startAt: number,
    private readonly loop?: () => LoopFigures | undefined,
    private readonly memory?: () => ProcessMemory | undefined,
  ) {
    this.lastAt = startAt;
  }

  /** Calls in progress. */
  get concurrent(): number {
    return this.running;
  }

  /** Calls started so far. */
  get startedCalls(): number {
    return this.startedCount;
  }

  /** Calls ended (completed or failed) so far. */
  get endedCalls(): number {
    return this.completedCount + this.failedCount;
  }

  /** Calls failed so far. */
  get failedCalls(): number {
    return this.failedCount;
  }

  /** A call began. */
  started(): void {
    this.startedCount++;
    this.running++;
    if (this.running > this.maxRunning) this.maxRunning = this.running;
  }

  /** A call of ours was answered `ms` after its INVITE went out. */
  answered(ms: number): void {
    const bucket = Math.min(SETUP_HISTOGRAM_MS, Math.max(0, Math.round(ms)));
    this.setup[bucket]!++;
    this.setupCount++;
  }

  /** Calls that were due waited `ms` because of the concurrency or the setup limit. */
  held(limit: 'concurrency' | 'setup', ms: number): void {
    this.heldMs[limit] += ms;
  }

  /** A served call (server chains answering a client call of the same run) began. */
  served(): void {
    this.servedCount++;
  }

  /** A served call ended: well, or failed at a node. */
  servedEnded(failure: { nodeId: string; instanceId: string; message: string } | undefined): void {
    if (failure === undefined) return;
    this.servedFailedCount++;
    this.group(failure);
  }

  /** A call ended: well (`failure` undefined), or failed at a node. */
  ended(failure: { nodeId: string; instanceId: string; message: string } | undefined): void {
    this.running--;
    if (failure === undefined) {
      this.completedCount++;
      return;
    }
    this.failedCount++;
    this.group(failure);
  }

  private group(failure: { nodeId: string; instanceId: string; message: string }): void {
    const reason = reasonOf(failure.message);
    const key = `${failure.nodeId}\u0000${reason}`;
    const group = this.failures.get(key);
    if (group !== undefined) group.count++;
    else this.failures.set(key, { nodeId: failure.nodeId, instanceId: failure.instanceId, reason, count: 1 });
  }

  /** The failures so far, grouped by node and reason, most frequent first. */
  failureGroups(): LoadFailureGroup[] {
    return [...this.failures.values()].map((g) => ({ ...g })).sort((a, b) => b.count - a.count || a.nodeId.localeCompare(b.nodeId));
  }

  /** The setup-time histogram: `[ms, count]` for every non-empty millisecond (the last one holds everything longer). */
  setupHistogram(): [number, number][] {
    const out: [number, number][] = [];
    for (let ms = 0; ms < this.setup.length; ms++) if (this.setup[ms]! > 0) out.push([ms, this.setup[ms]!]);
    return out;
  }

  /** The statistics at `now` (clock ms); the interval rate is since the previous snapshot. */
  snapshot(now: number): LoadSnapshot {
    const elapsed = Math.max(0, now - this.startAt);
    const interval = now - this.lastAt;
    const rate = interval > 0 ? ((this.startedCount - this.lastStarted) * 1000) / interval : 0;
    this.lastAt = now;
    this.lastStarted = this.startedCount;
    return {
      elapsedS: elapsed / 1000,
      started: this.startedCount,
      completed: this.completedCount,
      failed: this.failedCount,
      concurrent: this.running,
      maxConcurrent: this.maxRunning,
      served: this.servedCount,
      servedFailed: this.servedFailedCount,
      rate,
      averageRate: elapsed > 0 ? (this.startedCount * 1000) / elapsed : 0,
      setupP50Ms: percentileOf(this.setup, this.setupCount, 0.5),
      setupP95Ms: percentileOf(this.setup, this.setupCount, 0.95),
      setupP99Ms: percentileOf(this.setup, this.setupCount, 0.99),
      retransmissions: this.wire.retransmissions,
      received4xx: this.wire.received4xx,
      received5xx: this.wire.received5xx,
      received6xx: this.wire.received6xx,
      ...this.loopFields(),
      heldByConcurrencyS: this.heldMs.concurrency / 1000,
      heldBySetupLimitS: this.heldMs.setup / 1000,
      refusedAtMaxDialogs: this.refused.atMaxDialogs,
      refusedAtMaxTransactions: this.refused.atMaxTransactions,
      lingeringEndedEarly: this.refused.lingeringEnded,
      ...this.memoryFields(),
    };
  }

  private maxRss: number | undefined;

  /** The memory fields of a snapshot: now, and the most resident set seen in a snapshot so far. */
  private memoryFields(): Pick<LoadSnapshot, 'rssMB' | 'maxRssMB' | 'heapUsedMB'> {
    const m = this.memory?.();
    if (m === undefined) return { rssMB: undefined, maxRssMB: undefined, heapUsedMB: undefined };
    const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
    const rss = mb(m.rssBytes);
    this.maxRss = Math.max(this.maxRss ?? 0, rss);
    return { rssMB: rss, maxRssMB: this.maxRss, heapUsedMB: mb(m.heapUsedBytes) };
  }

  private lastLoop: LoopFigures | undefined;
  private maxBusy: number | undefined;

  /** The loop fields of a snapshot: lag so far, busy share since the previous snapshot and the highest such share so far. */
  private loopFields(): OwnSnapshotFields {
    const now = this.loop?.();
    if (now === undefined) return { loopLagP99Ms: undefined, loopLagMaxMs: undefined, loopBusy: undefined, maxLoopBusy: undefined };
    const before = this.lastLoop;
    this.lastLoop = now;
    const share = (active: number, idle: number): number | undefined => (active + idle > 0 ? Math.round((1000 * active) / (active + idle)) / 10 : undefined);
    const busy = share(now.activeMs - (before?.activeMs ?? 0), now.idleMs - (before?.idleMs ?? 0));
    if (busy !== undefined) this.maxBusy = Math.max(this.maxBusy ?? 0, busy);
    return { loopLagP99Ms: now.lagP99Ms, loopLagMaxMs: now.lagMaxMs, loopBusy: busy, maxLoopBusy: this.maxBusy };
  }
}

/**
 * The `p` quantile (0–1) of a histogram of `count` values by millisecond: the smallest ms at or
 * below which at least p of the values lie (nearest rank). Undefined when it is empty.
 */
export function percentileOf(histogram: ArrayLike<number>, count: number, p: number): number | undefined {
  if (count === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * count));
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms]!;
    if (seen >= rank) return ms;
  }
  return histogram.length - 1;
}

type OwnSnapshotFields = Pick<LoadSnapshot, 'loopLagP99Ms' | 'loopLagMaxMs' | 'loopBusy' | 'maxLoopBusy' | 'heldByConcurrencyS' | 'heldBySetupLimitS'>;

/** Each field of a process's own (its event loop, how long its limits held calls back) at its worst among snapshots of different processes (undefined when none has it). */
function worstOwn(snapshots: readonly LoadSnapshot[]): OwnSnapshotFields {
  const worst = (pick: (s: LoadSnapshot) => number | undefined): number | undefined => {
    const values = knownValues(snapshots, pick);
    return values.length > 0 ? Math.max(...values) : undefined;
  };
  return {
    loopLagP99Ms: worst((s) => s.loopLagP99Ms),
    loopLagMaxMs: worst((s) => s.loopLagMaxMs),
    loopBusy: worst((s) => s.loopBusy),
    maxLoopBusy: worst((s) => s.maxLoopBusy),
    heldByConcurrencyS: worst((s) => s.heldByConcurrencyS),
    heldBySetupLimitS: worst((s) => s.heldBySetupLimitS),
  };
}

/** A field of the snapshots that have it (statistics written before it existed do not). */
function knownValues(snapshots: readonly LoadSnapshot[], pick: (s: LoadSnapshot) => number | undefined): number[] {
  return snapshots.map(pick).filter((v): v is number => v !== undefined);
}

/** The sum of a field over the snapshots that have it (to one decimal), undefined when none has. */
function sumOfKnown(snapshots: readonly LoadSnapshot[], pick: (s: LoadSnapshot) => number | undefined): number | undefined {
  const values = knownValues(snapshots, pick);
  return values.length > 0 ? Math.round(values.reduce((a, b) => a + b, 0) * 10) / 10 : undefined;
}

/** A failure message as a group reason: a timeout's details (what was awaited, on which call) cut after the first clause. */
function reasonOf(message: string): string {
  const timeout = /^(.* (?:event timeout|timed out) after [^:]+)(?::|$)/.exec(message);
  return timeout !== null ? timeout[1]! : message;
}

/**
 * What the instances' limits (`EngineOptions.limits`, `--max-dialogs`, `--max-transactions`) did
 * during a load: new requests the instances refused with 503, which never became calls (the peer
 * sees them fail; this side counts them here), and lingering transactions ended early to make room.
 */
export interface LoadRefusals {
  /** New INVITEs refused with 503 because `maxDialogs` calls were up. */
  readonly atMaxDialogs: number;
  /** New requests refused with 503 because `maxTransactions` transactions were all at work. */
  readonly atMaxTransactions: number;
  /** Lingering transactions (answered, kept only for retransmissions) ended early because the table was full. */
  readonly lingeringEnded: number;
}

/** The end of a load run as merging sees it: its totals, failures and setup-time histogram, and what its limits did (absent in NDJSON from before 2026-12-07's ninth session). */
export interface LoadSummaryPart {
  readonly totals: LoadSnapshot;
  readonly failures: readonly LoadFailureGroup[];
  readonly setupHistogram: readonly (readonly [number, number])[];
  readonly refusals?: LoadRefusals;
}

/**
 * Several load runs that ran at the same time (workers, or processes on several machines) as one:
 * counts add up, the setup-time histograms merge (so the percentiles are those of every call), the
 * rates add up (the runs ran side by side), the elapsed time is the longest, the most calls at
 * once is the sum of each run's most (an upper bound: their peaks may not have coincided), the
 * event-loop figures and the time held back by the limits are the worst run's (each process has
 * its own), and the refusals add up (none for a part without them).
 *
 * @throws RangeError for an empty list.
 * @example
 * ```ts
 * const merged = mergeLoadSummaries([resultA, resultB]);
 * merged.totals.completed; // resultA's + resultB's
 * ```
 */
export function mergeLoadSummaries(parts: readonly LoadSummaryPart[]): LoadSummaryPart & { readonly totals: LoadSnapshot; readonly refusals: LoadRefusals } {
  if (parts.length === 0) throw new RangeError('nothing to merge');
  const histogram = new Uint32Array(SETUP_HISTOGRAM_MS + 1);
  let count = 0;
  for (const p of parts) {
    for (const [ms, n] of p.setupHistogram) {
      histogram[Math.min(SETUP_HISTOGRAM_MS, Math.max(0, Math.round(ms)))]! += n;
      count += n;
    }
  }
  const snapshots = parts.map((p) => p.totals);
  const sum = (pick: (t: LoadSnapshot) => number): number => snapshots.reduce((n, t) => n + pick(t), 0);
  const totals: LoadSnapshot = {
    elapsedS: Math.max(...snapshots.map((t) => t.elapsedS)),
    started: sum((t) => t.started),
    completed: sum((t) => t.completed),
    failed: sum((t) => t.failed),
    concurrent: sum((t) => t.concurrent),
    maxConcurrent: sum((t) => t.maxConcurrent),
    served: sum((t) => t.served),
    servedFailed: sum((t) => t.servedFailed),
    rate: sum((t) => t.rate),
    averageRate: sum((t) => t.averageRate),
    setupP50Ms: percentileOf(histogram, count, 0.5),
    setupP95Ms: percentileOf(histogram, count, 0.95),
    setupP99Ms: percentileOf(histogram, count, 0.99),
    retransmissions: sum((t) => t.retransmissions),
    received4xx: sum((t) => t.received4xx),
    received5xx: sum((t) => t.received5xx),
    received6xx: sum((t) => t.received6xx),
    // Each run's own process: the worst of them is the merged run's.
    ...worstOwn(snapshots),
    // (a run from before these fields counts none)
    refusedAtMaxDialogs: sum((t) => t.refusedAtMaxDialogs ?? 0),
    refusedAtMaxTransactions: sum((t) => t.refusedAtMaxTransactions ?? 0),
    lingeringEndedEarly: sum((t) => t.lingeringEndedEarly ?? 0),
    // Each process's memory: together, what the runs took (none when no run says).
    rssMB: sumOfKnown(snapshots, (t) => t.rssMB),
    maxRssMB: sumOfKnown(snapshots, (t) => t.maxRssMB),
    heapUsedMB: sumOfKnown(snapshots, (t) => t.heapUsedMB),
  };
  const groups = new Map<string, { nodeId: string; instanceId: string; reason: string; count: number }>();
  for (const p of parts) {
    for (const g of p.failures) {
      const key = `${g.nodeId}\u0000${g.reason}`;
      const known = groups.get(key);
      if (known !== undefined) known.count += g.count;
      else groups.set(key, { ...g });
    }
  }
  const setupHistogram: [number, number][] = [];
  for (let ms = 0; ms < histogram.length; ms++) if (histogram[ms]! > 0) setupHistogram.push([ms, histogram[ms]!]);
  const refused = (pick: (r: LoadRefusals) => number): number => parts.reduce((n, p) => n + (p.refusals === undefined ? 0 : pick(p.refusals)), 0);
  const refusals: LoadRefusals = { atMaxDialogs: refused((r) => r.atMaxDialogs), atMaxTransactions: refused((r) => r.atMaxTransactions), lingeringEnded: refused((r) => r.lingeringEnded) };
  return { totals, failures: [...groups.values()].sort((a, b) => b.count - a.count || a.nodeId.localeCompare(b.nodeId)), setupHistogram, refusals };
}
