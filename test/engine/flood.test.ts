// An INVITE flood (issue 17) at a load's server chain, over real UDP on 127.0.0.1: 5,000 INVITEs in
// one second at an instance allowed 300 calls at once. It answers up to its limit, refuses the rest with 503 and Retry-After,
// its heap stays bounded, and every call it accepted then ends normally (ACK, BYE) and is counted
// once. Ports: 36420–36439.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadRunner } from '../../src/engine/index.js';
import { parseMessage, type SipResponse } from '../../src/sip/parser/index.js';
import { RAW_BARE_OFFER, rawRequest, type RawRequestInit } from './raw-sip.js';

const BOB = 36420;
const FLOOD = 36430;
const INVITES = 5000;
const MAX_DIALOGS = 300;

/**
 * A request numbered `n` from the flooding socket to sip:service@127.0.0.1:BOB (its branch, From tag
 * and Call-ID made from `n`).
 */
function request(method: string, n: number, o: Partial<RawRequestInit> = {}): Buffer {
  return Buffer.from(rawRequest({ method, toUser: 'service', toPort: BOB, fromUser: 'flood', fromPort: FLOOD, fromTag: `f${n}`, callId: `flood-${n}@127.0.0.1`, branch: `z9hG4bKflood${method}${n}`, ...o }));
}

let flood: Socket | undefined;
afterEach(() => {
  flood?.close();
  flood = undefined;
});

describe('an INVITE flood at ten times the sustainable rate', () => {
  it('answers up to the limit, 503 with Retry-After for the rest, bounded heap; the accepted calls end normally', async () => {
    const finals = new Map<string, SipResponse>();
    flood = createSocket('udp4');
    flood.on('message', (data) => {
      const m = parseMessage(new Uint8Array(data));
      if (!m.isRequest && m.status >= 200 && m.cseq?.method === 'INVITE') finals.set(m.callId!, m);
    });
    await new Promise<void>((resolve) => flood!.bind(FLOOD, '127.0.0.1', resolve));
    flood.setRecvBufferSize(8 * 1024 * 1024);
    const socket = flood;
    const send = (data: Buffer): Promise<void> => new Promise((resolve) => socket.send(data, BOB, '127.0.0.1', () => resolve()));

    const stop = new AbortController();
    const load = new LoadRunner({ portBase: 36422, closeTimeoutMs: 1000, limits: { maxDialogs: MAX_DIALOGS, retryAfterS: 7 } }).run(
      { name: 'flooded', instances: { bob: { dn: 'service', port: BOB, steps: ['INCOMING', 'Answer', { event: 'DISCONNECTED', timeout: 60_000 }] } } },
      { media: 'off', signal: stop.signal, load: { env: {} } },
    );
    await new Promise((r) => setTimeout(r, 500));
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    // 5,000 INVITEs over about a second: 5 a millisecond.
    for (let n = 0; n < INVITES; n++) {
      await send(request('INVITE', n, { sdp: RAW_BARE_OFFER }));
      if (n % 5 === 4) await new Promise((r) => setTimeout(r, 1));
      if (n % 250 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    // Every INVITE gets its final answer (200s are re-sent until ACKed, so wait for them all).
    for (let i = 0; i < 100 && finals.size < INVITES; i++) await new Promise((r) => setTimeout(r, 100));
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    const ok = [...finals.values()].filter((r) => r.status === 200);
    const refused = [...finals.values()].filter((r) => r.status === 503);
    expect(finals.size).toBe(INVITES);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThanOrEqual(MAX_DIALOGS);
    expect(ok.length + refused.length).toBe(INVITES);
    expect(new Set(refused.map((r) => r.header('Retry-After')))).toEqual(new Set(['7']));
    console.log(`flood of ${INVITES} INVITEs: ${ok.length} answered, ${refused.length} refused with 503; heap ${(heapBefore / 2 ** 20).toFixed(0)} MB before, peak ${(heapPeak / 2 ** 20).toFixed(0)} MB`);
    expect(heapPeak - heapBefore, 'heap growth during the flood').toBeLessThan(150 * 1024 * 1024);

    // The accepted calls are up and end normally: ACK, then BYE, each answered 200.
    const byes = new Set<string>();
    socket.removeAllListeners('message');
    socket.on('message', (data) => {
      const m = parseMessage(new Uint8Array(data));
      if (!m.isRequest && m.status === 200 && m.cseq?.method === 'BYE') byes.add(m.callId!);
    });
    for (const r of ok) {
      const n = Number(/^flood-(\d+)@/.exec(r.callId!)![1]);
      await send(request('ACK', n, { toTag: r.to!.tag! }));
      await send(request('BYE', n, { toTag: r.to!.tag!, cseq: 2 }));
    }
    for (let i = 0; i < 100 && byes.size < ok.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(byes.size).toBe(ok.length);
    await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    const result = await load;
    // Counted once each: the answered calls completed; the refused ones never became calls.
    expect(result.failures.filter((f) => f.reason !== 'stopped with the load')).toEqual([]);
    expect(result.totals.served + result.totals.started).toBeGreaterThanOrEqual(ok.length);
    expect(result.totals.completed).toBe(ok.length);
  }, 60_000);
});
