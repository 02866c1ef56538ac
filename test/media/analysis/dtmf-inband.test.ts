// In-band DTMF against ITU-T Q.23/Q.24: the generator's tone pairs, then the receiver's accept and
// reject rules one by one (frequency deviation, twist, tone and pause lengths, drop-outs, level,
// noise), through G.711 in frames of any size, and its talk-off on synthetic speech and music.

import { describe, expect, it } from 'vitest';
import { analyzeDtmfBlock, type DetectedDtmfDigit, DTMF_COLUMN_HZ, DTMF_ROW_HZ, type DtmfDetectorOptions, dtmfFrequencies, InbandDtmfDetector, inbandDtmf } from '../../../src/media/analysis/index.js';
import { goertzel, meanSquare, powerToDbfs } from '../../../src/media/analysis/goertzel.js';
import { DtmfError } from '../../../src/media/dtmf.js';
import { addNoise, concat, frames, g711, musicLike, noise, silence, speechLike, tones } from './signals.js';

const ALL = '0123456789*#ABCD';

/** Runs a detector over `x` cut into frames of `sizes` (cycled), then flushes. */
function detect(x: ArrayLike<number>, sizes: number[] = [160], options?: DtmfDetectorOptions, startMs?: number): DetectedDtmfDigit[] {
  const pcm = x instanceof Int16Array ? x : g711(x, 'none');
  const rx = new InbandDtmfDetector(options);
  const out: DetectedDtmfDigit[] = [];
  let at = 0;
  for (const f of frames(pcm, sizes)) {
    out.push(...rx.push(f, startMs === undefined ? undefined : startMs + at / 8));
    at += f.length;
  }
  out.push(...rx.flush());
  return out;
}

const digits = (found: DetectedDtmfDigit[]): string => found.map((d) => d.digit).join('');

/** A tone pair at any frequencies and levels, with 50 ms of silence either side. */
function pair(rowHz: number, columnHz: number, ms: number, rowDbfs = -10, columnDbfs = rowDbfs): Float64Array {
  return concat(silence(50), tones(ms, [{ hz: rowHz, dbfs: rowDbfs }, { hz: columnHz, dbfs: columnDbfs, phase: 1 }]), silence(50));
}

describe('inbandDtmf (generator)', () => {
  it('lays out tones and gaps, at the Q.23 frequencies and the asked level', () => {
    const pcm = inbandDtmf('1#', { toneMs: 80, gapMs: 60, levelDbfs: -12 });
    expect(pcm.length).toBe((80 + 60 + 80) * 8);
    expect(meanSquare(pcm, 640, 480)).toBe(0);
    const { rowHz, columnHz } = dtmfFrequencies('#');
    expect([rowHz, columnHz]).toEqual([941, 1477]);
    expect(powerToDbfs(goertzel(pcm, 697, { start: 0, length: 640 }).power)).toBeCloseTo(-12, 0);
    expect(powerToDbfs(goertzel(pcm, 1209, { start: 0, length: 640 }).power)).toBeCloseTo(-12, 0);
    expect(powerToDbfs(goertzel(pcm, 1477, { start: 1120, length: 640 }).power)).toBeCloseTo(-12, 0);
  });

  it('takes separate row and column levels', () => {
    const pcm = inbandDtmf('5', { toneMs: 100, rowLevelDbfs: -10, columnLevelDbfs: -16 });
    const row = powerToDbfs(goertzel(pcm, 770).power);
    const col = powerToDbfs(goertzel(pcm, 1336).power);
    expect(row - col).toBeCloseTo(6, 0);
  });

  it('refuses bad digits and options with a DtmfError', () => {
    expect(() => inbandDtmf('12x')).toThrow(DtmfError);
    expect(() => inbandDtmf('1', { toneMs: -1 })).toThrow(/invalid-option/);
    expect(() => inbandDtmf('1', { levelDbfs: 3 })).toThrow(/invalid-option/);
    expect(inbandDtmf('')).toHaveLength(0);
  });
});

describe('InbandDtmfDetector: every digit, G.711, any frame size', () => {
  for (const law of ['pcmu', 'pcma'] as const) {
    for (const sizes of [[160], [1, 7, 33, 160, 241, 80, 13]]) {
      it(`${law}, frames of ${sizes.join('/')} samples`, () => {
        const pcm = g711(inbandDtmf(ALL, { toneMs: 60, gapMs: 60, levelDbfs: -12 }), law);
        const found = detect(pcm, sizes);
        expect(digits(found)).toBe(ALL);
        found.forEach((d, i) => {
          const { rowHz, columnHz } = dtmfFrequencies(ALL[i]!);
          expect(d.startMs).toBeGreaterThanOrEqual(i * 120 - 5);
          expect(d.startMs).toBeLessThanOrEqual(i * 120 + 5);
          expect(d.durationMs).toBeGreaterThanOrEqual(55);
          expect(d.durationMs).toBeLessThanOrEqual(65);
          expect(Math.abs(d.rowHz - rowHz)).toBeLessThan(2);
          expect(Math.abs(d.columnHz - columnHz)).toBeLessThan(3);
          expect(d.levelDbfs).toBeGreaterThan(-12.7);
          expect(d.levelDbfs).toBeLessThan(-11.3);
          expect(Math.abs(d.twistDb)).toBeLessThan(0.7);
        });
      });
    }
  }

  it('reports each digit from the push in which it ended, the last one from flush', () => {
    const pcm = inbandDtmf('73', { toneMs: 60, gapMs: 60 });
    const rx = new InbandDtmfDetector();
    const perPush: string[] = [];
    for (const f of frames(pcm, [160])) perPush.push(digits(rx.push(f)));
    // '7' ends (its pause is seen) during the gap; '3' is still sounding when the audio stops.
    expect(perPush.join('')).toBe('7');
    expect(perPush.indexOf('7')).toBeGreaterThanOrEqual(3);
    expect(digits(rx.flush())).toBe('3');
    expect(rx.flush()).toEqual([]);
  });
});

describe('InbandDtmfDetector: Q.24 timing', () => {
  it('detects 40 ms tones separated by 40 ms pauses, repeated digits included', () => {
    const dialled = '1155*#00DD';
    expect(digits(detect(g711(inbandDtmf(dialled, { toneMs: 40, gapMs: 40, levelDbfs: -15 }), 'pcmu')))).toBe(dialled);
  });

  it('rejects tones shorter than 23 ms, at every alignment', () => {
    for (let lead = 0; lead < 40; lead += 5) {
      for (const ms of [15, 20, 22]) {
        const x = concat(silence(lead / 8 + 30), inbandDtmf('8', { toneMs: ms }), silence(100));
        expect(detect(x)).toEqual([]);
      }
    }
  });

  it('does not split a digit at a drop-out of 10 ms, with or without phase continuity', () => {
    const cut = inbandDtmf('9', { toneMs: 130 });
    cut.fill(0, 480, 560); // 10 ms of silence inside a continuous tone
    expect(digits(detect(cut))).toBe('9');
    const bursts = inbandDtmf('99', { toneMs: 60, gapMs: 10 }); // two bursts, each from phase 0
    const found = detect(bursts);
    expect(digits(found)).toBe('9');
    expect(found[0]!.durationMs).toBeGreaterThanOrEqual(120);
  });

  it('splits a repeated digit at a 40 ms pause', () => {
    expect(digits(detect(inbandDtmf('99', { toneMs: 60, gapMs: 40 })))).toBe('99');
  });

  it('starts a new digit when another follows without a pause', () => {
    expect(digits(detect(concat(inbandDtmf('4', { toneMs: 80 }), inbandDtmf('6', { toneMs: 80 }))))).toBe('46');
  });
});

describe('InbandDtmfDetector: frequency, twist and level', () => {
  it('accepts a deviation of 1.5 % and rejects 3.5 %, on either tone, either way', () => {
    for (const sign of [-1, 1]) {
      for (let r = 0; r < 4; r++) {
        const row = DTMF_ROW_HZ[r]!;
        const col = DTMF_COLUMN_HZ[r]!;
        expect(digits(detect(pair(row * (1 + sign * 0.015), col, 60)))).toHaveLength(1);
        expect(digits(detect(pair(row, col * (1 + sign * 0.015), 60)))).toHaveLength(1);
        expect(detect(pair(row * (1 + sign * 0.035), col, 60))).toEqual([]);
        expect(detect(pair(row, col * (1 + sign * 0.035), 60))).toEqual([]);
      }
    }
  });

  it('accepts a normal twist of 8 dB and a reverse twist of 4 dB; rejects 12 dB and 8 dB', () => {
    const normal8 = detect(pair(852, 1336, 60, -8, -16));
    expect(digits(normal8)).toBe('8');
    expect(normal8[0]!.twistDb).toBeCloseTo(8, 0);
    expect(normal8[0]!.levelDbfs).toBeCloseTo(-8, 0);
    expect(digits(detect(pair(852, 1336, 60, -14, -10)))).toBe('8');
    expect(detect(pair(852, 1336, 60, -6, -18))).toEqual([]);
    expect(detect(pair(852, 1336, 60, -18, -10))).toEqual([]);
    expect(analyzeDtmfBlock(pair(852, 1336, 60, -6, -18), 400).verdict).toBe('twist');
  });

  it('detects −25 dBm0 per tone (−28.2 dBFS) and ignores tones below the floor', () => {
    const dbfs = -25 - 3.17;
    expect(digits(detect(g711(inbandDtmf(ALL, { toneMs: 50, gapMs: 50, levelDbfs: dbfs }), 'pcma')))).toBe(ALL);
    expect(detect(g711(inbandDtmf(ALL, { toneMs: 50, gapMs: 50, levelDbfs: -40 }), 'pcma'))).toEqual([]);
    expect(digits(detect(inbandDtmf('2', { levelDbfs: -40 }), [160], { minLevelDbfs: -45 }))).toBe('2');
  });

  it('detects every digit at 15 dB S/N (white noise against the pair), 40 ms tones, µ-law', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const x = concat(silence(40), inbandDtmf(ALL, { toneMs: 40, gapMs: 60, levelDbfs: -16 }), silence(40));
      const pairPower = 2 * (32768 * 10 ** (-16 / 20)) ** 2 / 2;
      addNoise(x, pairPower / 10 ** 1.5, seed);
      expect(digits(detect(g711(x, 'pcmu')))).toBe(ALL);
    }
  });

  it('takes a musical note with its second harmonic for what it is, not a digit', () => {
    // A note at 832 Hz with its octave 7 dB down: within 2.5 % of 'C' (852 + 1633 Hz).
    const note = pair(832, 1664, 120, -10, -17);
    expect(analyzeDtmfBlock(note, 600).verdict).toBe('harmonic');
    expect(detect(note)).toEqual([]);
  });
});

describe('InbandDtmfDetector: timeline', () => {
  it('places digits by atMs, and a jump of atMs is a pause', () => {
    const tone = inbandDtmf('1', { toneMs: 100 });
    const rx = new InbandDtmfDetector();
    const out: DetectedDtmfDigit[] = [];
    const send = (pcm: Int16Array, atMs: number): void => {
      frames(pcm, [160]).forEach((f, i) => out.push(...rx.push(f, atMs + i * 20)));
    };
    send(tone, 5000);
    send(tone, 5200); // 100 ms later than the first ended: a lost stretch, silence
    send(g711(concat(tone, silence(100)), 'none'), 5300); // contiguous with the second
    out.push(...rx.flush());
    expect(digits(out)).toBe('11');
    expect(Math.abs(out[0]!.startMs - 5000)).toBeLessThanOrEqual(10);
    expect(Math.abs(out[1]!.startMs - 5200)).toBeLessThanOrEqual(10);
    expect(out[1]!.durationMs).toBeGreaterThan(190);
  });

  it('ends the digit being heard when the timeline jumps more than 10 s', () => {
    const rx = new InbandDtmfDetector();
    const tone = inbandDtmf('D', { toneMs: 100 });
    expect(rx.push(tone, 0)).toEqual([]);
    const after = rx.push(inbandDtmf('A', { toneMs: 100 }), 60_000);
    expect(digits(after)).toBe('D');
    const last = rx.flush();
    expect(digits(last)).toBe('A');
    expect(Math.abs(last[0]!.startMs - 60_000)).toBeLessThanOrEqual(10);
  });

  it('drops samples that overlap what was already received', () => {
    const pcm = g711(concat(inbandDtmf('3', { toneMs: 100 }), silence(100)), 'none');
    const rx = new InbandDtmfDetector();
    const found = [...rx.push(pcm.subarray(0, 480), 0), ...rx.push(pcm.subarray(320), 40), ...rx.flush()]; // the second starts 20 ms before the first ended
    expect(digits(found)).toBe('3');
    const d = found[0];
    expect(d!.durationMs).toBeGreaterThanOrEqual(95);
    expect(d!.durationMs).toBeLessThanOrEqual(105);
  });
});

describe('InbandDtmfDetector: options', () => {
  it('refuses bad options with DtmfError invalid-option', () => {
    const bad: DtmfDetectorOptions[] = [{ minToneMs: -1 }, { minPauseMs: Number.NaN }, { minLevelDbfs: 1 }, { normalTwistDb: -2 }, { maxDeviation: 0.6 }, { minShare: 1.5 }, { minPeakShare: -0.1 }];
    for (const o of bad) {
      try {
        new InbandDtmfDetector(o);
        expect.unreachable(JSON.stringify(o));
      } catch (err) {
        expect(err).toBeInstanceOf(DtmfError);
        expect((err as DtmfError).code).toBe('invalid-option');
      }
    }
  });

  it('follows minToneMs and minPauseMs', () => {
    const long = inbandDtmf('6', { toneMs: 60 });
    expect(detect(long, [160], { minToneMs: 100 })).toEqual([]);
    expect(digits(detect(inbandDtmf('66', { toneMs: 60, gapMs: 40 }), [160], { minPauseMs: 80 }))).toBe('6');
    expect(digits(detect(inbandDtmf('66', { toneMs: 60, gapMs: 90 }), [160], { minPauseMs: 80 }))).toBe('66');
  });
});

describe('InbandDtmfDetector: false digits', () => {
  it('hears nothing in silence or white noise at any level', () => {
    expect(detect(new Int16Array(8000 * 10))).toEqual([]);
    for (const dbfs of [-50, -30, -15, -6]) {
      const x = noise(8000 * 15, (32768 * 10 ** (dbfs / 20)) ** 2 / 2, 100 - dbfs);
      expect(detect(g711(x, 'pcmu'))).toEqual([]);
    }
  });

  it('talk-off: no digit in 3 minutes of speech-like audio (µ-law, −10 to −20 dBFS)', () => {
    let found = 0;
    for (const [seed, dbfs] of [[11, -10], [12, -15], [13, -20]] as const) found += detect(g711(speechLike(60_000, seed, dbfs), 'pcmu')).length;
    expect(found).toBe(0);
  });

  it('talk-off: at most 4 digits in 3 minutes of music-like audio (µ-law, −10 to −20 dBFS), each a two-note chord', () => {
    // Music can hold two notes within 2.5 % of a Q.23 pair with weak harmonics: that is a digit to
    // any receiver. These seeds give 4 (G5 + F♯6, A♯5 + E6, A♯5 + F♯6, A♯5 + G♯6).
    const found: DetectedDtmfDigit[] = [];
    for (const [seed, dbfs] of [[21, -10], [22, -15], [23, -20]] as const) found.push(...detect(g711(musicLike(60_000, seed, dbfs), 'pcmu')));
    expect(found.length).toBeLessThanOrEqual(4);
    const onNote = (hz: number): boolean => Math.abs(12 * Math.log2(hz / 110) - Math.round(12 * Math.log2(hz / 110))) < 0.05;
    for (const d of found) expect(onNote(d.rowHz) && onNote(d.columnHz)).toBe(true);
  });
});
