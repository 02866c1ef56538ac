// The burst ratio of a packet-loss pattern (ITU-T G.107 §7.5, G.113 Appendix I):
//
//   BurstR = mean length of the observed loss bursts / mean burst length under random loss
//
// A burst is a maximal run of consecutive lost packets. Under random (independent) loss at rate
// ppl, a run goes on with probability ppl, so its mean length is 1 / (1 − ppl). For a two-state
// Markov (Gilbert) loss process that moves found → lost with probability p and lost → found with q,
// the observed mean burst is 1/q and ppl = p/(p + q), so BurstR = 1/(p + q): 1 for random loss
// (p + q = 1), above 1 when losses cluster. The estimate from a pattern of n packets with l losses
// in b bursts is (l/b)·(1 − l/n). Pure.

import { QualityError } from './e-model.js';

/** What a loss pattern shows, and its burst ratio. */
export interface LossPattern {
  /** Packets in the pattern (received and lost). */
  packets: number;
  /** Packets lost. */
  lost: number;
  /** Runs of consecutive lost packets. */
  bursts: number;
  /** lost / packets (0 when there are no packets). */
  lossRate: number;
  /** lost / bursts: mean length of a loss burst (0 when nothing was lost). */
  meanBurstLength: number;
  /**
   * Observed mean burst length over the mean under random loss at the same rate. 1 when nothing
   * or everything was lost (no runs to compare). Below 1 for loss more spread out than random
   * (G.107 rates such loss as random: use `Math.max(1, burstRatio)`).
   */
  burstRatio: number;
}

/**
 * The burst ratio of `packets` packets with `lost` of them lost in `bursts` runs:
 * (lost/bursts)·(1 − lost/packets); 1 when nothing or everything was lost.
 *
 * @throws QualityError `bad-input` for counts that are not non-negative integers, or that cannot
 *   describe a pattern (more losses than packets, more bursts than losses, or too many bursts for
 *   the received packets between them).
 *
 * @example
 * ```ts
 * burstRatioOf(100, 10, 2); // 5 lost per burst / (1 / 0.9) = 4.5
 * ```
 */
export function burstRatioOf(packets: number, lost: number, bursts: number): number {
  for (const [name, v] of [['packets', packets], ['lost', lost], ['bursts', bursts]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new QualityError('bad-input', `${name} must be a non-negative integer, got ${String(v)}`);
  }
  if (lost > packets) throw new QualityError('bad-input', `lost (${lost}) cannot exceed packets (${packets})`);
  if ((lost > 0) !== (bursts > 0) || bursts > lost || bursts - 1 > packets - lost) {
    throw new QualityError('bad-input', `${lost} lost packets cannot form ${bursts} bursts among ${packets} packets`);
  }
  if (lost === 0 || lost === packets) return 1;
  return (lost / bursts) * (1 - lost / packets);
}

/**
 * The burst ratio of a two-state Markov (Gilbert) loss model: 1/(p + q), where p is the probability
 * that a packet is lost after a received one and q that one is received after a lost one.
 *
 * @throws QualityError `bad-input` unless 0 ≤ p ≤ 1, 0 ≤ q ≤ 1 and p + q > 0.
 *
 * @example
 * ```ts
 * markovBurstRatio(0.01, 0.99); // 1: independent loss at 1 %
 * markovBurstRatio(0.01, 0.25); // 3.85: 3.85 % loss (p/(p + q)) in bursts of 4 (1/q) on average
 * ```
 */
export function markovBurstRatio(p: number, q: number): number {
  for (const [name, v] of [['p', p], ['q', q]] as const) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new QualityError('bad-input', `${name} must be a probability (0–1), got ${String(v)}`);
  }
  if (p + q === 0) throw new QualityError('bad-input', 'p + q must be positive (with both 0 the state never changes)');
  return 1 / (p + q);
}

/**
 * The loss pattern of a sequence of per-packet flags, `true` for a lost packet, in sequence order.
 *
 * @example
 * ```ts
 * const p = lossPattern([false, true, true, false, false, true, false, false]);
 * // { packets: 8, lost: 3, bursts: 2, lossRate: 0.375, meanBurstLength: 1.5, burstRatio: 0.9375 }
 * ```
 */
export function lossPattern(lost: Iterable<boolean>): LossPattern {
  const counter = new PatternCounter();
  for (const l of lost) counter.add(l === true);
  return counter.pattern();
}

/** Running counts of a loss pattern. */
class PatternCounter {
  packets = 0;
  lost = 0;
  bursts = 0;
  previousLost = false;

  add(lost: boolean): void {
    this.packets++;
    if (lost) {
      this.lost++;
      if (!this.previousLost) this.bursts++;
    }
    this.previousLost = lost;
  }

  /** A burst does not run on across a break in the stream. */
  break(): void {
    this.previousLost = false;
  }

  copy(): PatternCounter {
    const c = new PatternCounter();
    c.packets = this.packets;
    c.lost = this.lost;
    c.bursts = this.bursts;
    c.previousLost = this.previousLost;
    return c;
  }

  pattern(): LossPattern {
    const { packets, lost, bursts } = this;
    return {
      packets,
      lost,
      bursts,
      lossRate: packets === 0 ? 0 : lost / packets,
      meanBurstLength: bursts === 0 ? 0 : lost / bursts,
      burstRatio: burstRatioOf(packets, lost, bursts),
    };
  }
}

/** RFC 3550 A.1 constants: a jump of MAX_DROPOUT or more ahead (or more than MAX_MISORDER back) is not loss. */
const RTP_SEQ_MOD = 0x1_0000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Sequence numbers held open for late packets before they count as received or lost (≥ MAX_MISORDER). */
const WINDOW = 128;

/**
 * Keeps the loss pattern of one RTP stream as its packets arrive, for {@link LossPattern.burstRatio}:
 * feed it the sequence number of every packet received (duplicates are recognised). A packet is
 * judged received or lost once 128 newer sequence numbers have been seen, so a packet arriving up
 * to 100 places late (RFC 3550's MAX_MISORDER) still counts as received; {@link BurstEstimator.pattern} includes
 * the packets not judged yet, as they stand. O(1) per packet and a 128-byte window.
 *
 * As in RFC 3550 A.1, a jump of 3000 or more ahead, or more than 100 back, is not loss: it is
 * ignored unless the next packet follows it, which restarts the count there (the sender restarted);
 * the packets counted so far are kept. A packet more than 128 places late stays counted as lost.
 * One instance per SSRC: call {@link BurstEstimator.reset} when the source changes.
 *
 * @example
 * ```ts
 * const bursts = new BurstEstimator();
 * for (const seq of [1, 2, 5, 6, 7, 9]) bursts.received(seq); // 3, 4 and 8 lost
 * bursts.pattern(); // { packets: 9, lost: 3, bursts: 2, …, burstRatio: 1 }
 * ```
 */
export class BurstEstimator {
  private readonly window = new Uint8Array(WINDOW);
  private readonly counts = new PatternCounter();
  /** Extended highest sequence number seen, undefined before the first packet. */
  private highest: number | undefined;
  /** Every extended sequence number up to this one is counted. */
  private settled = 0;
  /** A large jump waiting for confirmation (RFC 3550 A.1 bad_seq): the sequence number expected next. */
  private badSeq: number | undefined;
  /** Duplicates, packets beyond the window, and unconfirmed jumps: not part of the pattern. */
  ignored = 0;

  /**
   * Accounts for one received packet, by its 16-bit RTP sequence number.
   *
   * @throws QualityError `bad-input` for a value that is not an integer 0–65535.
   */
  received(sequence: number): void {
    if (!Number.isInteger(sequence) || sequence < 0 || sequence >= RTP_SEQ_MOD) throw new QualityError('bad-input', `an RTP sequence number is an integer 0–65535, got ${String(sequence)}`);
    const highest = this.highest;
    if (highest === undefined) return this.start(sequence);
    const udelta = (sequence - (highest % RTP_SEQ_MOD) + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta === 0) {
      this.ignored++;
    } else if (udelta < MAX_DROPOUT) {
      this.advance(highest + udelta);
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (sequence === this.badSeq) {
        // Two in a row after the jump: the sender restarted. Count from the packet before.
        this.ignored--;
        this.settle(highest);
        this.counts.break();
        this.start((sequence + RTP_SEQ_MOD - 1) % RTP_SEQ_MOD);
        this.advance(this.highest! + 1);
        return;
      }
      this.badSeq = (sequence + 1) % RTP_SEQ_MOD;
      this.ignored++;
      return;
    } else {
      const ext = highest - (RTP_SEQ_MOD - udelta);
      const slot = ext % WINDOW;
      if (ext <= this.settled || this.window[slot] === 1) this.ignored++;
      else this.window[slot] = 1;
    }
    this.badSeq = undefined;
  }

  /** The pattern so far, the packets still within the window included as they stand. */
  pattern(): LossPattern {
    const counts = this.counts.copy();
    if (this.highest !== undefined) for (let s = this.settled + 1; s <= this.highest; s++) counts.add(this.window[s % WINDOW] === 0);
    return counts.pattern();
  }

  /** The burst ratio so far (see {@link LossPattern.burstRatio}). */
  get burstRatio(): number {
    return this.pattern().burstRatio;
  }

  /** Forgets everything: a new source. */
  reset(): void {
    this.window.fill(0);
    this.highest = undefined;
    this.settled = 0;
    this.badSeq = undefined;
    this.ignored = 0;
    const c = this.counts;
    c.packets = c.lost = c.bursts = 0;
    c.previousLost = false;
  }

  private start(sequence: number): void {
    this.window.fill(0);
    // Extended numbers start at 65536 + sequence, so that the window never holds negative numbers.
    const ext = RTP_SEQ_MOD + sequence;
    this.window[ext % WINDOW] = 1;
    this.highest = ext;
    this.settled = ext - 1;
    this.badSeq = undefined;
  }

  /** Moves the highest sequence number up to `ext` (received), judging what leaves the window. */
  private advance(ext: number): void {
    for (let s = this.highest! + 1; s <= ext; s++) {
      const slot = s % WINDOW;
      if (s - WINDOW > this.settled) {
        this.counts.add(this.window[slot] === 0);
        this.settled = s - WINDOW;
      }
      this.window[slot] = 0;
    }
    this.window[ext % WINDOW] = 1;
    this.highest = ext;
  }

  /** Judges every packet up to `ext`. */
  private settle(ext: number): void {
    for (let s = this.settled + 1; s <= ext; s++) this.counts.add(this.window[s % WINDOW] === 0);
    this.settled = ext;
  }
}
