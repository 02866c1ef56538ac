// The G.107 E-model against values worked out by hand from the standard: the default connection
// (R 93.2, MOS 4.41, G.107 §7.7), the G.711 loss formula Ie,eff = 95·Ppl/(Ppl/BurstR + Bpl), the
// absolute-delay impairment Idd, the MOS polynomial of Annex B and the G.109 categories; the
// examples of the TSDoc; and the typed errors.
import { describe, expect, it } from 'vitest';
import { categoryOf, CODEC_IMPAIRMENTS, eModel, G107_DEFAULTS, MAX_DELAY_MS, mosFromR, QualityError } from '../../../src/media/quality/e-model.js';
import { thrown } from '../helpers.js';

const rated = (lossPercent: number, delayMs: number, extra: Partial<Parameters<typeof eModel>[0]> = {}) => eModel({ codec: 'PCMU', lossPercent, delayMs, ...extra });

describe('eModel: known values', () => {
  it('rates the default connection (G.107 §7.7) R 93.2, MOS 4.41: Ro 94.77, Is 1.41, Id 0.15 (listener echo only)', () => {
    const r = rated(0, 0);
    expect(r.ro).toBeCloseTo(94.77, 2);
    expect(r.is).toBeCloseTo(1.41, 2);
    expect(r.idte).toBe(0);
    expect(r.idd).toBe(0);
    expect(r.idle).toBeCloseTo(0.15, 2);
    expect(r.ieEff).toBe(0);
    expect(r.a).toBe(0);
    expect(r.r).toBeCloseTo(93.2, 1);
    expect(r.r).toBeCloseTo(r.ro - r.is - r.id - r.ieEff + r.a, 10);
    expect(r.mos).toBeCloseTo(4.41, 2);
    expect(r.category).toBe('best');
    expect(r.outsideRange).toEqual([]);
    expect(r.inputs).toEqual({ codec: 'PCMU', plc: false, ie: 0, bpl: 4.3, ppl: 0, burstR: 1, ta: 0, t: 0, tr: 0 });
  });

  it('the TSDoc example: PCMU, 1 % loss, 80 ms → R 73.16, MOS 3.74', () => {
    const r = rated(1, 80);
    expect(r.ro).toBeCloseTo(94.77, 2);
    expect(r.is).toBeCloseTo(1.41, 2);
    expect(r.id).toBeCloseTo(2.27, 2);
    expect(r.ieEff).toBeCloseTo(17.92, 2);
    expect(r.r).toBeCloseTo(73.16, 2);
    expect(r.mos).toBeCloseTo(3.74, 2);
    expect(r.category).toBe('medium');
  });

  it('G.711 without PLC: Ie,eff = 95·Ppl/(Ppl/BurstR + 4.3); with PLC, Bpl 25.1', () => {
    for (const ppl of [0, 0.5, 1, 2, 5, 10, 20, 50, 100]) {
      for (const burstR of [1, 1.5, 2, 4, 8]) {
        expect(rated(ppl, 40, { burstRatio: burstR }).ieEff).toBeCloseTo((95 * ppl) / (ppl / burstR + 4.3), 10);
        expect(rated(ppl, 40, { burstRatio: burstR, plc: true }).ieEff).toBeCloseTo((95 * ppl) / (ppl / burstR + 25.1), 10);
      }
    }
    expect(rated(1, 0).ieEff).toBeCloseTo(17.92, 2);
    expect(rated(1, 0, { plc: true }).ieEff).toBeCloseTo(3.64, 2);
    // Loss and codec touch only Ie,eff: R moves by exactly its change.
    expect(rated(0, 40).r - rated(3, 40, { burstRatio: 2 }).r).toBeCloseTo((95 * 3) / (3 / 2 + 4.3), 10);
  });

  it('the absolute-delay impairment Idd: 0 up to 100 ms, 3.04 at 200 ms, 24.07 at 400 ms (X = log2(Ta/100))', () => {
    expect(rated(0, 100).idd).toBe(0);
    expect(rated(0, 200).idd).toBeCloseTo(25 * (2 ** (1 / 6) - 3 * (1 + (1 / 3) ** 6) ** (1 / 6) + 2), 10);
    expect(rated(0, 200).idd).toBeCloseTo(3.04, 2);
    expect(rated(0, 400).idd).toBeCloseTo(24.07, 2);
    expect(rated(0, 400).category).toBe('low');
  });

  it('echo paths follow the one delay: T = Ta, Tr = 2·Ta; talker echo is 0 below T = 1 ms and never negative', () => {
    const r = rated(0, 150);
    expect(r.inputs).toMatchObject({ ta: 150, t: 150, tr: 300 });
    expect(r.idte).toBeGreaterThan(0);
    for (const t of [0, 0.5, 0.99, 1, 2, 3, 4, 5]) expect(rated(0, t).idte).toBeGreaterThanOrEqual(0);
    // G.107's formula would give −0.11 at T = 1 ms; floored, R does not jump up there.
    expect(rated(0, 1).r).toBeLessThanOrEqual(rated(0, 0.99).r);
  });

  it('a known codec by name in any case, or any codec with ie and bpl', () => {
    expect(CODEC_IMPAIRMENTS.PCMA).toEqual({ ie: 0, bplWithoutPlc: 4.3, bplWithPlc: 25.1 });
    expect(eModel({ codec: ' pcma ', lossPercent: 2, delayMs: 40 }).r).toBeCloseTo(rated(2, 40).r, 12);
    // G.729A's planning values (G.113 Appendix I): Ie 11, Bpl 19.
    const g729 = eModel({ codec: 'G729', ie: 11, bpl: 19, lossPercent: 0, delayMs: 40 });
    expect(g729.ieEff).toBe(11);
    expect(g729.r).toBeCloseTo(rated(0, 40).r - 11, 10);
    expect(eModel({ ie: 0, bpl: 4.3, lossPercent: 1, delayMs: 80 }).r).toBeCloseTo(73.16, 2);
  });

  it('a burst ratio below 1 is rated as random loss', () => {
    expect(rated(5, 40, { burstRatio: 0.9 }).r).toBe(rated(5, 40).r);
    expect(rated(5, 40, { burstRatio: 0.9 }).inputs.burstR).toBe(1);
  });

  it('says when inputs leave G.107\'s validated ranges', () => {
    expect(rated(25, 600, { burstRatio: 9 }).outsideRange).toHaveLength(3);
    expect(rated(20, 500, { burstRatio: 8 }).outsideRange).toEqual([]);
  });

  it('keeps G.107\'s default parameters, frozen', () => {
    expect(G107_DEFAULTS).toMatchObject({ SLR: 8, RLR: 2, STMR: 15, LSTR: 18, Ds: 3, Dr: 3, TELR: 65, WEPL: 110, qdu: 1, Nc: -70, Nfor: -64, Ps: 35, Pr: 35, A: 0, mT: 100, sT: 1 });
    expect(Object.isFrozen(G107_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(CODEC_IMPAIRMENTS)).toBe(true);
  });
});

describe('mosFromR and categoryOf', () => {
  it('follows G.107 Annex B: 1 at or below 0, 4.5 at or above 100, the polynomial between, floored at 1', () => {
    expect(mosFromR(-20)).toBe(1);
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(3)).toBe(1); // the polynomial gives 0.99 here
    expect(mosFromR(50)).toBeCloseTo(2.575, 12);
    expect(mosFromR(60)).toBeCloseTo(3.1, 12);
    expect(mosFromR(70)).toBeCloseTo(3.597, 12);
    expect(mosFromR(80)).toBeCloseTo(4.024, 12);
    expect(mosFromR(93.2)).toBeCloseTo(4.41, 2);
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(120)).toBe(4.5);
    expect(mosFromR(-Infinity)).toBe(1);
    expect(mosFromR(Infinity)).toBe(4.5);
    expect(thrown(QualityError, 'QualityError', () => mosFromR(Number.NaN)).code).toBe('bad-input');
  });

  it('G.109 categories at their boundaries', () => {
    expect([100, 90, 89.99, 80, 79.99, 70, 69.99, 60, 59.99, 50, 49.99, 0].map(categoryOf)).toEqual([
      'best', 'best', 'high', 'high', 'medium', 'medium', 'low', 'low', 'poor', 'poor', 'not recommended', 'not recommended',
    ]);
  });
});

describe('eModel: refused inputs', () => {
  const bad = (input: Parameters<typeof eModel>[0]): QualityError => thrown(QualityError, 'QualityError', () => eModel(input));

  it('bad-input for a number that is not finite, negative or out of range, never NaN', () => {
    for (const lossPercent of [-1, 100.01, Number.NaN, Infinity]) expect(bad({ codec: 'PCMU', lossPercent, delayMs: 40 }).code).toBe('bad-input');
    for (const delayMs of [-0.1, MAX_DELAY_MS + 1, Number.NaN, -Infinity]) expect(bad({ codec: 'PCMU', lossPercent: 0, delayMs }).code).toBe('bad-input');
    for (const burstRatio of [0, -1, Number.NaN, Infinity]) expect(bad({ codec: 'PCMU', lossPercent: 1, delayMs: 40, burstRatio }).code).toBe('bad-input');
    expect(bad({ codec: 'PCMU', lossPercent: 1, delayMs: 40, ie: 96 }).code).toBe('bad-input');
    expect(bad({ codec: 'PCMU', lossPercent: 1, delayMs: 40, bpl: 0 }).code).toBe('bad-input');
    expect(bad({ codec: 'PCMU', lossPercent: '5' as unknown as number, delayMs: 40 }).code).toBe('bad-input');
    const e = bad({ codec: 'PCMU', lossPercent: -1, delayMs: 40 });
    expect(e.message).toBe('lossPercent must be within 0–100, got -1 (bad-input)');
  });

  it('unknown-codec for a codec without ie and bpl, or none', () => {
    expect(bad({ codec: 'G729', lossPercent: 0, delayMs: 40 }).code).toBe('unknown-codec');
    expect(bad({ codec: 'G729', ie: 11, lossPercent: 0, delayMs: 40 }).code).toBe('unknown-codec');
    expect(bad({ lossPercent: 0, delayMs: 40 }).message).toContain('no codec given');
  });

  it('the limits of the input are accepted: 0 and 100 % loss, 0 and MAX_DELAY_MS', () => {
    expect(rated(100, MAX_DELAY_MS, { burstRatio: 1e9 }).mos).toBe(1);
    expect(Number.isFinite(rated(100, MAX_DELAY_MS, { burstRatio: 1e9 }).r)).toBe(true);
    expect(rated(0, 0).mos).toBeGreaterThan(4.4);
  });
});
