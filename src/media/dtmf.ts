// RFC 4733 telephone events for DTMF: the 4-byte payload (§2.3), a sender's packet plan (§2.5.1)
// and a receiver that turns event packets back into one digit per key press (§2.5.2). No sockets:
// the RTP session adds its SSRC, sequence numbers and timestamp base.

import type { Clock, TimerHandle } from '../sip/transport/clock.js';
import { tsDelta } from './rtp-packet.js';

/** Why a DTMF operation was refused. Stable across versions. */
export type DtmfErrorCode =
  /** A telephone-event payload shorter than 4 bytes (RFC 4733 §2.3). */
  | 'too-short'
  /** A character that is not a DTMF digit (`0-9`, `*`, `#`, `A-D`). */
  | 'invalid-digit'
  /** An option or payload field out of range. */
  | 'invalid-option'
  /** A tone longer than the 16-bit duration field holds (long-event segments are not sent). */
  | 'duration-too-long'
  /** {@link DtmfSender.play} called while a previous play is still running. */
  | 'busy';

/**
 * The one error type of the DTMF module.
 *
 * @example
 * ```ts
 * try {
 *   planDigits(input);
 * } catch (err) {
 *   if (err instanceof DtmfError && err.code === 'invalid-digit') usage(err.message);
 * }
 * ```
 */
export class DtmfError extends Error {
  /** Always `"DtmfError"`, stable across versions. */
  override readonly name = 'DtmfError';
  /** What was wrong, as a stable code. */
  readonly code: DtmfErrorCode;

  constructor(code: DtmfErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** A DTMF key. */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** The DTMF keys in event-code order (RFC 4733 §3.2: 0–9, `*` = 10, `#` = 11, A–D = 12–15). */
const DIGITS = '0123456789*#ABCD';

/** A telephone-event payload (RFC 4733 §2.3). */
export interface TelephoneEvent {
  /** Event code, 0–255 (0–15 are the DTMF digits). */
  event: number;
  /** The E bit: this packet reports the end of the event. */
  end: boolean;
  /** Power level of the tone in −dBm0, 0–63. */
  volume: number;
  /** Duration so far, in RTP timestamp units, 16 bits. */
  duration: number;
}

/** The event code of a DTMF digit; `a`–`d` are accepted too. @throws {@link DtmfError} `invalid-digit`. */
export function digitToEvent(digit: string): number {
  const i = digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
  if (i < 0) throw new DtmfError('invalid-digit', `${JSON.stringify(digit)} is not a DTMF digit (0-9, *, #, A-D)`);
  return i;
}

/** The DTMF digit of an event code, or `undefined` for codes other than 0–15. */
export function eventToDigit(event: number): DtmfDigit | undefined {
  return Number.isInteger(event) && event >= 0 && event < 16 ? (DIGITS[event] as DtmfDigit) : undefined;
}

/** Serializes a telephone-event payload (RFC 4733 §2.3). @throws {@link DtmfError} `invalid-option`. */
export function encodeTelephoneEvent(ev: TelephoneEvent): Uint8Array {
  const ok = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(ev.event, 255) || !ok(ev.volume, 63) || !ok(ev.duration, 0xffff)) {
    throw new DtmfError('invalid-option', `telephone event fields out of range: event ${ev.event}, volume ${ev.volume}, duration ${ev.duration}`);
  }
  // RFC 4733 §2.3: event (8) | E (1) R (1) volume (6) | duration (16)
  return Uint8Array.of(ev.event, (ev.end ? 0x80 : 0) | ev.volume, ev.duration >> 8, ev.duration & 0xff);
}

/** Parses a telephone-event payload (the first 4 bytes). @throws {@link DtmfError} `too-short`. */
export function decodeTelephoneEvent(bytes: Uint8Array): TelephoneEvent {
  if (bytes.length < 4) throw new DtmfError('too-short', `telephone-event payload of ${bytes.length} bytes is shorter than 4`);
  // RFC 4733 §2.3: the R bit is reserved, ignored on receipt.
  return { event: bytes[0]!, end: (bytes[1]! & 0x80) !== 0, volume: bytes[1]! & 0x3f, duration: (bytes[2]! << 8) | bytes[3]! };
}

// ---------------------------------------------------------------------------------------------
// Sending (RFC 4733 §2.5.1)

/** How {@link planDigits} shapes each tone. */
export interface DtmfPlanOptions {
  /** Tone length, 40–8000 ms (and within 65535 timestamp units). Default 100. */
  durationMs?: number;
  /** Silence between the end of one tone and the start of the next, ≥ 0. Default 100. */
  gapMs?: number;
  /** Packet interval for updates and end retransmissions. Default 20. */
  ptimeMs?: number;
  /** RTP clock rate of the telephone-event format. Default 8000. */
  clockRate?: number;
  /** Power level in −dBm0, 0–63. Default 10. */
  volume?: number;
}

/** One packet of a DTMF plan. */
export interface DtmfPlannedPacket {
  /** When to send it, in ms from the start of the plan. */
  atMs: number;
  /** The RTP M bit: set only on the first packet of each digit (RFC 4733 §2.5.1.2). */
  marker: boolean;
  /** RTP timestamp offset from the start of the plan: the digit's start, the same for all its packets. */
  timestamp: number;
  /** Duration so far, in timestamp units. */
  duration: number;
  /** The E bit (RFC 4733 §2.5.1.4). */
  end: boolean;
  /** Event code. */
  event: number;
  /** The digit. */
  digit: DtmfDigit;
  /** Index of the digit in the dialled string. */
  index: number;
  /** The encoded 4-byte payload. */
  payload: Uint8Array;
}

function option(name: string, value: number, ok: (v: number) => boolean, rule: string): number {
  if (!Number.isFinite(value) || !ok(value)) throw new DtmfError('invalid-option', `${name} must be ${rule}, got ${value}`);
  return value;
}

/**
 * Plans the RFC 4733 packets for a string of digits. For each digit, with `k` counting ptimes
 * from its start: the packet sent at `k·ptime` reports a duration of `(k+1)·ptime`, the first of
 * them with the marker bit and all with the digit's start as timestamp (§2.5.1.2); the
 * packet that reaches the tone length is the end packet (E bit, final duration), sent three times
 * one ptime apart (§2.5.1.4). The next digit starts `gapMs` after the tone ended, and never
 * before one ptime after the last retransmission. 100 ms at 20 ms ptime gives 7 packets: durations
 * 160, 320, 480, 640, then 800 ×3 with E, at 0, 20, …, 120 ms.
 *
 * Tones longer than the 16-bit duration field (8 s at 8 kHz, less at higher clock rates) are
 * refused rather than split into §2.5.1.3 segments.
 *
 * @throws {@link DtmfError} `invalid-digit`, `invalid-option` or `duration-too-long`.
 * @example
 * ```ts
 * for (const p of planDigits('12#')) schedule(p.atMs, () => session.sendEvent(p));
 * ```
 */
export function planDigits(digits: string, options: DtmfPlanOptions = {}): DtmfPlannedPacket[] {
  const durationMs = option('durationMs', options.durationMs ?? 100, (v) => v >= 40 && v <= 8000, 'between 40 and 8000');
  const gapMs = option('gapMs', options.gapMs ?? 100, (v) => v >= 0, 'at least 0');
  const ptimeMs = option('ptimeMs', options.ptimeMs ?? 20, (v) => v > 0 && v <= 1000, 'above 0 and at most 1000');
  const clockRate = option('clockRate', options.clockRate ?? 8000, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  const volume = option('volume', options.volume ?? 10, (v) => Number.isInteger(v) && v <= 63 && v >= 0, 'an integer 0..63');
  const units = (ms: number): number => Math.round((ms * clockRate) / 1000);
  const total = units(durationMs);
  if (total > 0xffff) {
    throw new DtmfError('duration-too-long', `a ${durationMs} ms tone is ${total} units at ${clockRate} Hz; the duration field holds 65535 (RFC 4733 §2.5.1.3 segments are not sent)`);
  }
  const events = [...digits].map((d, i) => {
    try {
      return digitToEvent(d);
    } catch {
      throw new DtmfError('invalid-digit', `${JSON.stringify(d)} at position ${i} of ${JSON.stringify(digits)} is not a DTMF digit (0-9, *, #, A-D)`);
    }
  });
  const plan: DtmfPlannedPacket[] = [];
  let start = 0;
  events.forEach((event, index) => {
    const timestamp = units(start);
    const digit = DIGITS[event] as DtmfDigit;
    const packet = (k: number, duration: number, end: boolean, marker: boolean): void => {
      plan.push({ atMs: start + k * ptimeMs, marker, timestamp, duration, end, event, digit, index, payload: encodeTelephoneEvent({ event, end, volume, duration }) });
    };
    let k = 0;
    // RFC 4733 §2.5.1.2: updates every ptime with the duration so far, same timestamp.
    for (; (k + 1) * ptimeMs < durationMs; k++) packet(k, units((k + 1) * ptimeMs), false, k === 0);
    // RFC 4733 §2.5.1.4: the final packet, sent a total of three times with the E bit.
    for (let r = 0; r < 3; r++) packet(k + r, total, true, k === 0 && r === 0);
    const lastSent = start + (k + 2) * ptimeMs;
    start = Math.max(start + durationMs + gapMs, lastSent + ptimeMs);
  });
  return plan;
}

/**
 * Plays a {@link planDigits} plan on a {@link Clock}, handing each packet to `send` at its time.
 * Each retransmitted end packet is a separate RTP packet, so the session gives every call its
 * own sequence number (RFC 4733 §2.5.1.4, §2.5.1.6) and adds its timestamp base to `timestamp`.
 *
 * @example
 * ```ts
 * const sender = new DtmfSender(clock, (p) => session.sendTelephoneEvent(p));
 * await sender.play('1234#', { durationMs: 120, signal });
 * ```
 */
export class DtmfSender {
  private busy = false;

  constructor(
    private readonly clock: Clock,
    private readonly send: (packet: DtmfPlannedPacket) => void,
  ) {}

  /** True while a {@link play} is in progress. */
  get playing(): boolean {
    return this.busy;
  }

  /**
   * Sends the digits; resolves after the last packet. Rejects with a {@link DtmfError} for bad
   * input or a concurrent play, with `signal.reason` when aborted (no further packets are sent),
   * or with what `send` threw.
   */
  play(digits: string, options: DtmfPlanOptions & { signal?: AbortSignal } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { signal } = options;
      if (this.busy) throw new DtmfError('busy', 'a DTMF play is already in progress');
      const plan = planDigits(digits, options);
      if (signal?.aborted) throw signal.reason;
      this.busy = true;
      const t0 = this.clock.now();
      let next = 0;
      let timer: TimerHandle | undefined;
      let done = false;
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        if (timer !== undefined) this.clock.clearTimer(timer);
        signal?.removeEventListener('abort', onAbort);
        this.busy = false;
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => finish(signal?.reason);
      const step = (): void => {
        timer = undefined;
        try {
          for (let p = plan[next]; !done && p !== undefined && p.atMs <= this.clock.now() - t0; p = plan[++next]) this.send(p);
        } catch (err) {
          finish(err);
          return;
        }
        if (done) return;
        const p = plan[next];
        if (p === undefined) finish();
        else timer = this.clock.setTimer(t0 + p.atMs - this.clock.now(), step);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      step();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Receiving (RFC 4733 §2.5.2)

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
