// Resampling quality, measured: tones in the pass band keep their frequency and amplitude, tones above
// the new Nyquist frequency (which would alias) are removed.

import { describe, expect, it } from 'vitest';
import { resample, Resampler, resamplerFor, RESAMPLER_STOPBAND_DB } from '../../src/media/resample.js';
import { encodeWav, parseWav, toTelephony } from '../../src/media/wav.js';

function sine(freq: number, rate: number, seconds: number, amplitude: number): Float64Array {
  return Float64Array.from({ length: Math.round(rate * seconds) }, (_, n) => amplitude * Math.sin((2 * Math.PI * freq * n) / rate));
}

/** Amplitude of the `freq` component (a single-bin DFT, Goertzel-style) over a Hann window. */
function amplitudeAt(x: ArrayLike<number>, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let n = 0; n < x.length; n++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (x.length - 1));
    const phi = (2 * Math.PI * freq * n) / rate;
    re += w * x[n]! * Math.cos(phi);
    im += w * x[n]! * Math.sin(phi);
    wsum += w;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / x.length);
}

/** Upward zero crossings. */
function risingZeroCrossings(x: ArrayLike<number>): number {
  let n = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1]! < 0 && x[i]! >= 0) n++;
  return n;
}

const db = (ratio: number): number => 20 * Math.log10(ratio);
/** Skip the filter's start-up and tail (zeros are assumed outside the signal). */
const steady = <T extends { subarray(a: number, b: number): T; length: number }>(y: T): T => y.subarray(400, y.length - 400);

describe('Resampler: 44.1 kHz → 8 kHz', () => {
  const r = new Resampler(44100, 8000);

  it('is a Kaiser-windowed sinc with 80 phases for 441/80', () => {
    expect(r.phases).toBe(80);
    expect(r.taps).toBe(370);
    expect(r.passbandHz).toBe(3400);
    expect(r.stopbandHz).toBe(4000);
    expect(r.outputLength(44100)).toBe(8000);
  });

  it('keeps a 1 kHz tone at 1 kHz with its amplitude (within 0.1 %)', () => {
    const y = steady(r.process(sine(1000, 44100, 1, 16000)));
    const seconds = y.length / 8000;
    expect(risingZeroCrossings(y) / seconds).toBeCloseTo(1000, -1); // ±5 Hz
    expect(amplitudeAt(y, 1000, 8000) / 16000).toBeCloseTo(1, 3);
    expect(rms(y) / (16000 / Math.SQRT2)).toBeCloseTo(1, 3);
  });

  it('keeps the pass band flat (300–3400 Hz within 0.01 dB)', () => {
    for (const f of [300, 1000, 2000, 3000, 3400]) {
      const y = steady(r.process(sine(f, 44100, 0.5, 10000)));
      expect(Math.abs(db(rms(y) / (10000 / Math.SQRT2))), `${f} Hz`).toBeLessThan(0.01);
    }
  });

  it('removes a 6 kHz tone (it would alias to 2 kHz) by more than 75 dB', () => {
    const y = steady(r.process(sine(6000, 44100, 1, 16000)));
    expect(db(rms(y) / (16000 / Math.SQRT2))).toBeLessThan(-75);
    expect(db(amplitudeAt(y, 2000, 8000) / 16000)).toBeLessThan(-75);
  });

  it('attenuates everything from 4 kHz up by at least the design stop band', () => {
    for (const f of [4000, 4100, 5000, 7000, 10000, 15000, 20000]) {
      const y = steady(r.process(sine(f, 44100, 0.5, 10000)));
      expect(db(rms(y) / (10000 / Math.SQRT2)), `${f} Hz`).toBeLessThan(-RESAMPLER_STOPBAND_DB + 3);
    }
  });

  it('keeps DC exactly and has no delay', () => {
    const y = r.process(new Float64Array(4410).fill(1000));
    for (const v of steady(y)) expect(v).toBeCloseTo(1000, 3);
    // An impulse at input sample 441 (10 ms) peaks at output sample 80 (10 ms).
    const x = new Float64Array(4410);
    x[441] = 1;
    const h = r.process(x);
    expect(h.indexOf(Math.max(...h))).toBe(80);
  });
});

describe('other rates', () => {
  it('decimates 16 and 48 kHz with one phase and keeps a 1 kHz tone', () => {
    for (const rate of [16000, 48000]) {
      const r = resamplerFor(rate, 8000);
      expect(r.phases).toBe(1);
      const y = steady(r.process(sine(1000, rate, 0.5, 8000)));
      expect(amplitudeAt(y, 1000, 8000) / 8000).toBeCloseTo(1, 3);
      expect(db(rms(steady(r.process(sine(5000, rate, 0.5, 8000)))) / 5657)).toBeLessThan(-75);
    }
  });

  it('upsamples 4 kHz to 8 kHz: the tone stays, nothing appears above 2 kHz', () => {
    const r = new Resampler(4000, 8000);
    expect(r.stopbandHz).toBe(2000);
    const y = steady(r.process(sine(500, 4000, 1, 10000)));
    expect(amplitudeAt(y, 500, 8000) / 10000).toBeCloseTo(1, 3);
    // The image of 500 Hz at 3500 Hz is gone.
    expect(db(amplitudeAt(y, 3500, 8000) / 10000)).toBeLessThan(-75);
  });

  it('handles an odd rate whose exact bank would be too big (rounded phases)', () => {
    const r = new Resampler(44057, 8000);
    expect(r.phases).toBeLessThan(8000);
    const y = steady(r.process(sine(1000, 44057, 1, 16000)));
    const err = Float64Array.from(y, (v, n) => v - 16000 * Math.sin((2 * Math.PI * 1000 * (n + 400)) / 8000));
    expect(db(rms(err) / (16000 / Math.SQRT2))).toBeLessThan(-70);
  });

  it('copies when the rates are equal, and rejects bad rates', () => {
    const r = new Resampler(8000, 8000);
    expect(Array.from(r.process([1, 2, 3]))).toEqual([1, 2, 3]);
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
    expect(() => new Resampler(44100.5, 8000)).toThrow(RangeError);
  });

  it('resample() rounds to 16 bits and counts clipping', () => {
    // A full-scale square wave overshoots (Gibbs) once band-limited.
    const square = Int16Array.from({ length: 4410 }, (_, n) => (Math.floor(n / 50) % 2 === 0 ? 32767 : -32768));
    const { samples, clipped } = resample(square, 44100, 8000);
    expect(samples).toHaveLength(800);
    expect(clipped).toBeGreaterThan(0);
    expect(resample(Int16Array.of(100, 100, 100), 8000, 8000)).toEqual({ samples: Int16Array.of(100, 100, 100), clipped: 0 });
  });

  it('resamplerFor caches', () => {
    expect(resamplerFor(22050, 8000)).toBe(resamplerFor(22050, 8000));
  });
});

describe('toTelephony quality (through a WAV file)', () => {
  it('a 44.1 kHz stereo 1 kHz tone arrives at 8 kHz mono with its frequency and amplitude', () => {
    const tone = sine(1000, 44100, 1, 12000);
    const stereo = new Int16Array(tone.length * 2);
    tone.forEach((v, i) => {
      stereo[2 * i] = Math.round(v);
      stereo[2 * i + 1] = Math.round(v);
    });
    const { samples, notes } = toTelephony(parseWav(encodeWav(stereo, 44100, 2)));
    expect(notes).toEqual(['mixed 2 channels down to mono', 'resampled from 44100 Hz to 8000 Hz']);
    expect(samples).toHaveLength(8000);
    const y = steady(samples);
    expect(risingZeroCrossings(y) / (y.length / 8000)).toBeCloseTo(1000, -1);
    expect(amplitudeAt(y, 1000, 8000) / 12000).toBeCloseTo(1, 2);
  });

  it('a 6 kHz tone at 44.1 kHz is attenuated by more than 30 dB (in fact to the 16-bit noise floor)', () => {
    const tone = Int16Array.from(sine(6000, 44100, 1, 16000), Math.round);
    const { samples } = toTelephony(parseWav(encodeWav(tone, 44100)));
    const y = steady(samples);
    expect(db(rms(y) / (16000 / Math.SQRT2))).toBeLessThan(-30);
    expect(db(rms(y) / (16000 / Math.SQRT2))).toBeLessThan(-70);
  });
});
