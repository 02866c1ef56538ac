// UserAgent.close() in the corners (RFC 3261 §9.1, §15): it waits for a BYE the application sent
// just before it, for the final response of an INVITE it cancels (so the 487 is ACKed), and it
// settles every request still pending (kind `closed`) instead of leaving its promise hanging.
import { describe, expect, it } from 'vitest';
import { type DialogSession, RequestFailedError } from '../../../src/sip/dialog/index.js';
import { createResponse } from '../../../src/sip/parser/index.js';
import { RawPeer } from './raw-peer.js';
import { ALICE, BOB, BOB_URI, drain, errorsOf, labels, layerOf, offerFor, pass, settle, until, world } from './ua-harness.js';

const PEER = { address: '10.0.0.3', port: 5060 };

async function connected(w: ReturnType<typeof world>): Promise<{ a: DialogSession; b: DialogSession }> {
  const bobSide = new Promise<DialogSession>((resolve) => w.bob.once('session', resolve));
  w.bob.on('invite', (call) => void call.answer().catch(() => undefined));
  const a = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
  return { a, b: await until(w.clock, bobSide) };
}

describe('close() and what is under way', () => {
  it('a BYE sent just before close() is waited for, not cut off', async () => {
    const w = world({ defaults: { delay: 50 } });
    const { a, b } = await connected(w);
    const bye = a.bye();
    const closing = w.alice.close();
    expect((await until(w.clock, bye))?.status).toBe(200);
    await until(w.clock, closing);
    expect(b.signal.reason).toMatchObject({ reason: 'remote-bye' });
    expect(errorsOf(w.events.alice)).toEqual([]);
    expect(labels(w.network, ALICE).filter((l) => l === 'BYE')).toEqual(['BYE']);
  });

  it('cancelling a ringing call, it waits for the 487 and ACKs it', async () => {
    const w = world({ defaults: { delay: 50 } });
    w.bob.on('invite', (c) => c.ringing());
    const ringing = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) });
    ringing.catch(() => undefined);
    await pass(w.clock, 150);
    const start = w.clock.now();
    await until(w.clock, w.alice.close());
    expect(await ringing.catch((e: unknown) => e)).toMatchObject({ kind: 'closed' });
    expect(w.clock.now() - start).toBe(100); // CANCEL out, 487 back
    expect(labels(w.network, ALICE)).toEqual(['INVITE', 'CANCEL', 'ACK']);
    await until(w.clock, w.bob.close());
    await drain(w.clock);
    expect(labels(w.network, BOB).filter((l) => l === '487 INVITE')).toEqual(['487 INVITE']); // ACKed: never re-sent
  });

  it('a 2xx that crosses the CANCEL of close() is ACKed and BYEd before the socket closes', async () => {
    const w = world({ defaults: { delay: 50 } });
    let bobSession: Promise<unknown> | undefined;
    w.bob.on('invite', (c) => {
      c.ringing();
      w.clock.setTimer(60, () => (bobSession = c.answer().catch((e: unknown) => e)));
    });
    const call = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) });
    call.catch(() => undefined);
    await pass(w.clock, 100); // the 180 is in; bob's 200 leaves at 110
    await until(w.clock, w.alice.close());
    expect(await call.catch((e: unknown) => e)).toMatchObject({ kind: 'closed' });
    expect(labels(w.network, ALICE)).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    const s = (await bobSession) as DialogSession;
    expect(s.signal.reason).toMatchObject({ reason: 'remote-bye' });
    expect(errorsOf(w.events.alice)).toEqual([]);
  });

  it('requests still waiting when the layer closes settle as closed (no promise left pending)', async () => {
    const w = world({ alice: { closeTimeout: 1000 } });
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.onMessage = (m, source) => {
      if (m.isRequest && m.method === 'INVITE' && m.to?.tag === undefined) {
        peer.autoAnswer = false; // answers the first INVITE, then nothing
        peer.send(createResponse(m, 200, undefined, { toTag: 'p1', headers: { Contact: `<${peer.uri}>` }, body: offerFor(PEER, 4000), contentType: 'application/sdp' }), source);
      }
    };
    const s = await until(w.clock, w.alice.invite(peer.uri, { sdp: offerFor(ALICE, 40000) }));
    const info = s.info('x');
    const options = w.alice.options(peer.uri);
    const reinvite = s.reinvite(s.localSdp);
    info.catch(() => undefined);
    options.catch(() => undefined);
    reinvite.catch(() => undefined);
    await pass(w.clock, 100);
    await until(w.clock, w.alice.close());
    for (const p of [info, options]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestFailedError);
      expect(err).toMatchObject({ kind: 'closed', status: 503 });
    }
    // the re-INVITE was waiting too; its session ended with close()'s BYE, which got no answer
    expect(await reinvite.catch((e: unknown) => e)).toMatchObject({ kind: 'closed' });
    expect(s.signal.reason).toMatchObject({ reason: 'closed' });
    expect(layerOf(w.alice).counts).toEqual({ client: 0, server: 0 });
    expect(errorsOf(w.events.alice)).toEqual([]);
  });
});

describe('BYE without an answer', () => {
  it('bye() resolves with the synthetic 408 after 64·T1 and reports no error', async () => {
    const w = world();
    const { a } = await connected(w);
    w.block.bob.in = () => true; // bob hears nothing any more
    const res = await settle(w.clock, a.bye());
    expect(res?.status).toBe(408);
    expect(a.signal.reason).toMatchObject({ reason: 'local-bye' });
    expect(errorsOf(w.events.alice)).toEqual([]);
  });

  it('bye() to an unreachable host resolves with the synthetic 503', async () => {
    const w = world();
    const { a } = await connected(w);
    w.network.setLink(ALICE, BOB, { fail: true });
    const res = await settle(w.clock, a.bye());
    expect(res?.status).toBe(503);
    expect(errorsOf(w.events.alice)).toEqual([]);
  });
});

describe('glare that does not clear (RFC 3261 §14.1)', () => {
  it('a peer that answers every re-INVITE with 491: retries for 64·T1 after the first 491, then rejects with it', async () => {
    const w = world();
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.onMessage = (m, source) => {
      if (!m.isRequest || m.method !== 'INVITE') return;
      const tag = m.to?.tag === undefined ? { toTag: 'g1' } : {};
      const status = m.to?.tag === undefined ? 200 : 491;
      peer.send(createResponse(m, status, undefined, { ...tag, headers: { Contact: `<${peer.uri}>` }, ...(status === 200 ? { body: offerFor(PEER, 4000), contentType: 'application/sdp' } : {}) }), source);
    };
    const s = await until(w.clock, w.alice.invite(peer.uri, { sdp: offerFor(ALICE, 40000) }));
    const t0 = w.clock.now();
    const err = await settle(w.clock, s.reinvite(s.localSdp)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', status: 491 });
    // alice owns the Call-ID: 3050 ms between attempts (random 0.5); the 12th 491 comes at 33550 ≥ 64·T1
    const times = peer.arrivals('INVITE').slice(1);
    expect(times.map((t) => t - t0)).toEqual(Array.from({ length: 12 }, (_, i) => i * 3050));
    expect(s.state).toBe('confirmed');
  });

  it('with a delay of 0 (random() = 0, as the callee) it stops after 20 attempts', async () => {
    const w = world({ alice: { random: () => 0 } });
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.onMessage = (m, source) => {
      if (m.isRequest && m.method === 'INVITE') peer.send(createResponse(m, 491), source);
    };
    // alice as callee of the raw peer: she does not own the Call-ID, so her delay is 0
    const answered = new Promise<DialogSession>((resolve) => w.alice.on('invite', (c) => void c.answer().then(resolve)));
    const invite = peer.request({ method: 'INVITE', uri: `sip:alice@${ALICE.address}`, callId: 'g-0', body: offerFor(PEER, 4000) });
    peer.send(invite, ALICE);
    await pass(w.clock, 10);
    const ok = peer.responses('INVITE').find((r) => r.status === 200)!;
    peer.send(peer.request({ method: 'ACK', uri: `sip:alice@${ALICE.address}`, callId: 'g-0', to: String(ok.to) }), ALICE);
    const s = await until(w.clock, answered);
    const err = await settle(w.clock, s.reinvite(s.localSdp)).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 491 });
    expect(peer.requests('INVITE').length).toBe(20);
  });
});
