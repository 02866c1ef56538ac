// In-band DTMF (ITU-T Q.23 tone pairs in the audio itself): a generator for SendDTMF `mode: inband`
// and a streaming receiver after ITU-T Q.24.
//
// Receiver requirements and where each threshold comes from (Q.24 collects national receiver specs;
// the values below are the AT&T/Bell column that receiver datasheets and DSP textbooks repeat, e.g.
// Kuo & Gan, "Real-Time Digital Signal Processing", §9.3; the DVSI AMBE-2000 manual, table 5-K, words
// the same limits as accept/reject rules):
//   frequency: accept a deviation ≤ 1.5 %, reject ≥ 3.5 %        → limit 2.5 % (midway), measured
//   twist: normal = row (low group) louder than column, ≤ 8 dB;   → reject beyond 8 dB + 1 dB
//          reverse = column louder than row, ≤ 4 dB               → reject beyond 4 dB + 1 dB
//          (AMBE-2000: must reject beyond 10 dB either way)
//   tone: ≥ 40 ms must be detected, < 23 ms must not be           → accept a measured 30 ms or more
//   pause: ≥ 40 ms separates two digits; a drop-out ≤ 10 ms must not split one digit
//   level: −25 dBm0 per tone must be detected (≈ −28 dBFS)        → default floor −36 dBFS per tone
//   S/N: 15 dB must be detected                                   → share of energy ≥ 0.75 in every
//        hit block, ≥ 0.9 in the best block of a digit (a pair at 15 dB S/N reaches 0.96, at 12 dB 0.93)
// Talk-off (speech or music taken for a digit) is not numerically specified by Q.24; it is checked by
// the share of the block's energy in the two tones (Parseval), the measured frequencies, the second
// harmonics of the tones (each must be 6 dB below its tone) and the pair itself (a column tone
// within 1 % of twice the row tone is one note and its octave); docs/media.md gives the measured
// false-digit rates. Two pure tones within tolerance of a Q.23 pair (two held notes of a flute, say)
// are a digit to this receiver as to any other.
//
// Method. Every STEP (40 samples, 5 ms) the last WINDOW (200 samples, 25 ms) are analysed under a
// Hann window: Goertzel power at the 8 nominal frequencies picks the strongest row and column; the
// frequency of each is then measured from the phase advance of its DFT between two Hann sub-windows
// offset by LAG (50) samples (unambiguous within ±80 Hz, accurate to a fraction of a Hz), and the
// powers are re-evaluated at the measured frequencies, so that a tone off by 2 % is not penalised by
// the filter's skirt. A block is a hit for a digit when every check passes; a digit is a run of hits
// that ends at a run of misses long enough to be a pause (shorter ones, drop-outs, are bridged) or at
// a hit for another digit, and is accepted when its measured length is long enough (see "Timing"
// below the block analysis).

import { digitToEvent, DtmfError, type DtmfDigit } from '../dtmf.js';
import { ANALYSIS_SAMPLE_RATE, dbfsToAmplitude, dbfsToPower, goertzel, hannWindow, meanSquare, powerToDbfs, SampleTimeline } from './goertzel.js';

/** Low-group (row) frequencies, Hz (Q.23). */
export const DTMF_ROW_HZ: readonly number[] = Object.freeze([697, 770, 852, 941]);
/** High-group (column) frequencies, Hz (Q.23). */
export const DTMF_COLUMN_HZ: readonly number[] = Object.freeze([1209, 1336, 1477, 1633]);
const KEYPAD = ['123A', '456B', '789C', '*0#D'];

/**
 * The row and column frequencies of a digit (Q.23).
 *
 * @example
 * ```ts
 * dtmfFrequencies('#'); // { rowHz: 941, columnHz: 1477 }
 * ```
 * @throws {@link DtmfError} `invalid-digit`.
 */
export function dtmfFrequencies(digit: string): { rowHz: number; columnHz: number } {
  const key = digit.toUpperCase();
  digitToEvent(key);
  const row = KEYPAD.findIndex((r) => r.includes(key));
  return { rowHz: DTMF_ROW_HZ[row]!, columnHz: DTMF_COLUMN_HZ[KEYPAD[row]!.indexOf(key)]! };
}

// --- Generator ----------------------------------------------------------------------------------------

/** Options of {@link inbandDtmf}. */
export interface InbandDtmfOptions {
  /** Length of each tone, ms (default 100). */
  toneMs?: number;
  /** Silence between tones, ms (default 100). */
  gapMs?: number;
  /** Level of each of the two tones, dBFS (default −10; the pair peaks at −4 dBFS). */
  levelDbfs?: number;
  /** Level of the row (low-group) tone, overriding `levelDbfs`. */
  rowLevelDbfs?: number;
  /** Level of the column (high-group) tone, overriding `levelDbfs`. */
  columnLevelDbfs?: number;
}

/**
 * In-band DTMF at 8 kHz: each digit's Q.23 tone pair for `toneMs`, `gapMs` of silence between
 * digits, none before the first or after the last. Each tone starts at phase 0.
 *
 * @example
 * ```ts
 * const pcm = inbandDtmf('123#', { toneMs: 80, gapMs: 80 }); // Int16Array, 4 × 80 + 3 × 80 ms
 * ```
 * @throws {@link DtmfError} `invalid-digit` for a character that is not 0-9, *, #, A-D;
 *   `invalid-option` for a negative or non-finite duration or a level above 0 dBFS.
 */
export function inbandDtmf(digits: string, options: InbandDtmfOptions = {}): Int16Array {
  const { toneMs = 100, gapMs = 100, levelDbfs = -10 } = options;
  const rowDb = options.rowLevelDbfs ?? levelDbfs;
  const colDb = options.columnLevelDbfs ?? levelDbfs;
  const ok = (v: number): boolean => Number.isFinite(v) && v >= 0;
  if (!ok(toneMs) || !ok(gapMs)) throw new DtmfError('invalid-option', `tone and gap lengths must be ≥ 0 ms, not ${toneMs} and ${gapMs}`);
  if (!(rowDb <= 0 && colDb <= 0)) throw new DtmfError('invalid-option', `tone levels must be ≤ 0 dBFS, not ${rowDb} and ${colDb}`);
  const pairs = Array.from(digits, dtmfFrequencies);
  const tone = Math.round((toneMs * ANALYSIS_SAMPLE_RATE) / 1000);
  const gap = Math.round((gapMs * ANALYSIS_SAMPLE_RATE) / 1000);
  const out = new Int16Array(Math.max(0, pairs.length * (tone + gap) - gap));
  const a = dbfsToAmplitude(rowDb);
  const b = dbfsToAmplitude(colDb);
  pairs.forEach(({ rowHz, columnHz }, i) => {
    const w1 = (2 * Math.PI * rowHz) / ANALYSIS_SAMPLE_RATE;
    const w2 = (2 * Math.PI * columnHz) / ANALYSIS_SAMPLE_RATE;
    const at = i * (tone + gap);
    for (let n = 0; n < tone; n++) {
      const v = Math.round(a * Math.sin(w1 * n) + b * Math.sin(w2 * n));
      out[at + n] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  });
  return out;
}

// --- One block ------------------------------------------------------------------------------------------

/** Analysis window, samples (25 ms). */
const WINDOW = 200;
/** Hop between analyses, samples (5 ms). */
const STEP = 40;
/** Offset of the two sub-windows whose phase difference measures frequency. */
const LAG = 50;
const SUB = WINDOW - LAG;
/** Twist measurement tolerance added to the limits, dB. */
const TWIST_MARGIN_DB = 1;

/** Receiver thresholds; every field has the default documented on it. */
export interface DtmfDetectorOptions {
  /** Tones this long are detected; shorter than about 3/4 of it are not. Default 40 ms (Q.24). */
  minToneMs?: number;
  /** Silences this long separate digits; drop-outs ≤ 10 ms never do. Default 40 ms (Q.24). */
  minPauseMs?: number;
  /** Weakest tone accepted, per tone, dBFS. Default −36 (−33 dBm0; Q.24 requires −25 dBm0). */
  minLevelDbfs?: number;
  /** Row louder than column by up to this is accepted, dB. Default 8 (Q.24 normal twist). */
  normalTwistDb?: number;
  /** Column louder than row by up to this is accepted, dB. Default 4 (Q.24 reverse twist). */
  reverseTwistDb?: number;
  /** Largest accepted frequency deviation, fraction. Default 0.025 (Q.24: accept 1.5 %, reject 3.5 %). */
  maxDeviation?: number;
  /** Smallest share of the block's energy in the two tones. Default 0.75 (passes 15 dB S/N). */
  minShare?: number;
  /**
   * Smallest share that at least one block of a digit must reach (talk-off guard; the blocks at
   * a tone's edges share less). Default 0.9 (a tone pair at 15 dB S/N reaches 0.96, at 12 dB 0.93).
   */
  minPeakShare?: number;
}

/** Why a block is or is not a digit (see {@link analyzeDtmfBlock}). */
export type DtmfBlockVerdict = 'digit' | 'quiet' | 'no-pair' | 'frequency' | 'level' | 'twist' | 'share' | 'harmonic';

/** What one analysis block contains. */
export interface DtmfBlockAnalysis {
  verdict: DtmfBlockVerdict;
  /** The digit, when `verdict` is `'digit'`. */
  digit?: DtmfDigit;
  /** Measured frequencies of the strongest row and column tones, Hz. */
  rowHz: number;
  columnHz: number;
  /** Their levels, dBFS. */
  rowDbfs: number;
  columnDbfs: number;
  /** Row level minus column level, dB (positive: normal twist). */
  twistDb: number;
  /** Share of the block's energy in the two tones, 0–1. */
  share: number;
  /** Level of the whole block, dBFS. */
  levelDbfs: number;
}

interface Limits {
  minPower: number;
  maxNormal: number;
  maxReverse: number;
  maxDeviation: number;
  minShare: number;
}

function limitsOf(o: DtmfDetectorOptions): Limits {
  return {
    minPower: dbfsToPower(o.minLevelDbfs ?? -36),
    maxNormal: 10 ** (((o.normalTwistDb ?? 8) + TWIST_MARGIN_DB) / 10),
    maxReverse: 10 ** (((o.reverseTwistDb ?? 4) + TWIST_MARGIN_DB) / 10),
    maxDeviation: o.maxDeviation ?? 0.025,
    minShare: o.minShare ?? 0.75,
  };
}

/** Second harmonic of an accepted tone must be this far below it (power ratio, −6 dB). */
const MAX_HARMONIC_RATIO = 10 ** (-6 / 10);
/**
 * A column tone within 1 % of twice the row tone is the row's second harmonic (one musical note),
 * not a digit. No Q.23 pair comes close: within Q.24's ±1.5 % the nearest (852 Hz low by 1.5 %,
 * 1633 Hz high by 1.5 %) are still 1.26 % apart.
 */
const HARMONIC_PAIR_TOLERANCE = 0.01;

/** Frequency of the strongest component near `nominal`, from the phase advance over LAG samples. */
function measureFrequency(x: ArrayLike<number>, start: number, nominal: number): number {
  const w = hannWindow(SUB);
  const a = goertzel(x, nominal, { start, length: SUB, window: w });
  const b = goertzel(x, nominal, { start: start + LAG, length: SUB, window: w });
  const advance = Math.atan2(b.im * a.re - b.re * a.im, b.re * a.re + b.im * a.im);
  let residual = advance - (2 * Math.PI * nominal * LAG) / ANALYSIS_SAMPLE_RATE;
  residual -= 2 * Math.PI * Math.round(residual / (2 * Math.PI));
  return nominal + (residual * ANALYSIS_SAMPLE_RATE) / (2 * Math.PI * LAG);
}

function strongest(x: ArrayLike<number>, start: number, freqs: readonly number[], w: Float64Array): [number, number] {
  let best = 0;
  let power = -1;
  for (let i = 0; i < freqs.length; i++) {
    const p = goertzel(x, freqs[i]!, { start, length: WINDOW, window: w }).power;
    if (p > power) [best, power] = [i, p];
  }
  return [best, power];
}

function analyze(x: ArrayLike<number>, start: number, lim: Limits): DtmfBlockAnalysis {
  const w = hannWindow(WINDOW);
  const total = meanSquare(x, start, WINDOW, w);
  const result: DtmfBlockAnalysis = { verdict: 'quiet', rowHz: 0, columnHz: 0, rowDbfs: -100, columnDbfs: -100, twistDb: 0, share: 0, levelDbfs: powerToDbfs(total) };
  if (total < lim.minPower) return result;
  const [r, pr0] = strongest(x, start, DTMF_ROW_HZ, w);
  const [c, pc0] = strongest(x, start, DTMF_COLUMN_HZ, w);
  result.rowDbfs = powerToDbfs(pr0);
  result.columnDbfs = powerToDbfs(pc0);
  // A tone off by 2.5 % loses up to ~6 dB at the nominal frequency: screen loosely before measuring.
  if ((pr0 + pc0) / total < lim.minShare / 4) {
    result.verdict = 'no-pair';
    return result;
  }
  const rowNominal = DTMF_ROW_HZ[r]!;
  const colNominal = DTMF_COLUMN_HZ[c]!;
  const rowHz = measureFrequency(x, start, rowNominal);
  const colHz = measureFrequency(x, start, colNominal);
  const pr = goertzel(x, rowHz, { start, length: WINDOW, window: w }).power;
  const pc = goertzel(x, colHz, { start, length: WINDOW, window: w }).power;
  Object.assign(result, {
    rowHz,
    columnHz: colHz,
    rowDbfs: powerToDbfs(pr),
    columnDbfs: powerToDbfs(pc),
    twistDb: 10 * Math.log10(Math.max(pr, 1e-9) / Math.max(pc, 1e-9)),
    share: Math.min(1, (pr + pc) / total),
  });
  if (Math.abs(rowHz / rowNominal - 1) > lim.maxDeviation || Math.abs(colHz / colNominal - 1) > lim.maxDeviation) result.verdict = 'frequency';
  else if (pr < lim.minPower || pc < lim.minPower) result.verdict = 'level';
  else if (pr > pc * lim.maxNormal || pc > pr * lim.maxReverse) result.verdict = 'twist';
  else if (result.share < lim.minShare) result.verdict = 'share';
  else if (
    Math.abs(colHz - 2 * rowHz) <= HARMONIC_PAIR_TOLERANCE * colHz ||
    goertzel(x, 2 * rowHz, { start, length: WINDOW, window: w }).power > pr * MAX_HARMONIC_RATIO ||
    goertzel(x, 2 * colHz, { start, length: WINDOW, window: w }).power > pc * MAX_HARMONIC_RATIO
  ) result.verdict = 'harmonic';
  else {
    result.verdict = 'digit';
    result.digit = KEYPAD[r]![c] as DtmfDigit;
  }
  return result;
}

/**
 * Analyses one 25 ms block (200 samples at 8 kHz from `start`) the way {@link InbandDtmfDetector}
 * does every 5 ms: which digit it holds, or which check failed, with the measurements. Useful to
 * explain a missed digit.
 *
 * @example
 * ```ts
 * const a = analyzeDtmfBlock(inbandDtmf('5'), 0);
 * a.verdict;  // 'digit'
 * a.digit;    // '5'
 * a.rowHz;    // ≈ 770
 * ```
 * @throws RangeError when fewer than 200 samples follow `start`.
 */
export function analyzeDtmfBlock(samples: ArrayLike<number>, start = 0, options: DtmfDetectorOptions = {}): DtmfBlockAnalysis {
  if (start < 0 || start + WINDOW > samples.length) throw new RangeError(`analyzeDtmfBlock needs ${WINDOW} samples from ${start}; there are ${samples.length}`);
  return analyze(samples, start, limitsOf(options));
}

// --- Streaming receiver -----------------------------------------------------------------------------------
//
// Timing. A tone of T ms gives a run of about T/5 − 2 consecutive hit blocks: a block is a hit only
// when the tone fills most of its 25 ms Hann window (blocks that straddle an edge fail the share
// check), and this holds from −28 to −4 dBFS per tone, clean or at 15 dB S/N, with every block
// alignment (measured over all 16 digits and 14 sub-step offsets: a 23 ms tone never gave more than
// 3 hits, a 40 ms tone never fewer than 5). So a run whose first and last hit blocks end at samples
// e₁ and e₂ measures the tone as lying in [e₁ − 160, e₂ − 40), length e₂ − e₁ + 120 samples, and a
// pause of P ms gives about P/5 + 2 missed blocks, measured as (misses − 2) × 5 ms. Hence:
//   accept a tone measured ≥ 3/4 of minToneMs   (30 ms by default: 40 ms tones measure ≥ 35, 23 ms ≤ 25)
//   end it after a pause measured ≥ 5/8 of minPauseMs, never less than 15 ms
//                                               (25 ms by default: a 10 ms drop-out measures ≤ 10 ms,
//                                                a 40 ms pause ≥ 35 ms)

/** Blocks are analysed on a sample buffer this long (bounded memory; compacted when full). */
const BUFFER = 1024;
/** Samples from the end of the first hit block back to the estimated tone start. */
const LEAD_IN = WINDOW - STEP;
/** Samples from the end of the last hit block back to the estimated tone end. */
const LEAD_OUT = STEP;
/** A pause is measured as (missed blocks − PAUSE_BIAS) steps. */
const PAUSE_BIAS = 2;
/** Shortest measured pause that ends a digit, ms, whatever `minPauseMs` says (drop-outs ≤ 10 ms measure ≤ 10 ms). */
const MIN_SPLIT_MS = 15;

/** A digit heard in the audio by {@link InbandDtmfDetector}. */
export interface DetectedDtmfDigit {
  digit: DtmfDigit;
  /** Estimated start of the tone pair, ms on the timeline of the pushed frames (within 10 ms). */
  startMs: number;
  /** Estimated length of the tone pair, ms (in 5 ms steps, within 10 ms; includes bridged drop-outs). */
  durationMs: number;
  /** Mean measured row (low-group) frequency, Hz. */
  rowHz: number;
  /** Mean measured column (high-group) frequency, Hz. */
  columnHz: number;
  /** Level of the stronger of the two tones, dBFS (power mean over the digit). */
  levelDbfs: number;
  /** Row level minus column level, dB (mean over the digit; positive: normal twist). */
  twistDb: number;
}

/** The digit being heard: a run of hit blocks, possibly followed by misses still below a pause. */
interface Run {
  digit: DtmfDigit;
  /** Sample index (timeline) where the tone is estimated to start. */
  startIndex: number;
  /** Its time, ms, taken when the run began (a timeline restart changes the origin). */
  startMs: number;
  /** Block end of the last hit. */
  lastHitEnd: number;
  /** Consecutive missed blocks since the last hit. */
  misses: number;
  hits: number;
  rowHzSum: number;
  columnHzSum: number;
  strongerPowerSum: number;
  twistSum: number;
  /** Largest share of a hit block. */
  peakShare: number;
}

/**
 * A streaming in-band DTMF receiver after ITU-T Q.24 (the rules and where each threshold comes from
 * are in this module's header): push 8 kHz PCM in frames of any length; each digit is reported
 * once, when it has ended (a pause of 40 ms by default follows it) or at {@link flush}. Memory is
 * bounded (a 1024-sample buffer); the cost is one 25 ms analysis per 5 ms of audio, and much less
 * for silence. Frames are placed on a {@link SampleTimeline}: a jump of `atMs` (lost packets) is
 * silence, a jump over 10 s restarts the stream (ending the digit being heard).
 *
 * @example
 * ```ts
 * const rx = new InbandDtmfDetector();
 * const pcm = decodeMuLaw(encodeMuLaw(inbandDtmf('12#', { toneMs: 60, gapMs: 60 })));
 * const digits: DetectedDtmfDigit[] = [];
 * for (let at = 0; at < pcm.length; at += 160) digits.push(...rx.push(pcm.subarray(at, at + 160), at / 8));
 * digits.push(...rx.flush());
 * digits.map((d) => d.digit).join(''); // '12#'
 * ```
 */
export class InbandDtmfDetector {
  private readonly limits: Limits;
  /** Shortest measured tone accepted, samples. */
  private readonly minToneSamples: number;
  private readonly minPeakShare: number;
  /** Missed blocks that end a digit. */
  private readonly pauseBlocks: number;
  private readonly timeline = new SampleTimeline();
  private readonly buffer = new Float64Array(BUFFER);
  /** Samples in `buffer`. */
  private filled = 0;
  /** Samples of the stream appended so far (timeline index of the next sample). */
  private count = 0;
  private run: Run | undefined;

  /**
   * @throws {@link DtmfError} `invalid-option` for a negative or non-finite option, a share
   *   outside 0–1 or a level above 0 dBFS.
   */
  constructor(options: DtmfDetectorOptions = {}) {
    const check = (name: keyof DtmfDetectorOptions, ok: (v: number) => boolean, rule: string): void => {
      const v = options[name];
      if (v !== undefined && !(Number.isFinite(v) && ok(v))) throw new DtmfError('invalid-option', `${name} must be ${rule}, not ${v}`);
    };
    const nonNegative = (v: number): boolean => v >= 0;
    check('minToneMs', nonNegative, '≥ 0 ms');
    check('minPauseMs', nonNegative, '≥ 0 ms');
    check('minLevelDbfs', (v) => v <= 0, '≤ 0 dBFS');
    check('normalTwistDb', nonNegative, '≥ 0 dB');
    check('reverseTwistDb', nonNegative, '≥ 0 dB');
    check('maxDeviation', (v) => v >= 0 && v < 0.5, 'within 0–0.5');
    check('minShare', (v) => v >= 0 && v <= 1, 'within 0–1');
    check('minPeakShare', (v) => v >= 0 && v <= 1, 'within 0–1');
    this.minPeakShare = options.minPeakShare ?? 0.9;
    this.limits = limitsOf(options);
    this.minToneSamples = (0.75 * (options.minToneMs ?? 40) * ANALYSIS_SAMPLE_RATE) / 1000;
    const splitMs = Math.max(MIN_SPLIT_MS, 0.625 * (options.minPauseMs ?? 40));
    this.pauseBlocks = Math.ceil((splitMs * ANALYSIS_SAMPLE_RATE) / 1000 / STEP) + PAUSE_BIAS;
  }

  /**
   * Appends 8 kHz PCM. `atMs` is the time of the frame's first sample: a later time than the
   * previous frame ended inserts silence, an earlier one drops the overlap; without it frames are
   * contiguous. Returns the digits that ended (were accepted) within this push, in order.
   *
   * @example
   * ```ts
   * for (const frame of frames) for (const d of rx.push(frame.pcm, frame.atMs)) console.log(d.digit, d.startMs);
   * ```
   */
  push(samples: Int16Array, atMs?: number): DetectedDtmfDigit[] {
    const out: DetectedDtmfDigit[] = [];
    const { zeros, skip, restart } = this.timeline.place(samples.length, atMs);
    if (restart) {
      // The timeline now counts from this frame.
      this.endStream(out);
      this.count = 0;
    }
    for (let i = 0; i < zeros; i++) this.append(0, out);
    for (let i = skip; i < samples.length; i++) this.append(samples[i]!, out);
    return out;
  }

  /**
   * Ends the stream: returns the digit still being heard when it is long enough (its pause has not
   * been seen yet). The detector can be pushed to again afterwards; it starts afresh, on the same
   * timeline.
   *
   * @example
   * ```ts
   * const last = rx.flush(); // the final digit when the call ended right after it
   * ```
   */
  flush(): DetectedDtmfDigit[] {
    const out: DetectedDtmfDigit[] = [];
    this.endStream(out);
    return out;
  }

  private endStream(out: DetectedDtmfDigit[]): void {
    this.finish(out);
    this.filled = 0;
  }

  private append(sample: number, out: DetectedDtmfDigit[]): void {
    if (this.filled === BUFFER) {
      this.buffer.copyWithin(0, BUFFER - WINDOW);
      this.filled = WINDOW;
    }
    this.buffer[this.filled++] = sample;
    this.count++;
    if (this.filled >= WINDOW && this.count % STEP === 0) this.block(analyze(this.buffer, this.filled - WINDOW, this.limits), out);
  }

  /** Feeds one block's verdict (the block ends at sample `count`) to the digit state machine. */
  private block(a: DtmfBlockAnalysis, out: DetectedDtmfDigit[]): void {
    const end = this.count;
    const run = this.run;
    if (a.digit !== undefined) {
      if (run !== undefined && run.digit === a.digit) {
        run.lastHitEnd = end;
        run.misses = 0;
      } else {
        // A new digit, or another digit without a pause: the current one (if any) is over.
        this.finish(out);
        const startIndex = Math.max(0, end - LEAD_IN);
        this.run = {
          digit: a.digit,
          startIndex,
          startMs: this.timeline.timeOf(startIndex),
          lastHitEnd: end,
          misses: 0,
          hits: 0,
          rowHzSum: 0,
          columnHzSum: 0,
          strongerPowerSum: 0,
          twistSum: 0,
          peakShare: 0,
        };
      }
      const r = this.run!;
      r.hits++;
      r.rowHzSum += a.rowHz;
      r.columnHzSum += a.columnHz;
      r.strongerPowerSum += dbfsToPower(Math.max(a.rowDbfs, a.columnDbfs));
      r.twistSum += a.twistDb;
      if (a.share > r.peakShare) r.peakShare = a.share;
    } else if (run !== undefined && ++run.misses >= this.pauseBlocks) this.finish(out);
  }

  /** Ends the current run, reporting it when it is long enough. */
  private finish(out: DetectedDtmfDigit[]): void {
    const r = this.run;
    this.run = undefined;
    if (r === undefined) return;
    const length = r.lastHitEnd - LEAD_OUT - r.startIndex;
    if (length < this.minToneSamples || r.peakShare < this.minPeakShare) return;
    out.push({
      digit: r.digit,
      startMs: r.startMs,
      durationMs: (length * 1000) / ANALYSIS_SAMPLE_RATE,
      rowHz: r.rowHzSum / r.hits,
      columnHz: r.columnHzSum / r.hits,
      levelDbfs: powerToDbfs(r.strongerPowerSum / r.hits),
      twistDb: r.twistSum / r.hits,
    });
  }
}
