// DTMF and media checks against SIPp (UDP, 127.0.0.1).
//
// 1. SIP INFO DTMF: SIPp calls an engine instance and, once the call is
// up, keys 4, 2 and # as INFO requests with application/dtmf-relay bodies (the Cisco form most
// PBXs use: Signal= and Duration=); the instance waits for 42# with DTMFReceived and answers with 7
// as an INFO of its own (SendDTMF mode info), which SIPp must receive with `Signal=7` in its body
// (an ereg check that fails the call otherwise). SIPp then hangs up. The run passes, every digit
// is reported as come by SIP INFO, and SIPp counts one successful call.
// 2. Audio SIPp plays (play_pcap_audio): its sample recording g711a.pcap (7 s of recorded speech,
//    PCMA in 30 ms packets) and then dtmf_2833_1.pcap (an RFC 2833 "1" from another stack). The
//    instance hears sound (ExpectAudio), gets exactly the digit 1 as RFC 4733 events — no in-band
//    digit taken from the speech, though the in-band receiver listens to all of it — and
//    CheckMedia finds PCMA, every packet received and no loss.
// Ports: 34700–34799. Without sipp on PATH (or its sample pcaps) the tests are skipped with a warning.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type MediaEvent, type RunEvent } from '../../src/engine/index.js';
import { describeRun, killLeftoverSipp, lastCsvRow, makeSippDir, readIfThere, removeSippDir, screenCount, sippArgs, sippInvite, sippMissing, startSipp } from './sipp.js';

const SIPP_TIMEOUT_S = 20;
const SIPP_KILL_MS = (SIPP_TIMEOUT_S + 5) * 1000;
const NO_SIPP = sippMissing(import.meta.url);
/** SIPp's sample audio (Debian's sip-tester installs it here). */
const SIPP_PCAPS = ['/usr/share/sip-tester', '/usr/share/sipp/pcap', '/usr/local/share/sipp/pcap'].find((d) => existsSync(join(d, 'g711a.pcap')) && existsSync(join(d, 'dtmf_2833_1.pcap')));
if (!NO_SIPP && SIPP_PCAPS === undefined) console.warn('SIPp sample pcaps (g711a.pcap, dtmf_2833_1.pcap) not found: skipping the pcap audio test of test/interop/sipp-info-dtmf.test.ts');
afterEach(killLeftoverSipp);

/**
 * SIPp's INVITE offering one codec (and telephone-events), with the headers this file's requests
 * all have (display names, a Contact without brackets), and the answer up to the 200.
 */
const inviteAndAnswer = (payloadType: number, codec: string): string => `${sippInvite({
  head: `
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70`,
  origin: 'user1 53655765 2353687637',
  payloadType,
  codec,
  telephoneEvent: 101,
})}  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
`;

/** SIPp's ACK for the 200. */
const ACK = `  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;

/** SIPp's BYE (CSeq `cseq`) and its 200. */
const bye = (cseq: number): string => `  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} BYE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
`;

/** One INFO of SIPp's with a dtmf-relay body for `digit`. */
const info = (digit: string, cseq: number): string => `
  <send retrans="500">
    <![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} INFO
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${digit}
      Duration=160
    ]]>
  </send>
  <recv response="200" crlf="true"/>
`;

/** SIPp's side: call, key 42#, expect our INFO with 7, hang up. */
const SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="INFO DTMF both ways">
${inviteAndAnswer(0, 'PCMU')}${ACK}  <pause milliseconds="200"/>
  ${info('4', 2)}
  ${info('2', 3)}
  ${info('#', 4)}
  <recv request="INFO">
    <action>
      <ereg regexp="application/dtmf-relay" search_in="hdr" header="Content-Type:" check_it="true" assign_to="ct"/>
      <ereg regexp="Signal=7" search_in="body" check_it="true" assign_to="signal"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
${bye(5)}  <Reference variables="ct,signal"/>
</scenario>
`;

describe.skipIf(NO_SIPP)('SIP INFO DTMF ↔ SIPp', () => {
  it('digits SIPp keys as INFO arrive in order as SIP INFO digits, and SIPp receives ours with the right body', async () => {
    const BOB_PORT = 34700;
    const SIPP_PORT = 34710;
    const dir = await makeSippDir('sipflow-sipp-info-dtmf-');
    try {
      const file = join(dir, 'info-dtmf.xml');
      const statsFile = join(dir, 'stats.csv');
      const errors = join(dir, 'errors.log');
      await writeFile(file, SCENARIO, 'latin1');
      const engine = new Engine({ portBase: 34720, closeTimeoutMs: 500 });
      const events: RunEvent[] = [];
      engine.on((e) => events.push(e));
      const done = engine.run(
        {
          name: 'INFO DTMF from SIPp',
          instances: {
            bob: {
              dn: '200',
              port: BOB_PORT,
              steps: [
                'INCOMING',
                'Answer',
                { id: 'digits', event: 'DTMFReceived', expectedDigits: '42#', timeout: 10_000 },
                { id: 'reply', command: 'SendDTMF', digits: '7', mode: 'info' },
                { id: 'bye', event: 'DISCONNECTED', timeout: 10_000 },
              ],
            },
          },
        },
        { env: {} },
      );
      // Give the instance a moment to bind before SIPp calls it.
      await new Promise((r) => setTimeout(r, 300));
      const run = await startSipp(
        [`127.0.0.1:${BOB_PORT}`, '-sf', file, '-s', '200', '-trace_err', '-error_file', errors, ...sippArgs({ port: SIPP_PORT, calls: 1, timeoutS: SIPP_TIMEOUT_S, statsFile })],
        dir,
        SIPP_KILL_MS,
      );
      const result = await done;
      const stats = await lastCsvRow(statsFile).catch(() => new Map<string, string>());
      const why = describeRun(run, [
        `run: ${result.status} ${result.failure?.message ?? ''}`,
        `sipp errors: ${(await readIfThere(errors)).slice(-3000)}`,
        ...events.flatMap((e) => (e.type === 'scenario:action-log' ? [`${e.nodeId}: ${e.message}`] : e.type === 'sip' ? [`${e.direction} ${e.method ?? e.status}`] : [])),
      ]);
      expect(result.status, why).toBe('passed');
      const digits = events.filter((e): e is MediaEvent => e.type === 'media' && e.kind === 'dtmf-received').map((e) => `${e.digits}:${e.form}`);
      expect(digits, why).toEqual(['4:info', '2:info', '#:info']);
      const ourInfo = events.find((e) => e.type === 'sip' && e.direction === 'sent' && e.method === 'INFO');
      expect(ourInfo?.type === 'sip' ? ourInfo.raw : '', why).toMatch(/\r\nContent-Type: application\/dtmf-relay\r\n[\s\S]*\r\n\r\nSignal=7\r\nDuration=100\r\n$/);
      // Every INFO of SIPp's got our 200.
      const oks = events.filter((e) => e.type === 'sip' && e.direction === 'sent' && e.status === 200 && / INFO\r\n/.test(e.raw));
      expect(oks.length, why).toBeGreaterThanOrEqual(3);
      expect(run.code, why).toBe(0);
      expect([stats.get('SuccessfulCall(C)'), stats.get('FailedCall(C)')], why).toEqual(['1', '0']);
      expect(screenCount(run.stdout, 'Successful call'), why).toBe(1);
    } finally {
      await removeSippDir(dir);
    }
  }, SIPP_KILL_MS + 15_000);

  it.skipIf(SIPP_PCAPS === undefined)('audio SIPp plays from its sample pcaps: speech heard, the RFC 2833 digit taken once, no in-band digit from the speech, a clean PCMA stream', async () => {
    const BOB_PORT = 34740;
    const SIPP_PORT = 34750;
    const dir = await makeSippDir('sipflow-sipp-pcap-audio-');
    try {
      const file = join(dir, 'pcap-audio.xml');
      const statsFile = join(dir, 'stats.csv');
      const errors = join(dir, 'errors.log');
      await writeFile(file, PCAP_SCENARIO(SIPP_PCAPS!), 'latin1');
      const engine = new Engine({ portBase: 34760, closeTimeoutMs: 500 });
      const events: RunEvent[] = [];
      engine.on((e) => events.push(e));
      const done = engine.run(
        {
          name: 'audio from SIPp pcaps',
          instances: {
            bob: {
              dn: '200',
              port: BOB_PORT,
              codecs: ['PCMA', 'PCMU'],
              steps: [
                'INCOMING',
                'Answer',
                { id: 'speech', event: 'ExpectAudio', expect: 'sound', minDurationMs: 500, timeout: 5000 },
                { id: 'digit', event: 'DTMFReceived', timeout: 15_000 },
                { id: 'check', command: 'CheckMedia', codec: 'PCMA', minPacketsReceived: 200, maxLossPercent: 0, minMos: 4 },
                { id: 'bye', event: 'DISCONNECTED', timeout: 10_000 },
              ],
            },
          },
        },
        { env: {} },
      );
      await new Promise((r) => setTimeout(r, 300));
      const run = await startSipp(
        [`127.0.0.1:${BOB_PORT}`, '-sf', file, '-s', '200', '-mp', '34790', '-trace_err', '-error_file', errors, ...sippArgs({ port: SIPP_PORT, calls: 1, timeoutS: SIPP_TIMEOUT_S, statsFile })],
        dir,
        SIPP_KILL_MS,
      );
      const result = await done;
      const why = describeRun(run, [
        `run: ${result.status} ${result.failure?.message ?? ''}`,
        `sipp errors: ${(await readIfThere(errors)).slice(-3000)}`,
        ...events.flatMap((e) => (e.type === 'scenario:action-log' ? [`${e.nodeId}: ${e.message}`] : [])),
      ]);
      expect(result.status, why).toBe('passed');
      const digits = events.filter((e): e is MediaEvent => e.type === 'media' && e.kind === 'dtmf-received').map((e) => `${e.digits}:${e.form}`);
      expect(digits, why).toEqual(['1:rfc4733']);
      const checked = events.find((e) => e.type === 'scenario:action-log' && e.nodeId === 'check');
      expect(checked?.type === 'scenario:action-log' ? checked.message : '', why).toMatch(/^CheckMedia passed: codec PCMA = PCMA; packets received \d+ ≥ min 200; loss 0 % ≤ max 0 %; MOS 4\.\d\d ≥ min 4/);
      expect(run.code, why).toBe(0);
    } finally {
      await removeSippDir(dir);
    }
  }, SIPP_KILL_MS + 15_000);
});

/** SIPp's side of test 2: call, play the speech sample and an RFC 2833 digit, hang up. */
function PCAP_SCENARIO(pcaps: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="audio from pcaps">
${inviteAndAnswer(8, 'PCMA')}${ACK}  <nop><action><exec play_pcap_audio="${pcaps}/g711a.pcap"/></action></nop>
  <pause milliseconds="7500"/>
  <nop><action><exec play_pcap_audio="${pcaps}/dtmf_2833_1.pcap"/></action></nop>
  <pause milliseconds="1000"/>
${bye(2)}</scenario>
`;
}
