// The layers together on loopback: two UserAgents set up a call whose SDP names their
// MediaSessions' ports; media follows the negotiated codec and direction (hold by re-INVITE stops
// the held side's sending, resume restarts it), DTMF and audio flow, and BYE ends it cleanly.
import { afterEach, describe, expect, it } from 'vitest';
import { MediaSession } from '../../src/media/media-session.js';
import { createOffer, holdOffer, negotiated, parseSdp, resumeOffer, sdpOfferAnswer, serializeSdp } from '../../src/sdp/index.js';
import { type DialogSession, UserAgent } from '../../src/sip/dialog/index.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a call with media', () => {
  it('negotiates PCMA, sends audio and DTMF, holds and resumes, and hangs up', async () => {
    const aliceMedia = await MediaSession.open({ host: '127.0.0.1', portRange: { min: 50000, max: 54999 } });
    const bobMedia = await MediaSession.open({ host: '127.0.0.1', portRange: { min: 55000, max: 59999 } });
    cleanup.push(() => aliceMedia.close(), () => bobMedia.close());
    const alice = new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user: 'alice' }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: aliceMedia.local.port, codecs: ['PCMA', 'PCMU'] }) });
    const bob = new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user: 'bob' }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: bobMedia.local.port }) });
    cleanup.push(() => alice.close(), () => bob.close());
    await Promise.all([alice.ready, bob.ready]);

    let bobSession: DialogSession | undefined;
    bob.on('invite', (call) => {
      call.ringing();
      void call.answer().then((s) => {
        bobSession = s;
        // Every offer/answer exchange re-applies the media parameters.
        s.on('reinvite', (e) => bobMedia.update(negotiated(parseSdp(e.remoteSdp!), parseSdp(e.localSdp!), 'answerer')!));
      });
    });
    const offer = createOffer({ address: '127.0.0.1', port: aliceMedia.local.port, codecs: ['PCMA', 'PCMU'] });
    const session = await alice.invite(`sip:bob@127.0.0.1:${bob.local.port}`, { sdp: serializeSdp(offer) });
    await wait(50);
    expect(bobSession).toBeDefined();
    const aliceAudio = negotiated(offer, parseSdp(session.remoteSdp!), 'offerer')!;
    const bobAudio = negotiated(parseSdp(bobSession!.remoteSdp!), parseSdp(bobSession!.localSdp!), 'answerer')!;
    // Bob supports PCMU and PCMA; the answer keeps Alice's order, so PCMA wins (RFC 3264 §6.1).
    expect(aliceAudio.codec).toBe('PCMA');
    expect(bobAudio.codec).toBe('PCMA');
    expect(aliceAudio.remotePort).toBe(bobMedia.local.port);
    expect(bobAudio.remotePort).toBe(aliceMedia.local.port);
    aliceMedia.update(aliceAudio);
    bobMedia.update(bobAudio);

    const digits: string[] = [];
    bobMedia.on('dtmf', (d) => digits.push(d.digit));
    await aliceMedia.sendDtmf('42#');
    await wait(250);
    expect(digits.join('')).toBe('42#');
    expect(bobMedia.stats().packetsReceived).toBeGreaterThan(10);
    expect(aliceMedia.stats().packetsReceived).toBeGreaterThan(10);

    // Alice holds Bob: her offer is sendonly, Bob answers recvonly, so Bob stops sending.
    const held = holdOffer(parseSdp(session.localSdp!));
    await session.reinvite(serializeSdp(held));
    aliceMedia.update(negotiated(held, parseSdp(session.remoteSdp!), 'offerer')!);
    await wait(60);
    expect(bobMedia.direction).toBe('recvonly');
    expect(aliceMedia.direction).toBe('sendonly');
    const fromBob = aliceMedia.stats().packetsReceived;
    await wait(200);
    expect(aliceMedia.stats().packetsReceived).toBe(fromBob);
    // Resume: both send again.
    const resumed = resumeOffer(held);
    await session.reinvite(serializeSdp(resumed));
    aliceMedia.update(negotiated(resumed, parseSdp(session.remoteSdp!), 'offerer')!);
    await wait(200);
    expect(bobMedia.direction).toBe('sendrecv');
    expect(aliceMedia.stats().packetsReceived).toBeGreaterThan(fromBob + 3);

    await session.bye();
    await wait(30);
    expect(bobSession!.signal.reason.reason).toBe('remote-bye');
    expect(bobMedia.stats().lost).toBe(0);
  });
});
