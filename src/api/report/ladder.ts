// The ladder (sequence) diagram of a run, as sngrep and Wireshark's flow graph draw a call: one
// column per instance and per remote party, one arrow per SIP message. Built from the run's `sip`
// events alone; the text ladder and the HTML report both draw this model.

import type { Endpoint } from '../../sip/transport/transport.js';
import type { SipEvent } from '../../engine/run-events.js';
import { runSockets } from './run-sockets.js';
import type { ScenarioRun } from './scenario-run.js';

/** A column of the ladder: one of the run's instances, or a party outside the run (a PBX, SIPp …). */
export interface LadderColumn {
  /** Stable key: the instance id, or `address:port` of a remote party. */
  readonly key: string;
  /** What the column header says: `alice (100)`, or `127.0.0.1:5060`. */
  readonly title: string;
  /** The address under the title. */
  readonly address: string;
  readonly kind: 'instance' | 'remote';
}

/** One SIP message on the ladder. */
export interface LadderArrow {
  /** Its place in the ladder, from 0. */
  readonly index: number;
  /** Unix µs when it was sent (or received, when only its arrival was seen). */
  readonly timeUs: number;
  /** Column indexes. */
  readonly from: number;
  readonly to: number;
  /** `INVITE`, `180 Ringing`, `200 OK` … */
  readonly label: string;
  /** The request method, or the method of the CSeq for a response. */
  readonly method: string;
  readonly status: number | undefined;
  /** With SDP: its media direction and codecs in short (`SDP sendonly PCMU`), else undefined. */
  readonly sdp: string | undefined;
  /** The logical call key, when the engine knew the call. */
  readonly callId: string | undefined;
  readonly sipCallId: string;
  readonly cseq: string;
  /** The whole message, as on the wire. */
  readonly raw: string;
  /** The same bytes already went from the same sender to the same receiver: a retransmission. */
  readonly retransmission: boolean;
  /** Which call (by SIP Call-ID) it belongs to, from 0 in order of first appearance: for colours. */
  readonly call: number;
}

/** A run's ladder. */
export interface Ladder {
  readonly columns: readonly LadderColumn[];
  readonly arrows: readonly LadderArrow[];
  /** The calls (SIP Call-IDs) in order of first appearance. */
  readonly calls: readonly LadderCall[];
}

/** A call of the ladder: one SIP Call-ID. */
export interface LadderCall {
  readonly sipCallId: string;
  /** The logical keys the instances gave it (`primary`, `call-1` …), in order of first appearance. */
  readonly keys: readonly string[];
  /** What to call it: its keys joined with `/`, or the start of its Call-ID when it has none. */
  readonly label: string;
}

const hostPort = (e: Endpoint): string => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);

/**
 * The ladder of a run. A message between two instances of the run is one arrow (its `sent` event;
 * the other instance's `received` event is the same message); a message to or from a party outside
 * the run is the arrow of the instance that sent or received it.
 */
export function buildLadder(run: Pick<ScenarioRun, 'instances' | 'sip'> & Partial<Pick<ScenarioRun, 'packets'>>): Ladder {
  const columns: LadderColumn[] = [];
  const index = new Map<string, number>();
  const column = (key: string, make: () => LadderColumn): number => {
    let i = index.get(key);
    if (i === undefined) {
      i = columns.length;
      columns.push(make());
      index.set(key, i);
    }
    return i;
  };
  for (const inst of run.instances) {
    column(inst.id, () => ({ key: inst.id, title: inst.dn !== '' && inst.dn !== inst.id ? `${inst.id} (${inst.dn})` : inst.id, address: hostPort(inst.address), kind: 'instance' }));
  }
  const sockets = runSockets({ instances: run.instances, packets: run.packets ?? [] });
  const columnOf = (instanceId: string): number => column(instanceId, () => ({ key: instanceId, title: instanceId, address: '', kind: 'instance' }));
  const remoteColumn = (e: Endpoint): number => {
    const key = hostPort(e);
    return column(key, () => ({ key, title: key, address: key, kind: 'remote' }));
  };

  const arrows: LadderArrow[] = [];
  const calls: Array<{ sipCallId: string; keys: string[] }> = [];
  const callIndex = new Map<string, number>();
  // Every key any event gave a Call-ID (the other side's half of a message included).
  for (const e of run.sip) {
    let call = callIndex.get(e.sipCallId);
    if (call === undefined) {
      call = calls.length;
      calls.push({ sipCallId: e.sipCallId, keys: [] });
      callIndex.set(e.sipCallId, call);
    }
    if (e.callId !== undefined && !calls[call]!.keys.includes(e.callId)) calls[call]!.keys.push(e.callId);
  }
  const seen = new Set<string>();
  for (const e of run.sip) {
    const peer = sockets.owner(e.remote);
    // A message between two sockets of the run (an instance may call itself): draw it once, from its sent side.
    if (e.direction === 'received' && peer !== undefined) continue;
    const self = columnOf(e.instanceId);
    const other = peer !== undefined ? columnOf(peer) : remoteColumn(e.remote);
    const [from, to] = e.direction === 'sent' ? [self, other] : [other, self];
    const call = callIndex.get(e.sipCallId)!;
    const wire = `${from}>${to}\n${e.raw}`;
    const retransmission = seen.has(wire);
    seen.add(wire);
    arrows.push({
      index: arrows.length,
      timeUs: e.timeUs,
      from,
      to,
      label: labelOf(e),
      method: e.method ?? e.cseq.split(' ')[1] ?? '',
      status: e.status,
      sdp: sdpSummary(e.raw),
      callId: e.callId,
      sipCallId: e.sipCallId,
      cseq: e.cseq,
      raw: e.raw,
      retransmission,
      call,
    });
  }
  return { columns, arrows, calls: calls.map((c) => ({ ...c, label: c.keys.length > 0 ? c.keys.join('/') : c.sipCallId.slice(0, 8) })) };
}

/** `INVITE` or `180 Ringing`. */
export function labelOf(e: Pick<SipEvent, 'method' | 'status' | 'reason'>): string {
  return e.method ?? `${e.status ?? ''} ${e.reason ?? ''}`.trim();
}

/** `SDP sendonly PCMU` for a message with an SDP body, else undefined. */
export function sdpSummary(raw: string): string | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const head = raw.slice(0, split);
  if (!/^(content-type|c)\s*:\s*application\/sdp/im.test(head)) return undefined;
  const body = raw.slice(split + 4);
  const media = /^m=audio (\d+) \S+ ([\d ]+)/m.exec(body);
  const direction = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(body)?.[1] ?? 'sendrecv';
  const hold = /^c=IN IP4 0\.0\.0\.0\s*$/m.test(body) ? ' (c=0.0.0.0)' : '';
  if (media === null) return `SDP ${direction}${hold}`;
  const pts = media[2]!.trim().split(/\s+/);
  const names = pts.map((pt) => new RegExp(`^a=rtpmap:${pt} ([^/\\s]+)`, 'm').exec(body)?.[1] ?? STATIC_PT[pt] ?? pt).filter((n) => n.toLowerCase() !== 'telephone-event');
  return `SDP ${direction}${hold}${media[1] === '0' ? ' port 0' : ''}${names.length > 0 ? ` ${names.join(',')}` : ''}`;
}

/** RFC 3551 static payload types we may meet without an rtpmap. */
const STATIC_PT: Readonly<Record<string, string>> = { '0': 'PCMU', '3': 'GSM', '4': 'G723', '8': 'PCMA', '9': 'G722', '18': 'G729' };
