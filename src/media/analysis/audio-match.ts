// The streaming matcher behind the ExpectAudio event: is a tone, silence, sound or a known prompt
// in the received audio? Pure: 8 kHz PCM in, a match (with what was measured) or, for the failure
// message, a summary of what was heard instead.
//
// Frames. Audio is cut into 20 ms frames (160 samples) on a SampleTimeline: a forward jump of
// `atMs` (lost packets) is silence, a jump over 10 s starts the stream over. Each frame has its
// RMS level (dBFS, full-scale sine = 0); tone.ts measures the frequency content of the 100 ms (five
// frames) centred on it, so that tones 40 Hz apart (US ringback 440 + 480 Hz, UK 400 + 450 Hz) are
// resolved: a 100 ms Hann window has its main lobe ±20 Hz wide. A frame's spectral verdict is
// therefore known two frames (40 ms) after the frame itself.
//
// Runs. `silence` and `sound` look at the frame level only: a silent frame is below `levelDbfs`
// (default −50), a sound frame at or above it (default −40). A `tone` frame
//   - has a level of at least `minLevelDbfs` (default −40; the RMS of the whole frame);
//   - has, in the 100 ms around it, one of the two strongest components within `toleranceHz`
//     (default 20) of `frequencyHz`, holding at least a quarter of the energy, the two strongest
//     together holding at least half (TONE_SHARE): a single tone must hold half the energy, and
//     both frequencies of a dual tone match (440 + 480 Hz matches 440 or 480, not 460);
//   - has no component at half, twice or three times the matched frequency within 20 dB of it
//     (HARMONIC_RATIO): a call-progress tone is a sinusoid, a held musical note or a vowel is not;
//   - stays within 3 Hz (TONE_STABILITY_HZ) of the mean frequency of its run so far, otherwise it
//     starts a new run: a generator holds its frequency, a voice's harmonic wanders.
// A run is a sequence of passing frames; for `tone` and `sound` one failing frame between two
// passing ones does not end it (a lost packet; it counts in the duration), for `silence` every
// frame must pass. The expectation is met when a run reaches `minDurationMs` (tone and sound
// default 200, silence 500). Durations are whole frames: a frame the sound only partly covers
// counts when it passes, so a run can measure up to 20 ms longer or shorter than the sound. A
// cadenced tone (ringback 1 s on, 4 s off) matches on any single burst of at least `minDurationMs`.
//
// Reference. `reference` looks for a known prompt (8 kHz mono, at least 100 ms) anywhere in the
// stream by the normalised cross-correlation (Pearson) of the prompt with every stretch of the
// stream of the same length, at every offset s:
//   ρ(s) = |Σ r′[n]·y[s + n]| / √(Σ r′[n]² · Σ (y[s + n] − ȳₛ)²),   r′ = r − r̄,
// where r and y are the prompt and the stream after a pre-emphasis z[n] = x[n] − 0.9·x[n−1]. The
// pre-emphasis flattens speech's spectral tilt, so that a few strong low harmonics do not dominate
// the sum: it halves the chance correlation of a short prompt with unrelated speech (0.71 → 0.52
// at 100 ms, 0.54 → 0.32 at 200 ms in our measurements) for a loss of about 0.01 on true matches.
// ρ ignores the gain and any DC offset, and is taken in absolute value (an inverted line matches).
// The numerators for a block of offsets come from one FFT cross-correlation (FFT size N, the next
// power of two ≥ prompt + 100 ms; the prompt's FFT is computed once), the denominators from running
// sums. Offsets are searched in blocks of up to 200 ms (HOP) as audio arrives; the match is the best
// offset once the next 20 ms of offsets have been searched too (so that a side peak one pitch period
// early does not win), or at heard() for a prompt that ends the stream. Cost: two FFTs of size N
// per block: about 7 ms per 200 ms for a 5 s prompt (N = 65536), 1.2 ms for a 1 s prompt (N = 16384).
// G.711, gain, noise and a few lost frames lower ρ only a little (each lost 20 ms frame removes its
// share of the prompt's energy); a different prompt or a tone stays far below the default threshold
// 0.7 (figures in docs/media.md). Prompts shorter than about 300 ms are weak evidence: a short
// voiced stretch resembles other voiced stretches.

import { ANALYSIS_SAMPLE_RATE, fft, goertzel, hannWindow, nextPowerOfTwo, powerToDbfs, SampleTimeline, SILENCE_DBFS } from './goertzel.js';
import { MAX_COMPONENT_HZ, MIN_COMPONENT_HZ, SILENT_FRAME_DBFS, spectralComponents } from './tone.js';

/** What an {@link AudioMatcher} waits for. Every duration is in ms, every level in dBFS. */
export type AudioExpectation =
  | {
      kind: 'tone';
      /** The tone's frequency, 50–3950 Hz; for a dual tone, either of the two. */
      frequencyHz: number;
      /** Largest accepted deviation of the measured frequency, Hz. Default 20. */
      toleranceHz?: number;
      /** Shortest run that meets the expectation. Default 200. */
      minDurationMs?: number;
      /** Weakest accepted frame level (RMS of the whole frame). Default −40. */
      minLevelDbfs?: number;
    }
  | {
      kind: 'silence';
      /** Silence is below this level. Default −50. */
      levelDbfs?: number;
      /** Default 500. */
      minDurationMs?: number;
    }
  | {
      kind: 'sound';
      /** Sound is at or above this level. Default −40. */
      levelDbfs?: number;
      /** Default 200. */
      minDurationMs?: number;
    }
  | {
      kind: 'reference';
      /** The expected prompt: 8 kHz mono, at least 100 ms, not silent. */
      samples: Int16Array;
      /** Smallest accepted correlation, 0–1. Default 0.7. */
      minCorrelation?: number;
    };

/** An expectation met: when, and what was measured. */
export interface AudioMatch {
  kind: AudioExpectation['kind'];
  /** Start of the matching run (tone, silence, sound) or of the aligned prompt (reference), ms on the pushed frames' timeline. */
  startMs: number;
  /** Length of the run when it reached `minDurationMs` (whole 20 ms frames), or of the prompt. */
  durationMs: number;
  /** Tone: mean measured frequency of the matching component, Hz. */
  frequencyHz?: number;
  /** RMS level over the run (tone, silence, sound: the passing frames) or over the aligned stretch (reference), dBFS. */
  levelDbfs?: number;
  /** Reference: the correlation at the match, 0–1. */
  correlation?: number;
  /** Reference: `startMs` minus the time of the first pushed sample, ms. */
  offsetMs?: number;
}

/** What was heard (for a failure message), whatever the expectation. */
export interface AudioHeard {
  /** Audio received, ms (including silence inserted for lost frames). */
  durationMs: number;
  /** RMS level of all of it, dBFS. */
  levelDbfs: number;
  /** Level of the loudest 20 ms frame, dBFS. */
  peakLevelDbfs: number;
  /**
   * The frequency heard most: the strongest component of each non-silent frame, binned to 10 Hz
   * and weighted by the frame's energy; the energy-weighted mean of the heaviest bin and its two
   * neighbours. `undefined` when everything was silent (below −80 dBFS).
   */
  dominantHz: number | undefined;
  /** Longest run satisfying the expectation's level/tone condition, ms (0 for `reference`). */
  longestRunMs: number;
  /** Reference: best correlation over the offsets searched so far (absent before the stream is as long as the prompt). */
  bestCorrelation?: number;
  /** Reference: offset of that best correlation from the first pushed sample, ms. */
  bestOffsetMs?: number;
}

/** Why an audio analysis was refused. Stable across versions. */
export type AudioAnalysisErrorCode =
  /** An {@link AudioExpectation} with a value out of range (see {@link AudioMatcher}). */
  'bad-expectation';

/**
 * The one error type of the audio matcher: it never answers NaN, it throws this.
 *
 * @example
 * ```ts
 * try {
 *   new AudioMatcher({ kind: 'tone', frequencyHz: 5000 });
 * } catch (err) {
 *   if (err instanceof AudioAnalysisError && err.code === 'bad-expectation') console.error(err.message);
 * }
 * ```
 */
export class AudioAnalysisError extends Error {
  /** Always `"AudioAnalysisError"`, stable across versions. */
  override readonly name = 'AudioAnalysisError';
  /** What was wrong, as a stable code. */
  readonly code: AudioAnalysisErrorCode;

  constructor(code: AudioAnalysisErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** Samples in a frame: 20 ms. */
const FRAME = 160;
const FRAME_MS = 20;
/** Frames in the spectral window centred on a frame (100 ms). */
const SPECTRUM_FRAMES = 5;
const CENTRE = (SPECTRUM_FRAMES - 1) / 2;
/** The two strongest components must hold this share together, and the matching one half of it. */
const TONE_SHARE = 0.5;
/** Largest distance of a tone frame's measured frequency from the mean of its run so far, Hz (see the module comment). */
const TONE_STABILITY_HZ = 3;
/** A tone's harmonics and subharmonic must be this far below it (power ratio, −20 dB). */
const HARMONIC_RATIO = 0.01;
/** Shortest reference, samples (100 ms). */
const MIN_REFERENCE = 800;
/** Offsets searched beyond a candidate before it is reported (20 ms). */
const CONFIRM = 160;
/** Pre-emphasis of the reference search, y[n] = x[n] − a·x[n−1] (see the module comment). */
const PRE_EMPHASIS = 0.9;
/** A stretch whose variance is below this (RMS under 1 LSB) has correlation 0. */
const VARIANCE_FLOOR = 1;
/** Timeline jumps longer than this restart the stream, ms. */
const MAX_GAP_MS = 10_000;

const fail = (message: string): never => {
  throw new AudioAnalysisError('bad-expectation', message);
};

function numberIn(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) fail(`${name} must be a number within ${min}–${max}, not ${String(value)}`);
  return value;
}

/** The expectation with every default filled in and every value checked. */
type Checked =
  | { kind: 'tone'; frequencyHz: number; toleranceHz: number; minDurationMs: number; minLevelDbfs: number }
  | { kind: 'silence'; levelDbfs: number; minDurationMs: number }
  | { kind: 'sound'; levelDbfs: number; minDurationMs: number }
  | { kind: 'reference'; samples: Int16Array; minCorrelation: number };

const MAX_MS = 24 * 3600 * 1000;

function check(e: AudioExpectation): Checked {
  if (typeof e !== 'object' || e === null) return fail('an audio expectation must be an object');
  switch (e.kind) {
    case 'tone':
      return {
        kind: 'tone',
        frequencyHz: numberIn('frequencyHz', e.frequencyHz ?? Number.NaN, 0, 50, 3950),
        toleranceHz: numberIn('toleranceHz', e.toleranceHz, 20, 0, 1000),
        minDurationMs: numberIn('minDurationMs', e.minDurationMs, 200, 0, MAX_MS),
        minLevelDbfs: numberIn('minLevelDbfs', e.minLevelDbfs, -40, SILENCE_DBFS, 0),
      };
    case 'silence':
      return { kind: 'silence', levelDbfs: numberIn('levelDbfs', e.levelDbfs, -50, SILENCE_DBFS, 0), minDurationMs: numberIn('minDurationMs', e.minDurationMs, 500, 0, MAX_MS) };
    case 'sound':
      return { kind: 'sound', levelDbfs: numberIn('levelDbfs', e.levelDbfs, -40, SILENCE_DBFS, 0), minDurationMs: numberIn('minDurationMs', e.minDurationMs, 200, 0, MAX_MS) };
    case 'reference': {
      const s = e.samples;
      if (!(s instanceof Int16Array) || s.length === 0) return fail('a reference prompt needs samples (8 kHz mono Int16Array); it is empty');
      if (s.length < MIN_REFERENCE) fail(`a reference prompt must be at least 100 ms (${MIN_REFERENCE} samples), not ${s.length} samples`);
      let min = s[0]!;
      let max = min;
      for (let i = 1; i < s.length; i++) {
        if (s[i]! < min) min = s[i]!;
        else if (s[i]! > max) max = s[i]!;
      }
      if (max - min < 2) fail('the reference prompt is silent');
      return { kind: 'reference', samples: s, minCorrelation: numberIn('minCorrelation', e.minCorrelation, 0.7, 0, 1) };
    }
    default:
      return fail(`unknown audio expectation kind ${JSON.stringify((e as { kind?: unknown }).kind)}`);
  }
}

/** Runs of consecutive passing frames (see the module comment). */
class Runs {
  startMs = 0;
  /** Frames in the current run (bridged ones included); 0 when none. */
  frames = 0;
  /** A failing frame held back: bridged if the next one passes. */
  private held = false;
  longestMs = 0;
  /** Passing frames of the run, their summed mean squares and the weighted frequency. */
  passed = 0;
  powerSum = 0;
  hzWeighted = 0;
  hzWeight = 0;

  constructor(private readonly bridge: boolean) {}

  /** The run's length after a frame starting at `atMs`, ms; `fresh`: a passing frame that cannot continue the run starts a new one. */
  step(atMs: number, ok: boolean, meanSquare: number, hz?: number, hzWeight = 0, fresh = false): number {
    if (ok) {
      if (fresh) this.frames = 0;
      if (this.frames === 0) {
        this.startMs = atMs;
        this.passed = 0;
        this.powerSum = 0;
        this.hzWeighted = 0;
        this.hzWeight = 0;
      } else if (this.held) this.frames++;
      this.held = false;
      this.frames++;
      this.passed++;
      this.powerSum += meanSquare;
      if (hz !== undefined) {
        this.hzWeighted += hz * hzWeight;
        this.hzWeight += hzWeight;
      }
      this.longestMs = Math.max(this.longestMs, this.frames * FRAME_MS);
    } else if (this.frames > 0 && this.bridge && !this.held) this.held = true;
    else {
      this.frames = 0;
      this.held = false;
    }
    return this.frames * FRAME_MS;
  }

  /** Ends the current run (a stream restart). */
  reset(): void {
    this.frames = 0;
    this.held = false;
  }
}

/** A prompt found: correlation, where (stream index and time) and the stretch's mean square. */
interface ReferenceHit {
  rho: number;
  index: number;
  atMs: number;
  meanSquare: number;
}

/** The sliding FFT cross-correlation search of a reference prompt (see the module comment). */
class ReferenceSearch {
  private readonly m: number;
  private readonly n: number;
  private readonly hop: number;
  /** conj(FFT(r′)), r′ = the zero-mean prompt zero-padded to n. */
  private readonly refRe: Float64Array;
  private readonly refIm: Float64Array;
  /** √Σ r′². */
  private readonly refNorm: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  /** The stream's most recent samples, pre-emphasised; `buffer[0]` is sample `bufferStart`. */
  private readonly buffer: Float64Array;
  /** The same samples as received (for the level of a match). */
  private readonly raw: Float64Array;
  /** The last sample received (pre-emphasis state). */
  private previous = 0;
  private bufferStart = 0;
  private filled = 0;
  /** First offset not yet searched. */
  private next = 0;
  /** Best correlation so far and the time of its offset, ms. */
  best: { rho: number; atMs: number } | undefined;
  private candidate: ReferenceHit | undefined;

  constructor(
    prompt: Int16Array,
    private readonly threshold: number,
    /** Time of a stream sample index, ms (the matcher's timeline). */
    private readonly timeOf: (index: number) => number,
  ) {
    const m = prompt.length;
    this.m = m;
    this.n = nextPowerOfTwo(m + 800);
    this.hop = Math.min(this.n - m + 1, 1600);
    this.refRe = new Float64Array(this.n);
    this.refIm = new Float64Array(this.n);
    let mean = 0;
    for (let i = 0; i < m; i++) {
      const v = prompt[i]! - PRE_EMPHASIS * (i > 0 ? prompt[i - 1]! : 0);
      this.refRe[i] = v;
      mean += v;
    }
    mean /= m;
    let energy = 0;
    for (let i = 0; i < m; i++) {
      const v = this.refRe[i]! - mean;
      this.refRe[i] = v;
      energy += v * v;
    }
    this.refNorm = Math.sqrt(energy);
    fft(this.refRe, this.refIm);
    for (let k = 0; k < this.n; k++) this.refIm[k] = -this.refIm[k]!;
    this.re = new Float64Array(this.n);
    this.im = new Float64Array(this.n);
    this.s1 = new Float64Array(m + this.hop);
    this.s2 = new Float64Array(m + this.hop);
    this.buffer = new Float64Array(2 * (m + this.hop));
    this.raw = new Float64Array(this.buffer.length);
  }

  /** Prompt length, samples. */
  get length(): number {
    return this.m;
  }

  /** Appends one sample (the stream's sample `index` = samples appended so far). Returns a match when one is confirmed. */
  append(sample: number, index: number): ReferenceHit | undefined {
    if (this.filled === this.buffer.length) {
      // Keep what the next search needs: from offset `next` on.
      const keep = index - this.next;
      this.buffer.copyWithin(0, this.filled - keep, this.filled);
      this.raw.copyWithin(0, this.filled - keep, this.filled);
      this.bufferStart = this.next;
      this.filled = keep;
    }
    this.raw[this.filled] = sample;
    this.buffer[this.filled++] = sample - PRE_EMPHASIS * this.previous;
    this.previous = sample;
    const pending = index + 1 - this.m - this.next + 1;
    return pending >= this.hop ? this.search(index + 1) : undefined;
  }

  /**
   * Searches every offset not yet searched whose stretch has arrived (`end` samples so far).
   * Returns a candidate above the threshold once 20 ms of offsets after it have been searched, or
   * at once when `final` (no more audio is expected soon).
   */
  search(end: number, final = false): ReferenceHit | undefined {
    const first = this.next;
    const last = end - this.m;
    if (last < first) return final ? this.candidate : undefined;
    const count = last - first + 1;
    const len = this.m + count - 1;
    const { re, im, s1, s2, n, m } = this;
    const at = first - this.bufferStart;
    s1[0] = 0;
    s2[0] = 0;
    for (let i = 0; i < n; i++) {
      const v = i < len ? this.buffer[at + i]! : 0;
      re[i] = v;
      im[i] = 0;
      if (i < len) {
        s1[i + 1] = s1[i]! + v;
        s2[i + 1] = s2[i]! + v * v;
      }
    }
    fft(re, im);
    for (let k = 0; k < n; k++) {
      const a = re[k]!;
      const b = im[k]!;
      const c = this.refRe[k]!;
      const d = this.refIm[k]!;
      re[k] = a * c - b * d;
      im[k] = a * d + b * c;
    }
    fft(re, im, true);
    let blockBest = -1;
    let blockAt = 0;
    for (let s = 0; s < count; s++) {
      const sum = s1[s + m]! - s1[s]!;
      const variance = s2[s + m]! - s2[s]! - (sum * sum) / m;
      const rho = variance > VARIANCE_FLOOR * m ? Math.min(1, Math.abs(re[s]!) / (this.refNorm * Math.sqrt(variance))) : 0;
      if (rho > blockBest) {
        blockBest = rho;
        blockAt = first + s;
      }
    }
    this.next = last + 1;
    if (this.best === undefined || blockBest > this.best.rho) this.best = { rho: blockBest, atMs: this.timeOf(blockAt) };
    if (blockBest >= this.threshold && (this.candidate === undefined || blockBest > this.candidate.rho)) {
      let sq = 0;
      for (let i = blockAt - this.bufferStart, e = i + m; i < e; i++) sq += this.raw[i]! * this.raw[i]!;
      this.candidate = { rho: blockBest, atMs: this.timeOf(blockAt), index: blockAt, meanSquare: sq / m };
    }
    const c = this.candidate;
    return c !== undefined && (final || this.next - 1 - c.index >= CONFIRM) ? c : undefined;
  }

  /** Forgets the stream (a restart): searching starts again with the next sample. */
  reset(): void {
    this.bufferStart = 0;
    this.filled = 0;
    this.next = 0;
    this.previous = 0;
    this.candidate = undefined;
  }
}

/**
 * The streaming matcher behind ExpectAudio: push the received 8 kHz audio as it arrives; the first
 * push that completes the expectation returns the {@link AudioMatch}, and every later push returns
 * the same match. Until then, {@link heard} and {@link describe} say what was heard instead. The
 * rules, defaults and costs of each kind are in this module's header. Memory is bounded: five
 * frames, plus for `reference` buffers of a few times the prompt. Every kind measures the spectrum
 * of each non-silent frame (a 4096-point FFT, about 0.2 ms) for {@link heard}'s dominant frequency.
 *
 * @example
 * ```ts
 * const m = new AudioMatcher({ kind: 'tone', frequencyHz: 425, minDurationMs: 300 });
 * for (const f of frames) {
 *   const hit = m.push(f.pcm, f.atMs);
 *   if (hit) return hit;                 // { kind: 'tone', startMs, durationMs: 300, frequencyHz: 425.3, levelDbfs: −18.2 }
 * }
 * throw new Error(`no 425 Hz tone: ${m.describe()}`);
 * ```
 */
export class AudioMatcher {
  private readonly expect: Checked;
  private readonly timeline = new SampleTimeline(ANALYSIS_SAMPLE_RATE, MAX_GAP_MS);
  /** Time of sample 0 of the current timeline epoch, and of the first sample ever. */
  private originMs = 0;
  private firstMs: number | undefined;
  /** Samples of the current epoch appended so far. */
  private index = 0;
  /** The frame being filled. */
  private readonly frame = new Float64Array(FRAME);
  private frameFill = 0;
  private frameStartMs = 0;
  /** The last SPECTRUM_FRAMES frames, oldest first, with their start times and mean squares. */
  private readonly recent = new Float64Array(SPECTRUM_FRAMES * FRAME);
  private readonly recentMs = new Float64Array(SPECTRUM_FRAMES);
  private readonly recentPower = new Float64Array(SPECTRUM_FRAMES);
  /** 1 for a slot of `recent` holding a frame whose spectrum is still to be analysed. */
  private readonly waiting = new Uint8Array(SPECTRUM_FRAMES);
  private readonly runs: Runs;
  private readonly search: ReferenceSearch | undefined;
  private match: AudioMatch | undefined;
  // What was heard.
  private samples = 0;
  private sumSquares = 0;
  private peakDbfs = SILENCE_DBFS;
  /** 10 Hz bin → [energy, Σ energy·Hz]. */
  private readonly spectrum = new Map<number, [number, number]>();

  /** @throws {@link AudioAnalysisError} `bad-expectation` for a value out of range (see {@link AudioExpectation}). */
  constructor(expect: AudioExpectation) {
    this.expect = check(expect);
    this.runs = new Runs(this.expect.kind === 'tone' || this.expect.kind === 'sound');
    this.search = this.expect.kind === 'reference' ? new ReferenceSearch(this.expect.samples, this.expect.minCorrelation, (i) => this.timeOfIndex(i)) : undefined;
  }

  /**
   * Appends received 8 kHz audio of any length. `atMs` is the time of its first sample (a gap
   * after the previous push is silence; an overlap is dropped); without it pushes are contiguous.
   * Returns the match once the expectation is met (the same object on every later push),
   * otherwise `undefined`.
   *
   * @example
   * ```ts
   * const hit = matcher.push(frame, rtpTimeMs);
   * ```
   */
  push(samples: Int16Array, atMs?: number): AudioMatch | undefined {
    const placed = this.timeline.place(samples.length, atMs);
    if (this.firstMs === undefined) this.firstMs = this.timeline.timeOf(0);
    if (placed.restart) this.restart();
    this.originMs = this.timeline.timeOf(0);
    for (let i = 0; i < placed.zeros; i++) this.append(0);
    for (let i = placed.skip; i < samples.length; i++) this.append(samples[i]!);
    return this.match;
  }

  /**
   * What was heard so far. For `reference`, first searches the offsets that the last pushes made
   * available but that were waiting for a full search block.
   *
   * @example
   * ```ts
   * const h = matcher.heard();  // { durationMs: 2000, levelDbfs: −23.1, peakLevelDbfs: −18, dominantHz: 440, longestRunMs: 0 }
   * ```
   */
  heard(): AudioHeard {
    if (this.search !== undefined && this.match === undefined) this.found(this.search.search(this.index, true));
    const out: AudioHeard = {
      durationMs: (this.samples * 1000) / ANALYSIS_SAMPLE_RATE,
      levelDbfs: this.samples > 0 ? powerToDbfs(this.sumSquares / this.samples) : SILENCE_DBFS,
      peakLevelDbfs: this.peakDbfs,
      dominantHz: this.dominant(),
      longestRunMs: this.search !== undefined ? 0 : this.runs.longestMs,
    };
    const best = this.search?.best;
    if (best !== undefined) {
      out.bestCorrelation = best.rho;
      out.bestOffsetMs = best.atMs - (this.firstMs ?? 0);
    }
    return out;
  }

  /**
   * One line for a failure message: what was heard, and how close it came to the expectation.
   *
   * @example
   * ```ts
   * matcher.describe();
   * // "heard 2.0 s: level -23.1 dBFS (peak -18.0), mostly 440 Hz; longest 425±20 Hz run 0 ms (needs 200 ms)"
   * // "heard 6.0 s: level -21.4 dBFS (peak -12.2), mostly 180 Hz; best correlation 0.41 at +120 ms (needs 0.70)"
   * ```
   */
  describe(): string {
    const h = this.heard();
    const e = this.expect;
    const parts = [`heard ${(h.durationMs / 1000).toFixed(1)} s: level ${h.levelDbfs.toFixed(1)} dBFS (peak ${h.peakLevelDbfs.toFixed(1)}), ${h.dominantHz === undefined ? 'silent' : `mostly ${Math.round(h.dominantHz)} Hz`}`];
    const ms = (v: number): string => `${Math.round(v)} ms`;
    if (e.kind === 'tone') parts.push(`longest ${fmt(e.frequencyHz)}±${fmt(e.toleranceHz)} Hz run ${ms(h.longestRunMs)} (needs ${ms(e.minDurationMs)} at ≥ ${fmt(e.minLevelDbfs)} dBFS)`);
    else if (e.kind === 'silence') parts.push(`longest run below ${fmt(e.levelDbfs)} dBFS ${ms(h.longestRunMs)} (needs ${ms(e.minDurationMs)})`);
    else if (e.kind === 'sound') parts.push(`longest run at or above ${fmt(e.levelDbfs)} dBFS ${ms(h.longestRunMs)} (needs ${ms(e.minDurationMs)})`);
    else if (h.bestCorrelation === undefined) parts.push(`shorter than the ${((e.samples.length / ANALYSIS_SAMPLE_RATE)).toFixed(1)} s reference: no correlation`);
    else parts.push(`best correlation ${h.bestCorrelation.toFixed(2)} at ${signed(h.bestOffsetMs ?? 0)} ms (needs ${e.minCorrelation.toFixed(2)})`);
    const m = this.match;
    if (m !== undefined) parts.unshift(`matched at ${(m.startMs / 1000).toFixed(2)} s for ${ms(m.durationMs)}`);
    return parts.join('; ');
  }

  private timeOfIndex(index: number): number {
    return this.originMs + (index * 1000) / ANALYSIS_SAMPLE_RATE;
  }

  /** The timeline jumped more than 10 s: finish the partial frame, analyse the held frames, start over. */
  private restart(): void {
    if (this.frameFill > 0) {
      this.frame.fill(0, this.frameFill);
      this.frameFill = FRAME;
      this.endFrame();
    }
    for (let i = 0; i < CENTRE; i++) this.shiftIn(undefined);
    this.recent.fill(0);
    this.waiting.fill(0);
    this.runs.reset();
    if (this.search !== undefined && this.match === undefined) this.found(this.search.search(this.index, true));
    this.search?.reset();
    this.index = 0;
  }

  private append(sample: number): void {
    if (this.frameFill === 0) this.frameStartMs = this.timeOfIndex(this.index);
    this.frame[this.frameFill++] = sample;
    this.samples++;
    this.sumSquares += sample * sample;
    if (this.search !== undefined && this.match === undefined) this.found(this.search.append(sample, this.index));
    this.index++;
    if (this.frameFill === FRAME) this.endFrame();
  }

  private found(hit: ReferenceHit | undefined): void {
    if (hit === undefined || this.match !== undefined) return;
    const startMs = hit.atMs;
    this.match = {
      kind: 'reference',
      startMs,
      durationMs: ((this.search?.length ?? 0) * 1000) / ANALYSIS_SAMPLE_RATE,
      levelDbfs: powerToDbfs(hit.meanSquare),
      correlation: hit.rho,
      offsetMs: startMs - (this.firstMs ?? 0),
    };
  }

  /** A frame is complete: level-only kinds decide now; the spectrum of the frame CENTRE back is analysed. */
  private endFrame(): void {
    this.frameFill = 0;
    let ms = 0;
    for (let i = 0; i < FRAME; i++) ms += this.frame[i]! * this.frame[i]!;
    ms /= FRAME;
    const level = powerToDbfs(ms);
    if (level > this.peakDbfs) this.peakDbfs = level;
    const e = this.expect;
    if (e.kind === 'silence' || e.kind === 'sound') {
      const ok = e.kind === 'silence' ? level < e.levelDbfs : level >= e.levelDbfs;
      const length = this.runs.step(this.frameStartMs, ok, ms);
      if (length >= e.minDurationMs && this.match === undefined) this.match = { kind: e.kind, startMs: this.runs.startMs, durationMs: length, levelDbfs: powerToDbfs(this.runs.powerSum / this.runs.passed) };
    }
    this.shiftIn(this.frame, ms);
  }

  /** Slides a frame (or silence) into the spectral window and analyses the frame now at its centre. */
  private shiftIn(frame: Float64Array | undefined, meanSquare = 0): void {
    this.recent.copyWithin(0, FRAME);
    this.recentMs.copyWithin(0, 1);
    this.recentPower.copyWithin(0, 1);
    this.waiting.copyWithin(0, 1);
    const last = SPECTRUM_FRAMES - 1;
    if (frame !== undefined) this.recent.set(frame, last * FRAME);
    else this.recent.fill(0, last * FRAME);
    this.recentMs[last] = frame !== undefined ? this.frameStartMs : this.recentMs[last - 1]! + FRAME_MS;
    this.recentPower[last] = meanSquare;
    this.waiting[last] = frame !== undefined ? 1 : 0;
    if (this.waiting[CENTRE] === 0) return;
    this.waiting[CENTRE] = 0;
    this.centreFrame(this.recentMs[CENTRE]!, this.recentPower[CENTRE]!);
  }

  private centreFrame(atMs: number, meanSquare: number): void {
    const level = powerToDbfs(meanSquare);
    const [first, second] = level >= SILENT_FRAME_DBFS ? spectralComponents(this.recent, 0, this.recent.length, 2) : [];
    if (first !== undefined) {
      const bin = Math.round(first.frequencyHz / 10);
      const slot = this.spectrum.get(bin) ?? [0, 0];
      slot[0] += meanSquare;
      slot[1] += meanSquare * first.frequencyHz;
      this.spectrum.set(bin, slot);
    }
    const e = this.expect;
    if (e.kind !== 'tone') return;
    let hit: { frequencyHz: number; share: number } | undefined;
    for (const c of [first, second]) {
      if (c === undefined || Math.abs(c.frequencyHz - e.frequencyHz) > e.toleranceHz) continue;
      if (hit === undefined || Math.abs(c.frequencyHz - e.frequencyHz) < Math.abs(hit.frequencyHz - e.frequencyHz)) hit = c;
    }
    const together = (first?.share ?? 0) + (second?.share ?? 0);
    const ok = level >= e.minLevelDbfs && hit !== undefined && hit.share >= TONE_SHARE / 2 && together >= TONE_SHARE && !this.harmonic(hit.frequencyHz);
    // A generated tone holds its frequency; a voice's harmonic wanders. Drifting off starts a new run.
    const r = this.runs;
    const fresh = ok && r.frames > 0 && r.hzWeight > 0 && Math.abs(hit!.frequencyHz - r.hzWeighted / r.hzWeight) > TONE_STABILITY_HZ;
    const length = this.runs.step(atMs, ok, meanSquare, hit?.frequencyHz, meanSquare, fresh);
    if (length >= e.minDurationMs && this.match === undefined) {
      this.match = { kind: 'tone', startMs: r.startMs, durationMs: length, frequencyHz: r.hzWeight > 0 ? r.hzWeighted / r.hzWeight : e.frequencyHz, levelDbfs: powerToDbfs(r.powerSum / r.passed) };
    }
  }

  /** Whether a component at half, twice or three times `hz` is within 20 dB of it: a note or a voice, not a tone. */
  private harmonic(hz: number): boolean {
    const w = hannWindow(this.recent.length);
    const limit = HARMONIC_RATIO * goertzel(this.recent, hz, { window: w }).power;
    for (const k of [0.5, 2, 3]) {
      if (k * hz < MIN_COMPONENT_HZ || k * hz > MAX_COMPONENT_HZ) continue;
      if (goertzel(this.recent, k * hz, { window: w }).power > limit) return true;
    }
    return false;
  }

  private dominant(): number | undefined {
    let bestBin: number | undefined;
    let bestEnergy = 0;
    for (const [bin, [energy]] of this.spectrum) {
      if (energy > bestEnergy) {
        bestEnergy = energy;
        bestBin = bin;
      }
    }
    if (bestBin === undefined) return undefined;
    let energy = 0;
    let weighted = 0;
    for (let b = bestBin - 1; b <= bestBin + 1; b++) {
      const slot = this.spectrum.get(b);
      if (slot !== undefined) {
        energy += slot[0];
        weighted += slot[1];
      }
    }
    return weighted / energy;
  }
}

/** A number as it reads best in a message: integers bare, others with one decimal. */
function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function signed(ms: number): string {
  const r = Math.round(ms);
  return r >= 0 ? `+${r}` : String(r);
}
