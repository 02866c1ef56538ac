// The floor of a Node.js SIP caller, for bench/sipp-uac.sh: one node:dgram socket calling SIPp's uas
// with canned text and no SIP stack at all — no parser beyond finding a status line and three
// header lines, no transactions, no dialogs, no promises, one timer for the pace. Each call sends
// an INVITE (with a fixed SDP), ACKs the 200 and sends a BYE at once, and ends at the BYE's 200; a
// retransmitted 200 to the INVITE gets the same ACK again. Calls start `rate` times a second, in
// the batches a 10-ms tick has come to (SIPp paces its calls the same way). Nothing is retransmitted
// by this side: a call whose INVITE or BYE is lost never ends, and the run reports it. What this
// costs per call is what Node's event loop and sockets cost for the same datagrams; sipflow's own
// figures sit on top of it.
//
// Prints JSON: the calls that ended, the rate achieved (calls ended over the time from the first
// INVITE to the last BYE's 200), the share of calls whose 200 took 200 ms or more after the INVITE
// (`slowPercent`, the scripts' "slow"), and CPU time per call (user + system over the same span).
// When calls never end, it stops 10 s after the last datagram with the figures of those that did,
// and an `error`.
//
//   node .bench-out/bench/raw-uac.js <local port> <uas port> <rate> <calls>

import { createSocket } from 'node:dgram';

const [localPort, peerPort, rate, calls] = process.argv.slice(2, 6).map(Number);
if (!(localPort! > 0) || !(peerPort! > 0) || !(rate! > 0) || !(calls! > 0)) throw new Error('usage: raw-uac <local port> <uas port> <rate> <calls>');

const HOST = '127.0.0.1';
const SDP = `v=0\r\no=- 1 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
const socket = createSocket('udp4');

/** A call in progress: when its INVITE left, and the ACK sent for its 200 (sent again for a retransmitted 200). */
interface Call {
  readonly sentAt: number;
  ack: Buffer | undefined;
}
const live = new Map<string, Call>();
let started = 0;
let ended = 0;
let slow = 0;
let firstAt = 0;
let lastEndAt = 0;
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let cpuAtLast: NodeJS.CpuUsage | undefined;

const send = (s: string): void => socket.send(Buffer.from(s, 'latin1'), peerPort!, HOST);

function head(method: string, n: number, cseq: number, branch: string, toTag: string): string {
  return (
    `${method} sip:service@${HOST}:${peerPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${HOST}:${localPort};branch=z9hG4bK-${branch}\r\n` +
    `From: <sip:100@${HOST}:${localPort}>;tag=f${n}\r\nTo: <sip:service@${HOST}:${peerPort}>${toTag === '' ? '' : `;tag=${toTag}`}\r\n` +
    `Call-ID: raw-${n}@${HOST}\r\nCSeq: ${cseq} ${method}\r\nContact: <sip:100@${HOST}:${localPort}>\r\nMax-Forwards: 70\r\n`
  );
}

function startCall(): void {
  const n = ++started;
  live.set(`raw-${n}@${HOST}`, { sentAt: performance.now(), ack: undefined });
  send(`${head('INVITE', n, 1, `i${n}`, '')}Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
}

/** The value of header `name` (as SIPp writes it: `Name: value`), or '' when absent. */
function header(text: string, name: string): string {
  const at = text.indexOf(`\r\n${name}: `);
  if (at < 0) return '';
  const from = at + name.length + 4;
  return text.slice(from, text.indexOf('\r\n', from));
}

socket.on('message', (data) => {
  lastAt = Date.now();
  const text = data.toString('latin1');
  if (!text.startsWith('SIP/2.0 200')) return; // 100, 180: nothing to do
  const callId = header(text, 'Call-ID');
  const call = live.get(callId);
  if (call === undefined) return;
  const n = Number(callId.slice(4, callId.indexOf('@')));
  if (header(text, 'CSeq').endsWith('INVITE')) {
    if (call.ack !== undefined) {
      socket.send(call.ack, peerPort!, HOST); // a retransmitted 200: the same ACK
      return;
    }
    if (performance.now() - call.sentAt >= 200) slow++;
    const to = header(text, 'To');
    const toTag = to.slice(to.indexOf(';tag=') + 5);
    call.ack = Buffer.from(`${head('ACK', n, 1, `a${n}`, toTag)}Content-Length: 0\r\n\r\n`, 'latin1');
    socket.send(call.ack, peerPort!, HOST);
    send(`${head('BYE', n, 2, `b${n}`, toTag)}Content-Length: 0\r\n\r\n`);
    return;
  }
  // The BYE's 200: the call is over.
  live.delete(callId);
  ended++;
  if (ended === calls) finish();
});

function finish(): void {
  if (cpuAtLast !== undefined) return;
  clearInterval(pace);
  clearInterval(watchdog);
  lastEndAt = performance.now();
  cpuAtLast = process.cpuUsage(cpuAtFirst);
  const seconds = (lastEndAt - firstAt) / 1000;
  const figures = {
    calls: ended,
    achievedRate: Math.round(ended / seconds),
    slowPercent: Number(((100 * slow) / Math.max(1, ended)).toFixed(2)),
    userUs: cpuAtLast.user,
    systemUs: cpuAtLast.system,
    perCallUs: Math.round((cpuAtLast.user + cpuAtLast.system) / Math.max(1, ended)),
  };
  console.log(JSON.stringify(ended === calls ? figures : { ...figures, error: `only ${ended} of ${calls} calls ended` }));
  // Not at once: the last ACKs may be asked for again.
  setTimeout(() => socket.close(), 2000);
}

// The pace: every 10 ms, the calls due by now.
let pace: NodeJS.Timeout | undefined;
function begin(): void {
  firstAt = performance.now();
  cpuAtFirst = process.cpuUsage();
  pace = setInterval(() => {
    const due = Math.min(calls!, Math.floor(((performance.now() - firstAt) / 1000) * rate!) + 1);
    while (started < due) startCall();
    if (started === calls) clearInterval(pace);
  }, 10);
  startCall();
}

// Calls that never end (an INVITE or BYE lost, SIPp gave up): 10 s without a datagram ends the
// wait, with the figures of the calls that did end.
let lastAt = Date.now();
const watchdog = setInterval(() => {
  if (started > 0 && Date.now() - lastAt > 10_000) finish();
}, 1000);
socket.on('error', (err) => {
  console.log(JSON.stringify({ calls: ended, error: `socket: ${err.message}` }));
  process.exit(1);
});
// The receive buffer the bench gives every peer (RECV_BUFFER, see bench/sipp-stats.sh).
socket.once('listening', () => {
  if (process.env.RECV_BUFFER !== undefined) socket.setRecvBufferSize(Number(process.env.RECV_BUFFER));
});
socket.bind(localPort, HOST, begin);
