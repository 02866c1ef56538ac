// Reception statistics for one RTP source (RFC 3550 Appendix A.1 sequence validation, A.3 loss,
// A.8 interarrival jitter) and the sender's counters for Sender Reports (RFC 3550 §6.4.1). Pure:
// arrival times are passed in (read from the injected Clock by the caller).

import { dlsrFromMs, ntpMiddle32, type NtpTimestamp, type RtcpReportBlock } from './rtcp-packet.js';
import type { RtpPacket } from './rtp-packet.js';
import { tsDelta } from './rtp-packet.js';

/** RFC 3550 A.1 constants. */
const RTP_SEQ_MOD = 0x1_0000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;
/** How many recent sequence numbers are remembered to tell a duplicate from a late packet. */
const HISTORY = 1024;

/** What {@link ReceptionStats.received} made of a packet. */
export type ReceptionVerdict =
  /** Counted: in order, after a gap, or a late (reordered) packet. */
  | 'accepted'
  /** Still on probation: the source is not yet valid (RFC 3550 A.1, MIN_SEQUENTIAL = 2). */
  | 'probation'
  /** A sequence number seen before (within the last 1024); not counted again. */
  | 'duplicate'
  /** A jump too large to be loss or misordering; ignored until the next packet confirms it (then: resync). */
  | 'bad-sequence';

/** Options for {@link ReceptionStats}. */
export interface ReceptionStatsOptions {
  /** RTP clock rate of the payload, for the jitter calculation (RFC 3550 A.8). Default 8000. */
  clockRate?: number;
}

/**
 * Reception statistics for one synchronization source, as RFC 3550 Appendix A describes them:
 * sequence-number validation with probation, wraparound cycles and resynchronisation after a
 * large jump (A.1), expected/lost/fraction-lost (A.3) and the interarrival jitter estimate (A.8).
 *
 * Two deliberate refinements of the appendix code: the packets that make up the probation run
 * are counted (so ten packets in order give 10 received, 0 lost, where A.1 would count 9), and
 * exact duplicates within the last 1024 sequence numbers are recognised and not counted as
 * received (A.1 cannot tell them from late packets, which is why its loss may go negative).
 * A packet from another SSRC starts the statistics afresh (the source changed, e.g. after a
 * re-INVITE); demultiplex by SSRC before calling when several sources share a port. A resync
 * after a confirmed sequence jump (A.1) restarts `expected`/`lost` but keeps the counters.
 *
 * @example
 * ```ts
 * const stats = new ReceptionStats({ clockRate: 8000 });
 * stats.received(decodeRtp(datagram), clock.now());
 * const block = stats.reportBlock(clock.now()); // for the next RR
 * ```
 */
export class ReceptionStats {
  /** RTP clock rate used for jitter. */
  readonly clockRate: number;
  /** SSRC of the source, once a packet has been seen. */
  ssrc: number | undefined;
  /** Valid packets counted (duplicates and bad-sequence packets excluded). */
  packets = 0;
  /** Payload bytes of the counted packets. */
  bytes = 0;
  /** Exact duplicates seen and discarded. */
  duplicates = 0;
  /** Packets that arrived after a packet with a higher sequence number (late, not duplicate). */
  reordered = 0;
  /** Packets ignored as a large sequence jump (RFC 3550 A.1 bad_seq) and not confirmed by a resync. */
  badSequence = 0;
  /** Times the statistics restarted: new SSRC, or resync after a confirmed jump. */
  restarts = 0;

  // RFC 3550 A.1 source state
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0; // extended; may be -1 after counting the probation run
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  // RFC 3550 A.8
  private jitterUnits = 0;
  private lastTransit: { arrivalMs: number; timestamp: number } | undefined;
  /** The packet that opened the current probation run or the pending resync (RFC 3550 A.1). */
  private runStart: { bytes: number; timestamp: number; arrivalMs: number } | undefined;
  private runStarted = false;
  private readonly seen = new Float64Array(HISTORY).fill(-1);
  // LSR/DLSR (RFC 3550 §6.4.1)
  private lastSr: { middle: number; arrivalMs: number } | undefined;

  constructor(options: ReceptionStatsOptions = {}) {
    this.clockRate = options.clockRate ?? 8000;
    if (!(this.clockRate > 0)) throw new RangeError(`clock rate must be positive, got ${this.clockRate}`);
  }

  /**
   * Accounts for one RTP packet from the source, arrived at `arrivalMs` (any monotonic
   * millisecond scale, e.g. `clock.now()`).
   */
  received(packet: Pick<RtpPacket, 'ssrc' | 'sequence' | 'timestamp' | 'payload'>, arrivalMs: number): ReceptionVerdict {
    if (this.ssrc !== packet.ssrc) {
      if (this.ssrc !== undefined) this.restarts++;
      this.reset(packet.ssrc, packet.sequence);
    }
    const verdict = this.updateSeq(packet.sequence);
    if (verdict === 'probation' || verdict === 'bad-sequence') this.runStart = { bytes: packet.payload.length, timestamp: packet.timestamp, arrivalMs };
    if (verdict !== 'accepted') return verdict;
    if (this.runStarted) {
      // The packet that opened the run (probation or resync) is counted now, after the fact.
      this.runStarted = false;
      const first = this.runStart;
      if (first !== undefined) {
        this.packets++;
        this.bytes += first.bytes;
        this.lastTransit = { arrivalMs: first.arrivalMs, timestamp: first.timestamp };
      }
    }
    this.packets++;
    this.bytes += packet.payload.length;
    this.updateJitter(packet.timestamp, arrivalMs);
    return verdict;
  }

  /** Records a Sender Report from the source, for the LSR/DLSR fields of our next report block. */
  senderReportReceived(ntp: NtpTimestamp, arrivalMs: number): void {
    this.lastSr = { middle: ntpMiddle32(ntp), arrivalMs };
  }

  /** Extended highest sequence number received (cycles × 65536 + highest). */
  get extendedHighest(): number {
    return this.cycles + this.maxSeq;
  }

  /** Packets expected so far (RFC 3550 A.3). */
  get expected(): number {
    return this.probation > 0 ? 0 : this.extendedHighest - this.baseSeq + 1;
  }

  /** Cumulative packets lost since the source (re)started (RFC 3550 A.3: expected − received), unclamped. */
  get lost(): number {
    return this.probation > 0 ? 0 : this.expected - this.receivedCount;
  }

  /** Interarrival jitter estimate in timestamp units (RFC 3550 A.8). */
  get jitter(): number {
    return this.jitterUnits;
  }

  /** Interarrival jitter estimate in milliseconds. */
  get jitterMs(): number {
    return (this.jitterUnits * 1000) / this.clockRate;
  }

  /**
   * The report block for the next SR/RR (RFC 3550 §6.4.1, A.3), and the start of a new reporting
   * interval: `fractionLost` covers the packets since the previous call. `nowMs` is on the same
   * scale as the arrival times and dates DLSR.
   */
  reportBlock(nowMs: number): RtcpReportBlock {
    // RFC 3550 A.3
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    // RFC 3550 §6.4.1: cumulative lost is clamped to the 24-bit signed field.
    const cumulativeLost = Math.max(-0x80_0000, Math.min(0x7f_ffff, this.lost));
    return {
      ssrc: this.ssrc ?? 0,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost,
      highestSequence: this.extendedHighest >>> 0,
      jitter: Math.min(0xffff_ffff, Math.floor(this.jitterUnits)),
      lastSr: this.lastSr?.middle ?? 0,
      delaySinceLastSr: this.lastSr === undefined ? 0 : dlsrFromMs(nowMs - this.lastSr.arrivalMs),
    };
  }

  private reset(ssrc: number, seq: number): void {
    this.ssrc = ssrc;
    // RFC 3550 A.1: a new source starts on probation, max_seq one below its first packet.
    this.initSeq(seq);
    this.maxSeq = (seq + RTP_SEQ_MOD - 1) % RTP_SEQ_MOD;
    this.probation = MIN_SEQUENTIAL;
    this.packets = 0;
    this.bytes = 0;
    this.duplicates = 0;
    this.reordered = 0;
    this.badSequence = 0;
    this.jitterUnits = 0;
    this.lastTransit = undefined;
    this.runStart = undefined;
    this.lastSr = undefined;
  }

  /** RFC 3550 A.1 init_seq. */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
    this.seen.fill(-1);
  }

  /** Starts counting at `seq`, with the `run` packets before it (probation or resync) counted too. */
  private startCounting(seq: number, run: number): void {
    this.initSeq(seq);
    this.baseSeq = seq - (run - 1);
    this.receivedCount = run;
    this.runStarted = true;
    for (let i = 0; i < run; i++) this.remember(seq - i);
  }

  private remember(ext: number): boolean {
    const slot = ((ext % HISTORY) + HISTORY) % HISTORY;
    if (this.seen[slot] === ext) return false;
    this.seen[slot] = ext;
    return true;
  }

  /** RFC 3550 A.1 update_seq, with duplicate detection. */
  private updateSeq(seq: number): ReceptionVerdict {
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.probation > 0) {
      // RFC 3550 A.1: packet is in sequence: one step closer to a valid source.
      if (seq === (this.maxSeq + 1) % RTP_SEQ_MOD) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.startCounting(seq, MIN_SEQUENTIAL);
          return 'accepted';
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return 'probation';
    }
    let ext: number;
    if (udelta < MAX_DROPOUT) {
      // RFC 3550 A.1: in order, with permissible gap; a smaller number means the counter wrapped.
      if (udelta === 0) return this.duplicate();
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
      ext = this.cycles + seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // RFC 3550 A.1: the sequence number made a very large jump.
      if (seq === this.badSeq) {
        // Two sequential packets: assume the other side restarted without telling us.
        this.restarts++;
        this.badSequence--; // the packet that set bad_seq is counted after all
        this.startCounting(seq, 2);
        return 'accepted';
      }
      this.badSeq = (seq + 1) % RTP_SEQ_MOD;
      this.badSequence++;
      return 'bad-sequence';
    } else {
      // RFC 3550 A.1: duplicate or reordered packet (up to MAX_MISORDER behind).
      ext = this.cycles + this.maxSeq - (RTP_SEQ_MOD - udelta);
      if (!this.remember(ext)) return this.duplicate();
      this.reordered++;
      this.receivedCount++;
      return 'accepted';
    }
    this.remember(ext);
    this.receivedCount++;
    return 'accepted';
  }

  private duplicate(): ReceptionVerdict {
    this.duplicates++;
    return 'duplicate';
  }

  /** RFC 3550 A.8: J += (|D(i−1, i)| − J) / 16, D in timestamp units. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    const last = this.lastTransit;
    if (last === undefined) {
      this.lastTransit = { arrivalMs, timestamp };
      return;
    }
    // D = (Rj − Ri) − (Sj − Si), with the timestamp difference taken modulo 2^32.
    const d = ((arrivalMs - last.arrivalMs) * this.clockRate) / 1000 - tsDelta(timestamp, last.timestamp);
    this.jitterUnits += (Math.abs(d) - this.jitterUnits) / 16;
    last.arrivalMs = arrivalMs; // updated in place: no allocation per packet
    last.timestamp = timestamp;
  }
}

/**
 * What a sender counts for its Sender Reports (RFC 3550 §6.4.1): packets and payload octets
 * sent, and the RTP timestamp that corresponds to a given moment.
 *
 * @example
 * ```ts
 * const send = new SendStats({ clockRate: 8000 });
 * send.sent(packet, clock.now());
 * const sr = { type: 'SR', ssrc, ntp, rtpTimestamp: send.rtpTimestampAt(clock.now()), packetCount: send.packets, octetCount: send.octets, reports: [] };
 * ```
 */
export class SendStats {
  /** RTP clock rate of the stream. */
  readonly clockRate: number;
  /** Packets sent (the SR's sender's packet count, 32 bits, wraps). */
  packets = 0;
  /** Payload octets sent, headers and padding excluded (the SR's sender's octet count, wraps). */
  octets = 0;
  private last: { timestamp: number; atMs: number } | undefined;

  constructor(options: { clockRate?: number } = {}) {
    this.clockRate = options.clockRate ?? 8000;
    if (!(this.clockRate > 0)) throw new RangeError(`clock rate must be positive, got ${this.clockRate}`);
  }

  /** Accounts for one packet sent at `atMs`. */
  sent(packet: Pick<RtpPacket, 'timestamp' | 'payload'>, atMs: number): void {
    this.packets = (this.packets + 1) % 0x1_0000_0000;
    this.octets = (this.octets + packet.payload.length) % 0x1_0000_0000;
    if (this.last === undefined) this.last = { timestamp: packet.timestamp, atMs };
    else {
      this.last.timestamp = packet.timestamp; // in place: no allocation per packet
      this.last.atMs = atMs;
    }
  }

  /** True once a packet has been sent (an SR is only meaningful then; otherwise send an RR). */
  get sending(): boolean {
    return this.last !== undefined;
  }

  /**
   * The RTP timestamp corresponding to `nowMs` (RFC 3550 §6.4.1: the SR's RTP timestamp is the
   * same instant as its NTP timestamp), extrapolated from the last packet sent.
   */
  rtpTimestampAt(nowMs: number): number {
    if (this.last === undefined) return 0;
    const units = Math.round(((nowMs - this.last.atMs) * this.clockRate) / 1000);
    return (((this.last.timestamp + units) % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
  }
}
