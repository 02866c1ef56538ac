// Robustness properties: whatever bytes arrive, parseMessage returns a message or throws a
// SipParseError, and nothing else.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_HEADER_LINE,
  MAX_HEADERS,
  MAX_MESSAGE_BYTES,
  NameAddr,
  parseMessage,
  parseUri,
  serializeMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  Via,
} from '../../src/sip/parser/index.js';
import * as arb from './arbitraries.js';

const show = (b: Uint8Array): string => JSON.stringify(Buffer.from(b).toString('latin1'));

/** True when `err` is the parser's error type, by class and by its stable name. */
function isParseError(err: unknown): err is SipParseError {
  return err instanceof SipParseError && err.name === 'SipParseError';
}

/**
 * Parses `input` and checks the contract: a SipRequest/SipResponse, or a SipParseError with a
 * reason and (when given) an offset inside the input. Returns the message or undefined.
 */
function parseChecked(input: Uint8Array): SipRequest | SipResponse | undefined {
  let msg: SipRequest | SipResponse;
  try {
    msg = parseMessage(input);
  } catch (err) {
    if (!isParseError(err)) throw new Error(`parseMessage threw a non-SipParseError for ${show(input)}`, { cause: err });
    const what = `${err.message} for ${input.length}-byte input ${show(input)}`;
    expect(typeof err.reason).toBe('string');
    expect(err.reason.length, what).toBeGreaterThan(0);
    if (err.offset !== undefined) {
      expect(Number.isInteger(err.offset), `offset of ${what}`).toBe(true);
      expect(err.offset, `offset of ${what}`).toBeGreaterThanOrEqual(0);
      expect(err.offset, `offset of ${what}`).toBeLessThanOrEqual(input.length);
    }
    return undefined;
  }
  expect(msg instanceof SipRequest || msg instanceof SipResponse).toBe(true);
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Mutations of valid messages

/** Bytes worth inserting: the grammar's delimiters, line breaks, NUL, and stray UTF-8. */
const SPECIAL: readonly (readonly number[])[] = [
  [13], [10], [13, 10], [13, 10, 32], [13, 10, 9], [13, 10, 13, 10], [32], [9], [34], [92], [60], [62], [44], [59], [37],
  [0], [58], [61], [64], [91], [93], [47], [63], [42], [0xc3], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80], [0x7f],
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'replace'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: readonly number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate-line'; at: number };

// Positions are fractions of the current length, so they stay meaningful as the input changes.
const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: at, byte: fc.oneof(fc.constantFrom(...SPECIAL.map((s) => s[0]!)), fc.integer({ min: 0, max: 255 })) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: at,
    bytes: fc.oneof({ arbitrary: fc.constantFrom(...SPECIAL), weight: 3 }, { arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }), weight: 1 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: at, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: at }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: at }),
);

function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  const buf = Buffer.from(input);
  const i = Math.floor(m.at * (buf.length + 1));
  switch (m.kind) {
    case 'flip':
      if (i < buf.length) buf[i] = buf[i]! ^ (1 << m.bit);
      return buf;
    case 'replace':
      if (i < buf.length) buf[i] = m.byte;
      return buf;
    case 'insert':
      return Buffer.concat([buf.subarray(0, i), Buffer.from(m.bytes), buf.subarray(i)]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, i), buf.subarray(i + m.count)]);
    case 'truncate':
      return buf.subarray(0, i);
    case 'duplicate-line': {
      // repeat the line that contains position i (e.g. a second Content-Length or From)
      const start = buf.lastIndexOf(10, i - 1) + 1;
      let end = buf.indexOf(10, i);
      end = end < 0 ? buf.length : end + 1;
      return Buffer.concat([buf.subarray(0, end), buf.subarray(start, end), buf.subarray(end)]);
    }
  }
}

/** Shows bytes as a string literal in counterexamples instead of a list of numbers. */
function readable(b: Uint8Array): Uint8Array {
  Object.defineProperty(b, fc.toStringMethod, { value: () => `bytes(${show(b)})`, enumerable: false });
  return b;
}

const validBytes: fc.Arbitrary<Uint8Array> = arb.message.map((m) => readable(serializeMessage(m)));

/** Random text from SIP fragments: reaches the header and value parsers more often than noise. */
const FRAGMENTS = [
  'INVITE ', 'SIP/2.0', 'sip:', 'sips:', 'tel:+1', 'alice', '@', 'example.com', ':5060', ' ', '\t', '\r\n', '\r\n ', '\n', '\r\n\r\n',
  'Via: ', 'v:', 'SIP/2.0/UDP ', ';branch=z9hG4bK', ';received=', ';rport', '[2001:db8::1]', '192.0.2.1', 'From:', 'To:', 'Contact:',
  'm:', '*', 'Route:', 'Call-ID:', 'CSeq:', ' 1 INVITE', 'Max-Forwards:', '70', 'Content-Length:', 'l:', '0', '99999999999',
  '<', '>', '"', '\\', '\\"', ',', ';', '=', ';tag=', '%', '%4', '%41', '?', '&', '/', '(', ')', 'Warning: 399 h "x"', 'Content-Type: a/b;',
  'Retry-After: 5 (x)', 'Expires:', 'SIP/2.0 200 OK', '\x00', '\x7f', 'é', '\u{1F600}', '\xff',
];
const soup: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 })
  .map((parts) => readable(new Uint8Array(Buffer.concat(parts.map((p) => (p === '\xff' ? Buffer.from([0xff]) : Buffer.from(p, 'utf8')))))));

describe('parser robustness', { timeout: 30_000 }, () => {
  // Law: for any bytes, parseMessage returns a message or throws SipParseError (nothing else).
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        parseChecked(bytes);
      }),
      { numRuns: 4000 },
    );
  });

  // Law: the same for arbitrary strings (the string overload encodes them as UTF-8).
  it('arbitrary strings and SIP-fragment soup', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }).map((s) => new Uint8Array(Buffer.from(s))), soup), (bytes) => {
        parseChecked(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  // Law: valid messages with random byte flips, replacements, insertions of delimiters / CR / LF /
  // NUL / quotes / brackets, deletions, truncations and duplicated lines still only ever parse or
  // throw SipParseError.
  it('mutated valid messages', () => {
    fc.assert(
      fc.property(validBytes, fc.array(mutation, { minLength: 1, maxLength: 6 }), (bytes, mutations) => {
        parseChecked(mutations.reduce(applyMutation, bytes));
      }),
      { numRuns: 2000 },
    );
  });

  // Law: every prefix of a valid message (and every prefix closed with an empty line, so the
  // cut lands inside a header value rather than just before the end) parses or throws SipParseError.
  // Every position of the header section is tried, and the start, middle and end of the body.
  // A prefix that stops before the empty line after the headers is complete (CRLF CRLF) is
  // incomplete and must be rejected.
  it('truncation at every position', () => {
    const CRLFCRLF = Buffer.from('\r\n\r\n');
    fc.assert(
      fc.property(validBytes, (bytes) => {
        const bodyStart = Buffer.from(bytes).indexOf(CRLFCRLF) + 4;
        const cuts = [...Array.from({ length: bodyStart + 1 }, (_, n) => n), Math.floor((bodyStart + bytes.length) / 2), bytes.length - 1, bytes.length];
        for (const n of cuts) {
          const prefix = bytes.subarray(0, n);
          const msg = parseChecked(prefix);
          if (n < bodyStart) expect(msg, `accepted a message cut before its empty line: ${show(prefix)}`).toBeUndefined();
          parseChecked(Buffer.concat([prefix, CRLFCRLF]));
        }
      }),
      { numRuns: 20 },
    );
  });

  // Law: whatever parseMessage accepts, serializeMessage can write, and the written form parses
  // back to a message that serializes to the same bytes (parse never yields an unwritable message).
  it('accepted mutants re-serialize to a fixpoint', () => {
    fc.assert(
      fc.property(fc.oneof(validBytes, soup), fc.array(mutation, { maxLength: 4 }), (bytes, mutations) => {
        const msg = parseChecked(mutations.reduce(applyMutation, bytes));
        if (msg === undefined) return;
        const once = serializeMessage(msg);
        const again = parseMessage(once);
        expect(show(serializeMessage(again))).toBe(show(once));
      }),
      { numRuns: 1500 },
    );
  });

  // Law: the typed-value parsers throw only SipParseError for any text.
  it('parseUri, NameAddr.parse and Via.parse on arbitrary text', () => {
    const pieces = fc.constantFrom('sip:', 'tel:', 'a', '@', ':', ';', '=', '?', '&', '%', '%2', '[', ']', '<', '>', '"', '\\', ',', ' ', '/', 'SIP/2.0/UDP ', '::1', '1.2.3.4', 'é');
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.array(pieces, { maxLength: 30 }).map((a) => a.join('')));
    fc.assert(
      fc.property(text, (s) => {
        for (const f of [parseUri, NameAddr.parse, Via.parse]) {
          try {
            f(s);
          } catch (err) {
            if (!isParseError(err)) throw new Error(`${f.name} threw a non-SipParseError for ${JSON.stringify(s)}`, { cause: err });
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Law: a message longer than MAX_MESSAGE_BYTES (65,535) is rejected with SipParseError, whether
  // the bulk is in the body or in the header section; one of exactly 65,535 bytes is accepted.
  it('messages over 65,535 bytes are rejected', () => {
    expect(MAX_MESSAGE_BYTES).toBe(65535);
    // A small valid request head (without Content-Length and the empty line).
    const head = fc
      .tuple(arb.hostname, arb.token, arb.token, arb.callId)
      .map(([h, branch, tag, id]) =>
        `OPTIONS sip:${h} SIP/2.0\r\nVia: SIP/2.0/UDP ${h};branch=z9hG4bK${branch}\r\nFrom: <sip:a@${h}>;tag=${tag}\r\n` +
        `To: <sip:b@${h}>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n`,
      );
    const fill = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(head, fc.integer({ min: 1, max: 70000 }), fc.boolean(), fill, (h, extra, inHeader, f) => {
        expect(() => parseMessage(`${h}Content-Length: 0\r\n\r\n`)).not.toThrow();
        const missing = MAX_MESSAGE_BYTES + extra - h.length;
        let wire: string;
        if (inHeader) {
          // headers of legal size and number, only too many bytes in all
          const pad = Array.from({ length: Math.ceil(missing / 1000) + 1 }, () => `X-Pad: ${f.repeat(990)}\r\n`).join('');
          wire = `${h}${pad}Content-Length: 0\r\n\r\n`;
        } else {
          const size = missing + 16;
          wire = `${h}Content-Length: ${size}\r\n\r\n${f.repeat(size)}`;
        }
        expect(wire.length).toBeGreaterThan(MAX_MESSAGE_BYTES);
        let thrown: unknown;
        try {
          parseMessage(Buffer.from(wire, 'latin1'));
        } catch (err) {
          thrown = err;
        }
        expect(isParseError(thrown), 'oversized message must be rejected with SipParseError').toBe(true);
      }),
      { numRuns: 40 },
    );
    // Boundary: exactly MAX_MESSAGE_BYTES is accepted.
    fc.assert(
      fc.property(head, fill, (h, f) => {
        // "Content-Length: NNNNN\r\n" is 23 bytes for a five-digit length, then CRLF, then the body.
        const size = MAX_MESSAGE_BYTES - h.length - 23 - 2;
        const wire = `${h}Content-Length: ${size}\r\n\r\n${f.repeat(size)}`;
        expect(wire.length).toBe(MAX_MESSAGE_BYTES);
        expect(parseMessage(Buffer.from(wire, 'latin1')).body.byteLength).toBe(size);
      }),
      { numRuns: 20 },
    );
  });

  // Law: more than MAX_HEADERS header lines, or one header longer than MAX_HEADER_LINE, is a
  // SipParseError (not a crash or an unbounded allocation).
  it('header count and header length limits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 500 }), (moreHeaders, moreChars) => {
        const head = 'OPTIONS sip:a@example.com SIP/2.0\r\n';
        const many = head + 'X-A: 1\r\n'.repeat(MAX_HEADERS + moreHeaders) + '\r\n';
        expect(() => parseMessage(many)).toThrow(SipParseError);
        const long = head + 'Subject: ' + 'x'.repeat(MAX_HEADER_LINE + moreChars) + '\r\n\r\n';
        expect(() => parseMessage(long)).toThrow(SipParseError);
        // folded continuation lines count towards the same limit
        const folded = head + 'Subject: x' + '\r\n y'.repeat(Math.ceil((MAX_HEADER_LINE + moreChars) / 2)) + '\r\n\r\n';
        expect(() => parseMessage(folded)).toThrow(SipParseError);
      }),
      { numRuns: 20 },
    );
  });

  // Law: no input takes pathologically long: inputs near the size limit, built from repeated
  // delimiters, parse (or fail) in well under a second each.
  it('no super-linear blow-up on large repetitive inputs', () => {
    const unit = fc.constantFrom(';', ',', '"', '\\"', '<', '%', ' ', '\r\n ', 'a;', 'a,', '<sip:a>,', ';a=b', '\x00', 'é');
    fc.assert(
      fc.property(unit, fc.constantFrom('Via: SIP/2.0/UDP h', 'Contact: ', 'From: <sip:a>', 'X-A: ', 'Call-ID: '), (u, prefix) => {
        const fill = u.repeat(Math.floor(60000 / u.length));
        const input = `INVITE sip:a@example.com SIP/2.0\r\n${prefix}${fill}\r\n\r\n`;
        const t0 = performance.now();
        parseChecked(new Uint8Array(Buffer.from(input)));
        expect(performance.now() - t0).toBeLessThan(1000);
      }),
      { numRuns: 40 },
    );
  });
});
