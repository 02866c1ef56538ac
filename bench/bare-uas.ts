// The bare stack as a SIP server, for bench/sipp-uas.sh: one UserAgent on PORT answering every
// INVITE (180, then 200 with an SDP answer made by sdpOfferAnswer, no RTP) and keeping the dialog
// until the BYE, with nothing of the engine around it. Prints its CPU time per call (user + system,
// from the first INVITE to the end of the CALLS-th call) as JSON and exits.
//
//   node .bench-out/bench/bare-uas.js <port> <calls>

import { sdpOfferAnswer } from '../src/sdp/index.js';
import { UserAgent } from '../src/sip/dialog/user-agent.js';

const port = Number(process.argv[2]);
const calls = Number(process.argv[3]);
if (!(port > 0) || !(calls > 0)) throw new Error('usage: bare-uas <port> <calls>');

const ua = new UserAgent({ bind: { host: '127.0.0.1', port }, identity: { user: 'service' }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 9 }) });
await ua.ready;
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let ended = 0;
let failed = 0;
const done = new Promise<void>((resolve) => {
  ua.on('invite', (call) => {
    cpuAtFirst ??= process.cpuUsage();
    call.ringing();
    call.answer().then(
      (session) => {
        if (session.signal.aborted) ++ended === calls && resolve();
        else session.signal.addEventListener('abort', () => ++ended === calls && resolve(), { once: true });
      },
      () => (failed++, ++ended === calls && resolve()),
    );
  });
});
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ error: `only ${ended} of ${calls} calls ended` }));
  process.exit(1);
}, 120_000);
await done;
clearTimeout(timeout);
const cpu = process.cpuUsage(cpuAtFirst);
console.log(JSON.stringify({ calls, failed, userUs: cpu.user, systemUs: cpu.system, perCallUs: Math.round((cpu.user + cpu.system) / calls) }));
await ua.close();
