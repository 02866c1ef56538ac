// The UserAgent as a whole (RFC 3261 §8.2, §11, §12.2.2): out-of-dialog requests, validation
// through the UA, the session and progress events, and close() leaving nothing behind.
import { describe, expect, it } from 'vitest';
import { type DialogSession, DialogStateError, type IncomingCall, RequestFailedError, UserAgent } from '../../../src/sip/dialog/index.js';
import { createResponse, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../../src/sip/transport/memory-network.js';
import { RawPeer } from './raw-peer.js';
import { ALICE, ALICE_URI, BOB, BOB_URI, drain, errorsOf, labels, layerOf, offerFor, pass, settle, until, wire, world } from './ua-harness.js';

const PEER = { address: '10.0.0.3', port: 5060 };

describe('the User-Agent header', () => {
  it('goes on every request we send when the options name one, and on none otherwise', async () => {
    const w = world({ alice: { userAgent: 'sipflow-test/1.0' } });
    w.bob.on('invite', (call) => void call.answer());
    const session = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await until(w.clock, session.bye());
    const sent = wire(w.network, ALICE).map((r) => [r.label, r.message.header('User-Agent')]);
    expect(sent).toEqual([
      ['INVITE', 'sipflow-test/1.0'],
      ['ACK', 'sipflow-test/1.0'],
      ['BYE', 'sipflow-test/1.0'],
    ]);
    expect(wire(w.network, BOB).every((r) => r.message.header('User-Agent') === undefined)).toBe(true);
  });
});

describe('out-of-dialog requests', () => {
  it('OPTIONS is answered 200 with Allow, Accept, Supported and Contact', async () => {
    const w = world({ bob: { extensions: ['timer'] } });
    const res = await until(w.clock, w.alice.options(BOB_URI));
    expect(res.status).toBe(200);
    expect(res.headers('Allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REFER', 'NOTIFY']);
    expect(res.headers('Accept')).toEqual(['application/sdp']);
    expect(res.headers('Supported')).toEqual(['replaces', 'timer']);
    expect(res.header('Contact')).toBe(`<sip:bob@${BOB.address}:${BOB.port}>`);
    expect(res.to?.tag).toBeDefined();
    // The same again (the option tags are made once per user agent).
    expect((await until(w.clock, w.alice.options(BOB_URI))).headers('Supported')).toEqual(['replaces', 'timer']);
  });

  it('OPTIONS to nobody rejects with a 408 timeout after 64·T1', async () => {
    const w = world();
    const err = await settle(w.clock, w.alice.options('sip:nobody@10.0.0.9')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'timeout', status: 408 });
    expect(w.clock.now()).toBe(32_000);
  });

  it('BYE and INFO outside a dialog get 481; an in-dialog request for an unknown dialog gets 481', async () => {
    const w = world();
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.send(peer.request({ method: 'BYE', uri: BOB_URI }), BOB);
    peer.send(peer.request({ method: 'INFO', uri: BOB_URI }), BOB);
    peer.send(peer.request({ method: 'INFO', uri: BOB_URI, to: `<${BOB_URI}>;tag=nosuch` }), BOB);
    peer.send(peer.request({ method: 'INVITE', uri: BOB_URI, to: `<${BOB_URI}>;tag=nosuch`, body: offerFor(PEER, 4000) }), BOB);
    await pass(w.clock, 10);
    expect(peer.responses().map((r) => `${r.status} ${r.cseq?.method}`)).toEqual(['481 BYE', '481 INFO', '481 INFO', '481 INVITE']);
    expect(peer.responses().every((r) => r.to?.tag !== undefined)).toBe(true);
  });

  it('validation through the UA: 405 with Allow for SUBSCRIBE, 501 for an unknown method, 420 with Unsupported for an unknown Require', async () => {
    const w = world();
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.send(peer.request({ method: 'SUBSCRIBE', uri: BOB_URI, headers: { Event: 'presence' } }), BOB);
    peer.send(peer.request({ method: 'FROB', uri: BOB_URI }), BOB);
    await pass(w.clock, 10);
    const [sub, frob] = peer.responses();
    expect(sub?.status).toBe(405);
    expect(sub?.headers('Allow')).toContain('INVITE');
    expect(frob?.status).toBe(501);
    const res = await until(w.clock, w.alice.options(BOB_URI, { headers: { Require: '100rel, foo' } }));
    expect(res.status).toBe(420);
    expect(res.headers('Unsupported')).toEqual(['100rel', 'foo']);
    const err = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), headers: { Require: 'timer' } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rejected', status: 420 });
  });

  it('an INVITE with no invite listener is refused 480', async () => {
    const w = world();
    const err = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestFailedError);
    expect(err).toMatchObject({ status: 480 });
  });

  it('an invalid target is a TypeError; a sips target fails as transport (416)', async () => {
    const w = world();
    await expect(w.alice.invite('not a uri')).rejects.toBeInstanceOf(TypeError);
    await expect(w.alice.invite('sips:bob@10.0.0.2')).rejects.toMatchObject({ kind: 'transport', status: 416 });
    expect(w.network.trace.length).toBe(0);
  });

  it('a merged INVITE (same From tag, Call-ID and CSeq, another branch) gets 482 (RFC 3261 §8.2.2.2)', async () => {
    const w = world();
    const peer = new RawPeer(w.network, PEER, w.clock);
    let calls = 0;
    w.bob.on('invite', (c) => {
      calls++;
      c.ringing();
    });
    const first = peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'merge-1', body: offerFor(PEER, 4000) });
    const second = peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'merge-1', body: offerFor(PEER, 4000) });
    peer.send(first, BOB);
    peer.send(second, BOB);
    await pass(w.clock, 10);
    expect(calls).toBe(1);
    expect(peer.responses('INVITE').map((r) => r.status).sort()).toEqual([180, 482]);
  });
});

describe('events', () => {
  it('session (both sides) and progress (caller only)', async () => {
    const w = world();
    const sessions: string[] = [];
    const progress: string[] = [];
    w.alice.on('session', (s) => sessions.push(`alice ${s.role}`));
    w.bob.on('session', (s) => sessions.push(`bob ${s.role}`));
    w.alice.on('progress', (p) => progress.push(`alice ${p.response.status} ${p.request.method}`));
    w.bob.on('progress', (p) => progress.push(`bob ${p.response.status}`));
    w.bob.on('invite', (c) => {
      c.ringing();
      c.progress();
      w.clock.setTimer(300, () => void c.answer());
    });
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await pass(w.clock, 10);
    expect(progress).toEqual(['alice 180 INVITE', 'alice 183 INVITE']);
    expect(sessions).toEqual(['alice uac', 'bob uas']);
  });

  it('a throwing listener is reported as an error event, not thrown', async () => {
    const w = world();
    w.bob.on('invite', (c) => void c.answer());
    w.alice.on('session', () => {
      throw new Error('listener bug');
    });
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    expect(errorsOf(w.events.alice)).toEqual([new Error('listener bug')]);
  });
});

describe('close()', () => {
  it('BYE for sessions, CANCEL for ringing outgoing calls (kind closed), 480 for pending incoming calls; nothing left afterwards', async () => {
    const w = world();
    const bobCalls: IncomingCall[] = [];
    w.bob.on('invite', (c) => {
      bobCalls.push(c);
      if (bobCalls.length === 1) void c.answer();
      else c.ringing();
    });
    const aliceCalls: IncomingCall[] = [];
    w.alice.on('invite', (c) => {
      aliceCalls.push(c);
      c.ringing();
    });
    const up = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await pass(w.clock, 10);
    const bobUp = w.bob.activeSessions[0] as DialogSession;
    const ringing = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40002) });
    ringing.catch(() => undefined);
    const incoming = w.bob.invite(ALICE_URI, { sdp: offerFor(BOB, 42002) });
    incoming.catch(() => undefined);
    await pass(w.clock, 10);
    expect([bobCalls.length, aliceCalls.length]).toEqual([2, 1]);
    const mark = w.network.trace.length;

    await until(w.clock, w.alice.close());
    expect(await ringing.catch((e: unknown) => e)).toMatchObject({ name: 'RequestFailedError', kind: 'closed' });
    expect(await until(w.clock, incoming).catch((e: unknown) => e)).toMatchObject({ kind: 'rejected', status: 480 });
    expect(up.signal.reason).toMatchObject({ reason: 'closed' });
    expect(bobUp.signal.reason).toMatchObject({ reason: 'remote-bye' });
    expect(aliceCalls[0]!.signal.reason).toMatchObject({ reason: 'closed' });
    expect(aliceCalls[0]!.state).toBe('closed');
    await pass(w.clock, 10);
    expect(bobCalls[1]!.signal.reason).toMatchObject({ reason: 'cancelled' });
    // what alice sent while closing: the CANCEL, the 480, the BYE, and the ACK for the 487 the CANCEL brought
    const aliceBefore = w.network.trace.slice(0, mark).filter((r) => r.from.address === ALICE.address).length;
    expect(labels(w.network, ALICE).slice(aliceBefore)).toEqual(['CANCEL', '480 INVITE', 'BYE', 'ACK']);
    expect(layerOf(w.alice).counts).toEqual({ client: 0, server: 0 });
    expect(w.alice.activeSessions).toEqual([]);
    await expect(w.alice.invite(BOB_URI)).rejects.toBeInstanceOf(DialogStateError);
    await expect(w.alice.close()).resolves.toBeUndefined();

    await until(w.clock, w.bob.close());
    await pass(w.clock, 10); // datagrams still in flight land (nobody listens any more)
    expect(w.network.pending).toBe(0);
    expect(w.clock.pendingTimers).toBe(0);
    expect(layerOf(w.bob).counts).toEqual({ client: 0, server: 0 });
    expect(errorsOf(w.events.alice)).toEqual([]);
    expect(errorsOf(w.events.bob)).toEqual([]);
  });

  it('waits at most closeTimeout for an answer to its BYE', async () => {
    const w = world({ alice: { closeTimeout: 1500 } });
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.onMessage = (m, source) => {
      if (m.isRequest && m.method === 'INVITE') {
        peer.autoAnswer = false; // from now on, silence
        peer.send(createOk(m, peer.uri), source);
      }
    };
    await until(w.clock, w.alice.invite(peer.uri, { sdp: offerFor(ALICE, 40000) }));
    const start = w.clock.now();
    await until(w.clock, w.alice.close());
    expect(w.clock.now() - start).toBe(1500);
    expect(peer.requests('BYE').length).toBeGreaterThan(1); // the BYE was retransmitted while we waited
    await pass(w.clock, 10);
    expect(w.clock.pendingTimers).toBe(0);
  });

  it('a user agent on its own closes with no timer left', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock });
    const ua = new UserAgent({ transport: network.transport(ALICE), identity: { user: 'solo' }, clock });
    await ua.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

function createOk(invite: SipRequest, contact: string): SipResponse {
  return createResponse(invite, 200, undefined, { toTag: 'silent', headers: { Contact: `<${contact}>` }, body: offerFor(PEER, 4000), contentType: 'application/sdp' });
}
