import { describe, expect, it } from 'vitest';
import { requestFromSkeleton, requestSkeleton, SipRequest, skeletonText } from '../../../src/sip/parser/message.js';
import { parseMessage } from '../../../src/sip/parser/parse.js';

const KEYS: ReadonlySet<string> = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

const INVITE = [
  'INVITE sip:bob@192.0.2.9;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa1;rport',
  'v: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKa0',
  'Max-Forwards: 70',
  'f: "Ålice" <sip:alice@192.0.2.1>;tag=t1',
  'To: <sip:bob@192.0.2.9>',
  'Call-ID: c1@192.0.2.1',
  'CSeq: 7 INVITE',
  'Subject: not kept',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

function parsed(): SipRequest {
  const m = parseMessage(Buffer.from(INVITE, 'utf8'));
  if (!(m instanceof SipRequest)) throw new Error('not a request');
  return m;
}

describe('skeleton text (what a lingering transaction keeps of its request)', () => {
  it('builds again the same skeleton requestSkeleton keeps: method, URI, version and the kept lines in order, no body', () => {
    const req = parsed();
    req.from!.params.set('x', 'changed'); // a typed value changed after the parse is kept as it stands
    const text = skeletonText(req, KEYS);
    expect(text).toBeTypeOf('string');
    const back = requestFromSkeleton(text!);
    const direct = requestSkeleton(req, KEYS);
    for (const r of [back, direct]) {
      expect([r.method, r.uriString, r.version, r.body.byteLength]).toEqual(['INVITE', 'sip:bob@192.0.2.9;transport=udp', 'SIP/2.0', 0]);
      expect(r.headerFields().map((f) => f.name)).toEqual(['Via', 'v', 'f', 'To', 'Call-ID', 'CSeq']);
      expect(r.vias.map((v) => v.branch)).toEqual(['z9hG4bKa1', 'z9hG4bKa0']);
      expect([r.from?.displayName, r.from?.tag, r.from?.params.get('x'), r.to?.tag, r.callId, r.cseq?.seq, r.cseq?.method]).toEqual(['Ålice', 't1', 'changed', undefined, 'c1@192.0.2.1', 7, 'INVITE']);
      expect(r.header('Subject')).toBeUndefined();
    }
    // each read is a new request: changing one does not change what is kept
    back.to!.tag = 'mine';
    expect(requestFromSkeleton(text!).to?.tag).toBeUndefined();
  });

  it('declines a value with a line feed in it (the separator), so the caller keeps a request instead', () => {
    const req = parsed();
    const callId = req.fields.find((f) => f.key === 'call-id')!;
    req.fields[req.fields.indexOf(callId)] = { ...callId, raw: 'odd\nvalue', typed: undefined };
    expect(skeletonText(req, KEYS)).toBeUndefined();
    expect(requestSkeleton(req, KEYS).headerFields().find((f) => f.name === 'Call-ID')?.value).toBe('odd\nvalue');
  });
});
