// An INVITE session on a confirmed dialog (RFC 3261 §12–15): re-INVITE (hold/resume, late offer,
// glare, 500 + Retry-After), BYE either way, INFO, in-dialog OPTIONS, 481 and out-of-order CSeq.
import { describe, expect, it } from 'vitest';
import { holdOffer, mediaDirection, parseSdp, resumeOffer, serializeSdp } from '../../../src/sdp/index.js';
import { type DialogSession, DialogStateError, type ReinviteEvent, RequestFailedError } from '../../../src/sip/dialog/index.js';
import { createRequest, createResponse, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { RawPeer } from './raw-peer.js';
import { ALICE, BOB, BOB_URI, errorsOf, labels, offerFor, pass, settle, timesOf, until, wire, world } from './ua-harness.js';

type World = ReturnType<typeof world>;
const PEER = { address: '10.0.0.3', port: 5060 };
const MOVED = { address: '10.0.0.4', port: 5080 };

/** Alice calls bob; returns both sessions once bob has the ACK. */
async function connected(w: World): Promise<{ a: DialogSession; b: DialogSession }> {
  const bobSide = new Promise<DialogSession>((resolve) => w.bob.once('session', resolve));
  w.bob.on('invite', (call) => void call.answer().catch(() => undefined));
  const a = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
  const b = await until(w.clock, bobSide);
  return { a, b };
}

const direction = (sdp: string | undefined): string => {
  const sd = parseSdp(sdp!);
  return mediaDirection(sd, sd.media[0]!);
};

describe('re-INVITE (RFC 3261 §14)', () => {
  it('hold (sendonly → answered recvonly) and resume', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const seen: ReinviteEvent[] = [];
    b.on('reinvite', (e) => seen.push(e));
    const before = a.remoteSdp;
    const ok = await until(w.clock, a.reinvite(serializeSdp(holdOffer(parseSdp(a.localSdp!)))));
    expect(ok.status).toBe(200);
    expect(direction(a.localSdp)).toBe('sendonly');
    expect(direction(a.remoteSdp)).toBe('recvonly');
    await pass(w.clock, 10);
    expect(seen.length).toBe(1);
    expect(seen[0]!.previousRemoteSdp).not.toBe(seen[0]!.remoteSdp);
    expect(direction(seen[0]!.remoteSdp)).toBe('sendonly');
    expect(direction(seen[0]!.localSdp)).toBe('recvonly');
    expect(b.remoteSdp).toBe(a.localSdp);
    expect(b.localSdp).toBe(a.remoteSdp);
    expect(a.remoteSdp).not.toBe(before);
    await until(w.clock, a.reinvite(serializeSdp(resumeOffer(parseSdp(a.localSdp!)))));
    await pass(w.clock, 10);
    expect(direction(a.localSdp)).toBe('sendrecv');
    expect(direction(a.remoteSdp)).toBe('sendrecv');
    expect(seen.length).toBe(2);
    // o= version went up with each re-offer (RFC 3264 §8)
    const versions = wire(w.network, ALICE).filter((r) => r.label === 'INVITE').map((r) => parseSdp(r.message.bodyText).origin.sessionVersion);
    expect(versions.map(Number)).toEqual([Number(versions[0]), Number(versions[0]) + 1, Number(versions[0]) + 2]);
    // CSeq numbers of the dialog: 1 (INVITE), 2 and 3 (re-INVITEs), ACKs reuse them
    expect(wire(w.network, ALICE).map((r) => `${r.label} ${r.message.cseq?.seq}`)).toEqual(['INVITE 1', 'ACK 1', 'INVITE 2', 'ACK 2', 'INVITE 3', 'ACK 3']);
    expect(errorsOf(w.events.bob)).toEqual([]);
  });

  it('bob (the callee) can re-INVITE too', async () => {
    const w = world();
    const { a, b } = await until(w.clock, connected(w));
    const seen: ReinviteEvent[] = [];
    a.on('reinvite', (e) => seen.push(e));
    await until(w.clock, b.reinvite(serializeSdp(holdOffer(parseSdp(b.localSdp!), 'inactive'))));
    await pass(w.clock, 10);
    expect(direction(b.remoteSdp)).toBe('inactive');
    expect(seen.length).toBe(1);
    expect((wire(w.network, BOB).find((r) => r.label === 'INVITE')!.message as SipRequest).uriString).toBe(`sip:alice@${ALICE.address}:${ALICE.port}`);
  });

  it('late offer: a re-INVITE without SDP gets the offer in the 2xx and answers in the ACK', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const seen: ReinviteEvent[] = [];
    b.on('reinvite', (e) => seen.push(e));
    await until(w.clock, a.reinvite());
    await pass(w.clock, 10);
    const reinvite = wire(w.network, ALICE).filter((r) => r.label === 'INVITE')[1]!.message;
    const ok = wire(w.network, BOB).filter((r) => r.label === '200 INVITE')[1]!.message;
    const ack = wire(w.network, ALICE).filter((r) => r.label === 'ACK')[1]!.message;
    expect(reinvite.body.byteLength).toBe(0);
    expect(ok.bodyText).toBe(b.localSdp);
    expect(ack.contentType).toBe('application/sdp');
    expect(a.remoteSdp).toBe(ok.bodyText);
    expect(a.localSdp).toBe(ack.bodyText);
    expect(b.remoteSdp).toBe(ack.bodyText);
    expect(seen.map((e) => e.remoteSdp)).toEqual([ack.bodyText]);
  });

  it('glare: both sides re-INVITE at once, get 491, and retry after the §14.1 delays (owner 2.1–4 s, other 0–2 s)', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const t0 = w.clock.now();
    const aHold = serializeSdp(holdOffer(parseSdp(a.localSdp!)));
    const bHold = serializeSdp(holdOffer(parseSdp(b.localSdp!)));
    const both = Promise.all([a.reinvite(aHold), b.reinvite(bHold)]);
    const [okA, okB] = await settle(w.clock, both);
    expect([okA.status, okB.status]).toEqual([200, 200]);
    // random() is 0.5: alice (UAC, owner of the Call-ID) waits 2100 + 950 ms, bob 1000 ms
    expect(timesOf(w.network, 'INVITE', ALICE).slice(1)).toEqual([t0, t0 + 3050]);
    expect(timesOf(w.network, 'INVITE', BOB)).toEqual([t0, t0 + 1000]);
    expect(labels(w.network).filter((l) => l === '491 INVITE').length).toBe(2);
    expect(a.localSdp).toBe(aHold);
    expect(b.remoteSdp).toBe(aHold);
    expect(a.state).toBe('confirmed');
    expect(b.state).toBe('confirmed');
    expect(errorsOf(w.events.alice)).toEqual([]);
    expect(errorsOf(w.events.bob)).toEqual([]);
  });

  it('glare delays follow random(): 0 gives 2.1 s and 0 s, 0.999 gives 4 s and 2 s', async () => {
    for (const [r, owner, other] of [
      [0, 2100, 0],
      [0.999, 4000, 2000],
    ] as const) {
      const w = world({ alice: { random: () => r }, bob: { random: () => r } });
      const { a, b } = await connected(w);
      const t0 = w.clock.now();
      await settle(w.clock, Promise.all([a.reinvite(a.localSdp), b.reinvite(b.localSdp)]));
      expect(timesOf(w.network, 'INVITE', ALICE).slice(1)).toEqual([t0, t0 + owner]);
      expect(timesOf(w.network, 'INVITE', BOB)).toEqual([t0, t0 + other]);
    }
  });

  it('a re-INVITE while our 2xx awaits its ACK gets 500 with Retry-After 0–10 (§14.2)', async () => {
    const w = world();
    w.block.bob.in = (m) => m.isRequest && m.method === 'ACK'; // bob never sees alice's ACK
    w.bob.on('invite', (call) => void call.answer().catch(() => undefined));
    const a = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    const err = await until(w.clock, a.reinvite(a.localSdp)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestFailedError);
    expect(err).toMatchObject({ kind: 'rejected', status: 500 });
    expect((err as RequestFailedError).response?.header('Retry-After')).toBe('5');
    expect(a.state).toBe('confirmed');
    // once an ACK gets through (alice re-ACKs bob's next 2xx retransmission) the re-INVITE works
    w.block.bob.in = undefined;
    await pass(w.clock, 2000);
    const ok = await until(w.clock, a.reinvite(a.localSdp));
    expect(ok.status).toBe(200);
  });

  it('a re-INVITE refused by the peer leaves the session as it was; 481 ends it', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const local = a.localSdp;
    const err = await until(w.clock, a.reinvite('v=0\r\nbogus\r\n')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'rejected' });
    expect([400, 488]).toContain((err as RequestFailedError).status);
    expect(a.localSdp).toBe(local);
    expect(a.state).toBe('confirmed');
    b.end('transport'); // bob forgets the dialog without a word
    const gone = await until(w.clock, a.reinvite(a.localSdp)).catch((e: unknown) => e);
    expect(gone).toMatchObject({ status: 481 });
    expect(a.signal.reason).toMatchObject({ reason: 'dialog-gone' });
  });
});

describe('target refresh (RFC 3261 §12.2)', () => {
  it('a re-INVITE from the peer with a new Contact moves the remote target', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const contactOf = (s: DialogSession): { localContact: string } => s.dialog as unknown as { localContact: string };
    contactOf(a).localContact = `<sip:alice@${ALICE.address}:5070>`;
    const moved = w.network.transport({ address: ALICE.address, port: 5070 });
    const arrived: string[] = [];
    moved.setHandlers({ message: ({ message }) => arrived.push(message.isRequest ? message.method : String(message.status)) });
    await until(w.clock, a.reinvite(a.localSdp));
    expect(String(b.dialog.remoteTarget)).toBe(`sip:alice@${ALICE.address}:5070`);
    void b.bye();
    await pass(w.clock, 10);
    expect(arrived).toEqual(['BYE']);
  });
});

describe('target refresh by the 2xx to our re-INVITE (RFC 3261 §12.2.1.2)', () => {
  it('the ACK and later requests go to the Contact of the 2xx', async () => {
    const w = world();
    const first = new RawPeer(w.network, PEER, w.clock);
    const moved = new RawPeer(w.network, MOVED, w.clock);
    const answer = (peer: RawPeer, contact: RawPeer) => (m: SipRequest | SipResponse, source: Endpoint): void => {
      if (!m.isRequest || m.method !== 'INVITE') return;
      peer.send(createResponse(m, 200, undefined, { toTag: 'r1', headers: { Contact: `<${contact.uri}>` }, body: offerFor(PEER, 4000), contentType: 'application/sdp' }), source);
    };
    first.onMessage = answer(first, first);
    const s = await until(w.clock, w.alice.invite(first.uri, { sdp: offerFor(ALICE, 40000) }));
    first.onMessage = answer(first, moved); // the 2xx to the re-INVITE names a new target
    await until(w.clock, s.reinvite(s.localSdp));
    await until(w.clock, s.info('after'));
    await pass(w.clock, 10);
    expect(first.received.map((r) => (r.message.isRequest ? r.message.method : r.message.status))).toEqual(['INVITE', 'ACK', 'INVITE']);
    expect(moved.received.map((r) => (r.message.isRequest ? r.message.method : r.message.status))).toEqual(['ACK', 'INFO']);
    expect(String(s.dialog.remoteTarget)).toBe(moved.uri);
  });
});

describe('BYE (RFC 3261 §15)', () => {
  it('caller hangs up: local-bye here, remote-bye there, bye event, DialogStateError afterwards', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const byes: string[] = [];
    b.on('bye', (e) => byes.push(e.request.method));
    const ended: string[] = [];
    a.on('ended', (e) => ended.push(`a:${e.reason}`));
    b.on('ended', (e) => ended.push(`b:${e.reason}`));
    const res = await until(w.clock, a.bye());
    expect(res?.status).toBe(200);
    expect(a.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'local-bye', message: 'dialog ended: local-bye' });
    expect(b.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'remote-bye', message: 'dialog ended: remote-bye' });
    expect((b.signal.reason as Error).stack).toBe('DialogEndedError: dialog ended: remote-bye');
    expect(byes).toEqual(['BYE']);
    expect(ended.sort()).toEqual(['a:local-bye', 'b:remote-bye']);
    expect(a.state).toBe('terminated');
    // Nothing is emitted after 'ended': the listeners are let go (the stack may keep the session a while).
    for (const s of [a, b]) for (const event of ['ended', 'bye'] as const) expect(s.listenerCount(event)).toBe(0);
    expect(await a.bye()).toBeUndefined();
    await expect(a.reinvite()).rejects.toBeInstanceOf(DialogStateError);
    await expect(a.info('x')).rejects.toBeInstanceOf(DialogStateError);
    expect(w.alice.activeSessions).toEqual([]);
    expect(w.bob.activeSessions).toEqual([]);
  });

  it('callee hangs up: the BYE goes to the caller\'s Contact', async () => {
    const w = world();
    const { a, b } = await connected(w);
    await until(w.clock, b.bye());
    expect(a.signal.reason.reason).toBe('remote-bye');
    expect(b.signal.reason.reason).toBe('local-bye');
    const bye = wire(w.network, BOB).find((r) => r.label === 'BYE')!;
    expect(bye.to).toEqual(ALICE);
    expect((bye.message as SipRequest).uriString).toBe(`sip:alice@${ALICE.address}:${ALICE.port}`);
  });

  it('a caller\'s Contact the stack cannot send to (not sip:): the BYE resolves with a synthetic 416, and no error is reported', async () => {
    const w = world();
    const peer = new RawPeer(w.network, PEER, w.clock);
    const bobSide = new Promise<DialogSession>((resolve) => w.bob.on('invite', (c) => void c.answer().then(resolve)));
    const invite = createRequest({
      method: 'INVITE',
      uri: BOB_URI,
      via: `SIP/2.0/UDP ${PEER.address}:${PEER.port};branch=z9hG4bKmailto1`,
      from: `<sip:peer@${PEER.address}>;tag=p1`,
      to: `<${BOB_URI}>`,
      callId: 'mailto-contact@10.0.0.3',
      cseq: 1,
      contact: '<mailto:peer@example.com>',
      body: offerFor(PEER, 4000),
      contentType: 'application/sdp',
    });
    peer.onMessage = (m, source) => {
      if (!m.isRequest && m.status === 200 && m.cseq?.method === 'INVITE') {
        const ack = createRequest({ method: 'ACK', uri: BOB_URI, via: `SIP/2.0/UDP ${PEER.address}:${PEER.port};branch=z9hG4bKmailto2`, from: `<sip:peer@${PEER.address}>;tag=p1`, to: m.header('To')!, callId: 'mailto-contact@10.0.0.3', cseq: 1 });
        peer.send(ack, source);
      }
    };
    peer.send(invite, BOB);
    const b = await until(w.clock, bobSide);
    const answer = await until(w.clock, b.bye());
    expect(answer?.status).toBe(416);
    expect(b.signal.reason.reason).toBe('local-bye');
    expect(peer.requests('BYE')).toEqual([]);
    expect(errorsOf(w.events.bob)).toEqual([]);
  });

  it('the callee\'s BYE waits for the ACK of its 2xx', async () => {
    const w = world();
    let lost = 0;
    w.block.bob.in = (m) => m.isRequest && m.method === 'ACK' && ++lost <= 2;
    const bobSide = new Promise<DialogSession>((resolve) => w.bob.on('invite', (c) => void c.answer().then(resolve)));
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await pass(w.clock, 100);
    // bob's session is not out yet: take it from the UA's dialogs
    const b = [...(w.bob as unknown as { dialogs: Map<string, DialogSession> }).dialogs.values()][0]!;
    const bye = b.bye();
    await until(w.clock, bobSide);
    await until(w.clock, bye);
    expect(timesOf(w.network, 'BYE', BOB)).toEqual([1500]); // the third ACK (for the 200 at 1500) got through
  });
});

describe('INFO and OPTIONS in the dialog', () => {
  it('INFO both ways', async () => {
    const w = world();
    const { a, b } = await connected(w);
    const got: string[] = [];
    a.on('info', (e) => got.push(`a:${e.request.contentType}:${e.request.bodyText}`));
    b.on('info', (e) => got.push(`b:${e.request.contentType}:${e.request.bodyText}`));
    const r1 = await until(w.clock, a.info('Signal=5\r\nDuration=160\r\n'));
    const r2 = await until(w.clock, b.info('hello', 'text/plain'));
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(got).toEqual(['b:application/dtmf-relay:Signal=5\r\nDuration=160\r\n', 'a:text/plain:hello']);
  });

  it('OPTIONS in the dialog is answered with our capabilities', async () => {
    const w = world();
    const { a } = await connected(w);
    const res = await until(w.clock, a.request('OPTIONS'));
    expect(res.status).toBe(200);
    expect(res.headers('Allow')).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO']));
    expect(res.to?.tag).toBe(a.dialog.id.remoteTag);
    await expect(a.request('BYE')).rejects.toBeInstanceOf(TypeError);
  });

  it('a request whose dialog is gone gets 481 and ends our side (dialog-gone)', async () => {
    const w = world();
    const { a, b } = await connected(w);
    b.end('transport');
    const err = await until(w.clock, a.info('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', status: 481 });
    expect(a.signal.reason).toMatchObject({ reason: 'dialog-gone' });
  });

  it('a CSeq lower than the last one gets 500 and leaves the session up', async () => {
    const w = world();
    const { a, b } = await connected(w);
    await until(w.clock, a.info('1'));
    a.dialog.localSeq -= 2; // the next INFO reuses CSeq 1, below bob's remote CSeq 2
    const err = await until(w.clock, a.info('2')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', status: 500, reason: 'Out of Order CSeq' });
    expect(a.state).toBe('confirmed');
    expect(b.state).toBe('confirmed');
    a.dialog.localSeq += 5;
    expect((await until(w.clock, a.info('3'))).status).toBe(200);
  });
});
