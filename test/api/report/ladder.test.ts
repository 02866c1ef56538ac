// The ladder model and the text ladder, on hand-made runs: columns for instances and remote
// parties, one arrow per message (a message between two instances of the run shows in the events
// twice), wildcard-bound instances, retransmissions, calls and their keys, and the text drawing.

import { describe, expect, it } from 'vitest';
import type { RunInstance, SipEvent } from '../../../src/engine/run-events.js';
import { buildLadder, sdpSummary } from '../../../src/api/report/ladder.js';
import { renderTextLadder } from '../../../src/api/report/text-ladder.js';

const T0 = 1_780_000_000_000_000;

function instance(id: string, dn: string, address: string, port: number, contactHost = address): RunInstance {
  return { id, dn, label: id, mode: 'local', address: { address, port }, contact: `sip:${dn}@${contactHost}:${port}` };
}

let clock = 0;
function sip(instanceId: string, direction: 'sent' | 'received', local: [string, number], remote: [string, number], first: string, extra: Partial<SipEvent> = {}, body = ''): SipEvent {
  const isRequest = !/^\d{3} /.test(first);
  const [method, status, reason] = isRequest ? [first, undefined, undefined] : [undefined, Number(first.slice(0, 3)), first.slice(4)];
  const callId = extra.sipCallId ?? 'c1@x';
  const cseq = extra.cseq ?? `1 ${method ?? 'INVITE'}`;
  const start = isRequest ? `${method} sip:x@${remote[0]} SIP/2.0` : `SIP/2.0 ${status} ${reason}`;
  const headers = [start, `Call-ID: ${callId}`, `CSeq: ${cseq}`, ...(body !== '' ? ['Content-Type: application/sdp'] : []), `Content-Length: ${body.length}`];
  const timeUs = T0 + 1000 * clock++;
  return {
    type: 'sip',
    instanceId,
    direction,
    local: { address: local[0], port: local[1] },
    remote: { address: remote[0], port: remote[1] },
    timestamp: Math.round(timeUs / 1000),
    timeUs,
    raw: headers.join('\r\n') + '\r\n\r\n' + body,
    ...(method !== undefined ? { method } : { status, reason }),
    sipCallId: callId,
    cseq,
    ...extra,
  } as SipEvent;
}

const ALICE: [string, number] = ['127.0.0.1', 15060];
const BOB: [string, number] = ['127.0.0.1', 15062];

describe('buildLadder', () => {
  it('draws a message between two instances once, from its sent half, with the keys both sides gave the call', () => {
    const instances = [instance('alice', '100', ...ALICE), instance('bob', '200', ...BOB)];
    const events = [
      sip('alice', 'sent', ALICE, BOB, 'INVITE', { callId: 'primary' }),
      sip('bob', 'received', BOB, ALICE, 'INVITE'),
      sip('bob', 'sent', BOB, ALICE, '180 Ringing'),
      sip('alice', 'received', ALICE, BOB, '180 Ringing', { callId: 'primary' }),
      sip('bob', 'sent', BOB, ALICE, '200 OK', { callId: 'call-1' }),
      sip('alice', 'received', ALICE, BOB, '200 OK', { callId: 'primary' }),
    ];
    const ladder = buildLadder({ instances, sip: events });
    expect(ladder.columns.map((c) => [c.key, c.title, c.address, c.kind])).toEqual([
      ['alice', 'alice (100)', '127.0.0.1:15060', 'instance'],
      ['bob', 'bob (200)', '127.0.0.1:15062', 'instance'],
    ]);
    expect(ladder.arrows.map((a) => [a.from, a.to, a.label])).toEqual([
      [0, 1, 'INVITE'],
      [1, 0, '180 Ringing'],
      [1, 0, '200 OK'],
    ]);
    expect(ladder.calls).toEqual([{ sipCallId: 'c1@x', keys: ['primary', 'call-1'], label: 'primary/call-1' }]);
    expect(ladder.arrows.map((a) => a.timeUs)).toEqual([events[0]!.timeUs, events[2]!.timeUs, events[4]!.timeUs]);
  });

  it('gives a party outside the run its own column, in order of appearance', () => {
    const instances = [instance('alice', '100', ...ALICE)];
    const ladder = buildLadder({
      instances,
      sip: [sip('alice', 'sent', ALICE, ['127.0.0.1', 5060], 'REGISTER'), sip('alice', 'received', ALICE, ['127.0.0.1', 5060], '401 Unauthorized'), sip('alice', 'sent', ALICE, ['10.1.1.1', 5080], 'OPTIONS')],
    });
    expect(ladder.columns.map((c) => c.title)).toEqual(['alice (100)', '127.0.0.1:5060', '10.1.1.1:5080']);
    expect(ladder.arrows.map((a) => [a.from, a.to])).toEqual([
      [0, 1],
      [1, 0],
      [0, 2],
    ]);
  });

  it('an instance bound to 0.0.0.0 is matched on its Contact host or loopback, not on its port alone (a PBX on the same port is a party of its own)', () => {
    const alice = instance('alice', '100', '0.0.0.0', 5060, '10.0.0.2');
    const pbx: [string, number] = ['10.0.0.1', 5060];
    const ladder = buildLadder({ instances: [alice], sip: [sip('alice', 'sent', ['0.0.0.0', 5060], pbx, 'INVITE'), sip('alice', 'received', ['0.0.0.0', 5060], pbx, '200 OK')] });
    expect(ladder.columns.map((c) => c.key)).toEqual(['alice', '10.0.0.1:5060']);
    expect(ladder.arrows.map((a) => [a.from, a.to, a.label])).toEqual([
      [0, 1, 'INVITE'],
      [1, 0, '200 OK'],
    ]);
    // Two wildcard instances talking over loopback are still one arrow per message.
    const bob = instance('bob', '200', '0.0.0.0', 5062, '10.0.0.2');
    const both = buildLadder({ instances: [alice, bob], sip: [sip('alice', 'sent', ['0.0.0.0', 5060], ['127.0.0.1', 5062], 'INVITE'), sip('bob', 'received', ['0.0.0.0', 5062], ['127.0.0.1', 5060], 'INVITE')] });
    expect(both.arrows.map((a) => [a.from, a.to])).toEqual([[0, 1]]);
  });

  it('a message an instance sends to itself is one arrow, drawn as a loop', () => {
    const ladder = buildLadder({ instances: [instance('alice', '100', ...ALICE)], sip: [sip('alice', 'sent', ALICE, ALICE, 'OPTIONS'), sip('alice', 'received', ALICE, ALICE, 'OPTIONS')] });
    expect(ladder.arrows.map((a) => [a.from, a.to])).toEqual([[0, 0]]);
    expect(renderTextLadder(ladder)).toContain('|<-OPTIONS');
  });

  it('marks the same bytes between the same ends again as a retransmission', () => {
    const instances = [instance('alice', '100', ...ALICE)];
    const far: [string, number] = ['192.0.2.9', 5060];
    const invite = sip('alice', 'sent', ALICE, far, 'INVITE');
    const again = { ...invite, timeUs: invite.timeUs + 500_000 };
    const ladder = buildLadder({ instances, sip: [invite, again, sip('alice', 'received', ALICE, far, '100 Trying')] });
    expect(ladder.arrows.map((a) => a.retransmission)).toEqual([false, true, false]);
    expect(renderTextLadder(ladder)).toContain('INVITE ↻');
  });

  it('summarises SDP bodies: direction, hold address, codecs without telephone-event', () => {
    const body = 'v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n';
    const raw = `INVITE sip:x SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${body}`;
    expect(sdpSummary(raw)).toBe('SDP sendonly (c=0.0.0.0) PCMU,PCMA');
    expect(sdpSummary('BYE sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n')).toBeUndefined();
  });
});

describe('renderTextLadder', () => {
  const instances = [instance('alice', '100', ...ALICE), instance('bob', '200', ...BOB)];
  const events = [sip('alice', 'sent', ALICE, BOB, 'INVITE', { callId: 'call-1' }, 'v=0\r\nm=audio 4000 RTP/AVP 0\r\n'), sip('bob', 'sent', BOB, ALICE, '486 Busy Here', { callId: 'call-1' }), sip('alice', 'sent', ALICE, BOB, 'ACK', { callId: 'call-1' })];
  const ladder = buildLadder({ instances, sip: events });

  it('draws a header, then a line per message with its time, arrow, label, call and SDP', () => {
    const lines = renderTextLadder(ladder).split('\n');
    expect(lines[0]).toMatch(/^\s+alice \(100\)\s+bob \(200\)$/);
    expect(lines[1]).toMatch(/^\s+127\.0\.0\.1:15060\s+127\.0\.0\.1:15062$/);
    expect(lines[2]).toMatch(/^\s+\+0\.000s\s+\|-+INVITE-+>\|  call-1  SDP sendrecv PCMU$/);
    expect(lines[3]).toMatch(/^\s+\+0\.001s\s+\|<-+486 Busy Here-+\|  call-1$/);
    expect(lines[4]).toMatch(/\|-+ACK-+>\|/);
    expect(lines).toHaveLength(5);
  });

  it('shows a slice with what was left out, and colours through a painter', () => {
    const slice = renderTextLadder(ladder, { from: 1, to: 2 });
    expect(slice).toContain('… 1 earlier message');
    expect(slice).toContain('486 Busy Here');
    expect(slice).not.toContain('INVITE');
    expect(slice).toContain('… 1 later message');
    const painted = renderTextLadder(ladder, { paint: (t, kind) => (kind === 'header' ? `<${t}>` : t) });
    expect(painted.split('\n')[0]).toMatch(/^<.*alice \(100\).*>$/);
  });

  it('says so when there are no messages', () => {
    expect(renderTextLadder(buildLadder({ instances, sip: [] }))).toBe('(no SIP messages)');
  });
});
