// Registration (RFC 3261 §10.2) and digest authentication of our requests (RFC 3261 §22, RFC 7616)
// against a registrar / proxy played by a RawPeer with createDigestChallenge and verifyDigest.
import { describe, expect, it } from 'vitest';
import { createDigestChallenge, type RegistrationError, UserAgent, type UserAgentEvent, verifyDigest } from '../../../src/sip/dialog/index.js';
import { createResponse, type SipRequest } from '../../../src/sip/parser/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../../src/sip/transport/memory-network.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { RawPeer } from './raw-peer.js';
import { drain, pass, settle } from './ua-harness.js';

const UA: Endpoint = { address: '10.0.2.1', port: 5060 };
const REGISTRAR: Endpoint = { address: '10.0.2.5', port: 5060 };
const PASSWORD = 'correct horse battery staple';
const REALM = 'pbx.example.com';

interface Registrar {
  peer: RawPeer;
  /** REGISTERs received, in order. */
  registers: SipRequest[];
  /** Expires the registrar grants (default: what was asked). */
  grant?: number;
  /** Send the next challenge with stale=true. */
  staleOnce: boolean;
  /** The nonce currently valid. */
  nonce: string;
}

function setup(options: { password?: string; algorithm?: 'MD5' | 'SHA-256' } = {}): { clock: VirtualClock; ua: UserAgent; reg: Registrar; events: UserAgentEvent[] } {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed: 3 });
  const ua = new UserAgent({ transport: network.transport(UA), identity: { user: '1001' }, clock, credentials: { username: '1001', password: options.password ?? PASSWORD } });
  const events: UserAgentEvent[] = [];
  ua.on('event', (e) => events.push(e));
  const peer = new RawPeer(network, REGISTRAR, clock);
  peer.autoAnswer = false;
  const reg: Registrar = { peer, registers: [], staleOnce: false, nonce: '' };
  const challenge = (req: SipRequest, stale: boolean): void => {
    const c = createDigestChallenge({ realm: REALM, algorithm: options.algorithm ?? 'MD5', stale });
    reg.nonce = c.nonce;
    peer.send(createResponse(req, 401, undefined, { toTag: 'reg', headers: [['WWW-Authenticate', c.header]] }), req.vias[0]!.received ? { address: req.vias[0]!.received, port: req.vias[0]!.rport as number } : UA);
  };
  peer.onMessage = (m) => {
    if (!m.isRequest || m.method !== 'REGISTER') return;
    reg.registers.push(m);
    const auth = m.header('Authorization');
    if (auth === undefined) return challenge(m, false);
    const verdict = verifyDigest(auth, { method: 'REGISTER', password: PASSWORD, realm: REALM, nonce: reg.nonce });
    if (!verdict.ok) return challenge(m, verdict.reason === 'stale');
    if (reg.staleOnce) {
      reg.staleOnce = false;
      return challenge(m, true);
    }
    const asked = Number(m.header('Expires'));
    const granted = asked === 0 ? 0 : (reg.grant ?? asked);
    peer.send(createResponse(m, 200, undefined, { toTag: 'reg', headers: [['Contact', `${m.header('Contact')};expires=${granted}`]] }), UA);
  };
  return { clock, ua, reg, events };
}

const secretFree = (value: unknown): void => {
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v)) + String(value);
  expect(text).not.toContain(PASSWORD);
};

describe('ua.register (RFC 3261 §10.2) with digest (RFC 7616)', () => {
  it('answers the 401, registers, reports the grant, refreshes at the earlier of 90 % and expiry − 30 s, and unregisters', async () => {
    const { clock, ua, reg } = setup();
    const registration = ua.register({ registrar: `sip:${REGISTRAR.address}:${REGISTRAR.port}`, expires: 600 });
    const registered: number[] = [];
    registration.on('registered', (e) => registered.push(e.expires));
    const first = await settle(clock, registration.ready);
    expect(first.expires).toBe(600);
    expect(registration.state).toBe('registered');
    // REGISTER, 401, REGISTER with credentials: same Call-ID, CSeq + 1 (§10.2, §22.2).
    expect(reg.registers).toHaveLength(2);
    const [plain, authorized] = reg.registers as [SipRequest, SipRequest];
    expect(plain.header('Authorization')).toBeUndefined();
    expect(authorized.header('Authorization')).toMatch(/^Digest username="1001", realm="pbx\.example\.com"/);
    expect(authorized.callId).toBe(plain.callId);
    expect(authorized.cseq!.seq).toBe(plain.cseq!.seq + 1);
    expect(authorized.uriString).toBe(`sip:${REGISTRAR.address}:${REGISTRAR.port}`);
    expect(String(authorized.to?.uri)).toBe(`sip:1001@${REGISTRAR.address}`);
    expect(authorized.header('Expires')).toBe('600');
    // 600 s: min(540, 570) = 540 s after the 200.
    const t0 = clock.now();
    await pass(clock, 539_000, 1000);
    expect(reg.registers).toHaveLength(2);
    await pass(clock, 2_000, 100);
    expect(reg.registers.length).toBeGreaterThanOrEqual(3);
    expect(registered.length).toBeGreaterThanOrEqual(2);
    const refresh = reg.registers[2]!;
    expect(refresh.callId).toBe(plain.callId);
    expect(refresh.cseq!.seq).toBeGreaterThan(authorized.cseq!.seq);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(540_000);
    // unregister: Expires 0.
    const res = await settle(clock, registration.unregister());
    expect(res?.status).toBe(200);
    expect(reg.registers.at(-1)!.header('Expires')).toBe('0');
    expect(registration.state).toBe('unregistered');
    await settle(clock, ua.close());
    expect(await drain(clock)).toBeGreaterThan(0);
  });

  it('refreshes at 90 % when that is earlier than 30 s before expiry (3600 s → 3240 s)', async () => {
    const { clock, ua, reg } = setup();
    reg.grant = 3600;
    const registration = ua.register({ registrar: `sip:${REGISTRAR.address}`.replace(/$/, `:${REGISTRAR.port}`), expires: 3600 });
    await settle(clock, registration.ready);
    const count = reg.registers.length;
    await pass(clock, 3_239_000, 10_000);
    expect(reg.registers).toHaveLength(count);
    await pass(clock, 2_000, 100);
    expect(reg.registers.length).toBeGreaterThan(count);
    await settle(clock, ua.close());
  });

  it('refreshes 30 s before expiry when that is earlier (60 s → 30 s), and halfway for 30 s or less', async () => {
    for (const [expires, at] of [
      [60, 30_000],
      [40, 10_000],
      [20, 10_000],
    ] as const) {
      const { clock, ua, reg } = setup();
      const registration = ua.register({ registrar: `sip:${REGISTRAR.address}:${REGISTRAR.port}`, expires });
      await settle(clock, registration.ready);
      const count = reg.registers.length;
      await pass(clock, at - 100, 50);
      expect(reg.registers, `expires ${expires}`).toHaveLength(count);
      await pass(clock, 200, 50);
      expect(reg.registers.length, `expires ${expires}`).toBeGreaterThan(count);
      await settle(clock, ua.close());
    }
  });

  it('retries a stale nonce without counting it as a failure', async () => {
    const { clock, ua, reg } = setup();
    reg.staleOnce = true;
    const registration = ua.register({ registrar: `sip:${REGISTRAR.address}:${REGISTRAR.port}`, expires: 300 });
    const ok = await settle(clock, registration.ready);
    expect(ok.expires).toBe(300);
    // REGISTER, 401; with credentials, 401 stale; with the new nonce, 200.
    expect(reg.registers).toHaveLength(3);
    await settle(clock, ua.close());
  });

  it('reports a wrong password as a typed failure carrying 401, without the password anywhere', async () => {
    const { clock, ua, reg, events } = setup({ password: 'wrong' });
    const registration = ua.register({ registrar: `sip:${REGISTRAR.address}:${REGISTRAR.port}`, expires: 300, credentials: { username: '1001', password: 'wrong' } });
    const failures: RegistrationError[] = [];
    registration.on('failed', (e) => failures.push(e));
    const err = (await settle(clock, registration.ready).catch((e: unknown) => e)) as RegistrationError;
    expect(err.name).toBe('RegistrationError');
    expect(err.status).toBe(401);
    expect(err.code).toBe(401);
    expect(failures).toEqual([err]);
    expect(registration.state).toBe('failed');
    // One plain REGISTER, one with (wrong) credentials, then no loop.
    expect(reg.registers).toHaveLength(2);
    secretFree(err);
    secretFree(err.cause);
    for (const e of events) secretFree(e);
    await settle(clock, ua.close());
  });

  it('works with SHA-256 challenges', async () => {
    const { clock, ua } = setup({ algorithm: 'SHA-256' });
    const registration = ua.register({ registrar: `sip:${REGISTRAR.address}:${REGISTRAR.port}`, expires: 120 });
    expect((await settle(clock, registration.ready)).expires).toBe(120);
    await settle(clock, ua.close());
  });

  it('close() unregisters', async () => {
    const { clock, ua, reg } = setup();
    const registration = ua.register({ registrar: `sip:${REGISTRAR.address}:${REGISTRAR.port}`, expires: 300 });
    await settle(clock, registration.ready);
    await settle(clock, ua.close());
    expect(reg.registers.at(-1)!.header('Expires')).toBe('0');
    expect(registration.state).toBe('unregistered');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('digest on INVITE and in-dialog requests (RFC 3261 §22.2)', () => {
  /**
   * A UserAgent with credentials behind a proxy that answers 407 (a new nonce each time) to every
   * INVITE without valid Proxy-Authorization, and hands one with valid credentials to `authorized`.
   */
  function behindChallengingProxy(seed: number, authorized: (invite: SipRequest, proxy: RawPeer, clock: VirtualClock) => void): { clock: VirtualClock; ua: UserAgent; proxy: RawPeer; nonce: () => string } {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed });
    const ua = new UserAgent({ transport: network.transport(UA), identity: { user: '1001' }, clock, credentials: { username: '1001', password: PASSWORD } });
    const proxy = new RawPeer(network, REGISTRAR, clock);
    let nonce = '';
    proxy.onMessage = (m) => {
      if (!m.isRequest || m.method !== 'INVITE') return;
      const auth = m.header('Proxy-Authorization');
      if (auth === undefined || !verifyDigest(auth, { method: 'INVITE', password: PASSWORD, nonce }).ok) {
        const c = createDigestChallenge({ realm: REALM });
        nonce = c.nonce;
        proxy.send(createResponse(m, 407, undefined, { toTag: 'px', headers: [['Proxy-Authenticate', c.header]] }), UA);
        return;
      }
      authorized(m, proxy, clock);
    };
    return { clock, ua, proxy, nonce: () => nonce };
  }

  it('answers a 407 to the INVITE with Proxy-Authorization; the ACK of the 407 carries none (§22.1), the ACK of the 2xx the same (§13.2.2.4)', async () => {
    const { clock, ua, proxy } = behindChallengingProxy(4, (invite, proxy) => {
      proxy.send(createResponse(invite, 200, undefined, { toTag: 'callee', headers: [['Contact', `<sip:callee@${REGISTRAR.address}:${REGISTRAR.port}>`]] }), UA);
    });
    const session = await settle(clock, ua.invite(`sip:2002@${REGISTRAR.address}:${REGISTRAR.port}`));
    await pass(clock, 100);
    const invites = proxy.requests('INVITE');
    expect(invites).toHaveLength(2);
    expect(invites[1]!.callId).toBe(invites[0]!.callId);
    expect(invites[1]!.from?.tag).toBe(invites[0]!.from?.tag);
    expect(invites[1]!.cseq!.seq).toBe(invites[0]!.cseq!.seq + 1);
    const acks = proxy.requests('ACK');
    expect(acks[0]!.cseq!.seq).toBe(invites[0]!.cseq!.seq);
    expect(acks[0]!.header('Proxy-Authorization')).toBeUndefined();
    expect(acks[1]!.cseq!.seq).toBe(invites[1]!.cseq!.seq);
    // §13.2.2.4: the ACK for the 2xx carries the INVITE's credentials.
    expect(acks[1]!.header('Proxy-Authorization')).toBe(invites[1]!.header('Proxy-Authorization'));
    expect(session.state).toBe('confirmed');
    // A challenged BYE is sent again with credentials and the dialog's next CSeq.
    let nonce = '';
    proxy.onMessage = (m) => {
      if (!m.isRequest || m.method !== 'BYE') return;
      if (m.header('Proxy-Authorization') === undefined) {
        const c = createDigestChallenge({ realm: REALM });
        nonce = c.nonce;
        proxy.send(createResponse(m, 407, undefined, { headers: [['Proxy-Authenticate', c.header]] }), UA);
      } else {
        expect(verifyDigest(m.header('Proxy-Authorization')!, { method: 'BYE', password: PASSWORD, nonce }).ok).toBe(true);
        proxy.send(createResponse(m, 200), UA);
      }
    };
    proxy.autoAnswer = false;
    const bye = await settle(clock, session.bye());
    expect(bye?.status).toBe(200);
    const byes = proxy.requests('BYE');
    expect(byes).toHaveLength(2);
    expect(byes[1]!.cseq!.seq).toBe(byes[0]!.cseq!.seq + 1);
    await settle(clock, ua.close());
  });

  it('a 2xx from another fork after the call is settled is still ACKed with the INVITE credentials (§13.2.2.4), then BYEd', async () => {
    // Once settled, the outgoing call keeps only a skeleton of its INVITE for the rest of the
    // transaction's Accepted state: it must still hold what a late fork's ACK and BYE copy.
    const { clock, ua, proxy, nonce } = behindChallengingProxy(5, (invite, proxy, clock) => {
      const contact = (user: string): [string, string] => ['Contact', `<sip:${user}@${REGISTRAR.address}:${REGISTRAR.port}>`];
      proxy.send(createResponse(invite, 200, undefined, { toTag: 'callee', headers: [contact('callee')] }), UA);
      clock.setTimer(200, () => proxy.send(createResponse(invite, 200, undefined, { toTag: 'fork2', headers: [contact('fork2')] }), UA));
    });
    const session = await settle(clock, ua.invite(`sip:2002@${REGISTRAR.address}:${REGISTRAR.port}`));
    await pass(clock, 500);
    const invite = proxy.requests('INVITE')[1]!;
    expect(verifyDigest(invite.header('Proxy-Authorization')!, { method: 'INVITE', password: PASSWORD, nonce: nonce() }).ok).toBe(true);
    const forkAck = proxy.requests('ACK').find((r) => r.to?.tag === 'fork2');
    expect(forkAck?.header('Proxy-Authorization')).toBe(invite.header('Proxy-Authorization'));
    expect(forkAck?.cseq).toMatchObject({ seq: invite.cseq!.seq, method: 'ACK' });
    expect([forkAck?.callId, forkAck?.from?.tag]).toEqual([invite.callId, invite.from?.tag]);
    expect(forkAck?.uri.toString()).toBe(`sip:fork2@${REGISTRAR.address}:${REGISTRAR.port}`);
    const forkBye = proxy.requests('BYE').find((r) => r.to?.tag === 'fork2');
    expect([forkBye?.callId, forkBye?.from?.tag]).toEqual([invite.callId, invite.from?.tag]);
    expect(session.dialog.id.remoteTag).toBe('callee');
    expect(session.state).toBe('confirmed');
    await settle(clock, ua.close());
  });
});
