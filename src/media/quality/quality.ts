// What one call's received media was worth: the ITU-T G.107 E-model (e-model.ts) fed with what the
// RTP engine measured (RFC 3550 loss and interarrival jitter, the burst ratio of burst.ts, the
// RTCP round-trip time), and the limits a scenario's CheckMedia step puts on those measurements.
// Pure.
//
// The mouth-to-ear delay Ta the E-model needs is not measured; it is formed from its parts:
//
//   Ta = packetisation (20 ms) + jitter buffer (max(20 ms, 2 × jitter)) + one-way network delay
//
// where the network delay is half the RTCP round-trip time (RFC 3550 §6.4.1) when the peer's
// reports gave one, and otherwise an assumed value, 0 ms by default (see DEFAULT_NETWORK_DELAY_MS).

import { checkNumber, eModel, MAX_DELAY_MS, QualityError, type EModelResult, type QualityCategory } from './e-model.js';

/**
 * Packetisation delay of the streams sipflow handles, ms: a G.711 packet carries 20 ms of audio
 * (RFC 3551 §4.5.14's default ptime), so its first sample waits 20 ms before the packet can be sent.
 *
 * @example
 * ```ts
 * PACKETISATION_DELAY_MS; // 20
 * ```
 */
export const PACKETISATION_DELAY_MS = 20;

/**
 * The smallest jitter buffer assumed, ms: one 20 ms packet. A receiver holds at least one packet
 * however regular the stream, so even a jitter-free stream adds this much delay.
 *
 * @example
 * ```ts
 * jitterBufferMs(3); // 20: the minimum
 * ```
 */
export const MIN_JITTER_BUFFER_MS = 20;

/**
 * The one-way network delay assumed when RTCP gave no round-trip time, ms: 0.
 *
 * Why 0: sipflow cannot know the path's delay without the peer's RTCP, and any other number would
 * be a guess presented as a measurement. The cost of the guess is small: below 100 ms of
 * mouth-to-ear delay G.107 charges no absolute-delay impairment (Idd), and with the default,
 * well-cancelled echo (TELR 65 dB) the echo terms change R by less than 1 point per 50 ms, so an
 * unmeasured LAN or loopback path (a few ms) is rated as it is; a long path whose delay matters is
 * one whose peer should send RTCP, or whose delay can be given as `assumedNetworkDelayMs`. The
 * assessment says `delayFrom: 'assumed'` either way.
 *
 * @example
 * ```ts
 * assessQuality(measured).delayMs; // 20 + max(20, 2 × jitter) + 0 when the peer sent no RTCP
 * ```
 */
export const DEFAULT_NETWORK_DELAY_MS = 0;

/**
 * The delay of the jitter buffer assumed for a stream with this RFC 3550 interarrival jitter, ms:
 * max(20, 2 × jitterMs). The RFC 3550 A.8 estimate is a smoothed mean deviation of the transit
 * time; an adaptive buffer sized to twice it absorbs most of the variation. This is a common
 * planning rule of thumb, not a standard's value; the buffer is never less than one packet.
 *
 * @throws QualityError `bad-input` for a jitter that is not a finite number ≥ 0.
 *
 * @example
 * ```ts
 * jitterBufferMs(3);  // 20
 * jitterBufferMs(15); // 30
 * ```
 */
export function jitterBufferMs(jitterMs: number): number {
  return Math.max(MIN_JITTER_BUFFER_MS, 2 * checkNumber('jitterMs', jitterMs, 0, Number.MAX_VALUE));
}

/**
 * What the engine measured on one call's received stream.
 *
 * @example
 * ```ts
 * const measured: MediaMeasurement = {
 *   codec: 'PCMU', packetsReceived: 495, packetsSent: 500, lost: 5, lossPercent: 1,
 *   jitterMs: 2.5, burstRatio: 1, roundTripMs: undefined, direction: 'sendrecv',
 * };
 * ```
 */
export interface MediaMeasurement {
  /** RTP encoding name of the negotiated codec (`PCMU`, `PCMA`); undefined when none was negotiated. */
  codec: string | undefined;
  /** RTP packets received and counted (RFC 3550 A.3 `received`, duplicates excluded). */
  packetsReceived: number;
  /** RTP packets we sent. */
  packetsSent: number;
  /** Packets lost in the received stream: expected − received (RFC 3550 A.3), at least 0. */
  lost: number;
  /** `lost` as a percentage of the packets expected (0–100). */
  lossPercent: number;
  /** Interarrival jitter of the received stream, ms (RFC 3550 A.8). */
  jitterMs: number;
  /** Burst ratio of the losses (G.107 §7.5; {@link BurstEstimator}): 1 for random loss or none. */
  burstRatio: number;
  /** Round-trip time from the peer's RTCP reports (RFC 3550 §6.4.1), ms; undefined without one. */
  roundTripMs: number | undefined;
  /** The negotiated SDP direction of our side (`sendrecv`, `sendonly`, `recvonly`, `inactive`). */
  direction?: string;
}

/**
 * Options of {@link assessQuality}.
 *
 * @example
 * ```ts
 * assessQuality(measured, { plc: true, assumedNetworkDelayMs: 40 });
 * ```
 */
export interface AssessOptions {
  /**
   * Rate the call as heard through a receiver that conceals lost packets (G.711 Appendix I:
   * Bpl 25.1 instead of 4.3). Default false: sipflow's own receiver plays a gap as silence.
   */
  plc?: boolean;
  /** One-way network delay to assume when RTCP gave no round-trip time, ms. Default {@link DEFAULT_NETWORK_DELAY_MS}. */
  assumedNetworkDelayMs?: number;
}

/**
 * The estimated quality of a call, with the numbers it came from.
 *
 * @example
 * ```ts
 * const q = assessQuality(measured);
 * console.log(`MOS ${q.mos.toFixed(2)} (${q.category}), delay ${q.delayMs} ms ${q.delayFrom}`);
 * ```
 */
export interface QualityAssessment {
  /** Estimated MOS-CQE (G.107 Annex B), 1–4.5. */
  mos: number;
  /** Transmission rating R (G.107 §7.1). */
  r: number;
  /** G.109 category of R. */
  category: QualityCategory;
  /** Mouth-to-ear delay Ta used, ms: packetisation + jitter buffer + one-way network delay. */
  delayMs: number;
  /** Whether the network part of the delay came from the RTCP round-trip time or was assumed. */
  delayFrom: 'rtcp' | 'assumed';
  /** The jitter buffer part of the delay, ms ({@link jitterBufferMs}). */
  jitterBufferMs: number;
  /** The network part of the delay, ms: half the round-trip time, or the assumed value. */
  networkDelayMs: number;
  /** Packet loss used, percent. */
  lossPercent: number;
  /** Burst ratio used: the measured one, at least 1 (G.107 defines none below). */
  burstRatio: number;
  /** Interarrival jitter measured, ms. */
  jitterMs: number;
  /** The E-model's full working. */
  model: EModelResult;
}

/**
 * Rates a call's received stream with the G.107 E-model (G.711 Ie 0; Bpl 4.3, or 25.1 with `plc`):
 * from its loss, the loss's burst ratio and the mouth-to-ear delay
 * Ta = 20 ms packetisation + max(20, 2·jitterMs) jitter buffer + one-way network delay, the last
 * being roundTripMs / 2 when the peer's RTCP gave a round-trip time and otherwise
 * `assumedNetworkDelayMs` (default 0, see {@link DEFAULT_NETWORK_DELAY_MS}). Ta is capped at
 * {@link MAX_DELAY_MS}, where the MOS is 1 anyway.
 *
 * @throws QualityError `not-measured` when no packet was received; `unknown-codec` for a codec
 *   other than PCMU/PCMA (or none); `bad-input` for a measurement or option that is not a usable
 *   number (negative, NaN, a loss above 100 %).
 *
 * @example
 * ```ts
 * const q = assessQuality({ codec: 'PCMU', packetsReceived: 990, packetsSent: 1000, lost: 10, lossPercent: 1,
 *   jitterMs: 2, burstRatio: 1, roundTripMs: undefined });
 * q.delayMs; // 40 (20 + 20 + 0, delayFrom 'assumed')
 * q.r;       // 74.07
 * q.mos;     // 3.78
 * ```
 */
export function assessQuality(m: MediaMeasurement, options: AssessOptions = {}): QualityAssessment {
  checkMeasurement(m);
  if (m.packetsReceived === 0) throw new QualityError('not-measured', 'no RTP packet was received: there is no stream to assess');
  const plc = options.plc ?? false;
  if (typeof plc !== 'boolean') throw new QualityError('bad-input', `plc must be a boolean, got ${String(plc)}`);
  const assumed = checkNumber('assumedNetworkDelayMs', options.assumedNetworkDelayMs ?? DEFAULT_NETWORK_DELAY_MS, 0, MAX_DELAY_MS);
  const buffer = jitterBufferMs(m.jitterMs);
  const fromRtcp = m.roundTripMs !== undefined;
  const network = fromRtcp ? m.roundTripMs! / 2 : assumed;
  const delayMs = Math.min(MAX_DELAY_MS, PACKETISATION_DELAY_MS + buffer + network);
  const burstRatio = Math.max(1, m.burstRatio);
  const model = eModel({ codec: m.codec, plc, lossPercent: m.lossPercent, burstRatio, delayMs });
  return {
    mos: model.mos,
    r: model.r,
    category: model.category,
    delayMs,
    delayFrom: fromRtcp ? 'rtcp' : 'assumed',
    jitterBufferMs: buffer,
    networkDelayMs: network,
    lossPercent: m.lossPercent,
    burstRatio,
    jitterMs: m.jitterMs,
    model,
  };
}

/** A measurement's numbers, or QualityError `bad-input`. */
function checkMeasurement(m: MediaMeasurement): void {
  if (typeof m !== 'object' || m === null) throw new QualityError('bad-input', `a media measurement must be an object, got ${String(m)}`);
  for (const name of ['packetsReceived', 'packetsSent', 'lost'] as const) {
    const v = m[name];
    if (!Number.isSafeInteger(v) || v < 0) throw new QualityError('bad-input', `${name} must be a non-negative integer, got ${String(v)}`);
  }
  checkNumber('lossPercent', m.lossPercent, 0, 100);
  checkNumber('jitterMs', m.jitterMs, 0, Number.MAX_VALUE);
  checkNumber('burstRatio', m.burstRatio, 0, Number.MAX_VALUE);
  if (m.roundTripMs !== undefined) checkNumber('roundTripMs', m.roundTripMs, 0, Number.MAX_VALUE);
  if (m.codec !== undefined && typeof m.codec !== 'string') throw new QualityError('bad-input', `codec must be a string, got ${String(m.codec)}`);
  if (m.direction !== undefined && typeof m.direction !== 'string') throw new QualityError('bad-input', `direction must be a string, got ${String(m.direction)}`);
}

/** The SDP directions (RFC 4566 §6, RFC 3264 §5.1). */
const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;

/**
 * Limits on a call's received media, each optional (the CheckMedia step's fields).
 *
 * @example
 * ```ts
 * const limits: MediaLimits = { codec: 'PCMU', minPacketsReceived: 100, maxLossPercent: 5, maxJitterMs: 30, minMos: 3.5 };
 * ```
 */
export interface MediaLimits {
  /** The codec the call must use, by RTP encoding name, any case. */
  codec?: string;
  /** At least this many RTP packets received (an integer ≥ 0). */
  minPacketsReceived?: number;
  /** At most this much loss, percent of the packets expected (0–100). */
  maxLossPercent?: number;
  /** At most this interarrival jitter, ms (≥ 0). */
  maxJitterMs?: number;
  /** At least this estimated MOS (1–4.5), see {@link assessQuality}. */
  minMos?: number;
  /** The direction our side must have, from the negotiated SDP. */
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

/**
 * One limit checked: the limit, what was measured, whether it held, and a sentence saying so.
 *
 * @example
 * ```ts
 * // { name: 'maxLossPercent', limit: 5, measured: 12.5, ok: false, text: 'loss 12.5 % > max 5 %' }
 * ```
 */
export interface MediaCheck {
  /** Which limit of {@link MediaLimits}. */
  name: 'codec' | 'minPacketsReceived' | 'maxLossPercent' | 'maxJitterMs' | 'minMos' | 'direction';
  /** The limit as given. */
  limit: string | number;
  /** What was measured; undefined when it could not be (no codec, no direction, no MOS without packets). */
  measured: string | number | undefined;
  /** Whether the limit held. */
  ok: boolean;
  /** The check in words, e.g. `loss 12.5 % > max 5 %` or `MOS 4.38 ≥ min 3.5 (R 92.0, delay 40 ms assumed)`. */
  text: string;
}

/**
 * Every limit checked.
 *
 * @example
 * ```ts
 * const result = checkMediaLimits(measured, { maxLossPercent: 5 });
 * if (!result.ok) throw new Error(result.summary);
 * ```
 */
export interface MediaCheckResult {
  /** Whether every limit held (true when no limit was given). */
  ok: boolean;
  /** One check per limit given, in the order of {@link MediaLimits}. */
  checks: MediaCheck[];
  /** The quality estimate, whenever one could be made (packets received, a G.711 codec), whether or not `minMos` was given. */
  assessment: QualityAssessment | undefined;
  /** Every check's text, failed ones first, joined by `; ` (`no limits given` when there were none). */
  summary: string;
}

/**
 * Checks a call's measured media against every limit given: codec (case-insensitive), packets
 * received, loss, jitter, estimated MOS ({@link assessQuality}, with its default options) and
 * direction. With no packet received, `minMos` fails with `measured` undefined (it does not
 * throw); so it does for a codec the E-model has no values for.
 *
 * @throws QualityError `bad-limit` for a limit that is not a usable value (a negative or
 *   non-integer packet count, a loss outside 0–100, a negative jitter, a MOS outside 1–4.5, NaN,
 *   an empty codec, an unknown direction); `bad-input` for a measurement that is not (see
 *   {@link assessQuality}).
 *
 * @example
 * ```ts
 * const result = checkMediaLimits(
 *   { codec: 'PCMU', packetsReceived: 175, packetsSent: 200, lost: 25, lossPercent: 12.5, jitterMs: 3.1, burstRatio: 1, roundTripMs: undefined },
 *   { codec: 'pcmu', maxLossPercent: 5, maxJitterMs: 30 },
 * );
 * result.ok;      // false
 * result.summary; // 'loss 12.5 % > max 5 %; codec PCMU = pcmu; jitter 3.1 ms ≤ max 30 ms'
 * ```
 */
export function checkMediaLimits(m: MediaMeasurement, limits: MediaLimits): MediaCheckResult {
  checkLimits(limits);
  checkMeasurement(m);
  let assessment: QualityAssessment | undefined;
  let unassessed = 'no RTP received';
  try {
    assessment = assessQuality(m);
  } catch (err) {
    if (!(err instanceof QualityError) || (err.code !== 'not-measured' && err.code !== 'unknown-codec')) throw err;
    if (err.code === 'unknown-codec') unassessed = m.codec === undefined ? 'no codec negotiated' : `the E-model has no values for codec ${m.codec}`;
  }
  const checks: MediaCheck[] = [];
  if (limits.codec !== undefined) {
    const measured = m.codec;
    const ok = measured !== undefined && measured.trim().toUpperCase() === limits.codec.trim().toUpperCase();
    checks.push({ name: 'codec', limit: limits.codec, measured, ok, text: `codec ${measured ?? '(none)'} ${ok ? '=' : '≠'} ${limits.codec}` });
  }
  if (limits.minPacketsReceived !== undefined) {
    const limit = limits.minPacketsReceived;
    const ok = m.packetsReceived >= limit;
    checks.push({ name: 'minPacketsReceived', limit, measured: m.packetsReceived, ok, text: `packets received ${m.packetsReceived} ${ok ? '≥' : '<'} min ${limit}` });
  }
  if (limits.maxLossPercent !== undefined) {
    const limit = limits.maxLossPercent;
    const ok = m.lossPercent <= limit;
    checks.push({ name: 'maxLossPercent', limit, measured: m.lossPercent, ok, text: `loss ${shown(m.lossPercent, limit, 2)} % ${ok ? '≤' : '>'} max ${limit} %` });
  }
  if (limits.maxJitterMs !== undefined) {
    const limit = limits.maxJitterMs;
    const ok = m.jitterMs <= limit;
    checks.push({ name: 'maxJitterMs', limit, measured: m.jitterMs, ok, text: `jitter ${shown(m.jitterMs, limit, 1)} ms ${ok ? '≤' : '>'} max ${limit} ms` });
  }
  if (limits.minMos !== undefined) {
    const limit = limits.minMos;
    if (assessment === undefined) {
      checks.push({ name: 'minMos', limit, measured: undefined, ok: false, text: `MOS not measured (${unassessed}), min ${limit}` });
    } else {
      const q = assessment;
      const ok = q.mos >= limit;
      const why = [`R ${q.r.toFixed(1)}`];
      if (q.lossPercent > 0) why.push(`loss ${shown(q.lossPercent, 0, 2)} %`);
      if (q.lossPercent > 0 && q.burstRatio > 1) why.push(`burst ratio ${shown(q.burstRatio, 1, 2)}`);
      why.push(`delay ${shown(q.delayMs, 0, 1)} ms ${q.delayFrom === 'rtcp' ? 'from RTCP' : 'assumed'}`);
      checks.push({ name: 'minMos', limit, measured: q.mos, ok, text: `MOS ${shown(q.mos, limit, 2, true)} ${ok ? '≥' : '<'} min ${limit} (${why.join(', ')})` });
    }
  }
  if (limits.direction !== undefined) {
    const measured = m.direction;
    const ok = measured === limits.direction;
    checks.push({ name: 'direction', limit: limits.direction, measured, ok, text: `direction ${measured ?? '(none)'} ${ok ? '=' : '≠'} ${limits.direction}` });
  }
  const ordered = [...checks.filter((c) => !c.ok), ...checks.filter((c) => c.ok)];
  return {
    ok: checks.every((c) => c.ok),
    checks,
    assessment,
    summary: ordered.length === 0 ? 'no limits given' : ordered.map((c) => c.text).join('; '),
  };
}

/** Every limit given is usable, or QualityError `bad-limit`. */
function checkLimits(limits: MediaLimits): void {
  if (typeof limits !== 'object' || limits === null) throw new QualityError('bad-limit', `media limits must be an object, got ${String(limits)}`);
  const number = (name: string, v: unknown, min: number, max: number, integer = false): void => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      const what = integer ? `an integer ${min} or more` : max === Number.MAX_VALUE ? `a number ${min} or more` : `a number within ${min}–${max}`;
      throw new QualityError('bad-limit', `${name} must be ${what}, got ${String(v)}`);
    }
  };
  number('minPacketsReceived', limits.minPacketsReceived, 0, Number.MAX_SAFE_INTEGER, true);
  number('maxLossPercent', limits.maxLossPercent, 0, 100);
  number('maxJitterMs', limits.maxJitterMs, 0, Number.MAX_VALUE);
  number('minMos', limits.minMos, 1, 4.5);
  if (limits.codec !== undefined && (typeof limits.codec !== 'string' || limits.codec.trim() === '')) throw new QualityError('bad-limit', `codec must be an RTP encoding name such as PCMU, got ${JSON.stringify(limits.codec)}`);
  if (limits.direction !== undefined && !(DIRECTIONS as readonly unknown[]).includes(limits.direction)) {
    throw new QualityError('bad-limit', `direction must be one of ${DIRECTIONS.join(', ')}, got ${JSON.stringify(limits.direction)}`);
  }
}

/**
 * A measured value for a message beside its limit: rounded to `decimals` places (trailing zeros
 * dropped unless `keepZeros`), with more places when the rounding would make it look equal to a
 * limit it is not equal to ("loss 5 % > max 5 %" becomes "loss 5.004 % > max 5 %").
 */
function shown(value: number, limit: number, decimals: number, keepZeros = false): string {
  let d = decimals;
  while (d < 12 && value !== limit && Number(value.toFixed(d)) === limit) d++;
  const text = value.toFixed(d);
  return keepZeros && d === decimals ? text : String(Number(text));
}
