// RFC 4733 §2.5.2 for DTMF: a receiver that turns telephone-event packets back into one digit per
// key press, whatever the loss, duplication or reordering. No sockets: the RTP session hands it
// the decoded packets.

import type { Clock, TimerHandle } from '../sip/transport/clock.js';
import { type DtmfDigit, eventToDigit, option, type TelephoneEvent } from './dtmf.js';
import { tsDelta } from './rtp-packet.js';

/** A telephone-event packet as the RTP session hands it to {@link DtmfReceiver.receive}. */
export interface TelephoneEventArrival {
  /** The decoded payload. */
  payload: TelephoneEvent;
  /** RTP timestamp: identifies the event (RFC 4733 §2.5.1.2). */
  timestamp: number;
  /** RTP sequence number; only used to count duplicates. */
  sequence?: number;
  /** RTP M bit; informative only (the start packet may be lost). */
  marker?: boolean;
  /** SSRC; a change resets the receiver (a new stream's timestamps are unrelated). */
  ssrc?: number;
  /** Arrival time in ms, on the same scale as the clock or `tick` times. */
  arrivalMs: number;
}

/** One key press, reported once however many packets carried it. */
export interface ReceivedDigit {
  digit: DtmfDigit;
  /** Event code (0–15). */
  event: number;
  /** RTP timestamp of the event's start. */
  timestamp: number;
  /** Longest duration reported (over all segments), in ms. */
  durationMs: number;
  /** Arrival time of the first packet seen for the event. */
  receivedAt: number;
  /** When the receiver decided the event had ended (see `endedBy`). */
  endedAt: number;
  /**
   * `end-packet`: a packet with the E bit arrived; `superseded`: a newer event started (or this
   * one only showed up after it); `timeout`: no packet for `timeoutMs` (endedAt = last packet +
   * timeoutMs); `flush`: {@link DtmfReceiver.flush}.
   */
  endedBy: 'end-packet' | 'superseded' | 'timeout' | 'flush';
}

/** Options of {@link DtmfReceiver}. */
export interface DtmfReceiverOptions {
  /** RTP clock rate of the telephone-event format. Default 8000. */
  clockRate?: number;
  /** An event with no packet for this long is over. Default 150 (3 × the 50 ms default update interval of RFC 4733 §2.5.1.2). */
  timeoutMs?: number;
  /** When given, the timeout fires on its own; otherwise call {@link DtmfReceiver.tick}. */
  clock?: Clock;
  /** Called once per digit, in order. */
  onDigit?: (digit: ReceivedDigit) => void;
}

/** A timestamp this far behind the last event is a re-based stream, not a late packet. */
const RESTART_BEHIND_MS = 2000;

interface OpenEvent {
  event: number;
  firstTs: number;
  /** Timestamp of the current segment (RFC 4733 §2.5.1.3); equals firstTs unless the event is long. */
  segmentTs: number;
  segmentDuration: number;
  priorDuration: number;
  receivedAt: number;
  lastSeen: number;
  sequences: Set<number>;
}

/**
 * Turns telephone-event packets into exactly one {@link ReceivedDigit} per key press (RFC 4733
 * §2.5.2). The RTP timestamp identifies an event, so two presses of the same key are two events.
 * Rules: a packet with a timestamp newer than any seen starts an event (the start packet may be
 * lost) and ends the previous one (`superseded`); the E bit ends it (`end-packet`); silence for
 * `timeoutMs` ends it (`timeout`). Digits are reported in timestamp order and never twice: once a
 * digit is reported, every packet with its timestamp or an older one is stale and ignored, which
 * absorbs retransmitted end packets, duplicates and late reordered packets. An older event seen
 * for the first time while a newer one is still open is reported at once; one that only shows
 * up after a newer one was reported is dropped (counted in `stalePackets`). A packet whose
 * timestamp is the current one plus its duration, for the same key, continues a long event
 * (§2.5.1.3, §2.5.2.3 segments). Non-DTMF events (codes above 15) are ignored. A new SSRC, or a timestamp
 * more than 2 s behind the last event, means the sender's timestamps were re-based: the receiver
 * starts afresh.
 *
 * @example
 * ```ts
 * const rx = new DtmfReceiver({ clock, onDigit: (d) => events.emit('dtmf', d.digit) });
 * rx.receive({ payload: decodeTelephoneEvent(p.payload), timestamp: p.timestamp, sequence: p.sequence, marker: p.marker, arrivalMs: clock.now() });
 * ```
 */
export class DtmfReceiver {
  /** Packets ignored because their event was already reported (or is older than one that was). */
  stalePackets = 0;
  /** Packets repeating a sequence number already seen for the open event. */
  duplicatePackets = 0;
  /** Packets with a non-DTMF event code. */
  ignoredPackets = 0;
  private readonly clockRate: number;
  private readonly timeoutMs: number;
  private open: OpenEvent | undefined;
  /** Timestamp of the last reported event: everything at or before it is stale. */
  private watermark: number | undefined;
  private ssrc: number | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly options: DtmfReceiverOptions = {}) {
    this.clockRate = option('clockRate', options.clockRate ?? 8000, (v) => v > 0, 'positive');
    this.timeoutMs = option('timeoutMs', options.timeoutMs ?? 150, (v) => v > 0, 'positive');
  }

  /** Feeds one packet; returns the digits it completed (also passed to `onDigit`). */
  receive(p: TelephoneEventArrival): ReceivedDigit[] {
    const out = this.tick(p.arrivalMs);
    if (p.ssrc !== undefined && this.ssrc !== undefined && p.ssrc !== this.ssrc) {
      if (this.open) out.push(this.close('superseded', p.arrivalMs));
      this.watermark = undefined;
    }
    if (p.ssrc !== undefined) this.ssrc = p.ssrc;
    const { event, end } = p.payload;
    if (eventToDigit(event) === undefined) {
      this.ignoredPackets++;
      return out;
    }
    const ts = p.timestamp;
    const ref = this.open?.firstTs ?? this.watermark;
    if (ref !== undefined && tsDelta(ts, ref) < -(RESTART_BEHIND_MS * this.clockRate) / 1000) {
      // Far behind anything a late packet could be: the sender re-based its timestamps.
      if (this.open) out.push(this.close('superseded', p.arrivalMs));
      this.watermark = undefined;
    }
    const open = this.open;
    if (this.watermark !== undefined && tsDelta(ts, this.watermark) <= 0) {
      this.stalePackets++;
    } else if (open !== undefined && ts === open.segmentTs && event === open.event) {
      if (p.sequence !== undefined && open.sequences.has(p.sequence)) this.duplicatePackets++;
      this.update(open, p);
      if (end) out.push(this.close('end-packet', p.arrivalMs));
    } else if (open !== undefined && tsDelta(ts, open.segmentTs) <= 0 && tsDelta(ts, open.firstTs) >= 0) {
      this.stalePackets++; // an earlier segment of the open event, or a conflicting code at its timestamp
    } else if (open !== undefined && tsDelta(ts, open.firstTs) < 0) {
      // An older event never seen before: it is over already, since a newer one has started.
      const first = this.start(p);
      this.open = first;
      out.push(this.close('superseded', p.arrivalMs));
      this.open = open;
    } else if (open !== undefined && event === open.event && tsDelta(ts, open.segmentTs) === open.segmentDuration) {
      // RFC 4733 §2.5.1.3, §2.5.2.3: a new segment of a long event continues it.
      open.priorDuration += open.segmentDuration;
      open.segmentTs = ts;
      open.segmentDuration = 0;
      this.update(open, p);
      if (end) out.push(this.close('end-packet', p.arrivalMs));
    } else {
      if (open !== undefined) out.push(this.close('superseded', p.arrivalMs));
      this.open = this.start(p);
      if (end) out.push(this.close('end-packet', p.arrivalMs));
    }
    this.arm();
    return out;
  }

  /** Ends the open event if nothing arrived for it for `timeoutMs` by `nowMs`; returns what ended. */
  tick(nowMs: number): ReceivedDigit[] {
    const open = this.open;
    if (open === undefined || nowMs - open.lastSeen < this.timeoutMs) return [];
    return [this.close('timeout', open.lastSeen + this.timeoutMs)];
  }

  /** Ends the open event now (e.g. when the stream stops); returns it, if any. */
  flush(nowMs?: number): ReceivedDigit[] {
    const open = this.open;
    return open === undefined ? [] : [this.close('flush', nowMs ?? open.lastSeen)];
  }

  /** Cancels the timeout timer; the receiver may still be fed afterwards (without its own timer). */
  dispose(): void {
    this.disarm();
  }

  /** True while an event has started and not yet ended. */
  get pending(): boolean {
    return this.open !== undefined;
  }

  private start(p: TelephoneEventArrival): OpenEvent {
    const ev: OpenEvent = {
      event: p.payload.event,
      firstTs: p.timestamp,
      segmentTs: p.timestamp,
      segmentDuration: 0,
      priorDuration: 0,
      receivedAt: p.arrivalMs,
      lastSeen: p.arrivalMs,
      sequences: new Set(),
    };
    this.update(ev, p);
    return ev;
  }

  private update(ev: OpenEvent, p: TelephoneEventArrival): void {
    ev.segmentDuration = Math.max(ev.segmentDuration, p.payload.duration);
    ev.lastSeen = Math.max(ev.lastSeen, p.arrivalMs);
    if (p.sequence !== undefined) ev.sequences.add(p.sequence);
  }

  private close(endedBy: ReceivedDigit['endedBy'], endedAt: number): ReceivedDigit {
    const ev = this.open!;
    this.open = undefined;
    this.disarm();
    if (this.watermark === undefined || tsDelta(ev.segmentTs, this.watermark) > 0) this.watermark = ev.segmentTs;
    const digit: ReceivedDigit = {
      digit: eventToDigit(ev.event)!,
      event: ev.event,
      timestamp: ev.firstTs,
      durationMs: ((ev.priorDuration + ev.segmentDuration) * 1000) / this.clockRate,
      receivedAt: ev.receivedAt,
      endedAt,
      endedBy,
    };
    this.options.onDigit?.(digit);
    return digit;
  }

  private arm(): void {
    const clock = this.options.clock;
    const open = this.open;
    this.disarm();
    if (clock === undefined || open === undefined) return;
    this.timer = clock.setTimer(open.lastSeen + this.timeoutMs - clock.now(), () => {
      this.timer = undefined;
      if (this.open === open) this.close('timeout', open.lastSeen + this.timeoutMs);
    });
  }

  private disarm(): void {
    if (this.timer !== undefined) this.options.clock?.clearTimer(this.timer);
    this.timer = undefined;
  }
}
