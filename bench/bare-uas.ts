// The bare stack as a SIP server, for bench/sipp-uas.sh: one UserAgent on PORT answering every
// INVITE (180, then 200 with an SDP answer made by sdpOfferAnswer, no RTP) and keeping the dialog
// until the BYE, with nothing of the engine around it. Prints its CPU time per call (user + system,
// from the first INVITE to the end of the CALLS-th call) as JSON and exits; when calls never end (an
// INVITE lost), it stops 40 s after the last activity with the figures of those that did, and an `error`.
//
// Like `sipflow load`, it first warms up (WARMUP calls, default 3,000 as `sipflow load`'s: a UserAgent of its own on an
// ephemeral port calls another, which answers, 32 at a time, then both close), so that V8 has
// compiled the stack before SIPp's first call; it writes `ready` on stderr once it listens on PORT.
//
//   WARMUP=3000 node .bench-out/bench/bare-uas.js <port> <calls>

import { sdpOfferAnswer } from '../src/sdp/index.js';
import { UserAgent } from '../src/sip/dialog/user-agent.js';
import { UdpTransport } from '../src/sip/transport/udp.js';

const port = Number(process.argv[2]);
const calls = Number(process.argv[3]);
if (!(port > 0) || !(calls > 0)) throw new Error('usage: bare-uas <port> <calls>');

const offerAnswer = sdpOfferAnswer({ address: '127.0.0.1', port: 9 });
await warmUp(Number(process.env.WARMUP ?? 3000));
// (with the receive buffer the bench gives every peer: RECV_BUFFER, see bench/sipp-stats.sh)
const recvBufferSize = process.env.RECV_BUFFER !== undefined ? Number(process.env.RECV_BUFFER) : undefined;
const ua = new UserAgent({ transport: await UdpTransport.bind({ host: '127.0.0.1', port, ...(recvBufferSize !== undefined ? { recvBufferSize } : {}) }), identity: { user: 'service' }, offerAnswer });
await ua.ready;
process.stderr.write('ready\n');
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let ended = 0;
let failed = 0;
let lastAt = Date.now();
let watchdog: NodeJS.Timeout | undefined;
const done = new Promise<void>((resolve) => {
  const end = (): void => {
    lastAt = Date.now();
    if (++ended === calls) resolve();
  };
  ua.on('invite', (call) => {
    lastAt = Date.now();
    cpuAtFirst ??= process.cpuUsage();
    call.ringing();
    call.answer().then(
      (session) => {
        if (session.signal.aborted) end();
        else session.signal.addEventListener('abort', end, { once: true });
      },
      () => (failed++, end()),
    );
  });
  // A call whose INVITE never arrived never ends: once calls have come, 40 s without a new call or
  // an ended one (more than the 32 s an unACKed 2xx is re-sent) ends the wait with the figures of
  // the calls that did end. Before the first call, 120 s.
  watchdog = setInterval(() => {
    const quietMs = Date.now() - lastAt;
    if (quietMs > (cpuAtFirst === undefined ? 120_000 : 40_000)) resolve();
  }, 1000);
  watchdog.unref();
});
await done;
clearInterval(watchdog);
if (cpuAtFirst === undefined) {
  console.log(JSON.stringify({ error: 'no call came' }));
  process.exit(1);
}
// (For a partial run this includes the quiet wait: a few ms; not measured per call, to keep the
// measured path as it is.)
const cpu = process.cpuUsage(cpuAtFirst);
const figures = { calls: ended, failed, userUs: cpu.user, systemUs: cpu.system, perCallUs: Math.round((cpu.user + cpu.system) / Math.max(1, ended)) };
console.log(JSON.stringify(ended === calls ? figures : { ...figures, error: `only ${ended} of ${calls} calls ended` }));
await ua.close();

/** `n` calls from a UserAgent of its own to another on ephemeral ports, 32 at a time: the same answering path, compiled. */
async function warmUp(n: number): Promise<void> {
  if (!(n > 0)) return;
  const callee = new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user: 'service' }, offerAnswer });
  const caller = new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user: 'warmup' }, offerAnswer });
  await Promise.all([callee.ready, caller.ready]);
  callee.on('invite', (call) => {
    call.ringing();
    call.answer().catch(() => undefined);
  });
  const target = `sip:service@127.0.0.1:${callee.local.port}`;
  const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const session = await caller.invite(target, { sdp: offer });
      await session.bye();
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  await Promise.all([caller.close(), callee.close()]);
}
