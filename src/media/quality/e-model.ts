// The ITU-T G.107 E-model (narrowband): the transmission rating R and the estimated MOS (CQE) of a
// G.711 call from its packet loss, loss burstiness and mouth-to-ear delay, every other parameter at
// G.107's default. Pure; written from the formulas of G.107 §7 (2005–2015 editions, which agree on
// everything used here) and the planning values of G.113 Appendix I.
//
//   R = Ro − Is − Id − Ie,eff + A                                                  (G.107 §7.1)
//
// Ro (basic signal-to-noise ratio) and Is (simultaneous impairments) depend only on loudness
// ratings, noise, sidetone and quantisation, so with the defaults they are constants (94.77 and
// 1.41); Id depends on the delays, Ie,eff on codec and loss. With everything at default,
// R = 93.2 (G.107 §7.7), MOS 4.41.

/** Why a quality computation refused its input. Stable across versions. */
export type QualityErrorCode =
  /** A number that is not finite, negative, out of its range, or not an integer where one is needed. */
  | 'bad-input'
  /** A codec the model has no equipment impairment (Ie, Bpl) for; give `ie` and `bpl` yourself. */
  | 'unknown-codec'
  /** Nothing to assess: no RTP stream was received (no packets expected). */
  | 'not-measured'
  /** A limit of {@link checkMediaLimits} that is not a usable value. */
  | 'bad-limit';

/**
 * The one error type of the quality module: it never answers NaN, it throws this.
 *
 * @example
 * ```ts
 * try {
 *   eModel({ codec: 'PCMU', lossPercent: -1, delayMs: 80 });
 * } catch (err) {
 *   if (err instanceof QualityError && err.code === 'bad-input') console.error(err.message);
 * }
 * ```
 */
export class QualityError extends Error {
  /** Always `"QualityError"`, stable across versions. */
  override readonly name = 'QualityError';
  /** What was wrong, as a stable code. */
  readonly code: QualityErrorCode;

  constructor(code: QualityErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/**
 * The G.107 parameters this model keeps at their default values (G.107 Table 3, §7.7), under the
 * standard's own names.
 *
 * @example
 * ```ts
 * G107_DEFAULTS.TELR; // 65 dB: the talker echo loudness rating of a well echo-cancelled path
 * ```
 */
export const G107_DEFAULTS = Object.freeze({
  /** Send loudness rating, dB. */
  SLR: 8,
  /** Receive loudness rating, dB. */
  RLR: 2,
  /** Sidetone masking rating, dB. */
  STMR: 15,
  /** Listener sidetone rating, dB. */
  LSTR: 18,
  /** D-value of the telephone, send side. */
  Ds: 3,
  /** D-value of the telephone, receive side. */
  Dr: 3,
  /** Talker echo loudness rating, dB. */
  TELR: 65,
  /** Weighted echo path loss, dB. */
  WEPL: 110,
  /** Quantisation distortion units. */
  qdu: 1,
  /** Circuit noise referred to the 0 dBr point, dBm0p. */
  Nc: -70,
  /** Noise floor at the receive side, dBmp. */
  Nfor: -64,
  /** Room noise at the send side, dB(A). */
  Ps: 35,
  /** Room noise at the receive side, dB(A). */
  Pr: 35,
  /** Advantage factor (no allowance for mobility or access): 0. */
  A: 0,
  /** Minimum perceivable delay for Idd, ms (G.107 2011+; earlier editions fix it at 100). */
  mT: 100,
  /** Delay sensitivity for Idd (G.107 2011+; 1 gives the earlier editions' curve). */
  sT: 1,
});

/**
 * Equipment impairment of the codecs the model knows (G.113 Appendix I, Tables I.1 and I.3): G.711
 * has Ie = 0; its packet-loss robustness is Bpl = 4.3 without concealment (a gap is played as
 * silence) and 25.1 with G.711 Appendix I packet loss concealment. G.113 gives both for 10 ms
 * packets and random loss; the burst ratio carries burstiness.
 *
 * @example
 * ```ts
 * CODEC_IMPAIRMENTS.PCMA; // { ie: 0, bplWithoutPlc: 4.3, bplWithPlc: 25.1 }
 * ```
 */
export const CODEC_IMPAIRMENTS: Readonly<Record<'PCMU' | 'PCMA', Readonly<{ ie: number; bplWithoutPlc: number; bplWithPlc: number }>>> = Object.freeze({
  PCMU: Object.freeze({ ie: 0, bplWithoutPlc: 4.3, bplWithPlc: 25.1 }),
  PCMA: Object.freeze({ ie: 0, bplWithoutPlc: 4.3, bplWithPlc: 25.1 }),
});

/** The largest delay accepted, ms (one hour): beyond any call, and far inside the range where every term stays finite. */
export const MAX_DELAY_MS = 3_600_000;

/** What {@link eModel} rates. */
export interface EModelInput {
  /** RTP encoding name: `PCMU` (G.711 µ-law) or `PCMA` (G.711 A-law), any case; or another name with `ie` and `bpl`. */
  codec?: string;
  /**
   * Whether the receiver conceals lost packets (G.711 Appendix I PLC): Bpl 25.1 instead of 4.3.
   * Default false, which is what sipflow's own receiver does (a gap becomes silence).
   */
  plc?: boolean;
  /** Equipment impairment factor Ie, overriding the codec's (0–95). */
  ie?: number;
  /** Packet-loss robustness factor Bpl, overriding the codec's (> 0). */
  bpl?: number;
  /** Ppl: packets lost, percent of those expected (0–100). */
  lossPercent: number;
  /**
   * BurstR: 1 for random loss, more for bursty loss (> 0). G.107 defines no value below 1: an
   * estimate below 1 (loss more evenly spread than random, see {@link LossPattern.burstRatio}) is
   * rated as 1. Default 1.
   */
  burstRatio?: number;
  /** Ta: mouth-to-ear delay, ms (0 to {@link MAX_DELAY_MS}). Also sets T = Ta and Tr = 2·Ta. */
  delayMs: number;
}

/** G.109's user-satisfaction category of an R value. */
export type QualityCategory = 'best' | 'high' | 'medium' | 'low' | 'poor' | 'not recommended';

/** Everything {@link eModel} used and computed, for a message that shows its working. */
export interface EModelResult {
  /** The inputs as the model used them. */
  inputs: {
    codec: string | undefined;
    plc: boolean;
    /** Equipment impairment factor. */
    ie: number;
    /** Packet-loss robustness factor. */
    bpl: number;
    /** Packet loss, percent. */
    ppl: number;
    /** Burst ratio, at least 1. */
    burstR: number;
    /** Mouth-to-ear delay, ms. */
    ta: number;
    /** Mean one-way delay of the echo path, ms (= Ta). */
    t: number;
    /** Round-trip delay of the 4-wire loop, ms (= 2·Ta). */
    tr: number;
  };
  /** Basic signal-to-noise ratio. */
  ro: number;
  /** Simultaneous impairment factor: Iolr + Ist + Iq. */
  is: number;
  /** Delay impairment factor: Idte + Idle + Idd. */
  id: number;
  /** Talker echo impairment. */
  idte: number;
  /** Listener echo impairment. */
  idle: number;
  /** Impairment by a too-long absolute delay. */
  idd: number;
  /** Effective equipment impairment factor (codec and packet loss). */
  ieEff: number;
  /** Advantage factor (0). */
  a: number;
  /** Transmission rating R = Ro − Is − Id − Ie,eff + A. */
  r: number;
  /** Estimated mean opinion score, conversational quality (MOS-CQE), 1–4.5. */
  mos: number;
  /** G.109 category of R. */
  category: QualityCategory;
  /** The intermediate terms of Ro, Is and Id (G.107 §7.2–7.4). */
  terms: {
    no: number;
    nos: number;
    nor: number;
    nfo: number;
    pre: number;
    olr: number;
    xolr: number;
    iolr: number;
    stmro: number;
    ist: number;
    iq: number;
    roe: number;
    terv: number;
    re: number;
    rle: number;
  };
  /** Inputs outside the ranges G.107 validates (Ppl 0–20 %, BurstR 1–8, Ta 0–500 ms): the result extrapolates. */
  outsideRange: string[];
}

const log10 = Math.log10;
/** 10^(x/10): a dB value as a power ratio. */
const pow10 = (db: number): number => 10 ** (db / 10);

/** The codec's equipment impairment, or the overrides. */
function equipment(input: EModelInput): { ie: number; bpl: number } {
  const known = input.codec === undefined ? undefined : CODEC_IMPAIRMENTS[input.codec.trim().toUpperCase() as 'PCMU' | 'PCMA'];
  const ie = input.ie ?? known?.ie;
  const bpl = input.bpl ?? (known === undefined ? undefined : input.plc === true ? known.bplWithPlc : known.bplWithoutPlc);
  if (ie === undefined || bpl === undefined) {
    const what = input.codec === undefined ? 'no codec given' : `codec ${JSON.stringify(input.codec)} is not G.711 (PCMU/PCMA)`;
    throw new QualityError('unknown-codec', `${what}: give its equipment impairment ie and packet-loss robustness bpl`);
  }
  return { ie: checkNumber('ie', ie, 0, 95), bpl: checkPositive('bpl', bpl) };
}

/**
 * A finite number within [min, max], or a QualityError `bad-input` naming it.
 *
 * @internal Shared by the quality module's input checks; not part of the public API.
 */
export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new QualityError('bad-input', `${name} must be a finite number, got ${String(value)}`);
  if (value < min || value > max) throw new QualityError('bad-input', `${name} must be within ${min}–${max}, got ${value}`);
  return value;
}

function checkPositive(name: string, value: unknown): number {
  checkNumber(name, value, 0, Number.MAX_VALUE);
  if (value === 0) throw new QualityError('bad-input', `${name} must be positive, got 0`);
  return value as number;
}

/**
 * Rates a G.711 call with the ITU-T G.107 E-model: R from the codec (Ie, Bpl), the packet loss Ppl,
 * its burst ratio and the mouth-to-ear delay Ta, every other parameter at its default
 * ({@link G107_DEFAULTS}); then MOS-CQE from R (G.107 Annex B). With one delay known, the echo
 * path delays are taken as T = Ta and Tr = 2·Ta (echo returns over the same path). One departure
 * from G.107: the talker echo impairment Idte is floored at 0 (the formula dips to −0.11 for
 * 1 ≤ T < 4 ms), so that R never rises with delay. R is not rounded; MOS is not rounded.
 *
 * @throws QualityError `bad-input` for a value that is not finite or out of range, `unknown-codec`
 *   for a codec other than PCMU/PCMA without `ie` and `bpl`.
 *
 * @example
 * ```ts
 * const rated = eModel({ codec: 'PCMU', lossPercent: 1, delayMs: 80 });
 * rated.r;   // 73.16 (Ro 94.77 − Is 1.41 − Id 2.27 − Ie,eff 17.92)
 * rated.mos; // 3.74
 * ```
 */
export function eModel(input: EModelInput): EModelResult {
  const { ie, bpl } = equipment(input);
  const ppl = checkNumber('lossPercent', input.lossPercent, 0, 100);
  // G.107 §7.5 defines BurstR ≥ 1; an estimate below 1 (loss more even than random) is rated as 1.
  const burstR = Math.max(1, checkPositive('burstRatio', input.burstRatio ?? 1));
  const ta = checkNumber('delayMs', input.delayMs, 0, MAX_DELAY_MS);
  const d = G107_DEFAULTS;
  const t = ta;
  const tr = 2 * ta;

  // §7.2 Basic signal-to-noise ratio Ro: the noises added as powers.
  const olr = d.SLR + d.RLR;
  const nos = d.Ps - d.SLR - d.Ds - 100 + 0.004 * (d.Ps - olr - d.Ds - 14) ** 2;
  const pre = d.Pr + 10 * log10(1 + pow10(10 - d.LSTR));
  const nor = d.RLR - 121 + pre + 0.008 * (pre - 35) ** 2;
  const nfo = d.Nfor + d.RLR;
  const no = 10 * log10(pow10(d.Nc) + pow10(nos) + pow10(nor) + pow10(nfo));
  const ro = 15 - 1.5 * (d.SLR + no);

  // §7.3 Simultaneous impairment Is = Iolr + Ist + Iq.
  const xolr = olr + 0.2 * (64 + no - d.RLR);
  const iolr = 20 * ((1 + (xolr / 8) ** 8) ** (1 / 8) - xolr / 8);
  const stmro = -10 * log10(pow10(-d.STMR) + Math.exp(-t / 4) * pow10(-d.TELR));
  const ist = 12 * (1 + ((stmro - 13) / 6) ** 8) ** (1 / 8) - 28 * (1 + ((stmro + 1) / 19.4) ** 35) ** (1 / 35) - 13 * (1 + ((stmro - 3) / 33) ** 13) ** (1 / 13) + 29;
  const q = 37 - 15 * log10(d.qdu);
  const g = 1.07 + 0.258 * q + 0.0602 * q ** 2;
  const z = 46 / 30 - g / 40;
  const y = (ro - 100) / 15 + 46 / 8.4 - g / 9;
  const iq = 15 * log10(1 + 10 ** y + 10 ** z);
  const is = iolr + ist + iq;

  // §7.4 Delay impairment Id = Idte + Idle + Idd.
  // Talker echo. (G.107's special cases for STMR < 9 dB and STMR > 20 dB do not arise at STMR 15.)
  const roe = -1.5 * (no - d.RLR);
  const terv = d.TELR - 40 * log10((1 + t / 10) / (1 + t / 150)) + 6 * Math.exp(-0.3 * t ** 2);
  const re = 80 + 2.5 * (terv - 14);
  // "For T < 1 ms, talker echo should be considered as sidetone, i.e. Idte = 0." Above 1 ms, with
  // an echo as well cancelled as TELR 65 dB, G.107's formula dips slightly below 0 (to −0.11 at
  // T = 1 ms, back to 0 near T = 4 ms): an echo that improves the call, and R that would jump up at
  // T = 1 ms and rise with the first milliseconds of delay. It is floored at 0, which keeps R
  // continuous and never rising with delay; it changes R by at most 0.11, and only below 4 ms.
  const idte = t < 1 ? 0 : Math.max(0, ((roe - re) / 2 + Math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-t)));
  // Listener echo.
  const rle = 10.5 * (d.WEPL + 7) * (tr + 1) ** -0.25;
  const idle = (ro - rle) / 2 + Math.sqrt((ro - rle) ** 2 / 4 + 169);
  // Absolute delay: nothing up to mT, then a smooth rise towards 50.
  let idd = 0;
  if (ta > d.mT) {
    const x = log10(ta / d.mT) / log10(2);
    const s = 6 * d.sT;
    idd = 25 * ((1 + x ** s) ** (1 / s) - 3 * (1 + (x / 3) ** s) ** (1 / s) + 2);
  }
  const id = idte + idle + idd;

  // §7.5 Effective equipment impairment: the codec's Ie, raised by packet loss.
  const ieEff = ie + ((95 - ie) * ppl) / (ppl / burstR + bpl);

  const r = ro - is - id - ieEff + d.A;
  const outsideRange: string[] = [];
  if (ppl > 20) outsideRange.push(`packet loss ${ppl} % is above G.107's validated 0–20 %`);
  if (burstR > 8) outsideRange.push(`burst ratio ${burstR} is above G.107's validated 1–8`);
  if (ta > 500) outsideRange.push(`delay ${ta} ms is above G.107's validated 0–500 ms`);
  return {
    inputs: { codec: input.codec, plc: input.plc === true, ie, bpl, ppl, burstR, ta, t, tr },
    ro,
    is,
    id,
    idte,
    idle,
    idd,
    ieEff,
    a: d.A,
    r,
    mos: mosFromR(r),
    category: categoryOf(r),
    terms: { no, nos, nor, nfo, pre, olr, xolr, iolr, stmro, ist, iq, roe, terv, re, rle },
    outsideRange,
  };
}

/**
 * The estimated mean opinion score (conversational quality, MOS-CQE) of a transmission rating R
 * (G.107 Annex B): 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶ for 0 < R < 100, 1 below, 4.5 above.
 * The polynomial dips under 1 (to 0.99) for R below about 6.5; the result is floored at 1, the
 * bottom of the scale, so it never decreases as R grows.
 *
 * @throws QualityError `bad-input` for an R that is not a finite number.
 *
 * @example
 * ```ts
 * mosFromR(93.2); // 4.41
 * mosFromR(50);   // 2.575
 * ```
 */
export function mosFromR(r: number): number {
  if (typeof r !== 'number' || Number.isNaN(r)) throw new QualityError('bad-input', `R must be a number, got ${String(r)}`);
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

/**
 * The user-satisfaction category of a transmission rating R (ITU-T G.109 Table 1): 90–100 best
 * (very satisfied), 80–90 high (satisfied), 70–80 medium (some users dissatisfied), 60–70 low
 * (many dissatisfied), 50–60 poor (nearly all dissatisfied), below 50 not recommended.
 *
 * @example
 * ```ts
 * categoryOf(93.2); // 'best'
 * categoryOf(74);   // 'medium'
 * ```
 */
export function categoryOf(r: number): QualityCategory {
  if (r >= 90) return 'best';
  if (r >= 80) return 'high';
  if (r >= 70) return 'medium';
  if (r >= 60) return 'low';
  if (r >= 50) return 'poor';
  return 'not recommended';
}
