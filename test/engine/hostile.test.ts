// Hostile datagrams at a running engine (issue 17), over real UDP on 127.0.0.1: while alice calls
// bob and the call is up, a hostile socket sends both instances random bytes, truncated and
// mutated copies of a valid INVITE, oversized datagrams, header bombs, absurd CSeqs, Max-Forwards
// 0, a merged (looped) INVITE and unknown methods. Nothing crashes, nothing is left unhandled,
// malformed requests with a Via we can route to get 400, the well-formed junk gets its proper
// answer, the heap stays bounded, and the real call completes and the scenario passes.
// Ports: 36400–36419.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type RunEvent } from '../../src/engine/index.js';
import { parseMessage, type SipResponse } from '../../src/sip/parser/index.js';
import { prng } from '../fuzz/mutate.js';
import { RAW_BARE_OFFER, rawRequest, type RawRequestInit } from './raw-sip.js';

const BASE = 36400;
const ALICE = BASE;
const BOB = BASE + 2;
const HOSTILE = BASE + 10;

/**
 * A well-formed request numbered `n` from the hostile socket to sip:x@127.0.0.1:`port` (its
 * branch, From tag and Call-ID made from `n` unless given).
 */
function request(method: string, port: number, n: number, o: Partial<RawRequestInit> = {}): string {
  return rawRequest({ method, toUser: 'x', toPort: port, fromUser: 'evil', fromPort: HOSTILE, fromTag: `h${n}`, callId: `hostile-${n}@127.0.0.1`, branch: `z9hG4bKhostile${n}`, ...o });
}

/** Every kind of junk, `rounds` times over, for one target port. */
function junk(port: number, rounds: number, random: () => number): Buffer[] {
  const out: Buffer[] = [];
  const valid = Buffer.from(request('INVITE', port, 0, { sdp: RAW_BARE_OFFER }));
  let n = 1000 * port;
  for (let r = 0; r < rounds; r++) {
    // Random bytes of random length.
    out.push(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 1500) }, () => Math.floor(random() * 256))));
    // A valid INVITE cut short anywhere.
    out.push(valid.subarray(0, Math.floor(random() * valid.length)));
    // A valid INVITE with bytes flipped.
    const mutated = Buffer.from(valid);
    for (let i = 0; i < 1 + Math.floor(random() * 8); i++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    out.push(mutated);
    // Oversized: near the UDP limit, one enormous header value.
    out.push(Buffer.from(request('OPTIONS', port, ++n, { callId: `hostile-big-${n}`, headers: [`X-Big: ${'a'.repeat(60_000)}`] })));
    // Header bomb: thousands of headers.
    out.push(Buffer.from(request('OPTIONS', port, ++n, { callId: `hostile-bomb-${n}`, headers: Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`) })));
    // Absurd CSeqs: a number beyond 2^32, a negative one, a method that is not the request's.
    out.push(Buffer.from(request('OPTIONS', port, ++n, { callId: `hostile-cseq-huge-${n}`, cseq: '99999999999999999999999 OPTIONS' })));
    out.push(Buffer.from(request('OPTIONS', port, ++n, { callId: `hostile-cseq-negative-${n}`, cseq: '-1 OPTIONS' })));
    out.push(Buffer.from(request('INVITE', port, ++n, { callId: `hostile-cseq-mismatch-${n}`, cseq: '1 BYE', sdp: RAW_BARE_OFFER })));
    // In-dialog requests for dialogs that do not exist, unknown methods, Max-Forwards 0.
    out.push(Buffer.from(request('BYE', port, ++n, { callId: `hostile-no-dialog-${n}`, toTag: 'nosuch' })));
    out.push(Buffer.from(request('FROBNICATE', port, ++n, { callId: `hostile-unknown-${n}` })));
    out.push(Buffer.from(request('OPTIONS', port, ++n, { callId: `hostile-max-forwards-${n}`, maxForwards: 0 })));
  }
  // A loop: the same INVITE twice with different branches (RFC 3261 §8.2.2.2, 482 for the second).
  out.push(Buffer.from(request('INVITE', port, 7, { branch: 'z9hG4bKloop1', callId: 'hostile-loop-1', fromTag: 'loop', sdp: RAW_BARE_OFFER })));
  out.push(Buffer.from(request('INVITE', port, 7, { branch: 'z9hG4bKloop2', callId: 'hostile-loop-1', fromTag: 'loop', sdp: RAW_BARE_OFFER })));
  return out;
}

let hostile: Socket | undefined;
afterEach(() => {
  hostile?.close();
  hostile = undefined;
});

describe('hostile datagrams at a running engine', () => {
  it('no crash, 400 for malformed requests, proper answers for the rest, bounded heap; the real call completes and the scenario passes', async () => {
    const responses: SipResponse[] = [];
    let unparsable = 0;
    hostile = createSocket('udp4');
    hostile.on('message', (data) => {
      try {
        const m = parseMessage(new Uint8Array(data));
        if (!m.isRequest) responses.push(m);
      } catch {
        unparsable++;
      }
    });
    await new Promise<void>((resolve) => hostile!.bind(HOSTILE, '127.0.0.1', resolve));
    hostile.setRecvBufferSize(4 * 1024 * 1024);
    const socket = hostile;

    const engine = new Engine({ portBase: BASE, closeTimeoutMs: 500, media: false });
    const events: RunEvent[] = [];
    let sent = 0;
    let finishedSendingAt = Infinity;
    let callEndedAt = 0;
    let heapPeak = 0;
    const heapAtStart = process.memoryUsage().heapUsed;
    // Once the call is answered, bob and alice are flooded for the whole time it is up.
    engine.on((e) => {
      events.push(e);
      if (e.type === 'scenario:node-state' && e.nodeId === 'alice.steps[2]' && e.newState === 'running') callEndedAt = performance.now();
      if (e.type !== 'scenario:action-log' || e.instanceId !== 'bob' || !e.message.startsWith('Answer succeeded')) return;
      const random = prng(17);
      const batches = [junk(BOB, 40, random), junk(ALICE, 40, random)];
      void (async () => {
        for (const [i, batch] of batches.entries()) {
          for (const datagram of batch) {
            await new Promise<void>((resolve) => socket.send(datagram, i === 0 ? BOB : ALICE, '127.0.0.1', () => resolve()));
            sent++;
            // Paced (about a datagram a millisecond) so the loopback buffers do not overflow:
            // this test is about what the engine does with what it receives.
            await new Promise<void>((resolve) => setTimeout(resolve, 1));
            if (sent % 50 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
          }
        }
        finishedSendingAt = performance.now();
      })();
    });
    const result = await engine.run(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 5000 }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'DISCONNECTED', timeout: 10_000 }] },
        },
      },
      { env: {} },
    );
    const internal = events.filter((e) => e.type === 'scenario:action-log' && e.message.startsWith('internal:'));
    const why = JSON.stringify({ failure: result.failure, internal }).slice(0, 3000);
    expect(result.status, why).toBe('passed');
    expect(sent).toBe(2 * (40 * 11 + 2));
    expect(finishedSendingAt, 'the flood was over before the call ended').toBeLessThan(callEndedAt);
    // The real call: answered, held 5 s under fire, released, DISCONNECTED at bob.
    expect(result.nodes.map((n) => [n.nodeId, n.state])).toEqual([
      ['alice.steps[0]', 'completed'],
      ['alice.steps[1]', 'completed'],
      ['alice.steps[2]', 'completed'],
      ['bob.steps[0]', 'completed'],
      ['bob.steps[1]', 'completed'],
      ['bob.steps[2]', 'completed'],
    ]);
    const real = result.calls.filter((c) => c.callId === 'call-1');
    expect(real.map((c) => [c.instanceId, c.end?.reason])).toEqual([
      ['alice', 'local-bye'],
      ['bob', 'remote-bye'],
    ]);
    // The answers the junk deserved. Every response went back to our Via (none to anyone else).
    // Which answers each kind got: kind → "status" → distinct Call-IDs (retransmitted finals count once).
    const byKind = new Map<string, Map<number, Set<string>>>();
    for (const r of responses) {
      const kind = /^hostile-([a-z-]+)-\d+$/.exec(r.callId ?? '')?.[1] ?? 'other';
      const statuses = byKind.get(kind) ?? new Map<number, Set<string>>();
      const ids = statuses.get(r.status) ?? new Set<string>();
      ids.add(`${r.callId} ${r.cseq?.method}`);
      statuses.set(r.status, ids);
      byKind.set(kind, statuses);
    }
    const answers = Object.fromEntries([...byKind].map(([kind, statuses]) => [kind, Object.fromEntries([...statuses].map(([status, ids]) => [status, ids.size]))]));
    const both = 2 * 40;
    expect(answers, 'answers by kind').toMatchObject({
      big: { 400: both }, // header line over 8,192 bytes
      bomb: { 400: both }, // over 256 headers
      'cseq-mismatch': { 400: both }, // RFC 3261 §8.1.1.5
      'no-dialog': { 481: both }, // §12.2.2
      unknown: { 501: both }, // §8.2.1
      'max-forwards': { 200: both }, // a UAS processes it (483 is a proxy's answer, §16.3)
      loop: { 482: 1 }, // §8.2.2.2, the second copy at each instance (the first waits to be taken)
    });
    // An unreadable CSeq leaves nothing to build a response from (a response the sender can match
    // must carry it): dropped, and reported as malformed.
    expect(answers['cseq-huge']).toBeUndefined();
    expect(answers['cseq-negative']).toBeUndefined();
    // Truncated, mutated and random datagrams: whatever of them was still a request with a
    // readable Via, From, To, Call-ID and CSeq was answered; the rest was dropped.
    expect(answers['other']?.[400] ?? 0).toBeGreaterThan(0);
    expect(unparsable).toBe(0);
    // No internal error reached the run, and the heap stayed within bounds while under fire.
    expect(internal).toEqual([]);
    expect(heapPeak - heapAtStart, 'heap growth under fire').toBeLessThan(64 * 1024 * 1024);
  }, 30_000);
});
