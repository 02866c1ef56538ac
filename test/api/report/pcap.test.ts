// The pcap report: real runs on UDP loopback written as a capture and read back with the test's own
// reader (every IP and UDP checksum verified): each SIP message once, as the ladder draws it, each
// RTP/RTCP datagram once, from its sender, with the events' addresses, ports and times. Then
// hand-made runs for what loopback runs never show: IPv6, wildcard (0.0.0.0) sockets, empty runs,
// several runs in one file, oversized datagrams.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, loadScenarioFile, type RtpEvent, type RunInstance, type SipEvent } from '../../../src/engine/index.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { buildLadder } from '../../../src/api/report/ladder.js';
import { capturedPackets, writePcap } from '../../../src/api/report/pcap.js';
import { ScenarioRecorder, type ScenarioRun } from '../../../src/api/report/scenario-run.js';
import { readPcap, type PcapFile, type PcapRecord } from './pcap-reader.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const text = new TextDecoder();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const at = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
/** A record's (or an event's) wire identity: from, to, bytes. */
const wireKey = (from: string, to: string, data: Uint8Array): string => `${from}>${to}:${hex(data)}`;
const recordKey = (r: PcapRecord): string => wireKey(at(r.source, r.sourcePort), at(r.destination, r.destinationPort), r.payload);

/** Runs an example on loopback with a packet-recording ScenarioRecorder. */
async function recordExample(name: string, portBase: number): Promise<ScenarioRun> {
  const file = EXAMPLES + name;
  const engine = new Engine({ portBase, closeTimeoutMs: 300 });
  const recorder = new ScenarioRecorder({ file, packets: true });
  const off = engine.addReporter(recorder);
  try {
    const result = await engine.run(loadScenarioFile(file, { env: {} }));
    expect(result.failure?.message, name).toBeUndefined();
  } finally {
    off();
  }
  return recorder.record();
}

describe.each([
  ['basic-call.json', 26000],
  ['attended-transfer.json', 26010],
  ['dtmf.json', 26020],
])('the capture of %s', (name, portBase) => {
  let run: ScenarioRun;
  let pcap: PcapFile;
  let dir: string;
  beforeAll(async () => {
    run = await recordExample(name, portBase);
    dir = mkdtempSync(join(tmpdir(), 'sipflow-pcap-'));
    writeFileSync(join(dir, 'run.pcap'), writePcap([run]));
    pcap = readPcap(readFileSync(join(dir, 'run.pcap')));
  }, 20_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sipPorts = (): Set<number> => new Set(run.instances.map((i) => i.address.port));
  const isSip = (r: PcapRecord): boolean => sipPorts().has(r.sourcePort) || sipPorts().has(r.destinationPort);

  it('reads back as a classic microsecond Ethernet pcap, every checksum right', () => {
    expect(pcap).toMatchObject({ littleEndian: true, nanoseconds: false, version: '2.4', snaplen: 65535, linkType: 1 });
    expect(pcap.records.length).toBe(capturedPackets([run]).length);
    for (const r of pcap.records) {
      expect(r).toMatchObject({ ipVersion: 4, ttl: 64, fragmentField: 0x4000, truncated: false, source: '127.0.0.1', destination: '127.0.0.1', sourceMac: '02:00:7f:00:00:01' });
      expect(r.capturedLength).toBe(r.originalLength);
      expect(r.udpChecksum).not.toBe(0);
    }
  });

  it('has each SIP message once, as the ladder draws it: same text, ends and time', () => {
    const ladder = buildLadder(run);
    const sip = pcap.records.filter(isSip);
    expect(sip.length).toBe(ladder.arrows.length);
    expect(sip.length).toBeLessThan(run.sip.length); // the receivers' halves are left out
    sip.forEach((r, i) => {
      const arrow = ladder.arrows[i]!;
      expect(text.decode(r.payload)).toBe(arrow.raw);
      expect(at(r.source, r.sourcePort)).toBe(ladder.columns[arrow.from]!.address);
      expect(at(r.destination, r.destinationPort)).toBe(ladder.columns[arrow.to]!.address);
      expect(r.timeUs).toBe(arrow.timeUs);
    });
  });

  it('has each RTP and RTCP datagram once, from its sender, with the events\' addresses and times', () => {
    const media = pcap.records.filter((r) => !isSip(r));
    const sent = run.packets.filter((p) => p.direction === 'sent');
    const received = run.packets.filter((p) => p.direction === 'received');
    expect(sent.filter((p) => p.protocol === 'rtp').length).toBeGreaterThan(20);
    expect(received.length).toBeGreaterThan(20);
    expect(media.length).toBe(sent.length);
    const count = new Map<string, number>();
    for (const r of media) count.set(recordKey(r), (count.get(recordKey(r)) ?? 0) + 1);
    for (const p of sent) {
      const key = wireKey(at(p.local.address, p.local.port), at(p.remote.address, p.remote.port), p.data);
      expect(count.get(key), `${p.protocol} ${key.slice(0, 60)}`).toBe(1);
      expect(media.find((r) => recordKey(r) === key)!.timeUs).toBe(p.timeUs);
    }
    // Every received datagram is there once, as its sender's.
    for (const p of received) expect(count.get(wireKey(at(p.remote.address, p.remote.port), at(p.local.address, p.local.port), p.data))).toBe(1);
    // RTP to an even port, RTCP to the odd one above it.
    for (const p of sent) expect(p.remote.port % 2).toBe(p.protocol === 'rtp' ? 0 : 1);
  });

  it('is in time order, each record stamped with its event\'s timeUs', () => {
    const packets = capturedPackets([run]);
    pcap.records.forEach((r, i) => {
      if (i > 0) expect(r.timeUs).toBeGreaterThanOrEqual(pcap.records[i - 1]!.timeUs);
      expect(r.timeUs).toBe(packets[i]!.event.timeUs);
      expect(r.seconds).toBe(Math.floor(packets[i]!.timeUs / 1e6));
    });
  });
});

// ---- hand-made runs ---------------------------------------------------------------------------

const ep = (address: string, port: number): Endpoint => ({ address, port });
let clock = 1_700_000_000_000_000;

function sip(instanceId: string, direction: 'sent' | 'received', local: Endpoint, remote: Endpoint, raw: string, timeUs = (clock += 1000)): SipEvent {
  return { type: 'sip', instanceId, direction, local, remote, timestamp: Math.round(timeUs / 1000), timeUs, raw, sipCallId: 'c1', cseq: '1 OPTIONS', method: 'OPTIONS' };
}

function rtp(instanceId: string, direction: 'sent' | 'received', local: Endpoint, remote: Endpoint, data: Uint8Array, timeUs = (clock += 1000)): RtpEvent {
  return { type: 'rtp', instanceId, protocol: 'rtp', direction, local, remote, timestamp: Math.round(timeUs / 1000), timeUs, data, sipCallId: 'c1' };
}

function instance(id: string, address: Endpoint, contactHost: string): RunInstance {
  const host = contactHost.includes(':') ? `[${contactHost}]` : contactHost;
  return { id, dn: id, label: id, mode: address.address === '0.0.0.0' ? 'pbx' : 'local', address, contact: `<sip:${id}@${host}:${address.port}>` };
}

function runOf(instances: RunInstance[], sipEvents: SipEvent[], packets: RtpEvent[] = []): ScenarioRun {
  return { file: 'hand-made', scenarioId: 'hand-made', status: 'passed', failure: undefined, startedAt: 0, endedAt: 0, instances, nodes: [], events: sipEvents, sip: sipEvents, media: [], packets };
}

const ends = (r: PcapRecord): string => `${at(r.source, r.sourcePort)}>${at(r.destination, r.destinationPort)}`;
const msg = (n: number): string => `OPTIONS sip:x@example.com SIP/2.0\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`;

describe('hand-made runs', () => {
  it('IPv6: IPv6 headers and checksums, a message between instances once, an outside party both ways', () => {
    const a = ep('::1', 5060);
    const b = ep('::1', 5062);
    const far = ep('2001:0db8:0000:0000:0000:0000:0000:0005', 5060);
    const run = runOf(
      [instance('a', a, '::1'), instance('b', b, '::1')],
      [sip('a', 'sent', a, b, msg(1)), sip('b', 'received', b, a, msg(1)), sip('a', 'sent', a, far, msg(2) + 'x'), sip('a', 'received', a, far, msg(3))],
      [rtp('a', 'sent', ep('::1', 20000), ep('2001:db8::5', 30000), Uint8Array.of(0x80, 0, 1, 2, 3))],
    );
    const { records } = readPcap(writePcap([run]));
    expect(records.map(ends)).toEqual(['[::1]:5060>[::1]:5062', '[::1]:5060>[2001:db8::5]:5060', '[2001:db8::5]:5060>[::1]:5060', '[::1]:20000>[2001:db8::5]:30000']);
    for (const r of records) expect(r).toMatchObject({ ipVersion: 6, ttl: 64 });
    expect(records.every((r) => r.udpChecksum !== 0)).toBe(true); // mandatory over IPv6 (and verified by the reader)
    expect(text.decode(records[1]!.payload)).toBe(msg(2) + 'x'); // odd length: the checksum pads it
    expect(records[0]!.destinationMac).toBe('02:00:00:00:00:01');
  });

  it('mixes families as one IP packet can: IPv4-mapped addresses as IPv4, else IPv6 with the IPv4 one mapped', () => {
    const run = runOf([], [
      sip('a', 'sent', ep('192.0.2.8', 5060), ep('::ffff:192.0.2.7', 5060), msg(1)),
      sip('a', 'sent', ep('::1', 5060), ep('192.0.2.9', 5060), msg(2)),
      sip('a', 'sent', ep('127.0.0.1', 5060), ep('pbx.example.com', 5060), msg(3)),
    ]);
    const { records } = readPcap(writePcap([run]));
    expect(records.map((r) => [r.ipVersion, ends(r)])).toEqual([
      [4, '192.0.2.8:5060>192.0.2.7:5060'],
      [6, '[::1]:5060>[::ffff:192.0.2.9]:5060'],
      [4, '127.0.0.1:5060>0.0.0.0:5060'], // not an IP address: written as 0.0.0.0
    ]);
  });

  it('0.0.0.0: an instance bound to every address is written with its Contact host, and its other halves still found', () => {
    const a = ep('0.0.0.0', 15060);
    const b = ep('0.0.0.0', 15062);
    const pbx = ep('192.0.2.1', 5060);
    const pbxSamePort = ep('192.0.2.1', 15060); // an outside party on alice's port number
    const aRtp = ep('0.0.0.0', 20000);
    const bRtp = ep('0.0.0.0', 20002);
    const run = runOf(
      [instance('alice', a, '192.0.2.10'), instance('bob', b, '192.0.2.10')],
      [
        sip('alice', 'sent', a, pbx, msg(1)),
        sip('alice', 'received', a, pbx, msg(2)),
        sip('alice', 'sent', a, ep('192.0.2.10', 15062), msg(3)),
        sip('bob', 'received', b, ep('192.0.2.10', 15060), msg(3)), // alice's, by her Contact host
        sip('alice', 'sent', a, ep('127.0.0.1', 15062), msg(4)),
        sip('bob', 'received', b, ep('127.0.0.1', 15060), msg(4)), // alice's, over loopback
        sip('bob', 'received', b, pbxSamePort, msg(5)), // not alice's: kept
      ],
      [
        rtp('alice', 'sent', aRtp, ep('192.0.2.10', 20002), Uint8Array.of(1)),
        rtp('bob', 'received', bRtp, ep('192.0.2.10', 20000), Uint8Array.of(1)),
        rtp('alice', 'received', aRtp, ep('192.0.2.1', 30000), Uint8Array.of(2)),
      ],
    );
    const packets = capturedPackets([run]);
    expect(packets.map((p) => p.event.direction)).toEqual(['sent', 'received', 'sent', 'sent', 'received', 'sent', 'received']);
    const { records } = readPcap(writePcap([run]));
    expect(records.map(ends)).toEqual([
      '192.0.2.10:15060>192.0.2.1:5060',
      '192.0.2.1:5060>192.0.2.10:15060',
      '192.0.2.10:15060>192.0.2.10:15062',
      '127.0.0.1:15060>127.0.0.1:15062', // to loopback: from loopback
      '192.0.2.1:15060>192.0.2.10:15062',
      '192.0.2.10:20000>192.0.2.10:20002',
      '192.0.2.1:30000>192.0.2.10:20000',
    ]);
    expect(records.some((r) => r.source === '0.0.0.0' || r.destination === '0.0.0.0')).toBe(false);
  });

  it('empty: no runs, or a run with no events, is a header and no record', () => {
    for (const runs of [[], [new ScenarioRecorder({ file: 'x.json', packets: true }).record()], [runOf([], [])]]) {
      const bytes = writePcap(runs);
      expect(bytes.length).toBe(24);
      expect(readPcap(bytes)).toMatchObject({ version: '2.4', linkType: 1, records: [] });
    }
  });

  it('several runs: one file in time order (equal times in the order given), each run de-duplicated on its own sockets', () => {
    const a = ep('127.0.0.1', 5060);
    const b = ep('127.0.0.1', 5062);
    const c = ep('127.0.0.1', 5070);
    const t = 1_700_000_001_000_000;
    const first = runOf([instance('a', a, '127.0.0.1'), instance('b', b, '127.0.0.1')], [sip('a', 'sent', a, b, msg(1), t + 10), sip('b', 'received', b, a, msg(1), t + 11), sip('a', 'sent', a, b, msg(3), t + 30), sip('a', 'sent', a, b, msg(5), t + 50)]);
    // The second run's instance hears from 127.0.0.1:5060: a socket of the first run, outside this one.
    const second = runOf([instance('c', c, '127.0.0.1')], [sip('c', 'received', c, a, msg(2), t + 20), sip('c', 'sent', c, a, msg(4), t + 40), sip('c', 'sent', c, a, msg(6), t + 50)]);
    const { records } = readPcap(writePcap([first, second]));
    expect(records.map((r) => text.decode(r.payload))).toEqual([1, 2, 3, 4, 5, 6].map(msg));
    expect(records.map((r) => r.timeUs - t)).toEqual([10, 20, 30, 40, 50, 50]);
    expect(records[0]).toMatchObject({ seconds: 1_700_000_001, fraction: 10 });
  });

  it('a datagram over the MTU is one whole IP packet; one over 64 KiB is cut, not a crash', () => {
    const a = ep('127.0.0.1', 20000);
    const b = ep('127.0.0.1', 20002);
    const big = new Uint8Array(2000).fill(7);
    const huge = new Uint8Array(70_000).fill(9);
    const { records } = readPcap(writePcap([runOf([], [], [rtp('x', 'sent', a, b, big), rtp('x', 'sent', a, b, huge)])]));
    expect(records[0]).toMatchObject({ ipLength: 2028, fragmentField: 0x4000, truncated: false, capturedLength: 2042 });
    expect(records[0]!.payload).toEqual(big);
    expect(records[1]).toMatchObject({ ipLength: 65535, truncated: true, capturedLength: 65535, originalLength: 14 + 65535 });
  });

  it('the reader is a real judge: a changed byte breaks the checksums', () => {
    const run = runOf([], [sip('a', 'sent', ep('127.0.0.1', 5060), ep('127.0.0.1', 5062), msg(1))]);
    const bytes = writePcap([run]);
    const payload = bytes.slice();
    payload[bytes.length - 5]! ^= 1;
    expect(() => readPcap(payload)).toThrow(/bad UDP checksum/);
    const ttl = bytes.slice();
    ttl[24 + 16 + 14 + 8]! ^= 1;
    expect(() => readPcap(ttl)).toThrow(/bad IPv4 header checksum/);
  });
});
