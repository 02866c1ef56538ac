// UdpTransport: real UDP on loopback. No sleeps: every test waits on the event it expects.
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, serializeMessage, SipRequest, SipResponse } from '../../../src/sip/parser/index.js';
import {
  type Endpoint,
  type InboundMessage,
  type MalformedDatagram,
  postDatagram,
  responseDestination,
  type Transport,
  TransportError,
  type TransportHandlers,
  UdpTransport,
  type UdpTransportOptions,
} from '../../../src/sip/transport/index.js';

/** Events a transport reported, with a way to wait for the next one of each kind. */
class Inbox {
  readonly messages: InboundMessage[] = [];
  readonly malformed: MalformedDatagram[] = [];
  readonly errors: TransportError[] = [];
  private readonly waiters: Array<() => void> = [];

  readonly handlers: TransportHandlers = {
    message: (m) => this.push(this.messages, m),
    malformed: (d) => this.push(this.malformed, d),
    error: (e) => this.push(this.errors, e),
  };

  private push<T>(list: T[], item: T): void {
    list.push(item);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with `list[index]` once it exists; fails after `ms` so a lost datagram is a clear failure. */
  async nth<T>(list: T[], index: number, what: string, ms = 2000): Promise<T> {
    const deadline = performance.now() + ms;
    while (list.length <= index) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} #${index + 1}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return list[index]!;
  }

  message(index = 0): Promise<InboundMessage> {
    return this.nth(this.messages, index, 'message');
  }
}

const open: UdpTransport[] = [];

async function bind(options: Partial<UdpTransportOptions> = {}): Promise<UdpTransport> {
  const t = await UdpTransport.bind({ host: '127.0.0.1', port: 0, ...options });
  open.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function options(from: UdpTransport, via?: string, extra: { body?: string } = {}): SipRequest {
  const host = from.local.address.includes(':') ? `[${from.local.address}]` : from.local.address;
  return createRequest({
    method: 'OPTIONS',
    uri: 'sip:bob@127.0.0.1',
    via: via ?? `SIP/2.0/UDP ${host}:${from.local.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    from: `<sip:alice@${host}>;tag=a1`,
    to: '<sip:bob@127.0.0.1>',
    callId: `call-${Math.random().toString(36).slice(2)}`,
    cseq: 1,
    ...(extra.body !== undefined ? { body: extra.body, contentType: 'text/plain' } : {}),
  });
}

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

/**
 * Waits until at most `count` UDP handles are listed. dgram emits 'close' before libuv has run the
 * handle's close callback, so a closed socket leaves getActiveResourcesInfo() a loop turn later.
 */
async function udpHandlesSettle(count: number): Promise<number> {
  for (let turn = 0; turn < 20 && udpHandles() > count; turn++) await new Promise((resolve) => setImmediate(resolve));
  return udpHandles();
}

async function transportError(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).name).toBe('TransportError');
    return err as TransportError;
  }
  throw new Error('expected a TransportError');
}

/** Request and its response between two transports; returns what each side saw. */
async function exchange(a: UdpTransport, b: UdpTransport): Promise<{ request: InboundMessage; response: InboundMessage }> {
  const inA = new Inbox();
  const inB = new Inbox();
  a.setHandlers(inA.handlers);
  b.setHandlers(inB.handlers);
  const req = options(a);
  await a.send(serializeMessage(req), b.local);
  const request = await inB.message();
  expect(request.message).toBeInstanceOf(SipRequest);
  const res = createResponse(request.message as SipRequest, 200, undefined, { toTag: 'b1' });
  const destination = responseDestination(res);
  expect(destination).toEqual(a.local);
  await b.send(serializeMessage(res), destination!);
  const response = await inA.message();
  expect(response.message).toBeInstanceOf(SipResponse);
  expect((response.message as SipResponse).status).toBe(200);
  expect(response.message.callId).toBe(req.callId);
  expect(response.source).toEqual(b.local);
  expect(inA.errors).toEqual([]);
  expect(inB.errors).toEqual([]);
  return { request, response };
}

describe('UdpTransport: exchange', () => {
  it('binds an ephemeral port on 127.0.0.1 and exchanges OPTIONS / 200 OK', async () => {
    const a = await bind();
    const b = await bind();
    expect(a.protocol).toBe('UDP');
    expect(a.reliable).toBe(false);
    expect(a.local.address).toBe('127.0.0.1');
    expect(a.local.port).toBeGreaterThan(0);
    expect(b.local.port).not.toBe(a.local.port);
    const { request } = await exchange(a, b);
    expect((request.message as SipRequest).method).toBe('OPTIONS');
    expect(request.source).toEqual({ address: '127.0.0.1', port: a.local.port });
    expect(request.bytes).toBeGreaterThan(0);
  });

  it('exchanges OPTIONS / 200 OK over IPv6 on ::1', async (ctx) => {
    let a: UdpTransport;
    try {
      a = await bind({ host: '::1' });
    } catch (err) {
      console.warn(`skipping the IPv6 UDP test: cannot bind ::1 on this machine (${(err as Error).message})`);
      ctx.skip();
      return;
    }
    const b = await bind({ host: '::1' });
    expect(a.local).toEqual({ address: '::1', port: expect.any(Number) });
    const { request } = await exchange(a, b);
    expect(request.source).toEqual({ address: '::1', port: a.local.port });
    // sent-by is [::1], the same address as the source: no received, rport filled in.
    expect(request.message.vias[0]?.rport).toBe(a.local.port);
  });

  it('reports IPv4-mapped IPv6 sources as plain IPv4, and answers them', async (ctx) => {
    let v6: UdpTransport;
    try {
      v6 = await bind({ host: '::ffff:127.0.0.1' });
    } catch (err) {
      console.warn(`skipping the IPv4-mapped UDP test: cannot bind ::ffff:127.0.0.1 on this machine (${(err as Error).message})`);
      ctx.skip();
      return;
    }
    const v4 = await bind();
    const { request } = await exchange(v4, v6);
    expect(v6.local).toEqual({ address: '127.0.0.1', port: expect.any(Number) });
    expect(request.source).toEqual({ address: '127.0.0.1', port: v4.local.port });
    // rport was requested, so received is stamped, in plain IPv4 form.
    expect(request.message.vias[0]?.received).toBe('127.0.0.1');
    // The mapped form is accepted as a destination on an IPv4 socket too.
    const inV6 = new Inbox();
    v6.setHandlers(inV6.handlers);
    await v4.send(serializeMessage(options(v4)), { address: '::ffff:127.0.0.1', port: v6.local.port });
    expect((await inV6.message()).source).toEqual(v4.local);
  });

  it('delivers a 60,000-byte message intact', async () => {
    const a = await bind();
    const b = await bind();
    const inB = new Inbox();
    b.setHandlers(inB.handlers);
    let body = '';
    for (let i = 0; body.length < 60_000; i++) body += `line ${i} ${'x'.repeat(i % 50)}\r\n`;
    const req = options(a, undefined, { body });
    const data = serializeMessage(req);
    expect(data.byteLength).toBeGreaterThan(60_000);
    await a.send(data, b.local);
    const got = await inB.message();
    expect(got.bytes).toBe(data.byteLength);
    expect(Buffer.from(got.message.body).equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(inB.malformed).toEqual([]);
  });
});

describe('UdpTransport: received and rport (RFC 3261 §18.2.1, RFC 3581)', () => {
  it('stamps the top Via of each request from the packet source', async () => {
    const a = await bind();
    const b = await bind();
    const inB = new Inbox();
    b.setHandlers(inB.handlers);
    const port = a.local.port;

    await a.send(serializeMessage(options(a, 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;rport')), b.local);
    const mismatched = (await inB.message(0)).message.vias[0]!;
    expect(mismatched.received).toBe('127.0.0.1');
    expect(mismatched.rport).toBe(port);

    await a.send(serializeMessage(options(a, `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKy`)), b.local);
    const same = (await inB.message(1)).message.vias[0]!;
    expect(same.received).toBeUndefined();
    expect(same.rport).toBeUndefined();

    await a.send(serializeMessage(options(a, 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKz')), b.local);
    const named = (await inB.message(2)).message.vias[0]!;
    expect(named.received).toBe('127.0.0.1');
    expect(named.rport).toBeUndefined();
  });
});

describe('UdpTransport: malformed datagrams', () => {
  it('answers a readable malformed request with a stateless 400 naming the problem', async () => {
    const a = await bind();
    const b = await bind();
    const inA = new Inbox();
    const inB = new Inbox();
    a.setHandlers(inA.handlers);
    b.setHandlers(inB.handlers);
    const bad = [
      'OPTIONS sip:bob@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbad;rport`,
      'Max-Forwards: 300',
      'To: <sip:bob@127.0.0.1>',
      'From: <sip:alice@127.0.0.1>;tag=a1',
      'Call-ID: malformed-1',
      'CSeq: 7 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await a.send(Buffer.from(bad), b.local);

    const reported = await inB.nth(inB.malformed, 0, 'malformed datagram');
    expect(reported.answered).toBe(true);
    expect(reported.source).toEqual(a.local);
    expect(reported.error.reason).toMatch(/Max-Forwards/);
    expect(Buffer.from(reported.data).toString()).toBe(bad);
    expect(inB.messages).toEqual([]);

    // The 400 goes to received/rport, i.e. back to the sender on loopback.
    const answer = await inA.message();
    const res = answer.message as SipResponse;
    expect(res).toBeInstanceOf(SipResponse);
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/Max-Forwards/);
    expect(res.callId).toBe('malformed-1');
    expect(res.cseq?.seq).toBe(7);
    expect(res.to?.tag).toBeDefined();
    expect(res.vias[0]?.received).toBe('127.0.0.1');
    expect(res.vias[0]?.rport).toBe(a.local.port);
    expect(answer.source).toEqual(b.local);
    expect(inB.errors).toEqual([]);
  });

  it('reports random bytes without answering', async () => {
    const a = await bind();
    const b = await bind();
    const inA = new Inbox();
    const inB = new Inbox();
    a.setHandlers(inA.handlers);
    b.setHandlers(inB.handlers);
    // Deterministic noise (a small LCG), with no line structure a 400 could be built from.
    const noise = new Uint8Array(512);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      noise[i] = x >>> 24;
    }
    await a.send(noise, b.local);
    const reported = await inB.nth(inB.malformed, 0, 'malformed datagram');
    expect(reported.answered).toBe(false);
    expect(reported.source).toEqual(a.local);
    expect(Buffer.from(reported.data).equals(Buffer.from(noise))).toBe(true);

    // Any 400 would have been sent before the malformed handler ran; a marker sent after it
    // arrives behind it on loopback, so when the marker is first, nothing was sent back.
    await b.send(serializeMessage(options(b)), a.local);
    await inA.message();
    expect(inA.messages).toHaveLength(1);
    expect((inA.messages[0]!.message as SipRequest).method).toBe('OPTIONS');
    expect(inA.malformed).toEqual([]);
  });
});

describe('UdpTransport: handlers', () => {
  it('survives a handler that throws and reports it as a socket error', async () => {
    const a = await bind();
    const b = await bind();
    const inB = new Inbox();
    const boom = new Error('boom');
    let calls = 0;
    b.setHandlers({
      ...inB.handlers,
      message: (m) => {
        calls++;
        if (calls === 1) throw boom;
        inB.handlers.message!(m);
      },
    });
    await a.send(serializeMessage(options(a)), b.local);
    const err = await inB.nth(inB.errors, 0, 'error');
    expect(err.kind).toBe('socket');
    expect(err.message).toMatch(/^handler threw: boom/);
    expect(err.cause).toBe(boom);

    await a.send(serializeMessage(options(a)), b.local);
    const second = await inB.message();
    expect(second.source).toEqual(a.local);
  });

  it('survives an error handler that throws too', async () => {
    const a = await bind();
    const inB = new Inbox();
    let thrown = 0;
    const b = await bind({
      handlers: {
        message: (m) => {
          if (thrown++ === 0) throw new Error('first');
          inB.handlers.message!(m);
        },
        error: () => {
          throw new Error('error handler fails as well');
        },
      },
    });
    await a.send(serializeMessage(options(a)), b.local);
    await a.send(serializeMessage(options(a)), b.local);
    await inB.message();
    expect(thrown).toBe(2);
  });
});

describe('UdpTransport: bind errors', () => {
  it('rejects a second bind of the same port with EADDRINUSE', async () => {
    const a = await bind();
    const err = await transportError(UdpTransport.bind({ host: '127.0.0.1', port: a.local.port }));
    expect(err.kind).toBe('bind');
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toContain(String(a.local.port));
  });

  it('rejects an address that is not on this machine', async () => {
    // 192.0.2.1 (TEST-NET-1) is never assigned to this host: the bind fails before anything is sent.
    const err = await transportError(UdpTransport.bind({ host: '192.0.2.1', port: 0 }));
    expect(err.kind).toBe('bind');
    expect(err.code).toBeDefined();
  });

  it('rejects invalid options', async () => {
    for (const opts of [
      { host: 'localhost', port: 0 },
      { host: '[::1]', port: 0 },
      { host: '127.0.0.1', port: -1 },
      { host: '127.0.0.1', port: 65536 },
      { host: '127.0.0.1', port: 1.5 },
      { host: '127.0.0.1', port: 0, recvBufferSize: 0 },
    ]) {
      const err = await transportError(UdpTransport.bind(opts));
      expect(err.kind).toBe('bind');
    }
  });

  it('leaves no socket handle behind after a failed bind or a close', async () => {
    const before = await udpHandlesSettle(0);
    const a = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    expect(udpHandles()).toBe(before + 1);
    await transportError(UdpTransport.bind({ host: '127.0.0.1', port: a.local.port }));
    await transportError(UdpTransport.bind({ host: '192.0.2.1', port: 0 }));
    await a.close();
    expect(await udpHandlesSettle(before)).toBe(before);
  });

  it('accepts a small explicit receive buffer and still works', async () => {
    const a = await bind();
    const b = await bind({ recvBufferSize: 4096 });
    await exchange(a, b);
  });
});

describe('UdpTransport: send and close', () => {
  it('rejects sends after close with kind closed, and closes idempotently', async () => {
    const a = await bind();
    const first = a.close();
    const second = a.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await a.close();
    const err = await transportError(a.send(Buffer.from('x'), { address: '127.0.0.1', port: 5060 }));
    expect(err.kind).toBe('closed');
  });

  it('sends what was accepted before close: the datagram leaves and its send resolves', async () => {
    const a = await bind();
    const received: string[] = [];
    const b = await bind({ handlers: { message: (m) => received.push(m.message.isRequest ? m.message.method : 'response') } });
    const pending = a.send(serializeMessage(options(a)), b.local);
    const closed = a.close();
    await expect(pending).resolves.toBeUndefined();
    await closed;
    for (let i = 0; i < 20 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(received).toEqual(['OPTIONS']);
    const late = await transportError(a.send(Buffer.from('x'), b.local));
    expect(late.kind).toBe('closed');
  });

  it('sends what one turn of the event loop asked for together, in the order asked, and each send resolves', async () => {
    const a = await bind();
    const got: string[] = [];
    const b = await bind({ handlers: { message: (m) => got.push(String(m.message.header('Call-ID'))) } });
    const sends: Promise<void>[] = [];
    // Two bursts in two turns: 100 numbered OPTIONS each.
    const numbered = (id: string): Uint8Array => {
      const req = options(a);
      req.setHeader('Call-ID', id);
      return serializeMessage(req);
    };
    for (let i = 0; i < 100; i++) sends.push(a.send(numbered(`first-${i}`), b.local));
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 100; i++) sends.push(a.send(numbered(`second-${i}`), b.local));
    await Promise.all(sends);
    for (let i = 0; i < 100 && got.length < 200; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([...Array.from({ length: 100 }, (_, i) => `first-${i}`), ...Array.from({ length: 100 }, (_, i) => `second-${i}`)]);
  });

  it('sends a burst in batches of 32 as it is asked for, not all at the end of the turn', async () => {
    const a = await bind();
    const b = await bind();
    // Count what reaches the socket itself (the transport's only way out).
    const socket = (a as unknown as { socket: { send: (...args: unknown[]) => void } }).socket;
    const real = socket.send.bind(socket);
    let handed = 0;
    socket.send = (...args: unknown[]) => {
      handed++;
      real(...args);
    };
    const sends: Promise<void>[] = [];
    const one = (): number => sends.push(a.send(serializeMessage(options(a)), b.local));
    for (let i = 0; i < 31; i++) one();
    expect(handed).toBe(0); // waiting for the end of the turn
    one();
    expect(handed).toBe(32); // the 32nd sends the batch at once
    for (let i = 0; i < 10; i++) one();
    expect(handed).toBe(32);
    await Promise.all(sends);
    expect(handed).toBe(42);
  });

  it('rejects invalid destinations and oversized datagrams with kind send', async () => {
    const a = await bind();
    const small = Buffer.from('OPTIONS');
    const bad: Endpoint[] = [
      { address: 'example.com', port: 5060 },
      { address: '[::1]', port: 5060 },
      { address: '::1', port: 5060 }, // IPv6 on an IPv4 socket
      { address: '127.0.0.1', port: 0 },
      { address: '127.0.0.1', port: 65536 },
      { address: '127.0.0.1', port: 50.5 },
    ];
    for (const destination of bad) {
      const err = await transportError(a.send(small, destination));
      expect(err.kind).toBe('send');
      expect(err.destination).toEqual(destination);
    }
    const tooBig = await transportError(a.send(new Uint8Array(65_508), { address: '127.0.0.1', port: 5060 }));
    expect(tooBig.kind).toBe('send');
    expect(tooBig.message).toMatch(/65508 bytes.*65507/);
  });

  it('rejects an IPv4 destination on an IPv6 socket bound to ::1', async (ctx) => {
    let a: UdpTransport;
    try {
      a = await bind({ host: '::1' });
    } catch {
      console.warn('skipping: cannot bind ::1 on this machine');
      ctx.skip();
      return;
    }
    const err = await transportError(a.send(Buffer.from('x'), { address: '127.0.0.1', port: 5060 }));
    expect(err.kind).toBe('send');
  });
});

describe('UdpTransport: post (a send without a promise)', () => {
  /** What a post reported: 'sent', or the failure. */
  function outcome(a: UdpTransport, data: Uint8Array, to: Endpoint): { promise: Promise<'sent' | TransportError>; returnedFirst: () => boolean } {
    let returned = false;
    let early = false;
    const promise = new Promise<'sent' | TransportError>((resolve) => {
      a.post(
        data,
        to,
        (err) => {
          early ||= !returned;
          resolve(err);
        },
        () => {
          early ||= !returned;
          resolve('sent');
        },
      );
    });
    returned = true;
    return { promise, returnedFirst: () => !early };
  }

  it('sends the datagram and calls sent once it has gone, after post returned', async () => {
    const a = await bind();
    const inbox = new Inbox();
    const b = await bind({ handlers: inbox.handlers });
    const posted = outcome(a, serializeMessage(options(a)), b.local);
    expect(await posted.promise).toBe('sent');
    expect(posted.returnedFirst()).toBe(true);
    const got = await inbox.nth(inbox.messages, 0, 'the posted OPTIONS');
    expect((got.message as SipRequest).method).toBe('OPTIONS');
  });

  it('gives failed what send rejects with, never before post returns: a bad destination, a closed transport', async () => {
    const a = await bind();
    const bad = outcome(a, Buffer.from('x'), { address: 'example.com', port: 5060 });
    const err = await bad.promise;
    expect(bad.returnedFirst()).toBe(true);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe('send');
    expect((err as TransportError).destination).toEqual({ address: 'example.com', port: 5060 });
    await a.close();
    const late = outcome(a, Buffer.from('x'), { address: '127.0.0.1', port: 5060 });
    const closed = await late.promise;
    expect(late.returnedFirst()).toBe(true);
    expect((closed as TransportError).kind).toBe('closed');
  });

  it('a post accepted before close still goes out, and reports sent', async () => {
    const a = await bind();
    const inbox = new Inbox();
    const b = await bind({ handlers: inbox.handlers });
    const posted = outcome(a, serializeMessage(options(a)), b.local);
    await a.close();
    expect(await posted.promise).toBe('sent');
    await inbox.nth(inbox.messages, 0, 'the OPTIONS posted before close');
  });
});

describe('postDatagram', () => {
  it("uses the transport's post when it has one, else send, the failure as a TransportError either way", async () => {
    const a = await bind();
    const inbox = new Inbox();
    const b = await bind({ handlers: inbox.handlers });
    const posts: string[] = [];
    const withPost: Transport = { protocol: 'UDP', reliable: false, local: a.local, setHandlers: () => undefined, close: () => a.close(), send: () => Promise.reject(new Error('not this')), post: (data, to, failed, sent) => {
      posts.push('post');
      a.post(data, to, failed, sent);
    } };
    await new Promise<void>((resolve, reject) => postDatagram(withPost, serializeMessage(options(a)), b.local, reject, resolve));
    expect(posts).toEqual(['post']);
    // A transport with send only: sent when send resolves; a plain Error rejected becomes a TransportError.
    const sendOnly: Transport = { protocol: 'UDP', reliable: false, local: a.local, setHandlers: () => undefined, close: () => a.close(), send: (data, to) => a.send(data, to) };
    await new Promise<void>((resolve, reject) => postDatagram(sendOnly, serializeMessage(options(a)), b.local, reject, resolve));
    await inbox.nth(inbox.messages, 1, 'the second OPTIONS');
    const failing: Transport = { ...sendOnly, send: () => Promise.reject(new Error('refused')) };
    const err = await new Promise<TransportError>((resolve) => postDatagram(failing, Buffer.from('x'), b.local, resolve));
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe('send');
    expect(err.message).toMatch(/refused/);
    // A send that throws at once is reported the same way, not thrown.
    const throwing: Transport = { ...sendOnly, send: () => { throw new Error('thrown'); } };
    const thrown = await new Promise<TransportError>((resolve) => postDatagram(throwing, Buffer.from('x'), b.local, resolve));
    expect(thrown.message).toMatch(/thrown/);
  });
});
