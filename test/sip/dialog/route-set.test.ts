// Dialog construction and in-dialog request building (RFC 3261 §12.1, §12.2.1.1): route sets
// from Record-Route on either side, loose and strict routing, CSeq rules, target refresh.
import { describe, expect, it } from 'vitest';
import { Dialog } from '../../../src/sip/dialog/dialog.js';
import { DialogStateError } from '../../../src/sip/dialog/errors.js';
import { createRequest, createResponse, type SipRequest, type SipUri } from '../../../src/sip/parser/index.js';

const CONTACT = '<sip:alice@192.0.2.1:5060>';

function invite(headers: Array<[string, string]> = []): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@example.com',
    from: '"Alice" <sip:alice@example.com>;tag=a1',
    to: '<sip:bob@example.com>',
    callId: 'c1@192.0.2.1',
    cseq: 7,
    contact: '<sip:alice@192.0.2.1:5060>',
    headers,
  });
}

describe('Dialog.fromUac (RFC 3261 §12.1.2)', () => {
  it('takes the route set from Record-Route reversed and the remote target from Contact', () => {
    const req = invite();
    const ok = createResponse(req, 200, undefined, {
      toTag: 'b1',
      headers: [
        ['Record-Route', '<sip:p2.example.com;lr>, <sip:p1.example.com;lr>'],
        ['Contact', '<sip:bob@192.0.2.9:5080>'],
      ],
    });
    const d = Dialog.fromUac(req, ok, CONTACT);
    expect(d.id).toEqual({ callId: 'c1@192.0.2.1', localTag: 'a1', remoteTag: 'b1' });
    expect(d.state).toBe('confirmed');
    expect(d.routeSet.map(String)).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(String(d.remoteTarget)).toBe('sip:bob@192.0.2.9:5080');
    expect(d.localSeq).toBe(7);
    expect(d.remoteSeq).toBeUndefined();
  });

  it('is early for a 1xx with a To tag and becomes confirmed on the 2xx, recomputing route set and target (§13.2.2.4)', () => {
    const req = invite();
    const ringing = createResponse(req, 180, undefined, { toTag: 'b1', headers: [['Record-Route', '<sip:old.example.com;lr>'], ['Contact', '<sip:bob@192.0.2.9:1111>']] });
    const d = Dialog.fromUac(req, ringing, CONTACT);
    expect(d.state).toBe('early');
    const ok = createResponse(req, 200, undefined, { toTag: 'b1', headers: [['Record-Route', '<sip:new.example.com;lr>'], ['Contact', '<sip:bob@192.0.2.9:2222>']] });
    d.confirm(ok);
    expect(d.state).toBe('confirmed');
    expect(d.routeSet.map(String)).toEqual(['<sip:new.example.com;lr>']);
    expect(String(d.remoteTarget)).toBe('sip:bob@192.0.2.9:2222');
  });

  it('refuses a response without a To tag', () => {
    const req = invite();
    expect(() => Dialog.fromUac(req, createResponse(req, 200), CONTACT)).toThrow(DialogStateError);
  });
});

describe('Dialog.fromUas (RFC 3261 §12.1.1)', () => {
  it('keeps Record-Route in order, takes the remote CSeq and puts our tag on the local URI', () => {
    const req = invite([['Record-Route', '<sip:p1.example.com;lr>, <sip:p2.example.com;lr>']]);
    const d = Dialog.fromUas(req, 'b9', '<sip:bob@192.0.2.9:5080>');
    expect(d.id).toEqual({ callId: 'c1@192.0.2.1', localTag: 'b9', remoteTag: 'a1' });
    expect(d.routeSet.map(String)).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(String(d.remoteTarget)).toBe('sip:alice@192.0.2.1:5060');
    expect(d.remoteSeq).toBe(7);
    expect(d.localUri.tag).toBe('b9');
    expect(d.localSeq).toBeGreaterThan(0);
    expect(d.localSeq).toBeLessThan(2 ** 31);
  });
});

describe('the UAS local URI (RFC 3261 §12.1.1: the request\'s To with our tag)', () => {
  it('is the To as the request writes it, with the tag added', () => {
    const req = invite();
    req.setHeader('To', 'Bob <sip:bob@example.com> ; x=1');
    const d = Dialog.fromUas(req, 'b9', '<sip:bob@192.0.2.9:5080>');
    expect(d.localUri.tag).toBe('b9');
    expect(d.localUri.params.get('x')).toBe('1');
    expect(d.localUri.displayName).toBe('Bob');
  });

  it('sets the tag through the value when the To has a tag parameter without a value', () => {
    const req = invite();
    req.setHeader('To', '<sip:bob@example.com>;tag');
    const d = Dialog.fromUas(req, 'b9', '<sip:bob@192.0.2.9:5080>');
    expect(d.localUri.tag).toBe('b9');
    expect(String(d.localUri)).toBe('<sip:bob@example.com>;tag=b9');
  });
});

describe('what a dialog keeps', () => {
  it('its addresses and target are read as copies; the target changes only when set (a target refresh)', () => {
    const d = Dialog.fromUas(invite(), 'b9', '<sip:bob@192.0.2.9:5080>');
    expect(String(d.remoteUri)).toBe('"Alice" <sip:alice@example.com>;tag=a1');
    expect(String(d.localUri)).toBe('<sip:bob@example.com>;tag=b9');
    const copy = d.remoteUri;
    copy.tag = 'changed';
    (d.remoteTarget as SipUri).params.set('transport', 'tcp');
    expect(d.remoteUri.tag).toBe('a1');
    expect(String(d.remoteTarget)).toBe('sip:alice@192.0.2.1:5060');
    d.refreshTarget(createRequest({ method: 'INVITE', uri: 'sip:bob@192.0.2.9', from: '<sip:alice@example.com>;tag=a1', to: '<sip:bob@example.com>;tag=b9', callId: 'c1@192.0.2.1', cseq: 8, contact: '<sip:alice@192.0.2.77:5062;transport=udp>' }));
    expect(String(d.remoteTarget)).toBe('sip:alice@192.0.2.77:5062;transport=udp');
    // The request it builds carries them as they were written.
    const { request } = d.createRequest('BYE');
    expect(String(request.uri)).toBe('sip:alice@192.0.2.77:5062;transport=udp');
    expect(request.from?.tag).toBe('b9');
    expect(request.to?.displayName).toBe('Alice');
    expect(request.to?.tag).toBe('a1');
  });
});

describe('requests inside a dialog (RFC 3261 §12.2.1.1)', () => {
  it('loose routing: Request-URI is the remote target, Route is the route set, next hop the first route', () => {
    const req = invite([['Record-Route', '<sip:p1.example.com;lr>']]);
    const d = Dialog.fromUas(req, 'b9', '<sip:bob@192.0.2.9:5080>');
    d.confirm();
    const seq = d.localSeq;
    const { request, nextHop } = d.createRequest('BYE');
    expect(request.uriString).toBe('sip:alice@192.0.2.1:5060');
    expect(request.headers('Route')).toEqual(['<sip:p1.example.com;lr>']);
    expect(String(nextHop)).toBe('sip:p1.example.com;lr');
    expect(request.cseq?.seq).toBe(seq + 1);
    expect(request.cseq?.method).toBe('BYE');
    expect(String(request.from)).toBe('<sip:bob@example.com>;tag=b9');
    expect(String(request.to)).toBe('"Alice" <sip:alice@example.com>;tag=a1');
    expect(request.callId).toBe('c1@192.0.2.1');
    expect(request.header('Contact')).toBe('<sip:bob@192.0.2.9:5080>');
  });

  it('strict routing: the first route becomes the Request-URI and the remote target ends the Route list', () => {
    const req = invite([['Record-Route', '<sip:strict.example.com>, <sip:p2.example.com;lr>']]);
    const d = Dialog.fromUas(req, 'b9', '<sip:bob@192.0.2.9:5080>');
    const { request, nextHop } = d.createRequest('INFO');
    expect(request.uriString).toBe('sip:strict.example.com');
    expect(request.headers('Route')).toEqual(['<sip:p2.example.com;lr>', '<sip:alice@192.0.2.1:5060>']);
    expect(String(nextHop)).toBe('sip:strict.example.com');
  });

  it('no route set: Request-URI and next hop are the remote target', () => {
    const d = Dialog.fromUas(invite(), 'b9', '<sip:bob@192.0.2.9:5080>');
    const { request, nextHop } = d.createRequest('BYE');
    expect(request.headers('Route')).toEqual([]);
    expect(String(nextHop)).toBe('sip:alice@192.0.2.1:5060');
  });

  it('ACK reuses the INVITE CSeq and carries no Contact; the local CSeq does not move', () => {
    const d = Dialog.fromUas(invite(), 'b9', '<sip:bob@192.0.2.9:5080>');
    const before = d.localSeq;
    const { request } = d.createRequest('ACK', { cseq: 42 });
    expect(request.cseq?.seq).toBe(42);
    expect(request.cseq?.method).toBe('ACK');
    expect(request.hasHeader('Contact')).toBe(false);
    expect(d.localSeq).toBe(before);
  });

  it('keeps extra headers and the body as given', () => {
    const d = Dialog.fromUas(invite(), 'b9', '<sip:bob@192.0.2.9:5080>');
    const { request } = d.createRequest('INFO', { headers: [['X-Test', 'keep  me']], body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
    expect(request.header('X-Test')).toBe('keep  me');
    expect(request.bodyText).toBe('Signal=5\r\nDuration=160\r\n');
    expect(request.contentType).toBe('application/dtmf-relay');
  });

  it('refuses new requests once terminated', () => {
    const d = Dialog.fromUas(invite(), 'b9', '<sip:bob@192.0.2.9:5080>');
    d.terminate();
    expect(() => d.createRequest('BYE')).toThrow(DialogStateError);
  });
});

describe('remote CSeq and target refresh (RFC 3261 §12.2.2)', () => {
  it('accepts only increasing CSeq numbers', () => {
    const d = Dialog.fromUas(invite(), 'b9', CONTACT);
    const at = (seq: number): SipRequest => createRequest({ method: 'INFO', uri: 'sip:bob@192.0.2.9', from: '<sip:alice@example.com>;tag=a1', to: '<sip:bob@example.com>;tag=b9', callId: 'c1@192.0.2.1', cseq: seq });
    expect(d.acceptRemoteSeq(at(6))).toBe(false);
    expect(d.acceptRemoteSeq(at(7))).toBe(false);
    expect(d.acceptRemoteSeq(at(8))).toBe(true);
    expect(d.remoteSeq).toBe(8);
    expect(d.acceptRemoteSeq(at(20))).toBe(true);
    expect(d.acceptRemoteSeq(at(9))).toBe(false);
  });

  it('a UAS dialog with no remote CSeq yet accepts any first number', () => {
    const req = invite();
    const ok = createResponse(req, 200, undefined, { toTag: 'b1' });
    const d = Dialog.fromUac(req, ok, CONTACT);
    const bye = createRequest({ method: 'BYE', uri: 'sip:alice@192.0.2.1', from: '<sip:bob@example.com>;tag=b1', to: '<sip:alice@example.com>;tag=a1', callId: 'c1@192.0.2.1', cseq: 1 });
    expect(d.acceptRemoteSeq(bye)).toBe(true);
  });

  it('a target refresh replaces the remote target; a message without Contact leaves it', () => {
    const req = invite();
    const d = Dialog.fromUas(req, 'b9', CONTACT);
    const reinvite = createRequest({ method: 'INVITE', uri: 'sip:bob@192.0.2.9', from: '<sip:alice@example.com>;tag=a1', to: '<sip:bob@example.com>;tag=b9', callId: 'c1@192.0.2.1', cseq: 8, contact: '<sip:alice@198.51.100.7:6000>' });
    d.refreshTarget(reinvite);
    expect(String(d.remoteTarget)).toBe('sip:alice@198.51.100.7:6000');
    d.refreshTarget(createResponse(reinvite, 200));
    expect(String(d.remoteTarget)).toBe('sip:alice@198.51.100.7:6000');
  });
});
