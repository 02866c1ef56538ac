// assessQuality (the E-model fed with a call's measurements, Ta from its parts) and
// checkMediaLimits (CheckMedia's limits, their texts and summary, and the limits it refuses).
import { describe, expect, it } from 'vitest';
import { eModel, QualityError } from '../../../src/media/quality/e-model.js';
import {
  assessQuality,
  checkMediaLimits,
  DEFAULT_NETWORK_DELAY_MS,
  jitterBufferMs,
  MIN_JITTER_BUFFER_MS,
  PACKETISATION_DELAY_MS,
  type MediaLimits,
  type MediaMeasurement,
} from '../../../src/media/quality/quality.js';
import { thrown } from '../helpers.js';

const clean: MediaMeasurement = { codec: 'PCMU', packetsReceived: 1000, packetsSent: 1000, lost: 0, lossPercent: 0, jitterMs: 1, burstRatio: 1, roundTripMs: undefined, direction: 'sendrecv' };
const with_ = (extra: Partial<MediaMeasurement>): MediaMeasurement => ({ ...clean, ...extra });
const code = (fn: () => unknown): string => thrown(QualityError, 'QualityError', fn).code;

describe('assessQuality', () => {
  it('forms Ta from packetisation 20 ms, a jitter buffer of max(20, 2 × jitter) and the assumed network delay (0)', () => {
    expect([PACKETISATION_DELAY_MS, MIN_JITTER_BUFFER_MS, DEFAULT_NETWORK_DELAY_MS]).toEqual([20, 20, 0]);
    const q = assessQuality(clean);
    expect(q).toMatchObject({ delayMs: 40, delayFrom: 'assumed', jitterBufferMs: 20, networkDelayMs: 0, lossPercent: 0, burstRatio: 1, jitterMs: 1 });
    expect(q.r).toBeCloseTo(92.0, 1);
    expect(q.mos).toBeCloseTo(4.38, 2);
    expect(q.category).toBe('best');
    expect(q.r).toBe(eModel({ codec: 'PCMU', lossPercent: 0, delayMs: 40 }).r);
    expect(assessQuality(with_({ jitterMs: 15 })).delayMs).toBe(20 + 30);
    expect(assessQuality(clean, { assumedNetworkDelayMs: 100 })).toMatchObject({ delayMs: 140, delayFrom: 'assumed', networkDelayMs: 100 });
    expect(jitterBufferMs(0)).toBe(20);
    expect(jitterBufferMs(10)).toBe(20);
    expect(jitterBufferMs(12.5)).toBe(25);
  });

  it('takes the network delay as half the RTCP round-trip time when there is one, whatever is assumed', () => {
    const q = assessQuality(with_({ roundTripMs: 120 }), { assumedNetworkDelayMs: 5 });
    expect(q).toMatchObject({ delayMs: 100, delayFrom: 'rtcp', networkDelayMs: 60 });
    expect(assessQuality(with_({ roundTripMs: 0 }))).toMatchObject({ delayMs: 40, delayFrom: 'rtcp' });
  });

  it('the TSDoc example: 1 % random loss, jitter 2 ms → Ta 40 ms, R 74.07, MOS 3.78', () => {
    const q = assessQuality({ codec: 'PCMU', packetsReceived: 990, packetsSent: 1000, lost: 10, lossPercent: 1, jitterMs: 2, burstRatio: 1, roundTripMs: undefined });
    expect(q.delayMs).toBe(40);
    expect(q.r).toBeCloseTo(74.07, 2);
    expect(q.mos).toBeCloseTo(3.78, 2);
    expect(q.category).toBe('medium');
  });

  it('uses the burst ratio (at least 1) and the PLC option', () => {
    const lossy = with_({ lost: 50, lossPercent: 5, packetsReceived: 950 });
    const random = assessQuality(lossy);
    const bursty = assessQuality({ ...lossy, burstRatio: 3 });
    expect(bursty.mos).toBeLessThan(random.mos);
    expect(bursty.model.ieEff).toBeCloseTo((95 * 5) / (5 / 3 + 4.3), 10);
    expect(assessQuality({ ...lossy, burstRatio: 0.8 }).burstRatio).toBe(1);
    const concealed = assessQuality(lossy, { plc: true });
    expect(concealed.model.inputs.bpl).toBe(25.1);
    expect(concealed.mos).toBeGreaterThan(random.mos);
  });

  it('not-measured when nothing was received; unknown-codec without a G.711 codec', () => {
    expect(code(() => assessQuality(with_({ packetsReceived: 0 })))).toBe('not-measured');
    expect(code(() => assessQuality(with_({ codec: 'G722' })))).toBe('unknown-codec');
    expect(code(() => assessQuality(with_({ codec: undefined })))).toBe('unknown-codec');
    expect(assessQuality(with_({ codec: 'pcma' })).r).toBe(assessQuality(clean).r);
  });

  it('bad-input for a measurement or option that is not a usable number, never NaN', () => {
    const bads: Partial<MediaMeasurement>[] = [
      { packetsReceived: -1 },
      { packetsReceived: 1.5 },
      { lost: Number.NaN },
      { packetsSent: -3 },
      { lossPercent: 101 },
      { lossPercent: Number.NaN },
      { jitterMs: -1 },
      { jitterMs: Infinity },
      { burstRatio: -1 },
      { roundTripMs: -5 },
      { roundTripMs: Number.NaN },
      { codec: 7 as unknown as string },
    ];
    for (const b of bads) expect(code(() => assessQuality(with_(b)))).toBe('bad-input');
    expect(code(() => assessQuality(clean, { assumedNetworkDelayMs: -1 }))).toBe('bad-input');
    expect(code(() => assessQuality(clean, { plc: 'yes' as unknown as boolean }))).toBe('bad-input');
    expect(code(() => assessQuality(null as unknown as MediaMeasurement))).toBe('bad-input');
  });

  it('caps an absurd delay at MAX_DELAY_MS rather than refusing it: MOS 1', () => {
    const q = assessQuality(with_({ jitterMs: 1e7 }));
    expect(q.delayMs).toBe(3_600_000);
    expect(q.mos).toBe(1);
  });
});

describe('checkMediaLimits', () => {
  it('passes every limit that holds, with the measured value beside each, in the order of the limits', () => {
    const result = checkMediaLimits(with_({ jitterMs: 3.14159 }), { codec: 'pcmu', minPacketsReceived: 100, maxLossPercent: 5, maxJitterMs: 30, minMos: 3.5, direction: 'sendrecv' });
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => [c.name, c.limit, c.measured, c.ok])).toEqual([
      ['codec', 'pcmu', 'PCMU', true],
      ['minPacketsReceived', 100, 1000, true],
      ['maxLossPercent', 5, 0, true],
      ['maxJitterMs', 30, 3.14159, true],
      ['minMos', 3.5, result.assessment!.mos, true],
      ['direction', 'sendrecv', 'sendrecv', true],
    ]);
    expect(result.summary).toBe('codec PCMU = pcmu; packets received 1000 ≥ min 100; loss 0 % ≤ max 5 %; jitter 3.1 ms ≤ max 30 ms; MOS 4.38 ≥ min 3.5 (R 92.0, delay 40 ms assumed); direction sendrecv = sendrecv');
  });

  it('puts the failed checks first in the summary', () => {
    const m = with_({ packetsReceived: 175, packetsSent: 200, lost: 25, lossPercent: 12.5, jitterMs: 3.1, burstRatio: 2.5, roundTripMs: 30, direction: 'recvonly' });
    const result = checkMediaLimits(m, { codec: 'PCMA', minPacketsReceived: 100, maxLossPercent: 5, maxJitterMs: 2, minMos: 3.5, direction: 'sendrecv' });
    expect(result.ok).toBe(false);
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['codec', 'maxLossPercent', 'maxJitterMs', 'minMos', 'direction']);
    const q = result.assessment!;
    expect(q.delayMs).toBe(55);
    expect(result.summary).toBe(
      `codec PCMU ≠ PCMA; loss 12.5 % > max 5 %; jitter 3.1 ms > max 2 ms; MOS ${q.mos.toFixed(2)} < min 3.5 (R ${q.r.toFixed(1)}, loss 12.5 %, burst ratio 2.5, delay 55 ms from RTCP); direction recvonly ≠ sendrecv; packets received 175 ≥ min 100`,
    );
    expect(q.mos).toBeLessThan(1.5);
  });

  it('the TSDoc example', () => {
    const result = checkMediaLimits({ codec: 'PCMU', packetsReceived: 175, packetsSent: 200, lost: 25, lossPercent: 12.5, jitterMs: 3.1, burstRatio: 1, roundTripMs: undefined }, { codec: 'pcmu', maxLossPercent: 5, maxJitterMs: 30 });
    expect(result.ok).toBe(false);
    expect(result.summary).toBe('loss 12.5 % > max 5 %; codec PCMU = pcmu; jitter 3.1 ms ≤ max 30 ms');
  });

  it('shows more digits where rounding would make a failed value look equal to its limit', () => {
    expect(checkMediaLimits(with_({ lossPercent: 5.004, lost: 50, packetsReceived: 950 }), { maxLossPercent: 5 }).summary).toBe('loss 5.004 % > max 5 %');
    expect(checkMediaLimits(with_({ jitterMs: 30.04 }), { maxJitterMs: 30 }).summary).toBe('jitter 30.04 ms > max 30 ms');
    expect(checkMediaLimits(with_({ jitterMs: 30 }), { maxJitterMs: 30 }).summary).toBe('jitter 30 ms ≤ max 30 ms');
    expect(checkMediaLimits(with_({ lossPercent: 0.001, lost: 1, packetsReceived: 99999 }), { maxLossPercent: 0 }).summary).toBe('loss 0.001 % > max 0 %');
  });

  it('with no packet received, minMos fails with nothing measured (no throw), and the assessment is undefined', () => {
    const result = checkMediaLimits(with_({ packetsReceived: 0, jitterMs: 0 }), { minMos: 3, minPacketsReceived: 1, maxLossPercent: 1 });
    expect(result.ok).toBe(false);
    expect(result.assessment).toBeUndefined();
    expect(result.checks.find((c) => c.name === 'minMos')).toEqual({ name: 'minMos', limit: 3, measured: undefined, ok: false, text: 'MOS not measured (no RTP received), min 3' });
    expect(result.summary).toBe('packets received 0 < min 1; MOS not measured (no RTP received), min 3; loss 0 % ≤ max 1 %');
  });

  it('a codec without E-model values fails minMos the same way; a missing codec or direction fails its check', () => {
    const g722 = checkMediaLimits(with_({ codec: 'G722' }), { minMos: 3, codec: 'g722' });
    expect(g722.checks.map((c) => c.ok)).toEqual([true, false]);
    expect(g722.checks[1]!.text).toBe('MOS not measured (the E-model has no values for codec G722), min 3');
    const none = checkMediaLimits(with_({ codec: undefined, direction: undefined }), { codec: 'PCMU', direction: 'inactive', minMos: 1 });
    expect(none.summary).toBe('codec (none) ≠ PCMU; MOS not measured (no codec negotiated), min 1; direction (none) ≠ inactive');
  });

  it('with no limits, passes and says so; the assessment is made anyway', () => {
    const result = checkMediaLimits(clean, {});
    expect(result).toMatchObject({ ok: true, checks: [], summary: 'no limits given' });
    expect(result.assessment?.delayMs).toBe(40);
  });

  it('bad-limit for a limit that is not a usable value', () => {
    const bads: MediaLimits[] = [
      { minPacketsReceived: -1 },
      { minPacketsReceived: 2.5 },
      { minPacketsReceived: Number.NaN },
      { maxLossPercent: -0.1 },
      { maxLossPercent: 100.5 },
      { maxLossPercent: Number.NaN },
      { maxJitterMs: -1 },
      { maxJitterMs: Infinity },
      { minMos: 0.9 },
      { minMos: 4.6 },
      { minMos: Number.NaN },
      { minMos: '4' as unknown as number },
      { codec: '' },
      { codec: '  ' },
      { codec: 0 as unknown as string },
      { direction: 'both' as MediaLimits['direction'] },
      { direction: 'SENDRECV' as MediaLimits['direction'] },
    ];
    for (const limits of bads) expect(code(() => checkMediaLimits(clean, limits)), JSON.stringify(limits)).toBe('bad-limit');
    expect(code(() => checkMediaLimits(clean, null as unknown as MediaLimits))).toBe('bad-limit');
    expect(thrown(QualityError, 'QualityError', () => checkMediaLimits(clean, { minMos: 5 })).message).toBe('minMos must be a number within 1–4.5, got 5 (bad-limit)');
    // the edges are usable
    expect(checkMediaLimits(clean, { minPacketsReceived: 0, maxLossPercent: 0, maxJitterMs: 0, minMos: 1 }).checks).toHaveLength(4);
    expect(checkMediaLimits(clean, { maxLossPercent: 100, minMos: 4.5 }).checks.map((c) => c.ok)).toEqual([true, false]);
  });

  it('bad-input for a measurement that is not usable', () => {
    expect(code(() => checkMediaLimits(with_({ lossPercent: -2 }), { maxLossPercent: 5 }))).toBe('bad-input');
  });
});
