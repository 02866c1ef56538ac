// URIs: sip/sips (RFC 3261 §19.1), tel (RFC 3966), other absolute URIs.
import { describe, expect, it } from 'vitest';
import { AbsoluteUri, classifyHost, parseUri, SipParseError, SipUri, TelUri } from '../../../src/sip/parser/index.js';

function sip(text: string): SipUri {
  const u = parseUri(text);
  expect(u).toBeInstanceOf(SipUri);
  return u as SipUri;
}

describe('sip and sips URIs', () => {
  it('parses every part', () => {
    const u = sip('sips:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u.scheme).toBe('sips');
    expect(u.user).toBe('alice');
    expect(u.password).toBe('secret');
    expect(u.host).toBe('atlanta.example.com');
    expect(u.hostType).toBe('name');
    expect(u.port).toBe(5061);
    expect(u.params.get('transport')).toBe('tls');
    expect(u.params.get('lr')).toBeNull();
    expect(u.params.get('maddr')).toBe('239.255.255.1');
    expect(u.params.get('absent')).toBeUndefined();
    expect(u.headers.get('subject')).toBe('project x');
    expect(u.headers.get('Priority')).toBe('urgent');
  });

  it('reads IPv4 and IPv6 hosts', () => {
    expect(sip('sip:192.0.2.4').hostType).toBe('ipv4');
    const v6 = sip('sip:bob@[2001:db8::9:1]:5070;transport=udp');
    expect(v6.host).toBe('[2001:db8::9:1]');
    expect(v6.hostType).toBe('ipv6');
    expect(v6.port).toBe(5070);
    expect(sip('sip:host.example.com.').host).toBe('host.example.com.');
  });

  it('lower-cases the scheme and accepts a user without host-level parts', () => {
    expect(sip('SIP:bob@example.com').scheme).toBe('sip');
    expect(String(sip('SIP:bob@example.com'))).toBe('sip:bob@example.com');
    expect(sip('sip:example.com').user).toBeUndefined();
  });

  it('keeps escapes on output and decodes on access', () => {
    const text = 'sip:%61lice%20b@example.com;x%3Dy=%41;other?h%20n=v%26w';
    const u = sip(text);
    expect(String(u)).toBe(text);
    expect(u.user).toBe('alice b');
    expect(u.params.get('x=y')).toBe('A');
    expect(u.headers.get('h n')).toBe('v&w');
  });

  it('escapes what it must when fields are set', () => {
    const u = new SipUri({ user: 'a b@c', host: 'example.com', port: 5060, params: { transport: 'tcp', lr: null }, headers: { Subject: 'hi there' } });
    expect(String(u)).toBe('sip:a%20b%40c@example.com:5060;transport=tcp;lr?Subject=hi%20there');
    expect(sip(String(u)).user).toBe('a b@c');
    u.user = 'ü';
    expect(String(u)).toMatch(/^sip:%C3%BC@/);
    expect(new SipUri({ host: '::1' }).host).toBe('[::1]');
  });

  it('refuses an empty URI parameter value, which the grammar cannot express', () => {
    expect(() => new SipUri({ host: 'h.example.com', params: { x: '' } })).toThrow(SipParseError);
    expect(String(new SipUri({ host: 'h.example.com', params: { x: null } }))).toBe('sip:h.example.com;x');
  });

  it('clones deeply', () => {
    const u = sip('sip:a@b.example.com;lr');
    const c = u.clone();
    c.params.set('transport', 'tcp');
    c.host = 'other.example.com';
    expect(String(u)).toBe('sip:a@b.example.com;lr');
    expect(String(c)).toBe('sip:a@other.example.com;lr;transport=tcp');
  });

  it('rejects malformed URIs with a clear SipParseError', () => {
    const bad = [
      'sip:',
      'sip:@example.com',
      'sip:a@',
      'sip:a@exa mple.com',
      'sip:a@-bad.example.com',
      'sip:a@example.123',
      'sip:a@1.2.3.256',
      'sip:a@[zz::1]',
      'sip:a@[::1',
      'sip:a@example.com:65536',
      'sip:a@example.com:',
      'sip:a@b@example.com',
      'sip:a@example.com;%zz',
      'sip:a@example.com?noequals',
      'sip:a@example.com>',
      'sip:a b@example.com',
    ];
    for (const text of bad) expect(() => parseUri(text), text).toThrow(SipParseError);
  });
});

describe('tel URIs', () => {
  it('parses global and local numbers with parameters', () => {
    const g = parseUri('tel:+1-201-555-0123;ext=1234') as TelUri;
    expect(g).toBeInstanceOf(TelUri);
    expect([g.number, g.global, g.params.get('ext')]).toEqual(['+1-201-555-0123', true, '1234']);
    const l = parseUri('tel:7042;phone-context=example.com') as TelUri;
    expect([l.number, l.global, l.params.get('phone-context')]).toEqual(['7042', false, 'example.com']);
    expect(String(l)).toBe('tel:7042;phone-context=example.com');
    expect(parseUri('tel:*21#')).toBeInstanceOf(TelUri);
  });

  it('rejects invalid numbers', () => {
    expect(() => parseUri('tel:')).toThrow(SipParseError);
    expect(() => parseUri('tel:+')).toThrow(SipParseError);
    expect(() => parseUri('tel:12 34')).toThrow(SipParseError);
  });
});

describe('other absolute URIs', () => {
  it('are kept opaque', () => {
    for (const text of ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', 'mailto:bob@example.com', 'http://example.com/x?y=1', 'im:alice@example.com']) {
      const u = parseUri(text);
      expect(u).toBeInstanceOf(AbsoluteUri);
      expect(String(u)).toBe(text);
    }
  });

  it('reject text that is not a URI', () => {
    for (const text of ['', 'nocolon', ':x', '1abc:x', '<sip:a@b>', 'x:a b', 'x:"q"']) {
      expect(() => parseUri(text), text).toThrow(SipParseError);
    }
  });
});

describe('classifyHost', () => {
  it('tells names, IPv4 and IPv6 references apart', () => {
    expect(classifyHost('example.com')).toBe('name');
    expect(classifyHost('a-b.c_d.example')).toBe('name');
    expect(classifyHost('10.0.0.1')).toBe('ipv4');
    expect(classifyHost('[fe80::1]')).toBe('ipv6');
    expect(classifyHost('fe80::1')).toBeUndefined();
    expect(classifyHost('10.0.0')).toBeUndefined();
    expect(classifyHost('a..b')).toBeUndefined();
    expect(classifyHost('')).toBeUndefined();
  });
});
