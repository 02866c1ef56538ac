// The floor of a Node.js SIP server, for bench/sipp-uas.sh: one node:dgram socket answering
// SIPp's uac with canned text and no SIP stack at all — no parser beyond finding five header
// lines, no transactions, no retransmissions, no dialogs, no timers, no promises. INVITE gets 180
// and 200 (with a fixed SDP), BYE gets 200, ACK nothing; a retransmitted INVITE or BYE (found by
// Call-ID and CSeq) within 32 s gets the same responses again. What this costs per call is what
// Node's event loop and sockets cost for the same datagrams; sipflow's own figures sit on top of it.
// Prints its CPU time per call (user + system, from the first INVITE to the CALLS-th BYE) as JSON;
// when calls never end (SIPp gave up on them), it stops 10 s after the last datagram with the
// figures of those that did, and an `error`.
// RAW_TABLE=off keeps no responses (a retransmitted request gets nothing): what the sockets and the
// event loop alone cost, without the 32 s of responses a server keeps to answer retransmissions.
//
//   node .bench-out/bench/raw-uas.js <port> <calls>

import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const calls = Number(process.argv[3]);
if (!(port > 0) || !(calls > 0)) throw new Error('usage: raw-uas <port> <calls>');

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const socket = createSocket('udp4');
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let ended = 0;
let tag = 0;
/** RAW_TABLE=off: no responses kept (see the top). */
const KEEP = process.env.RAW_TABLE !== 'off';
/**
 * Responses sent, by Call-ID and CSeq, re-sent as they were for a retransmitted request: the
 * current generation and the one before, the older dropped every 32 s (64·T1, how long a request
 * can be retransmitted), so the table stays as large as 32–64 s of calls.
 */
let sent = new Map<string, string[]>();
let sentBefore = new Map<string, string[]>();
const generations = setInterval(() => {
  sentBefore = sent;
  sent = new Map();
}, 32_000);
generations.unref();

/** Header line `name` (as SIPp writes it: `\r\nName:`) with its CRLF, or '' when absent. */
function line(text: string, name: string): string {
  const at = text.indexOf(name);
  return at < 0 ? '' : text.slice(at + 2, text.indexOf('\r\n', at + 2) + 2);
}

socket.on('message', (data, rinfo) => {
  lastAt = Date.now();
  const text = data.toString('latin1');
  const send = (s: string): void => socket.send(s, rinfo.port, rinfo.address);
  const isInvite = text.startsWith('INVITE ');
  const isBye = text.startsWith('BYE ');
  if (!isInvite && !isBye) return;
  // The header lines a response copies from the request (RFC 3261 §8.2.6.2).
  const via = line(text, '\r\nVia:');
  const from = line(text, '\r\nFrom:');
  const callId = line(text, '\r\nCall-ID:');
  const cseq = line(text, '\r\nCSeq:');
  const key = callId + cseq;
  const again = sent.get(key) ?? sentBefore.get(key);
  if (again !== undefined) {
    for (const s of again) send(s);
    return;
  }
  let to = line(text, '\r\nTo:');
  let responses: string[];
  if (isInvite) {
    cpuAtFirst ??= process.cpuUsage();
    if (!to.includes(';tag=')) to = `${to.slice(0, -2)};tag=t${++tag}\r\n`;
    const head = `${via}${from}${to}${callId}${cseq}Contact: <sip:service@127.0.0.1:${port}>\r\n`;
    responses = [`SIP/2.0 180 Ringing\r\n${head}Content-Length: 0\r\n\r\n`, `SIP/2.0 200 OK\r\n${head}Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`];
  } else {
    responses = [`SIP/2.0 200 OK\r\n${via}${from}${to}${callId}${cseq}Content-Length: 0\r\n\r\n`];
  }
  if (KEEP) sent.set(key, responses);
  for (const s of responses) send(s);
  if (isBye && ++ended === calls) finish();
});

function finish(): void {
  clearInterval(watchdog);
  const cpu = process.cpuUsage(cpuAtFirst);
  const figures = { calls: ended, userUs: cpu.user, systemUs: cpu.system, perCallUs: Math.round((cpu.user + cpu.system) / Math.max(1, ended)) };
  console.log(JSON.stringify(ended === calls ? figures : { ...figures, error: `only ${ended} of ${calls} calls ended` }));
  // Not at once: the last 200 is still on its way out (and a lost one is asked for again).
  setTimeout(() => socket.close(), 2000);
}

// A call SIPp gave up on never sends its BYE: once calls have come, 10 s without a datagram ends
// the wait, with the figures of the calls that did end (the script counts the rate as not clean
// from SIPp's own counts; the CPU figure then includes the quiet wait, a few ms). Before the first
// call, 120 s.
let lastAt = Date.now();
const watchdog = setInterval(() => {
  const quietMs = Date.now() - lastAt;
  if (cpuAtFirst !== undefined && quietMs > 10_000) finish();
  else if (cpuAtFirst === undefined && quietMs > 120_000) {
    console.log(JSON.stringify({ error: 'no call came' }));
    process.exit(1);
  }
}, 1000);
watchdog.unref();
// The receive buffer the bench gives every peer (RECV_BUFFER, see bench/sipp-stats.sh).
socket.once('listening', () => {
  if (process.env.RECV_BUFFER !== undefined) socket.setRecvBufferSize(Number(process.env.RECV_BUFFER));
});
socket.bind(port, '127.0.0.1');
