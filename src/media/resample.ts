// Sample-rate conversion for playback prompts: band-limited interpolation with a Kaiser-windowed
// sinc, evaluated as a polyphase filter bank.
//
// Method. Output sample n sits at input time t = n · from / to (in input samples). Its value is
// Σ_k x[k] · g(t − k), where g is the impulse response of a low-pass filter sampled at the input rate:
//   g(u) = (2·fc / from) · sinc(2·fc · u / from) · kaiser(u / H, β)
// with cutoff fc halfway between a pass-band edge fp and a stop-band edge fs:
//   fs = min(from, to) / 2 (the lower Nyquist frequency; 4000 Hz for telephony),
//   fp = 0.85 · fs (3400 Hz for telephony, the top of the 300–3400 Hz voice band),
// and a Kaiser window designed for STOPBAND_DB of stop-band attenuation: β = 0.1102·(A − 8.7) and the
// length N = (A − 7.95) / (2.285 · 2π · (fs − fp) / from) + 1 taps (Kaiser's formulas; 370 taps at
// 44.1 kHz). The same filter low-passes before decimation and interpolates when upsampling.
//
// The fractional part of t takes `to / gcd(from, to)` distinct values (80 for 44.1 kHz → 8 kHz, 1
// for 16 or 48 kHz), so the bank holds one row of taps per phase, each row normalised to a DC gain of
// exactly 1. For odd rates whose bank would exceed MAX_COEFFICIENTS, the phase is rounded to the
// nearest of as many phases as fit (at most a few ns of timing error, far below 16-bit noise).
// Samples before the start and after the end count as zeros; the output has no delay.

/** Stop-band attenuation the anti-aliasing filter is designed for, in dB. */
export const RESAMPLER_STOPBAND_DB = 80;

/** The pass-band edge as a fraction of the lower Nyquist frequency. */
const PASSBAND_FRACTION = 0.85;

/** Upper bound on the size of a filter bank (coefficients), 8 MiB of Float32. */
const MAX_COEFFICIENTS = 1 << 21;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series), for the Kaiser window. */
function besselI0(x: number): number {
  const q = (x / 2) * (x / 2);
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-16; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

function checkRate(rate: number, what: string): void {
  if (!Number.isSafeInteger(rate) || rate < 1) throw new RangeError(`${what} must be a positive integer number of Hz, not ${rate}`);
}

/**
 * A sample-rate converter from one fixed rate to another, built once (the filter bank is precomputed)
 * and usable for any number of signals. See the module comment for the method.
 *
 * @example
 * ```ts
 * const r = new Resampler(44100, 8000);
 * const narrowband = r.process(floatSamples); // Float32Array at 8 kHz
 * ```
 */
export class Resampler {
  /** Input sample rate, Hz. */
  readonly fromRate: number;
  /** Output sample rate, Hz. */
  readonly toRate: number;
  /** Frequencies up to here pass unchanged (within a small fraction of a dB), Hz. */
  readonly passbandHz: number;
  /** Frequencies from here on are attenuated by at least {@link RESAMPLER_STOPBAND_DB} dB, Hz. */
  readonly stopbandHz: number;
  /** Taps per output sample (0 when the rates are equal). */
  readonly taps: number;
  /** Rows in the polyphase bank. */
  readonly phases: number;
  private readonly half: number;
  private readonly bank: Float32Array;

  /** @throws RangeError when a rate is not a positive integer. */
  constructor(fromRate: number, toRate: number) {
    checkRate(fromRate, 'fromRate');
    checkRate(toRate, 'toRate');
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.stopbandHz = Math.min(fromRate, toRate) / 2;
    this.passbandHz = PASSBAND_FRACTION * this.stopbandHz;
    if (fromRate === toRate) {
      this.taps = 0;
      this.phases = 1;
      this.half = 0;
      this.bank = new Float32Array(0);
      return;
    }
    const a = RESAMPLER_STOPBAND_DB;
    const beta = 0.1102 * (a - 8.7);
    const transition = (2 * Math.PI * (this.stopbandHz - this.passbandHz)) / fromRate;
    const length = (a - 7.95) / (2.285 * transition) + 1;
    this.half = Math.ceil(length / 2);
    this.taps = 2 * this.half;
    const exactPhases = toRate / gcd(fromRate, toRate);
    this.phases = Math.max(1, Math.min(exactPhases, Math.floor(MAX_COEFFICIENTS / this.taps)));
    this.bank = this.design(beta);
  }

  /** Builds the bank: row p holds the taps for fractional position p / phases. */
  private design(beta: number): Float32Array {
    const { taps, half, phases, fromRate } = this;
    const fc = (this.passbandHz + this.stopbandHz) / 2;
    const scale = (2 * fc) / fromRate; // cutoff in cycles per input sample, times 2
    const i0Beta = besselI0(beta);
    const bank = new Float32Array(phases * taps);
    const row = new Float64Array(taps);
    for (let p = 0; p < phases; p++) {
      const frac = p / phases;
      let sum = 0;
      for (let c = 0; c < taps; c++) {
        // Coefficient c multiplies x[i − half + 1 + c]; its distance from t = i + frac is u.
        const u = frac + half - 1 - c;
        const x = scale * u;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = u / half;
        const window = r * r >= 1 ? 1 / i0Beta : besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
        const g = scale * sinc * window;
        row[c] = g;
        sum += g;
      }
      for (let c = 0; c < taps; c++) bank[p * taps + c] = row[c]! / sum;
    }
    return bank;
  }

  /** How many output samples {@link process} makes from `inputLength` input samples: ⌈n · to / from⌉. */
  outputLength(inputLength: number): number {
    return Math.ceil((inputLength * this.toRate) / this.fromRate);
  }

  /**
   * Converts one whole signal (mono). Returns a new array of {@link outputLength} samples, in the same
   * units as the input (no clamping).
   */
  process(input: ArrayLike<number>): Float32Array {
    const len = input.length;
    const out = new Float32Array(this.outputLength(len));
    if (this.taps === 0) {
      for (let i = 0; i < len; i++) out[i] = input[i]!;
      return out;
    }
    const { taps, half, phases, bank, toRate } = this;
    const stepInt = Math.floor(this.fromRate / toRate);
    const stepRem = this.fromRate % toRate;
    let base = 0; // integer part of t
    let acc = 0; // fractional part of t, times toRate
    for (let n = 0; n < out.length; n++) {
      let p = Math.round((acc * phases) / toRate);
      let centre = base;
      if (p === phases) {
        p = 0;
        centre++;
      }
      const start = centre - half + 1;
      const off = p * taps;
      let sum = 0;
      if (start >= 0 && start + taps <= len) {
        for (let c = 0; c < taps; c++) sum += bank[off + c]! * input[start + c]!;
      } else {
        const from = Math.max(0, -start);
        const to = Math.min(taps, len - start);
        for (let c = from; c < to; c++) sum += bank[off + c]! * input[start + c]!;
      }
      out[n] = sum;
      base += stepInt;
      acc += stepRem;
      if (acc >= toRate) {
        acc -= toRate;
        base++;
      }
    }
    return out;
  }
}

const cache = new Map<string, Resampler>();
const CACHE_SIZE = 4;

/**
 * A {@link Resampler} for a pair of rates, reused from a small cache (the last few pairs asked for),
 * so playing many prompts recorded at the same rate designs the filter once.
 */
export function resamplerFor(fromRate: number, toRate: number): Resampler {
  const key = `${fromRate}>${toRate}`;
  let r = cache.get(key);
  if (r !== undefined) {
    cache.delete(key);
  } else {
    r = new Resampler(fromRate, toRate);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, r);
  return r;
}

/** What {@link resample} returns. */
export interface ResampleResult {
  /** The converted signal, 16-bit. */
  samples: Int16Array;
  /** How many output samples the filter's ripple pushed beyond the 16-bit range and were clamped. */
  clipped: number;
}

/**
 * Converts a mono signal from one sample rate to another (see the module comment for the method),
 * rounding to 16 bits. Takes 16-bit samples or floating-point samples in 16-bit units (e.g. an
 * unrounded down-mix).
 *
 * @example
 * ```ts
 * const { samples } = resample(cdAudioMono, 44100, 8000);
 * ```
 * @throws RangeError when a rate is not a positive integer.
 */
export function resample(samples: Int16Array | Float32Array | Float64Array, fromRate: number, toRate: number): ResampleResult {
  const y = resamplerFor(fromRate, toRate).process(samples);
  const out = new Int16Array(y.length);
  let clipped = 0;
  for (let i = 0; i < y.length; i++) {
    const v = Math.round(y[i]!);
    if (v > 32767) {
      out[i] = 32767;
      clipped++;
    } else if (v < -32768) {
      out[i] = -32768;
      clipped++;
    } else {
      out[i] = v;
    }
  }
  return { samples: out, clipped };
}
