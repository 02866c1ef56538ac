// Typed header values: name-addr (From/To/Contact/Route), Via, CSeq, header names.
import { describe, expect, it } from 'vitest';
import { canonicalHeaderName, CSeq, headerKey, isListHeader, NameAddr, parseMessage, parseUri, SipParseError, SipRequest, SipUri, Via } from '../../../src/sip/parser/index.js';

describe('NameAddr', () => {
  it('parses quoted, token and absent display names', () => {
    const q = NameAddr.parse('"Alice \\"Al\\" Smith" <sip:alice@example.com>;tag=9fxced76sl');
    expect(q.displayName).toBe('Alice "Al" Smith');
    expect(q.tag).toBe('9fxced76sl');
    const t = NameAddr.parse('Bob  Jones <sip:bob@example.com>');
    expect(t.displayName).toBe('Bob  Jones');
    const n = NameAddr.parse('<sip:carol@example.com;transport=tcp>;expires=60');
    expect(n.displayName).toBeUndefined();
    expect((n.uri as SipUri).params.get('transport')).toBe('tcp');
    expect(n.params.get('expires')).toBe('60');
  });

  it('gives parameters after a bare addr-spec to the header, not the URI (RFC 3261 §20.10)', () => {
    const a = NameAddr.parse('sip:dave@example.com;tag=abc');
    expect(String(a.uri)).toBe('sip:dave@example.com');
    expect(a.tag).toBe('abc');
  });

  it('decodes quoted parameter values and keeps them quoted on output', () => {
    const a = NameAddr.parse('<sip:a@b.example.com>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1');
    expect(a.params.get('+sip.instance')).toBe('<urn:uuid:00000000-0000-1000-8000-000A95A0E128>');
    expect(String(a)).toBe('<sip:a@b.example.com>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1');
  });

  it('writes the <uri> form with a quoted display name', () => {
    const a = new NameAddr({ displayName: 'Zoë "Z"', uri: 'sip:z@example.com', params: { tag: 'x1' } });
    expect(String(a)).toBe('"Zoë \\"Z\\"" <sip:z@example.com>;tag=x1');
    expect(NameAddr.parse(String(a)).displayName).toBe('Zoë "Z"');
    a.tag = undefined;
    expect(String(a)).toBe('"Zoë \\"Z\\"" <sip:z@example.com>');
  });

  it('rejects malformed addresses', () => {
    for (const text of ['"unterminated <sip:a@b>', '<sip:a@b', '< sip:a@b>', '<sip:a@b >', 'Bell, Alexander <sip:a@b>', '"name" sip:a@b', '<sip:a@b>;', '<sip:a@b>;=x', '<sip:a@b>;tag=', '<sip:a@b> trailing']) {
      expect(() => NameAddr.parse(text), text).toThrow(SipParseError);
    }
  });

  it('clones deeply', () => {
    const a = NameAddr.parse('<sip:a@b.example.com>;tag=1');
    const c = a.clone();
    c.tag = '2';
    (c.uri as SipUri).host = 'c.example.com';
    expect(String(a)).toBe('<sip:a@b.example.com>;tag=1');
  });
});

describe('Via', () => {
  it('reads protocol, sent-by and the parameters the stack uses', () => {
    const v = Via.parse('SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK776;received=192.0.2.9;rport=5063;ttl=16;maddr=224.2.0.1;x');
    expect([v.protocolName, v.protocolVersion, v.transport, v.host, v.port]).toEqual(['SIP', '2.0', 'UDP', '[2001:db8::1]', 5062]);
    expect([v.branch, v.received, v.rport, v.ttl, v.maddr]).toEqual(['z9hG4bK776', '192.0.2.9', 5063, 16, '224.2.0.1']);
    expect(v.rfc3261Branch).toBe(true);
    expect(v.params.get('x')).toBeNull();
  });

  it('allows whitespace around every slash of the sent-protocol', () => {
    expect(Via.parse('SIP/2.0/ UDP h.example.com').transport).toBe('UDP');
    expect(Via.parse('SIP / 2.0 / TCP h.example.com').transport).toBe('TCP');
  });

  it('distinguishes rport requested from rport filled (RFC 3581)', () => {
    const v = Via.parse('SIP/2.0/UDP host.example.com;rport;branch=z9hG4bKa');
    expect(v.rport).toBe(true);
    v.rport = 5070;
    v.received = '198.51.100.7';
    expect(String(v)).toBe('SIP/2.0/UDP host.example.com;rport=5070;branch=z9hG4bKa;received=198.51.100.7');
    v.rport = undefined;
    expect(v.rport).toBeUndefined();
    expect(Via.parse('SIP/2.0/UDP h.example.com').rfc3261Branch).toBe(false);
  });

  it('builds from fields', () => {
    const v = new Via({ transport: 'UDP', host: '::1', port: 5060, branch: 'z9hG4bK1', params: { rport: null } });
    expect(String(v)).toBe('SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1;rport');
  });

  it('accepts an IPv6 received with or without brackets (RFC 5118 §4.5)', () => {
    expect(Via.parse('SIP/2.0/UDP h.example.com;received=2001:db8::9').received).toBe('2001:db8::9');
    expect(Via.parse('SIP/2.0/UDP h.example.com;received=[2001:db8::9]').received).toBe('[2001:db8::9]');
  });

  it('rejects malformed values', () => {
    for (const text of [
      'SIP/2.0 host.example.com',
      'SIP/2.0/UDP',
      'SIP/2.0/UDPhost.example.com',
      'SIP/2.0/UDP host.example.com:99999',
      'SIP/2.0/UDP host.example.com;branch',
      'SIP/2.0/UDP host.example.com;branch="quoted"',
      'SIP/2.0/UDP host.example.com;received=host.example.com',
      'SIP/2.0/UDP host.example.com;rport=x',
      'SIP/2.0/UDP host.example.com;ttl=256',
      'SIP/2.0/UDP host.example.com;maddr',
      'SIP/2.0/UDP host.example.com;;',
      'SIP/2.0/UDP host.example.com, ',
      'SIP/2.0/UDP host.example.com junk',
    ]) {
      expect(() => Via.parse(text), text).toThrow(SipParseError);
    }
  });
});

describe('CSeq', () => {
  it('parses and bounds the number (RFC 3261 §8.1.1.5)', () => {
    const m = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 4294967295 OPTIONS\r\n\r\n');
    expect(m.cseq).toEqual(new CSeq(4294967295, 'OPTIONS'));
    expect(() => parseMessage('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 4294967296 OPTIONS\r\n\r\n')).toThrow(SipParseError);
    expect(() => new CSeq(-1, 'INVITE')).toThrow(SipParseError);
    expect(() => new CSeq(1, 'IN VITE')).toThrow(SipParseError);
    expect(String(new CSeq(7, 'BYE'))).toBe('7 BYE');
  });
});

describe('header names', () => {
  it('maps compact forms and cases to one key and a canonical spelling', () => {
    expect(headerKey('v')).toBe('via');
    expect(headerKey('V')).toBe('via');
    expect(headerKey('CALL-id')).toBe('call-id');
    expect(canonicalHeaderName('i')).toBe('Call-ID');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
    expect(canonicalHeaderName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalHeaderName('X-Custom-thing')).toBe('X-Custom-thing');
    expect(isListHeader('Contact')).toBe(true);
    expect(isListHeader('WWW-Authenticate')).toBe(false);
    expect(isListHeader('Date')).toBe(false);
  });
});

describe('setting address headers (From, To, Contact, Route)', () => {
  const request = (): SipRequest => new SipRequest('OPTIONS', parseUri('sip:bob@example.com'));

  it('checks a text each time it fails, and accepts a text it checked before for that header only', () => {
    for (let i = 0; i < 3; i++) {
      expect(() => request().setHeader('From', '<sip:alice@example.com>;tag=a b')).toThrow(SipParseError);
      expect(() => request().setHeader('To', 'not an address <')).toThrow(SipParseError);
      expect(request().setHeader('From', '"Al" <sip:alice@example.com>;tag=1').from?.tag).toBe('1');
      // `*` is a Contact (RFC 3261 §10.2.2), never a From, however often it was a valid Contact
      expect(request().setHeader('Contact', '*').contacts[0]?.wildcard).toBe(true);
      expect(() => request().setHeader('From', '*')).toThrow(SipParseError);
    }
  });

  it('stays right past the number of texts it remembers', () => {
    for (let i = 0; i < 2000; i++) expect(request().setHeader('To', `<sip:u${i}@example.com>`).to?.uri.toString()).toBe(`sip:u${i}@example.com`);
    for (let i = 0; i < 2000; i += 97) expect(() => request().setHeader('To', `<sip:u${i}@example.com>;x=" `)).toThrow(SipParseError);
    expect(request().setHeader('To', '<sip:u0@example.com>').header('to')).toBe('<sip:u0@example.com>');
  });
});
