// Synthetic test signals for the audio analysis tests (8 kHz): a seeded PRNG, white noise, tone
// pairs at any frequency, speech-like and music-like signals, G.711 round trips, lost frames and
// frame slicing. Everything is deterministic for a given seed.
//
// Speech-like: syllables of voiced sound (harmonics of a pitch that glides between 85 and 300 Hz
// with a 5 Hz tremor, shaped by three formants that glide too: F1 300–850 Hz, F2 850–2400 Hz,
// F3 2300–3400 Hz, with a −3 dB/octave tilt), fricatives (differentiated white noise) and pauses.
// Music-like: one to three voices of notes on the equal-tempered scale (110–1760 Hz), each a
// harmonic series whose partials fall by a random factor (0.15–0.8 per partial: from flute-like
// to brassy), with attack, decay, sustain and release and sometimes vibrato.

import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from '../../../src/media/g711.js';

/** A seeded uniform generator in [0, 1) (a 32-bit multiply-xorshift mix of a Weyl sequence). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

/** A standard normal deviate (Box–Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Mean square of a signal. */
export function power(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return x.length > 0 ? s / x.length : 0;
}

/** Rounds and clips to 16 bits. */
export function toInt16(x: ArrayLike<number>): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i]!);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Amplitude of a sine at `dbfs` (full-scale sine reference). */
export const amp = (dbfs: number): number => 32768 * 10 ** (dbfs / 20);

/** A sum of sines, `ms` long, each with its own level (dBFS) and start phase. */
export function tones(ms: number, parts: { hz: number; dbfs: number; phase?: number }[]): Float64Array {
  const n = Math.round(ms * 8);
  const out = new Float64Array(n);
  for (const { hz, dbfs, phase = 0 } of parts) {
    const a = amp(dbfs);
    const w = (2 * Math.PI * hz) / 8000;
    for (let i = 0; i < n; i++) out[i] = out[i]! + a * Math.sin(w * i + phase);
  }
  return out;
}

/** Concatenates signals. */
export function concat(...parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Silence, `ms` long. */
export const silence = (ms: number): Float64Array => new Float64Array(Math.round(ms * 8));

/** White Gaussian noise of mean square `meanSquare`. */
export function noise(samples: number, meanSquare: number, seed: number): Float64Array {
  const r = rng(seed);
  const sd = Math.sqrt(meanSquare);
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) out[i] = sd * gaussian(r);
  return out;
}

/** Adds white noise of mean square `meanSquare` (in place) and returns the array. */
export function addNoise(x: Float64Array, meanSquare: number, seed: number): Float64Array {
  const n = noise(x.length, meanSquare, seed);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + n[i]!;
  return x;
}

/** Multiplies by a gain in dB (in place) and returns the array. */
export function gain(x: Float64Array, db: number): Float64Array {
  const g = 10 ** (db / 20);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * g;
  return x;
}

/** G.711 round trip: µ-law (`pcmu`) or A-law (`pcma`); `none` only rounds and clips. */
export function g711(x: ArrayLike<number>, law: 'pcmu' | 'pcma' | 'none'): Int16Array {
  const pcm = toInt16(x);
  if (law === 'pcmu') return decodeMuLaw(encodeMuLaw(pcm));
  if (law === 'pcma') return decodeALaw(encodeALaw(pcm));
  return pcm;
}

/** Zeroes every 20 ms frame whose index is in `lost` (a copy). */
export function loseFrames(x: Int16Array, lost: Iterable<number>): Int16Array {
  const out = x.slice();
  for (const f of lost) out.fill(0, f * 160, Math.min(out.length, (f + 1) * 160));
  return out;
}

/** Indices of lost 20 ms frames when each is lost with probability `rate`. */
export function lossPattern(samples: number, rate: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let f = 0; f * 160 < samples; f++) if (r() < rate) out.push(f);
  return out;
}

/** Cuts a signal into consecutive frames of the given sizes (cycled). */
export function frames(x: Int16Array, sizes: readonly number[]): Int16Array[] {
  const out: Int16Array[] = [];
  for (let at = 0, i = 0; at < x.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(x.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Scales a signal so that the mean square of its non-silent part is that of a sine at `dbfs`. */
function normalise(x: Float64Array, dbfs: number): Float64Array {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0) {
      s += x[i]! * x[i]!;
      n++;
    }
  }
  if (s === 0) return x;
  return gain(x, 10 * Math.log10((amp(dbfs) ** 2 / 2) / (s / n)));
}

/** A formant resonance's gain at `hz` (a Lorentzian of bandwidth `bw`). */
const formant = (hz: number, centre: number, bw: number): number => 1 / (1 + ((hz - centre) / bw) ** 2);

/**
 * A speech-like signal, `ms` long, at an active level of `dbfs` (mean square of the non-silent
 * part, as a sine's level): syllables, fricatives and pauses (see the module comment).
 */
export function speechLike(ms: number, seed: number, dbfs = -20): Float64Array {
  const r = rng(seed);
  const n = Math.round(ms * 8);
  const out = new Float64Array(n);
  const between = (a: number, b: number): number => a + (b - a) * r();
  let pos = 0;
  while (pos < n) {
    const kind = r();
    if (kind < 0.15) {
      pos += Math.round(between(40, 300) * 8); // pause
      continue;
    }
    if (kind < 0.3) {
      // fricative: differentiated noise under a raised-cosine envelope
      const len = Math.min(n - pos, Math.round(between(40, 150) * 8));
      const a = between(0.2, 0.6);
      let prev = 0;
      for (let i = 0; i < len; i++) {
        const w = gaussian(r);
        out[pos + i] = a * (w - prev) * Math.sin((Math.PI * i) / len);
        prev = w;
      }
      pos += len;
      continue;
    }
    const len = Math.min(n - pos, Math.round(between(80, 350) * 8));
    const f0a = between(85, 240);
    const f0b = Math.min(300, f0a * between(0.7, 1.3));
    const fa = [between(300, 850), between(850, 2400), between(2300, 3400)];
    const fb = fa.map((f) => f * between(0.8, 1.2));
    const bws = [80, 120, 200];
    let phase = 0;
    let gains: number[] = [];
    for (let i = 0; i < len; i++) {
      const t = i / len;
      const f0 = (f0a + (f0b - f0a) * t) * (1 + 0.015 * Math.sin((2 * Math.PI * 5 * i) / 8000));
      if (i % 40 === 0) {
        gains = [];
        for (let k = 1; k * f0 < 3800; k++) {
          let g = 0.03;
          for (let j = 0; j < 3; j++) g += formant(k * f0, fa[j]! + (fb[j]! - fa[j]!) * t, bws[j]!) / (j + 1);
          gains.push(g / Math.sqrt(k));
        }
      }
      phase += (2 * Math.PI * f0) / 8000;
      // harmonics by repeated rotation of e^{j·phase}
      const c = Math.cos(phase);
      const s = Math.sin(phase);
      let re = c;
      let im = s;
      let v = 0;
      for (let k = 0; k < gains.length; k++) {
        v += gains[k]! * im;
        const nr = re * c - im * s;
        im = re * s + im * c;
        re = nr;
      }
      out[pos + i] = v * Math.sin(Math.PI * t) ** 0.6;
    }
    pos += len;
  }
  return normalise(out, dbfs);
}

/** A music-like signal, `ms` long, at an active level of `dbfs` (see the module comment). */
export function musicLike(ms: number, seed: number, dbfs = -20): Float64Array {
  const r = rng(seed);
  const n = Math.round(ms * 8);
  const out = new Float64Array(n);
  const between = (a: number, b: number): number => a + (b - a) * r();
  for (let voice = 0; voice < 3; voice++) {
    let pos = voice === 0 ? 0 : Math.round(between(0, 1000) * 8);
    while (pos < n) {
      if (voice > 0 && r() < 0.4) {
        pos += Math.round(between(100, 800) * 8); // this voice rests
        continue;
      }
      const len = Math.min(n - pos, Math.round(between(120, 900) * 8));
      const hz = 110 * 2 ** (Math.floor(between(0, 48)) / 12);
      const decay = between(0.15, 0.8);
      const vibrato = r() < 0.3 ? 0.006 : 0;
      const attack = between(10, 50) * 8;
      const release = between(30, 100) * 8;
      const sustain = between(0.5, 0.9);
      const level = between(0.4, 1);
      const partials: number[] = [];
      for (let k = 1, g = 1; k * hz < 3800; k++, g *= decay) partials.push(g);
      let phase = 0;
      for (let i = 0; i < len; i++) {
        const env = i < attack ? i / attack : i > len - release ? Math.max(0, (len - i) / release) * sustain : sustain + (1 - sustain) * Math.exp(-(i - attack) / 800);
        phase += (2 * Math.PI * hz * (1 + vibrato * Math.sin((2 * Math.PI * 5.5 * i) / 8000))) / 8000;
        const c = Math.cos(phase);
        const s = Math.sin(phase);
        let re = c;
        let im = s;
        let v = 0;
        for (let k = 0; k < partials.length; k++) {
          v += partials[k]! * im;
          const nr = re * c - im * s;
          im = re * s + im * c;
          re = nr;
        }
        out[pos + i] = out[pos + i]! + level * env * v;
      }
      pos += len + Math.round(between(0, 150) * 8);
    }
  }
  return normalise(out, dbfs);
}
