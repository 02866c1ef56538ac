// Values the fast parser builds on first access rather than while parsing: what comes back on
// access must equal what the thorough parser builds eagerly, and setting a value must win over
// the pending one.
import { describe, expect, it } from 'vitest';
import { parseFast } from '../../../src/sip/parser/fast-parse.js';
import { parseThorough } from '../../../src/sip/parser/parse.js';
import { serializeMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';

const HEAD = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
];

function bytes(extra: string[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...HEAD, ...extra].join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

/** Parses with both parsers; the fast path must accept. */
function both(data: Buffer): [SipRequest | SipResponse, SipRequest | SipResponse] {
  const fast = parseFast(data, data.length);
  expect(fast, 'fast path gave up').toBeDefined();
  return [fast!, parseThorough(data)];
}

describe('body', () => {
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const cases: Array<[string, string[], Buffer]> = [
    ['Content-Length body', ['Content-Length: 11'], Buffer.from('v=0\r\ns=-\r\n\r')],
    ['every byte value', [`Content-Length: ${allBytes.length}`], allBytes],
    ['bytes after Content-Length ignored', ['Content-Length: 3'], Buffer.from('abcdef')],
    ['no Content-Length: rest of the datagram', [], Buffer.from('x\xff\x00y', 'latin1')],
    ['empty', ['Content-Length: 0'], Buffer.alloc(0)],
    ['UTF-8 text', ['Content-Length: 9'], Buffer.from('s=Zoë ☎', 'utf8')],
  ];
  for (const [name, extra, body] of cases) {
    it(`is the bytes received: ${name}`, () => {
      const data = bytes(extra, body);
      const [fast, thorough] = both(data);
      // Text and length read before the bytes are made (an ASCII body is its own text), then after.
      const expected = Buffer.from(data.subarray(data.length - body.length, data.length - body.length + thorough.body.byteLength)).toString('utf8');
      expect(fast.bodyLength).toBe(thorough.body.byteLength);
      expect(fast.bodyText).toBe(expected);
      expect(thorough.bodyText).toBe(expected);
      expect(Buffer.from(fast.body).equals(Buffer.from(thorough.body))).toBe(true);
      expect(Buffer.isBuffer(fast.body)).toBe(Buffer.isBuffer(thorough.body));
      expect(fast.bodyText).toBe(thorough.bodyText);
      expect(serializeMessage(fast)).toEqual(serializeMessage(thorough));
    });
  }

  it('does not change when the caller reuses its buffer', () => {
    const data = bytes(['Content-Length: 5'], Buffer.from('hello'));
    const [fast] = both(data);
    data.fill(0);
    expect(Buffer.from(fast.body).toString('latin1')).toBe('hello');
  });

  it('is the same object on every access, and a set body replaces it', () => {
    const [fast] = both(bytes(['Content-Length: 5'], Buffer.from('hello')));
    expect(fast.body).toBe(fast.body);
    const next = new Uint8Array([1, 2, 3]);
    fast.body = next;
    expect(fast.body).toBe(next);
    expect(Buffer.from(serializeMessage(fast)).subarray(-3)).toEqual(Buffer.from([1, 2, 3]));
  });
});
