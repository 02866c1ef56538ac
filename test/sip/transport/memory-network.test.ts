// MemoryNetwork: an in-process lossy network driven by a VirtualClock (issue 3).
import { describe, expect, it } from 'vitest';
import { createResponse, parseMessage, serializeMessage, SipRequest, SipResponse } from '../../../src/sip/parser/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { responseDestination } from '../../../src/sip/transport/inbound.js';
import { type LinkConditions, MemoryNetwork, type MemoryTransport } from '../../../src/sip/transport/memory-network.js';
import { type Endpoint, type InboundMessage, type MalformedDatagram, TransportError } from '../../../src/sip/transport/transport.js';

const A = { address: '192.0.2.1', port: 5060 };
const B = { address: '192.0.2.2', port: 5060 };

function options(n: number, via = `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK${n}`): Buffer {
  return Buffer.from(
    [
      'OPTIONS sip:bob@192.0.2.2 SIP/2.0',
      `Via: ${via}`,
      'Max-Forwards: 70',
      'From: <sip:alice@192.0.2.1>;tag=a1',
      'To: <sip:bob@192.0.2.2>',
      `Call-ID: call-${n}@192.0.2.1`,
      `CSeq: ${n} OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** A network with transports at A and B, collecting what each receives. */
function setup(opts: { seed?: number; defaults?: LinkConditions } = {}) {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, ...opts });
  const a = net.transport(A);
  const b = net.transport(B);
  const atA: InboundMessage[] = [];
  const atB: InboundMessage[] = [];
  a.setHandlers({ message: (m) => atA.push(m) });
  b.setHandlers({ message: (m) => atB.push(m) });
  return { clock, net, a, b, atA, atB };
}

/** Sends n datagrams from a to b and lets the network drain. */
async function blast(net: MemoryNetwork, clock: VirtualClock, from: MemoryTransport, to: Endpoint, n: number): Promise<void> {
  const data = options(1);
  for (let i = 0; i < n; i++) await from.send(data, to);
  clock.runUntilIdle();
  expect(net.pending).toBe(0);
}

function cseqOf(m: InboundMessage): number {
  return m.message.cseq!.seq;
}

describe('MemoryNetwork: exchange', () => {
  it('delivers a request and its response only after the delay, with the source and received/rport', async () => {
    const { clock, net, a, b, atA, atB } = setup({ defaults: { delay: 20 } });
    await a.send(options(1, 'SIP/2.0/UDP alice.example.com:5070;branch=z9hG4bK1;rport'), B);
    expect(net.pending).toBe(1);
    expect(atB).toHaveLength(0);
    clock.advance(19);
    expect(atB).toHaveLength(0);
    clock.advance(1);
    expect(atB).toHaveLength(1);
    const inbound = atB[0]!;
    expect(inbound.source).toEqual(A);
    const req = inbound.message as SipRequest;
    expect(req).toBeInstanceOf(SipRequest);
    // RFC 3581 §4 and RFC 3261 §18.2.1
    expect(req.vias[0]!.received).toBe('192.0.2.1');
    expect(req.vias[0]!.rport).toBe(5060);

    const res = createResponse(req, 200, undefined, { toTag: 'b1' });
    const back = responseDestination(res);
    expect(back).toEqual(A); // the real source, not the Via's alice.example.com:5070
    await b.send(serializeMessage(res), back!);
    clock.advance(19);
    expect(atA).toHaveLength(0);
    clock.advance(1);
    expect(atA).toHaveLength(1);
    expect(atA[0]!.source).toEqual(B);
    expect((atA[0]!.message as SipResponse).status).toBe(200);

    expect(net.trace.map((r) => [r.from, r.to, r.sentAt, r.fate, r.deliveredAt])).toEqual([
      [A, B, 0, 'delivered', [20]],
      [B, A, 20, 'delivered', [40]],
    ]);
    expect(net.counters).toEqual({ sent: 2, delivered: 2, dropped: 0, duplicated: 0, noListener: 0, failed: 0 });
    expect(net.pending).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never delivers inside send(), even with no delay', async () => {
    const { clock, a, atB } = setup();
    await a.send(options(1), B);
    await Promise.resolve();
    expect(atB).toHaveLength(0);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(0);
    expect(atB).toHaveLength(1);
  });

  it('post sends as send does, reporting sent or the failure after it returns', async () => {
    const { clock, a, atB } = setup();
    const told: string[] = [];
    a.post(options(1), B, (e) => told.push(`failed ${e.kind}`), () => told.push('sent'));
    expect(told).toEqual([]);
    await Promise.resolve();
    expect(told).toEqual(['sent']);
    clock.runUntilIdle();
    expect(atB).toHaveLength(1);
    await a.close();
    a.post(options(2), B, (e) => told.push(`failed ${e.kind}`), () => told.push('sent'));
    await Promise.resolve();
    expect(told).toEqual(['sent', 'failed closed']);
    clock.runUntilIdle();
    expect(atB).toHaveLength(1);
  });

  it('copies the datagram on send', async () => {
    const { clock, a, atB } = setup();
    const data = options(1);
    await a.send(data, B);
    data.fill(0x20);
    clock.runUntilIdle();
    expect(atB).toHaveLength(1);
    expect(atB[0]!.message.callId).toBe('call-1@192.0.2.1');
  });

  it('binds IPv6, in canonical form, and assigns port 0 deterministically', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock });
    const x = net.transport({ address: '2001:DB8:0:0::1', port: 0 });
    const y = net.transport({ address: '2001:db8::2', port: 0 });
    const z = net.transport({ address: '2001:db8::2', port: 0 });
    expect(x.local).toEqual({ address: '2001:db8::1', port: 49152 });
    expect(y.local).toEqual({ address: '2001:db8::2', port: 49153 });
    expect(z.local.port).toBe(49154);
    const got: InboundMessage[] = [];
    y.setHandlers({ message: (m) => got.push(m) });
    await x.send(options(1, 'SIP/2.0/UDP [2001:db8::1]:49152;branch=z9hG4bK1;rport'), { address: '2001:db8:0::2', port: 49153 });
    clock.runUntilIdle();
    expect(got[0]!.source).toEqual({ address: '2001:db8::1', port: 49152 });
    expect((got[0]!.message as SipRequest).vias[0]!.rport).toBe(49152);
    await expect(x.send(options(2), A)).rejects.toMatchObject({ kind: 'send', code: 'EAFNOSUPPORT' });
  });
});

describe('MemoryNetwork: loss', () => {
  it('loss 1 drops everything and loss 0 nothing', async () => {
    const lossy = setup({ defaults: { loss: 1 } });
    await blast(lossy.net, lossy.clock, lossy.a, B, 100);
    expect(lossy.atB).toHaveLength(0);
    expect(lossy.net.counters).toMatchObject({ sent: 100, dropped: 100, delivered: 0 });
    expect(lossy.net.trace.every((r) => r.fate === 'dropped' && r.arrivals.length === 0)).toBe(true);

    const perfect = setup({ defaults: { loss: 0 } });
    await blast(perfect.net, perfect.clock, perfect.a, B, 100);
    expect(perfect.atB).toHaveLength(100);
    expect(perfect.net.counters).toMatchObject({ sent: 100, dropped: 0, delivered: 100 });
  });

  it('loss 0.3 drops close to 30%, the same datagrams for the same seed, others for another seed', async () => {
    const runs = [];
    for (const seed of [7, 7, 8]) {
      const r = setup({ seed, defaults: { loss: 0.3, delay: 5, jitter: 10 } });
      await blast(r.net, r.clock, r.a, B, 10_000);
      runs.push(r);
    }
    const [first, second, third] = runs as [ReturnType<typeof setup>, ReturnType<typeof setup>, ReturnType<typeof setup>];
    const dropped = first.net.counters.dropped;
    expect(dropped / 10_000).toBeGreaterThan(0.28);
    expect(dropped / 10_000).toBeLessThan(0.32);
    expect(first.net.counters.delivered + dropped).toBe(10_000);
    const fates = (r: typeof first) => r.net.trace.map((d) => [d.fate, d.arrivals]);
    expect(fates(second)).toEqual(fates(first));
    expect(second.atB.length).toBe(first.atB.length);
    expect(fates(third)).not.toEqual(fates(first));
  });

  it('applies conditions per direction: A→B lost, B→A delivered', async () => {
    const { clock, net, a, b, atA, atB } = setup();
    net.setLink(A, B, { loss: 1 });
    expect(net.conditions(A, B)).toMatchObject({ loss: 1 });
    expect(net.conditions(B, A)).toMatchObject({ loss: 0 });
    for (let i = 0; i < 20; i++) {
      await a.send(options(i), B);
      await b.send(options(i), A);
    }
    clock.runUntilIdle();
    expect(atB).toHaveLength(0);
    expect(atA).toHaveLength(20);
    net.clearLink(A, B);
    await a.send(options(99), B);
    clock.runUntilIdle();
    expect(atB).toHaveLength(1);
  });

  it('link conditions left out follow the defaults', async () => {
    const { clock, net, a, atB } = setup({ defaults: { delay: 50 } });
    net.setLink(A, B, { duplicate: 1 });
    await a.send(options(1), B);
    clock.advance(49);
    expect(atB).toHaveLength(0);
    clock.advance(1);
    expect(atB).toHaveLength(2);
  });
});

describe('MemoryNetwork: duplication and reordering', () => {
  it('duplicate 1 delivers each datagram twice', async () => {
    const { clock, net, a, atB } = setup({ defaults: { duplicate: 1, delay: 3 } });
    await blast(net, clock, a, B, 10);
    expect(atB).toHaveLength(20);
    expect(net.counters).toMatchObject({ sent: 10, duplicated: 10, delivered: 20 });
    expect(net.trace.every((r) => r.fate === 'duplicated' && r.deliveredAt.length === 2)).toBe(true);
  });

  it('jitter reorders, loses nothing, and keeps every arrival within [delay, delay + jitter]', async () => {
    const { clock, net, a, b, atB } = setup({ seed: 3, defaults: { delay: 100, jitter: 40 } });
    const arrivals: Array<{ n: number; at: number }> = [];
    b.setHandlers({ message: (m) => { atB.push(m); arrivals.push({ n: cseqOf(m), at: clock.now() }); } });
    for (let n = 1; n <= 100; n++) {
      await a.send(options(n), B);
      clock.advance(1); // one datagram per millisecond
    }
    clock.runUntilIdle();
    expect(arrivals.map((x) => x.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const order = arrivals.map((x) => x.n);
    expect(order.some((n, i) => i > 0 && n < order[i - 1]!)).toBe(true);
    for (const { n, at } of arrivals) {
      const sentAt = n - 1;
      expect(at).toBeGreaterThanOrEqual(sentAt + 100);
      expect(at).toBeLessThanOrEqual(sentAt + 140);
    }
    expect(net.counters).toMatchObject({ sent: 100, delivered: 100, dropped: 0 });
  });
});

describe('MemoryNetwork: malformed requests', () => {
  it('sends the stateless 400 back over the network and calls the malformed handler', async () => {
    const { clock, net, a, b, atA } = setup({ defaults: { delay: 10 } });
    const bad: MalformedDatagram[] = [];
    b.setHandlers({ malformed: (d) => bad.push(d) });
    const text = options(5, 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK5;rport').toString().replace('Max-Forwards: 70', 'Max-Forwards: lots');
    await a.send(Buffer.from(text), B);
    clock.advance(10);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.answered).toBe(true);
    expect(bad[0]!.source).toEqual(A);
    expect(atA).toHaveLength(0); // the 400 is still in flight
    clock.advance(10);
    expect(atA).toHaveLength(1);
    const res = atA[0]!.message as SipResponse;
    expect(res.status).toBe(400);
    expect(res.cseq).toMatchObject({ seq: 5, method: 'OPTIONS' });
    expect(atA[0]!.source).toEqual(B);
    expect(net.trace.map((r) => [r.from, r.to, r.fate])).toEqual([
      [A, B, 'delivered'],
      [B, A, 'delivered'],
    ]);
  });

  it('the 400 obeys the link conditions of its direction', async () => {
    const { clock, net, a, atA } = setup();
    net.setLink(B, A, { loss: 1 });
    await a.send(Buffer.from(options(5).toString().replace('Max-Forwards: 70', 'Max-Forwards: lots')), B);
    clock.runUntilIdle();
    expect(atA).toHaveLength(0);
    expect(net.trace.map((r) => r.fate)).toEqual(['delivered', 'dropped']);
  });
});

describe('MemoryNetwork: edges and failures', () => {
  it('counts a send to nowhere as no-listener and resolves', async () => {
    const { clock, net, a } = setup();
    await expect(a.send(options(1), { address: '192.0.2.99', port: 5060 })).resolves.toBeUndefined();
    expect(net.trace[0]!.fate).toBe('in-flight');
    clock.runUntilIdle();
    expect(net.trace[0]!.fate).toBe('no-listener');
    expect(net.counters).toMatchObject({ sent: 1, noListener: 1, delivered: 0 });
  });

  it('close() stops delivery: in-flight datagrams become no-listener, and the port is free again', async () => {
    const { clock, net, a, b, atB } = setup({ defaults: { delay: 10 } });
    await a.send(options(1), B);
    await b.close();
    await b.close(); // idempotent
    expect(b.closed).toBe(true);
    clock.runUntilIdle();
    expect(atB).toHaveLength(0);
    expect(net.trace[0]!.fate).toBe('no-listener');
    expect(() => net.transport(B)).not.toThrow();
  });

  it('send after close rejects with kind closed', async () => {
    const { a } = setup();
    await a.close();
    const err = await a.send(options(1), B).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ name: 'TransportError', kind: 'closed' });
  });

  it('a duplicate bind throws EADDRINUSE', () => {
    const { net } = setup();
    let err: unknown;
    try {
      net.transport({ address: '192.0.2.1', port: 5060 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ kind: 'bind', code: 'EADDRINUSE' });
    expect(() => net.transport({ address: '0:0::0:0', port: 5060 })).toThrow(RangeError);
  });

  it('a fail link rejects sends with EHOSTUNREACH and sends nothing', async () => {
    const { clock, net, a, atB } = setup();
    net.setLink(A, B, { fail: true });
    await expect(a.send(options(1), B)).rejects.toMatchObject({ kind: 'send', code: 'EHOSTUNREACH', destination: B });
    clock.runUntilIdle();
    expect(atB).toHaveLength(0);
    expect(net.counters).toMatchObject({ sent: 0, failed: 1 });
    expect(net.trace[0]!.fate).toBe('failed');
  });

  it('rejects bad destinations and oversized datagrams', async () => {
    const { a } = setup();
    await expect(a.send(options(1), { address: 'bob.example.com', port: 5060 })).rejects.toMatchObject({ kind: 'send', code: 'EINVAL' });
    await expect(a.send(options(1), { address: '192.0.2.2', port: 0 })).rejects.toMatchObject({ kind: 'send', code: 'EINVAL' });
    await expect(a.send(new Uint8Array(65508), B)).rejects.toMatchObject({ kind: 'send', code: 'EMSGSIZE' });
  });

  it('reports a handler exception to the error handler as a socket error', async () => {
    const { clock, a, b } = setup();
    const errors: TransportError[] = [];
    const boom = new Error('boom');
    b.setHandlers({ message: () => { throw boom; }, error: (e) => errors.push(e) });
    await a.send(options(1), B);
    clock.runUntilIdle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'socket', cause: boom });
  });

  it('rethrows a handler exception from the clock when there is no error handler', async () => {
    const { clock, a, b } = setup();
    b.setHandlers({ message: () => { throw new Error('boom'); } });
    await a.send(options(1), B);
    expect(() => clock.runUntilIdle()).toThrow('boom');
  });

  it('validates conditions with RangeErrors', () => {
    const clock = new VirtualClock();
    expect(() => new MemoryNetwork({ clock, defaults: { loss: 1.5 } })).toThrow(RangeError);
    expect(() => new MemoryNetwork({ clock, seed: 1.5 })).toThrow(RangeError);
    const net = new MemoryNetwork({ clock });
    expect(() => net.setDefaults({ duplicate: -0.1 })).toThrow(/duplicate must be a probability/);
    expect(() => net.setDefaults({ loss: Number.NaN })).toThrow(RangeError);
    expect(() => net.setDefaults({ delay: -1 })).toThrow(/delay must be a finite, non-negative/);
    expect(() => net.setLink(A, B, { jitter: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => net.setLink({ address: 'localhost', port: 5060 }, B, {})).toThrow(RangeError);
  });

  it('is idle at the end: nothing pending, no timers left', async () => {
    const { clock, net, a, b } = setup({ seed: 11, defaults: { loss: 0.2, duplicate: 0.2, delay: 30, jitter: 30 } });
    for (let i = 0; i < 200; i++) {
      await a.send(options(i), B);
      await b.send(options(i), A);
    }
    await a.send(options(0), { address: '192.0.2.3', port: 5060 });
    expect(net.pending).toBeGreaterThan(0);
    clock.runUntilIdle();
    expect(net.pending).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    const c = net.counters;
    expect(c.delivered + c.noListener).toBe(c.sent - c.dropped + c.duplicated);
    expect(net.trace.every((r) => r.fate !== 'in-flight')).toBe(true);
  });
});

describe('MemoryNetwork: trace option', () => {
  it('keeps no trace when asked not to, but still counts', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock, trace: false });
    const a = net.transport(A);
    net.transport(B);
    await a.send(options(1), B);
    clock.runUntilIdle();
    expect(net.trace).toHaveLength(0);
    expect(net.counters.delivered).toBe(1);
  });

  it('parses what was sent from the trace', async () => {
    const { clock, net, a } = setup();
    await a.send(options(4), B);
    clock.runUntilIdle();
    expect((parseMessage(net.trace[0]!.data) as SipRequest).method).toBe('OPTIONS');
    net.clearTrace();
    expect(net.trace).toHaveLength(0);
  });
});
