// The pcap report judged by the real tools: captures of example runs on loopback, read by
// Wireshark's tshark (every SIP message with its CSeq, Call-ID and ends; every RTP and RTCP
// datagram as set up by the SDP of the calls; IP and UDP checksums good; the events' times; the
// RFC 4733 digits of the DTMF example; the SIP INFO digits of the INFO one) and by sngrep 1.6, run without its interface
// (`sngrep -N -I in.pcap -O out.pcap`: it writes out the packets of the dialogs it parsed, so the
// file it writes back must hold every SIP message, and with `-r` every RTP/RTCP packet too).
// Without a tool on PATH its tests are skipped with a warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, loadScenarioFile, type SipEvent } from '../../src/engine/index.js';
import { buildLadder } from '../../src/api/report/ladder.js';
import { capturedPackets, writePcap, type CapturedPacket } from '../../src/api/report/pcap.js';
import { ScenarioRecorder, type ScenarioRun } from '../../src/api/report/scenario-run.js';
import { readPcap, type PcapRecord } from '../api/report/pcap-reader.js';

const found = (tool: string, flag: string): string | undefined => (spawnSync(tool, [flag], { encoding: 'utf8' }).status === 0 ? tool : undefined);
const TSHARK = found('tshark', '--version');
const SNGREP = found('sngrep', '-V');
if (TSHARK === undefined) console.warn('tshark not found: skipping the tshark tests of test/interop/pcap-tools.test.ts (apt-get install tshark to run them)');
if (SNGREP === undefined) console.warn('sngrep not found: skipping the sngrep tests of test/interop/pcap-tools.test.ts (apt-get install sngrep to run them)');

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const EXAMPLE_PORTS: Readonly<Record<string, number>> = { 'basic-call.json': 26200, 'attended-transfer.json': 26210, 'dtmf.json': 26220, 'dtmf-info-and-recording.json': 26230 };
const dir = mkdtempSync(join(tmpdir(), 'sipflow-pcap-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Capture {
  readonly run: ScenarioRun;
  readonly file: string;
  readonly packets: readonly CapturedPacket[];
}

const captures = new Map<string, Promise<Capture>>();
/** The example's run, recorded once (for every test that needs it) and written as a pcap file. */
function capture(name: string): Promise<Capture> {
  let c = captures.get(name);
  if (c === undefined) {
    c = (async () => {
      const engine = new Engine({ portBase: EXAMPLE_PORTS[name]!, closeTimeoutMs: 300, outputDir: join(dir, 'recordings') });
      const recorder = new ScenarioRecorder({ file: EXAMPLES + name, packets: true });
      const off = engine.addReporter(recorder);
      try {
        const result = await engine.run(loadScenarioFile(EXAMPLES + name, { env: {} }));
        expect(result.failure?.message, name).toBeUndefined();
      } finally {
        off();
      }
      const run = recorder.record();
      const file = join(dir, name.replace('.json', '.pcap'));
      writeFileSync(file, writePcap([run]));
      return { run, file, packets: capturedPackets([run]) };
    })();
    captures.set(name, c);
  }
  return c;
}

/** Runs a tool to its end (killed after 20 s) and returns its stdout. */
function run(tool: string, args: readonly string[]): string {
  const out = spawnSync(tool, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out.error, `${tool} ${args.join(' ')}`).toBeUndefined();
  expect(out.status, `${tool} ${args.join(' ')}: ${out.stderr}`).toBe(0);
  return out.stdout;
}

/** tshark's `-T fields` rows, tab-separated. */
function tshark(file: string, ...args: string[]): string[][] {
  return run(TSHARK!, ['-r', file, ...args])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const ends = (p: CapturedPacket): string[] => [p.source.address, String(p.source.port), p.destination.address, String(p.destination.port)];
const rtpSeq = (data: Uint8Array): string => String((data[2]! << 8) | data[3]!);
/** frame.time_epoch (`1700000000.123456000`) in whole µs. */
const epochUs = (s: string): number => {
  const m = /^(\d+)\.(\d{6})\d*$/.exec(s);
  if (m === null) throw new Error(`unexpected frame.time_epoch ${s}`);
  return Number(m[1]) * 1_000_000 + Number(m[2]);
};
const NAMES = Object.keys(EXAMPLE_PORTS);

describe.skipIf(TSHARK === undefined)('tshark reads our captures', () => {
  it.each(NAMES)('%s: every SIP message, in order, with its CSeq, Call-ID and ends', async (name) => {
    const { file, run, packets } = await capture(name);
    const rows = tshark(file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.CSeq', '-e', 'sip.Call-ID', '-e', 'ip.src', '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'udp.dstport');
    const ladder = buildLadder(run);
    expect(rows.length).toBe(ladder.arrows.length);
    const sip = packets.filter((p) => p.protocol === 'sip');
    expect(rows).toEqual(sip.map((p) => [(p.event as SipEvent).cseq, (p.event as SipEvent).sipCallId, ...ends(p)]));
  }, 20_000);

  it.each(NAMES)('%s: every RTP and RTCP datagram, decoded as the calls\' SDP set them up', async (name) => {
    const { file, packets } = await capture(name);
    const rtp = tshark(file, '-Y', 'rtp', '-T', 'fields', '-e', 'rtp.setup-method', '-e', 'ip.src', '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'rtp.seq');
    const ours = packets.filter((p) => p.protocol === 'rtp');
    expect(ours.length).toBeGreaterThan(20);
    expect(rtp).toEqual(ours.map((p) => ['SDP', ...ends(p), rtpSeq(p.data)]));
    const rtcp = tshark(file, '-Y', 'rtcp', '-T', 'fields', '-e', 'rtcp.setup-method', '-e', 'udp.srcport', '-e', 'udp.dstport');
    expect(rtcp.map((r) => [r[0]!.split(',')[0], r[1], r[2]])).toEqual(packets.filter((p) => p.protocol === 'rtcp').map((p) => ['SDP', String(p.source.port), String(p.destination.port)]));
  }, 20_000);

  it.each(NAMES)('%s: good IP and UDP checksums, and the events\' times', async (name) => {
    const { file, packets } = await capture(name);
    const rows = tshark(file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status');
    expect(rows.length).toBe(packets.length);
    // Checksum status 1 is "Good" (0 bad, 2 unverified).
    expect(rows.map((r) => [epochUs(r[0]!), r[1], r[2]])).toEqual(packets.map((p) => [p.timeUs, '1', '1']));
  }, 20_000);

  it('dtmf.json: the RFC 4733 events are the digits each side sent', async () => {
    const { file, run: ran } = await capture('dtmf.json');
    const rows = tshark(file, '-Y', 'rtpevent', '-T', 'fields', '-e', 'udp.srcport', '-e', 'rtp.timestamp', '-e', 'rtpevent.event_id');
    // One key press per RTP timestamp of a stream (RFC 4733 §2.5.1.2), several packets each.
    const presses = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const [port, timestamp, event] of rows) {
      if (seen.has(`${port} ${timestamp}`)) continue;
      seen.add(`${port} ${timestamp}`);
      presses.set(port!, [...(presses.get(port!) ?? []), '0123456789*#ABCD'[Number(event)]!]);
    }
    const rtpPort = (instanceId: string): string => String(ran.packets.find((p) => p.instanceId === instanceId && p.protocol === 'rtp')!.local.port);
    expect(rows.length).toBeGreaterThan(6 * 3);
    expect(presses.get(rtpPort('alice'))?.join('')).toBe('1234#');
    expect(presses.get(rtpPort('bob'))?.join('')).toBe('9');
  }, 20_000);

  it('dtmf-info-and-recording.json: the SIP INFO digits, application/dtmf-relay, as each side sent them', async () => {
    const { file, run: ran } = await capture('dtmf-info-and-recording.json');
    const rows = tshark(file, '-Y', 'sip.Method == "INFO"', '-T', 'fields', '-e', 'udp.srcport', '-e', 'sip.Content-Type', '-e', 'text');
    const sipPort = (instanceId: string): string => String(ran.instances.find((i) => i.id === instanceId)!.address.port);
    const digits = (port: string): string =>
      rows
        .filter((r) => r[0] === port)
        .map((r) => {
          expect(r[1]).toBe('application/dtmf-relay');
          return /Signal=(.)/.exec(r[2] ?? '')?.[1] ?? '?';
        })
        .join('');
    expect(rows.length).toBe(4);
    expect(digits(sipPort('alice'))).toBe('42#');
    expect(digits(sipPort('bob'))).toBe('7');
  }, 20_000);

  it('an IPv6 capture: SIP decoded, UDP checksums good', () => {
    const a = { address: '::1', port: 5060 };
    const b = { address: '2001:db8::5', port: 5062 };
    const raw = (cseq: string): string => `OPTIONS sip:bob@[2001:db8::5]:5062 SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK${cseq}\r\nFrom: <sip:alice@[::1]>;tag=1\r\nTo: <sip:bob@[2001:db8::5]>\r\nCall-ID: v6@test\r\nCSeq: ${cseq} OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    const event = (cseq: string, timeUs: number): SipEvent => ({ type: 'sip', instanceId: 'alice', direction: 'sent', local: a, remote: b, timestamp: timeUs / 1000, timeUs, raw: raw(cseq), sipCallId: 'v6@test', cseq: `${cseq} OPTIONS`, method: 'OPTIONS' });
    const sip = [event('1', 1_700_000_000_000_000), event('22', 1_700_000_000_500_000)];
    const ran: ScenarioRun = { file: 'v6', scenarioId: 'v6', status: 'passed', failure: undefined, startedAt: 0, endedAt: 0, instances: [], nodes: [], events: sip, sip, media: [], packets: [] };
    const file = join(dir, 'v6.pcap');
    writeFileSync(file, writePcap([ran]));
    const rows = tshark(file, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'udp.checksum.status', '-e', 'sip.CSeq');
    expect(rows).toEqual([
      ['::1', '2001:db8::5', '1', '1 OPTIONS'],
      ['::1', '2001:db8::5', '1', '22 OPTIONS'],
    ]);
  });
});

describe.skipIf(SNGREP === undefined)('sngrep reads our captures', () => {
  /** `sngrep -N -I in -O out [-r]`: the dialogs it counted and the packets it wrote back. */
  function sngrep(file: string, rtp: boolean): { dialogs: number; records: readonly PcapRecord[] } {
    const out = join(dir, `sngrep-${rtp ? 'rtp-' : ''}${file.split('/').at(-1)!}`);
    // -F: no user configuration; -N: no interface (it reads the file to its end and exits).
    const stdout = run(SNGREP!, ['-F', '-N', ...(rtp ? ['-r'] : []), '-I', file, '-O', out]);
    const counts = [...stdout.matchAll(/Dialog count: (\d+)/g)].map((m) => Number(m[1]));
    return { dialogs: counts.at(-1) ?? -1, records: readPcap(readFileSync(out)).records };
  }
  const key = (r: PcapRecord): string[] => [String(r.timeUs), r.source, String(r.sourcePort), r.destination, String(r.destinationPort), Buffer.from(r.payload).toString('hex')];
  const ourKey = (p: CapturedPacket): string[] => [String(p.timeUs), ...ends(p), Buffer.from(p.data).toString('hex')];

  it.each(NAMES)('%s: parses every SIP message into its dialogs (one per Call-ID)', async (name) => {
    const { file, run: ran, packets } = await capture(name);
    const { dialogs, records } = sngrep(file, false);
    expect(dialogs).toBe(buildLadder(ran).calls.length);
    // It writes back only the packets of the dialogs it parsed: all of our SIP, and no media.
    expect(records.map(key)).toEqual(packets.filter((p) => p.protocol === 'sip').map(ourKey));
  }, 20_000);

  // Not attended-transfer.json: there Bob's and Carol's calls after the transfer reuse the RTP
  // ports of their calls with Alice, and sngrep 1.6 then drops some of that stream or not, by
  // timing (its stream matching, not the capture: tshark ties every packet to its SDP above).
  it.each(['basic-call.json', 'dtmf.json'])('%s: with -r, ties every RTP and RTCP packet to its call', async (name) => {
    const { file, packets } = await capture(name);
    const { records } = sngrep(file, true);
    expect(packets.some((p) => p.protocol === 'rtp')).toBe(true);
    expect(records.map(key)).toEqual(packets.map(ourKey));
  }, 20_000);
});
