// DTMF properties (RFC 4733): every plan has the §2.5.1 shape, and whatever the network does to
// the planned packets — loss (never all of a digit), duplication with any delay, reordering within
// a packet interval, a timestamp base that wraps — the receiver reports the dialled string exactly
// once, in order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTelephoneEvent, type DtmfPlannedPacket, type DtmfPlanOptions, DtmfSender, planDigits } from '../../src/media/dtmf.js';
import { DtmfReceiver, type ReceivedDigit, type TelephoneEventArrival } from '../../src/media/dtmf-receiver.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

const options: fc.Arbitrary<Required<DtmfPlanOptions>> = fc.record({
  durationMs: fc.integer({ min: 40, max: 250 }),
  gapMs: fc.integer({ min: 0, max: 200 }),
  ptimeMs: fc.constantFrom(10, 20, 30, 40, 50),
  clockRate: fc.constantFrom(8000, 16000, 48000),
  volume: fc.integer({ min: 0, max: 63 }),
});
const dialled = fc.string({ unit: fc.constantFrom(...'0123456789*#ABCDabcd'), minLength: 1, maxLength: 12 });

/** What the network does to one planned packet. */
interface Fate {
  lost: boolean;
  /** Extra delay of the original, below one ptime: neighbours may swap. */
  jitter: number;
  /** Delay of a duplicate copy (delivered even when the original is lost), or none. */
  duplicateAfter: number | undefined;
}

interface Scenario {
  digits: string;
  opts: Required<DtmfPlanOptions>;
  plan: DtmfPlannedPacket[];
  fates: Fate[];
  base: number;
}

const scenario: fc.Arbitrary<Scenario> = fc.tuple(dialled, options, fc.integer({ min: 0, max: 0xffff_ffff })).chain(([digits, opts, base]) => {
  const plan = planDigits(digits, opts);
  const fate: fc.Arbitrary<Fate> = fc.record({
    lost: fc.integer({ min: 0, max: 99 }).map((x) => x < 35),
    jitter: fc.integer({ min: 0, max: opts.ptimeMs - 1 }),
    duplicateAfter: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined, freq: 4 }),
  });
  return fc.tuple(fc.array(fate, { minLength: plan.length, maxLength: plan.length }), fc.array(fc.nat(), { minLength: digits.length, maxLength: digits.length })).map(([fates, keep]) => {
    // never lose every packet of a digit: one of each digit's packets is delivered
    for (let d = 0; d < digits.length; d++) {
      const mine = plan.flatMap((p, i) => (p.index === d ? [i] : []));
      fates[mine[keep[d]! % mine.length]!]!.lost = false;
    }
    return { digits, opts, plan, fates, base };
  });
});

/** The packets as they arrive, in arrival order (ties in sending order). */
function deliver(s: Scenario): TelephoneEventArrival[] {
  const out: { at: number; order: number; p: TelephoneEventArrival }[] = [];
  s.plan.forEach((p, i) => {
    const f = s.fates[i]!;
    const packet = (at: number): TelephoneEventArrival => ({ payload: decodeTelephoneEvent(p.payload), timestamp: (s.base + p.timestamp) % 2 ** 32, sequence: i % 65536, marker: p.marker, arrivalMs: at });
    if (!f.lost) out.push({ at: p.atMs + f.jitter, order: i, p: packet(p.atMs + f.jitter) });
    if (f.duplicateAfter !== undefined) out.push({ at: p.atMs + f.jitter + f.duplicateAfter, order: i + 0.5, p: packet(p.atMs + f.jitter + f.duplicateAfter) });
  });
  return out.sort((a, b) => a.at - b.at || a.order - b.order).map((x) => x.p);
}

function expectDialled(s: Scenario, got: ReceivedDigit[]): void {
  const context = JSON.stringify({ digits: s.digits, opts: s.opts, got: got.map((d) => [d.digit, d.timestamp, d.endedBy]) });
  expect(got.map((d) => d.digit).join(''), context).toBe(s.digits.toUpperCase());
  const starts = s.plan.filter((p, i) => i === 0 || s.plan[i - 1]!.index !== p.index).map((p) => (s.base + p.timestamp) % 2 ** 32);
  expect(got.map((d) => d.timestamp), context).toEqual(starts);
}

describe('DTMF properties', () => {
  it('every plan has the RFC 4733 §2.5.1 shape', () => {
    fc.assert(
      fc.property(dialled, options, (digits, opts) => {
        const plan = planDigits(digits, opts);
        const total = Math.round((opts.durationMs * opts.clockRate) / 1000);
        const fail = (why: string): never => {
          throw new Error(`${why}: ${JSON.stringify({ digits, opts })}`);
        };
        let lastAt = -Infinity;
        for (let d = 0; d < digits.length; d++) {
          const mine = plan.filter((p) => p.index === d);
          if (mine.length !== Math.max(0, Math.ceil(opts.durationMs / opts.ptimeMs) - 1) + 3) fail(`digit ${d} has ${mine.length} packets`);
          if (mine[0]!.atMs < lastAt + opts.ptimeMs) fail(`digit ${d} starts before the previous one's retransmissions are out`);
          mine.forEach((p, i) => {
            const prev = mine[i - 1];
            const ev = decodeTelephoneEvent(p.payload);
            if (p.marker !== (i === 0)) fail(`marker on packet ${i} of digit ${d}`);
            if (p.end !== i >= mine.length - 3) fail(`E bit on packet ${i} of digit ${d}`);
            if (p.end ? p.duration !== total : p.duration >= total) fail(`duration ${p.duration} on packet ${i} of digit ${d}`);
            if (p.timestamp !== mine[0]!.timestamp) fail(`timestamp moves within digit ${d}`);
            if (prev && (Math.abs(p.atMs - prev.atMs - opts.ptimeMs) > 1e-9 || p.duration < prev.duration)) fail(`packet ${i} of digit ${d} is off the ptime grid`);
            if (ev.event !== p.event || ev.end !== p.end || ev.volume !== opts.volume || ev.duration !== p.duration) fail(`payload of packet ${i} of digit ${d}`);
          });
          lastAt = mine.at(-1)!.atMs;
        }
      }),
      { numRuns: runs(300) },
    );
  });

  it('loss, duplication and bounded reordering still yield each digit exactly once, in order (tick)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const rx = new DtmfReceiver({ clockRate: s.opts.clockRate });
        const arrivals = deliver(s);
        const got = arrivals.flatMap((p) => rx.receive(p));
        got.push(...rx.tick(arrivals.at(-1)!.arrivalMs + 10_000), ...rx.flush());
        expectDialled(s, got);
      }),
      { numRuns: runs(500) },
    );
  });

  it('under any loss and wide reordering, what is reported is still in order and never twice', () => {
    const chaos = fc.tuple(dialled, options, fc.integer({ min: 0, max: 0xffff_ffff })).chain(([digits, opts, base]) => {
      const plan = planDigits(digits, opts);
      const fate = fc.record({
        lost: fc.integer({ min: 0, max: 99 }).map((x) => x < 60),
        jitter: fc.integer({ min: 0, max: 5 * opts.ptimeMs }),
        duplicateAfter: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined, freq: 3 }),
      });
      return fc.array(fate, { minLength: plan.length, maxLength: plan.length }).map((fates): Scenario => ({ digits, opts, plan, fates, base }));
    });
    fc.assert(
      fc.property(chaos, (s) => {
        const rx = new DtmfReceiver({ clockRate: s.opts.clockRate });
        const arrivals = deliver(s);
        const got = arrivals.flatMap((p) => rx.receive(p));
        got.push(...rx.flush());
        const starts = s.plan.filter((p, i) => i === 0 || s.plan[i - 1]!.index !== p.index).map((p) => (s.base + p.timestamp) % 2 ** 32);
        const indexes = got.map((d) => starts.indexOf(d.timestamp));
        expect(indexes.every((i, k) => i >= 0 && (k === 0 || i > indexes[k - 1]!))).toBe(true);
        expect(got.map((d) => d.digit).join('')).toBe(indexes.map((i) => s.digits[i]!.toUpperCase()).join(''));
      }),
      { numRuns: runs(500) },
    );
  });

  it('exactly once and in order, played by DtmfSender on a virtual clock into a receiver with its own timer', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new VirtualClock();
        const got: ReceivedDigit[] = [];
        const rx = new DtmfReceiver({ clockRate: s.opts.clockRate, clock, onDigit: (d) => got.push(d) });
        let i = 0;
        const send = (p: DtmfPlannedPacket): void => {
          const f = s.fates[i]!;
          const seq = i++;
          const arrive = (delay: number): void => {
            clock.setTimer(delay, () => rx.receive({ payload: decodeTelephoneEvent(p.payload), timestamp: (s.base + p.timestamp) % 2 ** 32, sequence: seq, marker: p.marker, arrivalMs: clock.now() }));
          };
          if (!f.lost) arrive(f.jitter);
          if (f.duplicateAfter !== undefined) arrive(f.jitter + f.duplicateAfter);
        };
        const done = new DtmfSender(clock, send).play(s.digits, s.opts);
        clock.runUntilIdle();
        await done;
        expect(rx.pending).toBe(false);
        expect(clock.pendingTimers).toBe(0);
        expectDialled(s, got);
      }),
      { numRuns: runs(200) },
    );
  });
});
