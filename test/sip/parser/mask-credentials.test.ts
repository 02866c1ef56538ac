// maskCredentials: the credentials of Authorization / Proxy-Authorization masked in place.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskCredentials } from '../../../src/sip/parser/mask-credentials.js';

const HASH = '6629fae49393a05397450978507c4ef1';
const msg = (...headers: string[]): string => ['REGISTER sip:pbx.example.com SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1', ...headers, 'Content-Length: 0', '', ''].join('\r\n');

describe('maskCredentials', () => {
  it('masks the Digest response, character for character, and keeps what one debugs a challenge with', () => {
    const text = msg(`Authorization: Digest username="alice", realm="pbx", nonce="abc", uri="sip:pbx.example.com", response="${HASH}", algorithm=MD5, cnonce="x1", qop=auth, nc=00000001`);
    const masked = maskCredentials(text);
    expect(masked).toHaveLength(text.length);
    expect(masked).not.toContain(HASH);
    expect(masked).toContain(`response="${'*'.repeat(32)}"`);
    for (const kept of ['username="alice"', 'realm="pbx"', 'nonce="abc"', 'uri="sip:pbx.example.com"', 'algorithm=MD5', 'cnonce="x1"', 'qop=auth', 'nc=00000001']) expect(masked).toContain(kept);
  });

  it('Proxy-Authorization too, any case, unquoted response, several headers, folded lines', () => {
    const text = msg(`proxy-AUTHORIZATION : Digest username="bob",\r\n  response=${HASH}`, `Authorization: Digest username="b2", response="ffff"`);
    const masked = maskCredentials(text);
    expect(masked).not.toContain(HASH);
    expect(masked).not.toContain('"ffff"');
    expect(masked).toContain(`  response=${'*'.repeat(32)}\r\n`);
    expect(masked).toHaveLength(text.length);
  });

  it('Basic and Bearer: the whole credential', () => {
    const masked = maskCredentials(msg('Authorization: Basic YWxpY2U6c2VjcmV0', 'Proxy-Authorization: Bearer eyJhbGciOi.x.y'));
    expect(masked).toContain('Authorization: Basic ****************\r\n');
    expect(masked).toContain(`Proxy-Authorization: Bearer ${'*'.repeat('eyJhbGciOi.x.y'.length)}\r\n`);
  });

  it('leaves everything else alone: other headers, WWW-Authenticate, a body that mentions Authorization', () => {
    const text = msg('WWW-Authenticate: Digest realm="pbx", nonce="n1"', 'Subject: response="visible"').replace('Content-Length: 0\r\n\r\n', 'Content-Length: 40\r\n\r\nAuthorization: Digest response="inbody"\n');
    expect(maskCredentials(text)).toBe(text);
    expect(maskCredentials('OPTIONS sip:x SIP/2.0\r\n\r\n')).toBe('OPTIONS sip:x SIP/2.0\r\n\r\n');
  });

  it('property: same length, only credential characters change, and never to anything but *', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 6 }), fc.stringMatching(/^[0-9a-f]{8,40}$/), (noise, secret) => {
        const text = msg(...noise.map((n) => `X-Noise: ${n.replace(/[\r\n]/g, ' ')}`), `Authorization: Digest username="u", response="${secret}"`);
        const masked = maskCredentials(text);
        expect(masked).toHaveLength(text.length);
        expect(masked.includes(`"${secret}"`)).toBe(false);
        for (let i = 0; i < text.length; i++) if (masked[i] !== text[i]) expect(masked[i]).toBe('*');
      }),
      { numRuns: 300 },
    );
  });
});
