// RFC 4733 DTMF: payload bytes, the sender's plan (exact structure), playing it on a virtual
// clock, and the receiver's one-digit-per-press rules.
import { describe, expect, it } from 'vitest';
import {
  decodeTelephoneEvent,
  digitToEvent,
  DtmfError,
  type DtmfPlannedPacket,
  DtmfSender,
  encodeTelephoneEvent,
  eventToDigit,
  planDigits,
} from '../../src/media/dtmf.js';
import { DtmfReceiver, type ReceivedDigit, type TelephoneEventArrival } from '../../src/media/dtmf-receiver.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';
import { thrown } from './helpers.js';

const dtmfError = (fn: () => unknown): DtmfError => thrown(DtmfError, 'DtmfError', fn);

/** A planned packet as it arrives `delay` ms after it was sent, with a sequence number. */
const arrival = (p: DtmfPlannedPacket, seq: number, delay = 0, base = 0): TelephoneEventArrival => ({
  payload: decodeTelephoneEvent(p.payload),
  timestamp: (base + p.timestamp) % 2 ** 32,
  sequence: seq,
  marker: p.marker,
  arrivalMs: p.atMs + delay,
});

const digits = (got: ReceivedDigit[]): string => got.map((d) => d.digit).join('');

describe('telephone-event payload (RFC 4733 §2.3)', () => {
  it('encodes and decodes event, E bit, volume and duration', () => {
    expect([...encodeTelephoneEvent({ event: 5, end: true, volume: 10, duration: 800 })]).toEqual([5, 0x8a, 0x03, 0x20]);
    expect(decodeTelephoneEvent(Uint8Array.of(11, 0x3f, 0xff, 0xff))).toEqual({ event: 11, end: false, volume: 63, duration: 65535 });
    // the R bit is ignored
    expect(decodeTelephoneEvent(Uint8Array.of(1, 0xc0, 0, 160, 99))).toEqual({ event: 1, end: true, volume: 0, duration: 160 });
  });

  it('refuses short payloads and out-of-range fields', () => {
    expect(dtmfError(() => decodeTelephoneEvent(Uint8Array.of(1, 2, 3))).code).toBe('too-short');
    expect(dtmfError(() => encodeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).code).toBe('invalid-option');
    expect(dtmfError(() => encodeTelephoneEvent({ event: 1, end: false, volume: 1, duration: 65536 })).code).toBe('invalid-option');
  });

  it('maps digits to event codes and back', () => {
    expect([...'0123456789*#ABCD'].map(digitToEvent)).toEqual([...Array(16).keys()]);
    expect(digitToEvent('d')).toBe(15);
    expect(eventToDigit(10)).toBe('*');
    expect(eventToDigit(11)).toBe('#');
    expect(eventToDigit(16)).toBeUndefined();
    for (const bad of ['E', 'x', ' ', '', '12', ',']) expect(dtmfError(() => digitToEvent(bad)).code).toBe('invalid-digit');
  });
});

describe('planDigits (RFC 4733 §2.5.1)', () => {
  it('100 ms at 20 ms ptime: start with marker, 3 updates, the end packet three times', () => {
    const plan = planDigits('5');
    expect(plan.map((p) => p.atMs)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(plan.map((p) => p.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(plan.map((p) => p.end)).toEqual([false, false, false, false, true, true, true]);
    expect(plan.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(plan.map((p) => p.timestamp))).toEqual(new Set([0]));
    expect(plan.every((p) => p.event === 5 && p.digit === '5' && p.index === 0)).toBe(true);
    expect([...plan[4]!.payload]).toEqual([5, 0x8a, 0x03, 0x20]);
    expect([...plan[0]!.payload]).toEqual([5, 0x0a, 0x00, 0xa0]);
  });

  it('starts the next digit gapMs after the tone, with its own timestamp', () => {
    const plan = planDigits('1#a', { gapMs: 150, volume: 20 });
    const starts = plan.filter((p) => p.marker);
    expect(starts.map((p) => [p.atMs, p.timestamp, p.digit])).toEqual([
      [0, 0, '1'],
      [250, 2000, '#'],
      [500, 4000, 'A'],
    ]);
    expect(plan.length).toBe(21);
    expect(plan.every((p) => decodeTelephoneEvent(p.payload).volume === 20)).toBe(true);
  });

  it('never starts a digit before the previous end retransmissions are out', () => {
    const plan = planDigits('11', { gapMs: 0 });
    const second = plan.find((p) => p.index === 1)!;
    expect(second.atMs).toBe(140); // last end at 120 + one ptime
    expect(second.timestamp).toBe(1120);
  });

  it('a duration that is not a multiple of ptime ends on the packet that reaches it', () => {
    const plan = planDigits('2', { durationMs: 110 });
    expect(plan.map((p) => [p.atMs, p.duration, p.end])).toEqual([
      [0, 160, false],
      [20, 320, false],
      [40, 480, false],
      [60, 640, false],
      [80, 800, false],
      [100, 880, true],
      [120, 880, true],
      [140, 880, true],
    ]);
  });

  it('a tone within one ptime is only the end packet, the first with the marker', () => {
    const plan = planDigits('9', { durationMs: 40, ptimeMs: 60, clockRate: 16000 });
    expect(plan.map((p) => [p.atMs, p.marker, p.end, p.duration])).toEqual([
      [0, true, true, 640],
      [60, false, true, 640],
      [120, false, true, 640],
    ]);
  });

  it('handles an empty string and the 8 s maximum', () => {
    expect(planDigits('')).toEqual([]);
    const long = planDigits('0', { durationMs: 8000 });
    expect(long.at(-1)!.duration).toBe(64000);
    expect(long.length).toBe(399 + 3);
  });

  it('refuses bad digits and options with typed errors', () => {
    const e = dtmfError(() => planDigits('12x4'));
    expect(e.code).toBe('invalid-digit');
    expect(e.message).toContain('position 2');
    expect(dtmfError(() => planDigits('1 2')).code).toBe('invalid-digit');
    for (const bad of [{ durationMs: 39 }, { durationMs: 8001 }, { durationMs: Number.NaN }, { gapMs: -1 }, { ptimeMs: 0 }, { clockRate: 0 }, { volume: 64 }, { volume: 1.5 }]) {
      expect(dtmfError(() => planDigits('1', bad)).code).toBe('invalid-option');
    }
    // 2 s at 48 kHz is 96000 units: more than the 16-bit duration field
    expect(dtmfError(() => planDigits('1', { durationMs: 2000, clockRate: 48000 })).code).toBe('duration-too-long');
  });
});

describe('DtmfSender', () => {
  it('sends each planned packet at its time on the clock', async () => {
    const clock = new VirtualClock();
    clock.advance(1000);
    const sent: [number, DtmfPlannedPacket][] = [];
    const sender = new DtmfSender(clock, (p) => sent.push([clock.now(), p]));
    const done = sender.play('12');
    expect(sender.playing).toBe(true);
    clock.runUntilIdle();
    await done;
    const plan = planDigits('12');
    expect(sent.map(([t]) => t)).toEqual(plan.map((p) => 1000 + p.atMs));
    expect(sent.map(([, p]) => p)).toEqual(plan);
    expect(sender.playing).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops on abort, refuses a second play while busy, rejects bad input', async () => {
    const clock = new VirtualClock();
    const sent: number[] = [];
    const sender = new DtmfSender(clock, () => sent.push(clock.now()));
    const ac = new AbortController();
    const done = sender.play('123', { signal: ac.signal });
    await expect(sender.play('4')).rejects.toMatchObject({ name: 'DtmfError', code: 'busy' });
    clock.advance(50);
    ac.abort(new Error('hung up'));
    await expect(done).rejects.toThrow('hung up');
    clock.runUntilIdle();
    expect(sent).toEqual([0, 20, 40]);
    expect(clock.pendingTimers).toBe(0);
    await expect(sender.play('z')).rejects.toMatchObject({ code: 'invalid-digit' });
    await expect(sender.play('1', { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
  });

  it('rejects with what send threw and stops', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const sender = new DtmfSender(clock, () => {
      if (++calls === 3) throw new Error('socket closed');
    });
    const done = sender.play('1');
    clock.runUntilIdle();
    await expect(done).rejects.toThrow('socket closed');
    expect(calls).toBe(3);
    expect(sender.playing).toBe(false);
  });
});

describe('DtmfReceiver (RFC 4733 §2.5.2)', () => {
  const feedAll = (rx: DtmfReceiver, packets: TelephoneEventArrival[]): ReceivedDigit[] => packets.flatMap((p) => rx.receive(p));

  it('reports one digit for the whole packet train, at the first end packet', () => {
    const rx = new DtmfReceiver();
    const got = feedAll(rx, planDigits('7').map((p, i) => arrival(p, i, 5)));
    expect(got).toEqual([{ digit: '7', event: 7, timestamp: 0, durationMs: 100, receivedAt: 5, endedAt: 85, endedBy: 'end-packet' }]);
    expect(rx.stalePackets).toBe(2); // the two retransmissions
    expect(rx.pending).toBe(false);
  });

  it('starts the event from an update when the start packet is lost', () => {
    const rx = new DtmfReceiver();
    const got = feedAll(rx, planDigits('3').slice(1).map((p, i) => arrival(p, i)));
    expect(got).toMatchObject([{ digit: '3', receivedAt: 20, durationMs: 100 }]);
  });

  it('closes an event whose end packets were all lost after timeoutMs (tick)', () => {
    const rx = new DtmfReceiver({ timeoutMs: 150 });
    expect(feedAll(rx, planDigits('4').slice(0, 4).map((p, i) => arrival(p, i)))).toEqual([]);
    expect(rx.tick(209)).toEqual([]);
    expect(rx.tick(210)).toMatchObject([{ digit: '4', durationMs: 80, endedAt: 210, endedBy: 'timeout' }]);
    expect(rx.tick(1000)).toEqual([]);
  });

  it('closes it on its own with a clock, and the late end packets do not report it again', () => {
    const clock = new VirtualClock();
    const seen: ReceivedDigit[] = [];
    const rx = new DtmfReceiver({ clock, timeoutMs: 100, onDigit: (d) => seen.push(d) });
    const plan = planDigits('8');
    for (const [i, p] of plan.slice(0, 3).entries()) {
      clock.advanceTo(p.atMs);
      rx.receive(arrival(p, i));
    }
    clock.advance(99);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toMatchObject([{ digit: '8', endedBy: 'timeout', endedAt: 140, durationMs: 60 }]);
    expect(clock.pendingTimers).toBe(0);
    for (const [i, p] of plan.slice(4).entries()) rx.receive({ ...arrival(p, 10 + i), arrivalMs: clock.now() });
    expect(seen.length).toBe(1);
    rx.dispose();
  });

  it('tells two presses of the same key apart by timestamp', () => {
    const rx = new DtmfReceiver();
    const got = feedAll(rx, planDigits('55').map((p, i) => arrival(p, i)));
    expect(got.map((d) => [d.digit, d.timestamp])).toEqual([
      ['5', 0],
      ['5', 1600],
    ]);
  });

  it('ends an event without end packets when the next one starts (superseded)', () => {
    const rx = new DtmfReceiver();
    const got = feedAll(rx, planDigits('12').filter((p) => !(p.index === 0 && p.end)).map((p, i) => arrival(p, i)));
    expect(got.map((d) => [d.digit, d.endedBy, d.endedAt])).toEqual([
      ['1', 'superseded', 200],
      ['2', 'end-packet', 280],
    ]);
  });

  it('ignores duplicates, and retransmitted end packets that arrive after the next digit', () => {
    const rx = new DtmfReceiver();
    const plan = planDigits('12');
    const packets = plan.map((p, i) => arrival(p, i));
    const first = packets.filter((_, i) => plan[i]!.index === 0);
    const second = packets.filter((_, i) => plan[i]!.index === 1);
    const got = feedAll(rx, [first[0]!, first[0]!, ...first.slice(1, 5), ...second.slice(0, 3), first[5]!, first[6]!, ...second.slice(3)]);
    expect(digits(got)).toBe('12');
    expect(rx.duplicatePackets).toBe(1);
  });

  it('takes the final duration from an end packet that overtook the updates', () => {
    const rx = new DtmfReceiver();
    const p = planDigits('6').map((x, i) => arrival(x, i));
    const got = feedAll(rx, [p[0]!, p[4]!, p[1]!, p[2]!, p[3]!, p[5]!, p[6]!]);
    expect(got).toMatchObject([{ digit: '6', durationMs: 100, endedBy: 'end-packet' }]);
    expect(rx.pending).toBe(false);
  });

  it('reports an older digit first seen after a newer one started, before the newer one', () => {
    const rx = new DtmfReceiver();
    const plan = planDigits('12');
    const last1 = plan.filter((p) => p.index === 0).at(-1)!;
    const first2 = plan.find((p) => p.index === 1)!;
    const got = [...rx.receive(arrival(first2, 20)), ...rx.receive({ ...arrival(last1, 6), arrivalMs: 205 })];
    expect(got.map((d) => [d.digit, d.endedBy])).toEqual([['1', 'superseded']]);
    expect(digits(rx.flush())).toBe('2');
    // once '2' is reported, a '1' (older timestamp) seen only now is dropped
    expect(rx.receive({ ...arrival(last1, 7), arrivalMs: 400 })).toEqual([]);
  });

  it('works across a timestamp wrap', () => {
    const rx = new DtmfReceiver();
    const base = 2 ** 32 - 1000;
    const got = feedAll(rx, planDigits('*#').map((p, i) => arrival(p, i, 0, base)));
    expect(got.map((d) => [d.digit, d.timestamp])).toEqual([
      ['*', base],
      ['#', 600],
    ]);
  });

  it('joins the segments of a long event (RFC 4733 §2.5.1.3)', () => {
    const rx = new DtmfReceiver({ clockRate: 16000 });
    const pkt = (ts: number, duration: number, end: boolean, at: number): TelephoneEventArrival => ({ payload: { event: 0, end, volume: 10, duration }, timestamp: ts, arrivalMs: at });
    const got = feedAll(rx, [pkt(100, 320, false, 0), pkt(100, 65535, false, 50), pkt(100, 65535, false, 100), pkt(65635, 320, false, 120), pkt(65635, 16000, true, 200)]);
    expect(got).toMatchObject([{ digit: '0', timestamp: 100, durationMs: ((65535 + 16000) * 1000) / 16000, endedBy: 'end-packet' }]);
  });

  it('ignores non-DTMF events and starts afresh for a new SSRC or re-based timestamps', () => {
    const rx = new DtmfReceiver();
    expect(rx.receive({ payload: { event: 16, end: true, volume: 0, duration: 800 }, timestamp: 50, arrivalMs: 0 })).toEqual([]);
    expect(rx.ignoredPackets).toBe(1);
    const end = (ts: number, ssrc: number, at: number): TelephoneEventArrival => ({ payload: { event: 2, end: true, volume: 0, duration: 800 }, timestamp: ts, ssrc, arrivalMs: at });
    expect(digits(rx.receive(end(9000, 1, 10)))).toBe('2');
    expect(digits(rx.receive(end(10, 1, 20)))).toBe(''); // older timestamp, same stream: stale
    expect(digits(rx.receive(end(10, 2, 30)))).toBe('2'); // new stream
    // same stream, timestamps re-based far (> 2 s) behind: a new event, not a late packet
    expect(digits(rx.receive(end(100_000, 2, 40)))).toBe('2');
    expect(digits(rx.receive(end(50, 2, 50)))).toBe('2');
  });

  it('validates its options', () => {
    expect(dtmfError(() => new DtmfReceiver({ timeoutMs: 0 })).code).toBe('invalid-option');
    expect(dtmfError(() => new DtmfReceiver({ clockRate: -1 })).code).toBe('invalid-option');
  });
});
