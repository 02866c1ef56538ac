// Level and frequency of a block of 8 kHz audio, for the ExpectAudio matcher (audio-match.ts): the
// RMS level, the strongest spectral components with their frequency measured to a fraction of a
// Hz, and the share of the block's energy each one holds.
//
// Method. The block is weighted by a Hann window and zero-padded to a power of two at least four
// times its length (a 20 ms block gives a 1024-point FFT: 7.8 Hz between bins). Local maxima of the
// power spectrum between 50 and 3950 Hz are the candidate components. The frequency of each is
// refined by fitting a parabola through the logarithm of the three bins around the maximum (the
// log of a Hann main lobe is nearly a parabola, so the interpolation error is well under 1 Hz for a
// pure tone, even for a 20 ms block), and its power is then measured by the Goertzel algorithm at
// the refined frequency under the same window. Power and share follow goertzel.ts's convention: a
// sinusoid of amplitude A has power A²/2, and its share is that power over the windowed mean square
// of the block (Parseval), so a pure tone has share ≈ 1 and white noise ≈ 0.
//
// Limits. Two components closer than the main lobe's half width (2·fs/length: 100 Hz for 20 ms,
// 20 Hz for 100 ms) are not separated; they show as one component between them. A component below
// 50 Hz or above 3950 Hz is never reported (it still counts in the block's energy). A block quieter
// than SILENT_FRAME_DBFS has no dominant frequency.

import { ANALYSIS_SAMPLE_RATE, fft, goertzel, hannWindow, meanSquare, nextPowerOfTwo, powerToDbfs, SILENCE_DBFS } from './goertzel.js';

/**
 * A block quieter than this, dBFS, is silent: no dominant frequency. −80 dBFS is below the
 * quietest G.711 signal that is not digital silence (a sine of amplitude 8, the smallest non-zero
 * µ-law and A-law step, is −72 dBFS).
 */
export const SILENT_FRAME_DBFS = -80;

/** Lowest frequency reported as a component, Hz. */
export const MIN_COMPONENT_HZ = 50;

/** Highest frequency reported as a component, Hz. */
export const MAX_COMPONENT_HZ = 3950;

/** The level and frequency content of one frame, at a time. */
export interface AudioFrameAnalysis {
  /** Time of the frame's first sample, ms. */
  atMs: number;
  /** RMS level of the frame, dBFS (a full-scale sine is 0 dBFS; digital silence −100). */
  levelDbfs: number;
  /** Frequency of the strongest component, Hz; `undefined` when the frame is silent. */
  dominantHz: number | undefined;
  /** Share of the frame's energy at the dominant frequency, 0–1 (0 when silent). */
  dominantShare: number;
}

/** One spectral component of a block (see {@link spectralComponents}). */
export interface SpectralComponent {
  /** Refined frequency, Hz. */
  frequencyHz: number;
  /** Level of the component alone, dBFS (a sine's level). */
  levelDbfs: number;
  /** Share of the block's (windowed) energy in the component, 0–1. */
  share: number;
}

function checkBlock(samples: ArrayLike<number>, start: number, length: number, what: string): void {
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > samples.length) {
    throw new RangeError(`${what}: block ${start}+${length} is outside the ${samples.length} samples`);
  }
}

/**
 * The strongest spectral components of a block of 8 kHz audio, strongest first: at most `count`,
 * each with its frequency refined to a fraction of a Hz, its level and its share of the block's
 * energy (method and limits in the module comment). Empty for a block with no energy or fewer
 * than 8 samples.
 *
 * @example
 * ```ts
 * const [a, b] = spectralComponents(pcm, 0, 800);   // 100 ms of US ringback
 * [a.frequencyHz, b.frequencyHz];                    // ≈ [440, 480] or [480, 440]
 * a.share + b.share;                                 // ≈ 1
 * ```
 * @throws RangeError when the block is not inside `samples`.
 */
export function spectralComponents(samples: ArrayLike<number>, start = 0, length = samples.length - start, count = 2): SpectralComponent[] {
  checkBlock(samples, start, length, 'spectralComponents');
  if (length < 8 || count < 1) return [];
  const w = hannWindow(length);
  const total = meanSquare(samples, start, length, w);
  if (!(total > 0)) return [];
  const n = Math.max(256, nextPowerOfTwo(4 * length));
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < length; i++) re[i] = samples[start + i]! * w[i]!;
  fft(re, im);
  const binHz = ANALYSIS_SAMPLE_RATE / n;
  const lo = Math.max(1, Math.ceil(MIN_COMPONENT_HZ / binHz));
  const hi = Math.min(n / 2 - 1, Math.floor(MAX_COMPONENT_HZ / binHz));
  const p = new Float64Array(hi + 2);
  for (let k = lo - 1; k <= hi + 1; k++) p[k] = re[k]! * re[k]! + im[k]! * im[k]!;
  // Local maxima, strongest first; a few more than asked, since refinement can reorder them.
  const peaks: number[] = [];
  for (let k = lo; k <= hi; k++) if (p[k]! > p[k - 1]! && p[k]! >= p[k + 1]!) peaks.push(k);
  peaks.sort((a, b) => p[b]! - p[a]!);
  const out: SpectralComponent[] = [];
  // The main lobe's half width, Hz: two refined peaks closer than this are one component.
  const lobeHz = (2 * ANALYSIS_SAMPLE_RATE) / length;
  for (const k of peaks.slice(0, count + 4)) {
    const a = Math.log(p[k - 1]! + 1e-300);
    const b = Math.log(p[k]!);
    const c = Math.log(p[k + 1]! + 1e-300);
    const d = a - 2 * b + c;
    const delta = d < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / d)) : 0;
    const hz = (k + delta) * binHz;
    const power = goertzel(samples, hz, { start, length, window: w }).power;
    if (out.some((o) => Math.abs(o.frequencyHz - hz) < lobeHz / 2)) continue;
    out.push({ frequencyHz: hz, levelDbfs: powerToDbfs(power), share: Math.min(1, power / total) });
  }
  out.sort((x, y) => y.share - x.share);
  return out.slice(0, count);
}

/**
 * Level and dominant frequency of one block (typically a 20 ms frame of 160 samples) of 8 kHz
 * audio: the RMS level, the strongest spectral component between 50 and 3950 Hz (FFT peak refined
 * by parabolic interpolation, then measured by Goertzel: better than ±1 Hz for a pure tone of 20 ms
 * or more) and its share of the block's energy. Silent blocks (below {@link SILENT_FRAME_DBFS})
 * have no dominant frequency.
 *
 * @example
 * ```ts
 * const a = analyzeFrame(frame);      // frame: Int16Array(160) of a 425 Hz tone at −20 dBFS
 * a.levelDbfs;                         // ≈ −20
 * a.dominantHz;                        // ≈ 425
 * a.dominantShare;                     // ≈ 1
 * analyzeFrame(new Int16Array(160));   // { levelDbfs: −100, dominantHz: undefined, dominantShare: 0 }
 * ```
 * @throws RangeError when the block is not inside `samples`.
 */
export function analyzeFrame(samples: ArrayLike<number>, start = 0, length = samples.length - start): Omit<AudioFrameAnalysis, 'atMs'> {
  checkBlock(samples, start, length, 'analyzeFrame');
  const levelDbfs = length > 0 ? powerToDbfs(meanSquare(samples, start, length)) : SILENCE_DBFS;
  if (levelDbfs < SILENT_FRAME_DBFS) return { levelDbfs, dominantHz: undefined, dominantShare: 0 };
  const [top] = spectralComponents(samples, start, length, 1);
  return top === undefined ? { levelDbfs, dominantHz: undefined, dominantShare: 0 } : { levelDbfs, dominantHz: top.frequencyHz, dominantShare: top.share };
}
