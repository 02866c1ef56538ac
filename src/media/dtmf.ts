// RFC 4733 telephone events for DTMF: the 4-byte payload (§2.3) and a sender's packet plan
// (§2.5.1); dtmf-receiver.ts turns event packets back into digits. No sockets: the RTP session
// adds its SSRC, sequence numbers and timestamp base.

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

/** Checks a numeric option, or throws DtmfError `invalid-option` saying what `rule` it breaks. @internal */
export function option(name: string, value: number, ok: (v: number) => boolean, rule: string): number {
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
