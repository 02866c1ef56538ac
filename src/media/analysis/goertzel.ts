// Spectral building blocks of the audio analysis (dtmf-inband.ts, tone.ts, audio-match.ts): the
// Goertzel algorithm (one DFT value at any frequency), the Hann window, a radix-2 FFT, level
// conversions and the bookkeeping that lines up streamed frames on a sample timeline.
//
// Goertzel (G. Goertzel, "An algorithm for the evaluation of finite trigonometric series", Amer.
// Math. Monthly 65, 1958): for ω = 2π·f/fs run s[n] = x[n] + 2·cos ω·s[n−1] − s[n−2] over the block,
// n = 0 … N−1. Then y = s[N−1] − e^{−jω}·s[N−2] = e^{jω(N−1)}·X(ω), where X(ω) = Σ x[n]·e^{−jωn} is
// the DFT of the block at ω (ω need not be a bin frequency). |X|² = s1² + s2² − 2cos ω·s1·s2 needs
// no complex arithmetic; the phase is recovered by multiplying y by e^{−jω(N−1)}.
//
// Scaling convention: every "power" here is a mean square, so that it can be compared with the
// mean square of the block. A sinusoid of amplitude A at ω, analysed with window w, gives
// |X| ≈ A·Σw/2, hence power = 2·|X|²/(Σw)² ≈ A²/2 — the sinusoid's own mean square. The block's
// mean square under the same window is Σ(w·x)²/Σw², so the ratio of the two is the share of the
// block's energy in that component (Parseval). Valid for 0 < f < fs/2, away from the edges.
//
// Levels are dBFS referred to a full-scale sine (AES17): a sine of amplitude 32768 is 0 dBFS, so a
// tone of amplitude A is 20·log10(A/32768) dBFS and a full-scale square wave is +3.01 dBFS. G.711's
// largest sine is +3.17 dBm0 (µ-law; +3.14 dBm0 A-law), so dBm0 ≈ dBFS + 3.17.

/** The sample rate of all telephony analysis: 8000 Hz. */
export const ANALYSIS_SAMPLE_RATE = 8000;

/** Lowest level any level function returns, in dBFS: what digital silence reads as. */
export const SILENCE_DBFS = -100;

/** Mean square (power) of a full-scale sine: 32768² / 2. */
const FULL_SCALE_SINE_POWER = (32768 * 32768) / 2;

/** dBFS (full-scale-sine reference) of a mean square; {@link SILENCE_DBFS} at most for silence. */
export function powerToDbfs(meanSquare: number): number {
  if (!(meanSquare > 0)) return SILENCE_DBFS;
  return Math.max(SILENCE_DBFS, 10 * Math.log10(meanSquare / FULL_SCALE_SINE_POWER));
}

/** Mean square of a sine whose level is `dbfs`. */
export function dbfsToPower(dbfs: number): number {
  return FULL_SCALE_SINE_POWER * 10 ** (dbfs / 10);
}

/** Peak amplitude of a sine whose level is `dbfs`. */
export function dbfsToAmplitude(dbfs: number): number {
  return 32768 * 10 ** (dbfs / 20);
}

/** A DFT value: real and imaginary parts, and the normalised power (see the module comment). */
export interface DftValue {
  re: number;
  im: number;
  /** Mean-square power of the component: 2·|X|²/(Σw)². */
  power: number;
}

const hannCache = new Map<number, Float64Array>();

/**
 * A Hann window of `length` points, w[n] = sin²(π·(n + ½)/length): symmetric, no zero end points,
 * mean ½. Cached: do not modify the returned array.
 *
 * @example
 * ```ts
 * const w = hannWindow(200);
 * goertzel(block, 697, { window: w }).power; // leakage from 1209 Hz is below −60 dB
 * ```
 */
export function hannWindow(length: number): Float64Array {
  let w = hannCache.get(length);
  if (w === undefined) {
    w = new Float64Array(length);
    for (let n = 0; n < length; n++) w[n] = Math.sin((Math.PI * (n + 0.5)) / length) ** 2;
    if (hannCache.size > 64) hannCache.clear();
    hannCache.set(length, w);
  }
  return w;
}

/** Options of {@link goertzel}. */
export interface GoertzelOptions {
  /** Hz, default 8000. */
  sampleRate?: number;
  /** First sample of the block, default 0. */
  start?: number;
  /** Samples in the block, default: to the end (or the window's length when a window is given). */
  length?: number;
  /** Weights applied to the block, at least `length` long; default rectangular. */
  window?: ArrayLike<number>;
}

/**
 * The DFT of a block at one frequency, by the Goertzel recursion: N multiply-adds. The phase is
 * referred to the block's first sample, so two blocks' phases can be compared (dtmf-inband.ts
 * measures frequency from the phase advance between two overlapping blocks).
 *
 * @example
 * ```ts
 * const { power } = goertzel(frame, 425);       // frame: Int16Array(160)
 * powerToDbfs(power);                            // level of the 425 Hz component, dBFS
 * ```
 */
export function goertzel(samples: ArrayLike<number>, frequencyHz: number, options: GoertzelOptions = {}): DftValue {
  const rate = options.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  const start = options.start ?? 0;
  const w = options.window;
  const n = options.length ?? (w !== undefined ? w.length : samples.length - start);
  if (start < 0 || n < 0 || start + n > samples.length) throw new RangeError(`goertzel: block ${start}+${n} is outside the ${samples.length} samples`);
  if (w !== undefined && w.length < n) throw new RangeError(`goertzel: the window has ${w.length} points for a block of ${n}`);
  const omega = (2 * Math.PI * frequencyHz) / rate;
  const cos = Math.cos(omega);
  const coeff = 2 * cos;
  let s1 = 0;
  let s2 = 0;
  let gain = 0;
  if (w === undefined) {
    for (let i = 0; i < n; i++) {
      const s0 = samples[start + i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    gain = n;
  } else {
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      const s0 = samples[start + i]! * wi + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
      gain += wi;
    }
  }
  // y = s1 − e^{−jω}·s2; X = e^{−jω(N−1)}·y.
  const sin = Math.sin(omega);
  const yRe = s1 - cos * s2;
  const yIm = sin * s2;
  const back = -omega * (n - 1);
  const bc = Math.cos(back);
  const bs = Math.sin(back);
  const re = yRe * bc - yIm * bs;
  const im = yRe * bs + yIm * bc;
  const power = gain > 0 ? (2 * (re * re + im * im)) / (gain * gain) : 0;
  return { re, im, power };
}

/**
 * Normalised power of one frequency over a block: {@link goertzel}'s `power`, without the phase.
 *
 * @example
 * ```ts
 * goertzelPower(frame, 1000) / meanSquare(frame); // share of the frame's energy at 1 kHz
 * ```
 */
export function goertzelPower(samples: ArrayLike<number>, frequencyHz: number, options: GoertzelOptions = {}): number {
  return goertzel(samples, frequencyHz, options).power;
}

/**
 * Mean square of a block, optionally under a window (Σ(w·x)²/Σw², comparable with a windowed
 * Goertzel power).
 *
 * @example
 * ```ts
 * powerToDbfs(meanSquare(frame)); // the frame's RMS level in dBFS
 * ```
 */
export function meanSquare(samples: ArrayLike<number>, start = 0, length = samples.length - start, window?: ArrayLike<number>): number {
  let sum = 0;
  if (window === undefined) {
    for (let i = 0; i < length; i++) {
      const x = samples[start + i]!;
      sum += x * x;
    }
    return length > 0 ? sum / length : 0;
  }
  let norm = 0;
  for (let i = 0; i < length; i++) {
    const wi = window[i]!;
    const x = samples[start + i]! * wi;
    sum += x * x;
    norm += wi * wi;
  }
  return norm > 0 ? sum / norm : 0;
}

// --- FFT -----------------------------------------------------------------------------------------------

interface FftPlan {
  cos: Float64Array;
  sin: Float64Array;
  rev: Uint32Array;
}

const fftPlans = new Map<number, FftPlan>();

function planFor(n: number): FftPlan {
  let plan = fftPlans.get(n);
  if (plan !== undefined) return plan;
  if (n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`fft: the size must be a power of two, not ${n}`);
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.round(Math.log2(n));
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0, x = i; b < bits; b++, x >>= 1) r = (r << 1) | (x & 1);
    rev[i] = r;
  }
  plan = { cos, sin, rev };
  if (fftPlans.size > 16) fftPlans.clear();
  fftPlans.set(n, plan);
  return plan;
}

/**
 * In-place complex FFT (iterative radix-2 decimation in time) of `re` + j·`im`, whose common length
 * must be a power of two. Forward: X[k] = Σ x[n]·e^{−2πjkn/N}. With `inverse`, the conjugate
 * transform divided by N, so `fft(fft(x), true)` gives x back.
 *
 * @example
 * ```ts
 * const re = Float64Array.from(block), im = new Float64Array(block.length);
 * fft(re, im);               // spectrum
 * fft(re, im, true);         // back to the block
 * ```
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) throw new RangeError(`fft: re has ${n} points and im ${im.length}`);
  if (n <= 1) return;
  const { cos, sin, rev } = planFor(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  const sign = inverse ? -1 : 1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let base = 0; base < n; base += size) {
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = cos[t]!;
        const wi = sign * sin[t]!;
        const a = base + k;
        const b = a + half;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
  if (inverse) {
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! * s;
      im[i] = im[i]! * s;
    }
  }
}

/** The smallest power of two ≥ n (1 for n ≤ 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

// --- Streams ---------------------------------------------------------------------------------------

/** What {@link SampleTimeline.place} decided about a pushed frame. */
export interface Placement {
  /** Silent samples to insert before the frame (a forward jump of `atMs`: lost frames). */
  zeros: number;
  /** Leading samples of the frame to drop (they overlap what was already received). */
  skip: number;
}

/**
 * The sample timeline of a streaming detector: frames of any length are appended; a frame's
 * `atMs` (the time of its first sample) places it. A frame that starts later than the previous one
 * ended is preceded by silence (up to `maxGapMs`; a longer jump restarts the timeline there, and
 * `place` reports it as `restart`); one that starts earlier loses its overlapping samples.
 * Without `atMs`, frames are contiguous. Times are ms from the first frame's `atMs` (0 if none).
 *
 * @example
 * ```ts
 * const t = new SampleTimeline();
 * t.place(160, 0);    // { zeros: 0, skip: 0 }
 * t.place(160, 60);   // { zeros: 320, skip: 0 }: two lost 20 ms frames become silence
 * ```
 */
export class SampleTimeline {
  /** Samples appended so far (including inserted silence). */
  samples = 0;
  private originMs: number | undefined;
  private readonly rate: number;

  constructor(
    sampleRate = ANALYSIS_SAMPLE_RATE,
    private readonly maxGapMs = 10_000,
  ) {
    this.rate = sampleRate;
  }

  /** Time of sample `index` in ms. */
  timeOf(index: number): number {
    return (this.originMs ?? 0) + (index * 1000) / this.rate;
  }

  /** Where a frame of `length` samples starting at `atMs` goes; `restart` means the stream restarts at it. */
  place(length: number, atMs?: number): Placement & { restart: boolean } {
    if (this.originMs === undefined) this.originMs = atMs ?? 0;
    let zeros = 0;
    let skip = 0;
    let restart = false;
    if (atMs !== undefined && Number.isFinite(atMs)) {
      const at = Math.round(((atMs - this.originMs) * this.rate) / 1000);
      const delta = at - this.samples;
      if (delta > (this.maxGapMs * this.rate) / 1000) {
        // Too long to fill: the stream starts over at this frame.
        this.originMs = atMs;
        this.samples = 0;
        restart = true;
      } else if (delta > 0) zeros = delta;
      else if (delta < 0) skip = Math.min(length, -delta);
    }
    this.samples += zeros + length - skip;
    return { zeros, skip, restart };
  }
}
