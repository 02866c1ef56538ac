// The fast path (fast-parse.ts) against the thorough parser (parseBuffer): whenever the fast path
// accepts a message, the thorough parser accepts it too and builds the same message; whenever the
// thorough parser rejects a message, the fast path gives up (so the error comes from the thorough
// parser). Inputs: valid messages, the benchmark corpus, byte-level mutations of both, SIP
// fragment soup, and small alphabets around hosts, users and URI parameters.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../../bench/corpus.js';
import { parseFast } from '../../src/sip/parser/fast-parse.js';
import { createResponse, type Params, serializeMessage, type SipRequest, type SipResponse } from '../../src/sip/parser/index.js';
import { parseThorough } from '../../src/sip/parser/parse.js';
import * as arb from './arbitraries.js';

type Msg = SipRequest | SipResponse;
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const params = (p: Params): unknown => p.entries().map((e) => [e.name, e.value, e.raw]);
function uri(u: Any): unknown {
  if (u.scheme === 'sip' || u.scheme === 'sips') return [String(u), u.user, u.password, u.host, u.hostType, u.port, params(u.params), params(u.headers)];
  if (u.scheme === 'tel') return [String(u), u.number, params(u.params)];
  return [String(u), u.scheme];
}
const addr = (n: Any): unknown => (n === undefined ? undefined : n.wildcard ? '*' : [n.displayName, uri(n.uri), params(n.params), String(n)]);
const via = (v: Any): unknown => [v.protocolName, v.protocolVersion, v.transport, v.host, v.port, v.branch, v.received, v.rport, v.maddr, v.ttl, params(v.params), String(v)];

/** Everything observable about a parsed message, then the effect of changing it. */
function snapshot(m: Msg): unknown {
  const fields = m.headerFields();
  const seen = {
    start: m.isRequest ? [m.method, m.uriString, uri(m.uri)] : [m.status, m.reason],
    version: m.version,
    body: Buffer.from(m.body).toString('latin1'),
    typed: [m.callId, m.cseq && String(m.cseq), m.vias.map(via), addr(m.from), addr(m.to), m.contacts.map(addr), m.routes.map(addr), m.recordRoutes.map(addr)],
    numbers: [m.maxForwards, m.contentLength, m.expires, m.contentType],
    fields: fields.map((f) => [f.name, f.value, m.header(f.name), m.headers(f.name)]),
    wire: Buffer.from(serializeMessage(m)).toString('latin1'),
    response: m.isRequest ? Buffer.from(serializeMessage(createResponse(m, 200))).toString('latin1') : undefined,
  };
  m.addHeader('X-Added', 'v');
  const top = m.vias[0];
  if (top !== undefined) top.branch = 'z9hG4bKchanged';
  const from = m.from;
  if (from !== undefined) from.tag = 'changed';
  return { ...seen, changed: Buffer.from(serializeMessage(m)).toString('latin1') };
}

function agree(input: Uint8Array | string): void {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const fast = parseFast(buf, buf.length);
  let thorough: Msg | undefined;
  try {
    thorough = parseThorough(buf);
  } catch {
    thorough = undefined;
  }
  const what = JSON.stringify(buf.toString('latin1'));
  if (thorough === undefined) {
    expect(fast, `fast path accepted what the thorough parser rejects: ${what}`).toBeUndefined();
    return;
  }
  if (fast !== undefined) expect(snapshot(fast), what).toEqual(snapshot(thorough));
}

const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const SPECIAL = [13, 10, 32, 9, 34, 92, 60, 62, 44, 59, 37, 0, 58, 61, 64, 91, 93, 47, 63, 42, 0xc3, 0xff, 0x7f, 1, 46, 45, 48, 57, 65, 97];
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at, byte: fc.constantFrom(...SPECIAL) }),
  fc.record({ kind: fc.constant('replace' as const), at, byte: fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('delete' as const), at, byte: fc.integer({ min: 1, max: 6 }) }),
);
function mutate(buf: Buffer, m: { kind: 'insert' | 'replace' | 'delete'; at: number; byte: number }): Buffer {
  const i = Math.floor(m.at * (buf.length + 1));
  if (m.kind === 'insert') return Buffer.concat([buf.subarray(0, i), Buffer.from([m.byte]), buf.subarray(i)]);
  if (m.kind === 'delete') return Buffer.concat([buf.subarray(0, i), buf.subarray(i + m.byte)]);
  const c = Buffer.from(buf);
  if (i < c.length) c[i] = m.byte;
  return c;
}

const valid = fc.oneof(
  arb.message.map((m) => Buffer.from(serializeMessage(m))),
  fc.constantFrom(...CORPUS.map((c) => c.data)),
);
const FRAGMENTS = [
  'INVITE ', 'SIP/2.0', 'sip:', 'sips:', 'tel:+1', 'alice', '@', 'example.com', ':5060', ' ', '\t', '\r\n', '\r\n ', '\n', '\r\n\r\n',
  'Via: ', 'v:', 'SIP/2.0/UDP ', ';branch=z9hG4bK', ';received=', ';rport', '[2001:db8::1]', '192.0.2.1', 'From:', 'To:', 'Contact:',
  'Record-Route:', 'm:', '*', 'Call-ID:', 'CSeq:', ' 1 INVITE', 'Max-Forwards:', '70', 'Content-Length:', 'l:', '0', '99999999999',
  'Content-Type: ', 'application/sdp', '<', '>', '"', '\\', ',', ';', '=', ';tag=', '%', '%4', '%41', '?', '&', '/', ';lr', ';q=0.5',
  'Retry-After: 5', 'Expires:', 'SIP/2.0 200 OK', '\x00', '\x7f', 'é', 'Allow: ', 'X-H: ', '.', '-', '1.2.3.4', ':', 'VIA:', 'call-id:',
];
const soup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((p) => Buffer.from(p.join(''), 'utf8'));

// One header (or the Request-URI) at a time built from small alphabets, the rest plain.
const hostText = fc.oneof(
  fc.stringMatching(/^[a1\-.0_9Z]{0,12}$/),
  fc.stringMatching(/^[a1\-.0_9Z:%]{0,12}$/),
  fc.constantFrom('1.2.3.4', '01.2.3.4', '1.2.3.4.', 'a.b.', 'a-b.c', '1a.b', 'a.1b', '256.1.1.1', 'a..b', '.', 'x.-a', 'a-.b'),
);
const userText = fc.oneof(fc.stringMatching(/^([a%4@:;=,?1F]{0,6}@)?$/), fc.stringMatching(/^[a%4:;=,?1F]{0,6}$/));
const paramText = fc.stringMatching(/^(;[a=%1;:\-.F]{0,6}){0,2}$/);
function oneVaried(which: number, h: string, u: string, p: string): string {
  const pick = (k: number, varied: string, plain: string): string => (which === k ? varied : plain);
  return (
    `INVITE ${pick(0, `sip:${u}${h}${p}`, 'sip:a@b.c')} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${pick(1, `${h}${p.replace(/;/g, ';r')}`, 'h.c')};branch=z9hG4bK1${pick(2, p, ';rport')}\r\n` +
    `From: ${pick(3, `<sip:${u}${h}${p}>`, '<sip:a@b.c>')};tag=1\r\n` +
    `To: ${pick(4, `sip:${u}${h}${p}`, 'sip:a@b.c')}\r\n` +
    `Contact: ${pick(5, `"a b" <sip:${h}>, <sips:${u}${h}>;q=${h}`, '<sip:x@y>')}${pick(6, `;expires=${h}`, '')}\r\n` +
    `Call-ID: ${pick(7, `${u}${h}`, 'abc')}\r\nCSeq: ${pick(8, `${h} ${u}`, '1 INVITE')}\r\n` +
    `Route: ${pick(9, `<sip:${u}${h}${p}>,${h}<sip:${h}>`, '<sip:r@r>')}\r\nContent-Length: 0\r\n\r\n`
  );
}

describe('parser fast path agrees with the thorough parser', { timeout: 60_000 }, () => {
  it('the benchmark corpus takes the fast path', () => {
    for (const c of CORPUS) {
      expect(parseFast(c.data, c.data.length), c.name).toBeDefined();
      agree(c.data);
    }
  });

  it('valid messages', () => {
    fc.assert(fc.property(valid, (b) => agree(b)), { numRuns: 1000 });
  });

  it('mutated valid messages', () => {
    fc.assert(fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 5 }), (b, ms) => agree(ms.reduce(mutate, b))), { numRuns: 3000 });
  });

  it('SIP fragment soup, alone and inside valid messages', () => {
    fc.assert(fc.property(soup, (b) => agree(b)), { numRuns: 1000 });
    fc.assert(
      fc.property(valid, at, soup, (b, where, s) => {
        const i = Math.floor(where * (b.length + 1));
        agree(Buffer.concat([b.subarray(0, i), s, b.subarray(i)]));
      }),
      { numRuns: 1000 },
    );
  });

  it('hosts, user parts and URI parameters from small alphabets', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), hostText, userText, paramText, (w, h, u, p) => agree(oneVaried(w, h, u, p))), { numRuns: 3000 });
  });

  it('header names near the known ones: re-cased, cut short, lengthened, one byte changed', () => {
    // The fast path recognises names four bytes at a time, with an overlapping last word: a change
    // in any byte, at either end or in the overlap, must lead to the same message as the thorough way.
    const NAMES = [
      'Via', 'To', 'From', 'CSeq', 'Route', 'Contact', 'Call-ID', 'Expires', 'Max-Forwards', 'Record-Route', 'Content-Type',
      'Content-Length', 'Min-Expires', 'Allow', 'Allow-Events', 'Supported', 'User-Agent', 'Proxy-Authorization', 'Date', 'RAck',
    ];
    const edit = fc.oneof(
      fc.constant((n: string) => n),
      fc.constant((n: string) => n.toUpperCase()),
      fc.constant((n: string) => n.toLowerCase()),
      fc.constant((n: string) => n.slice(0, -1)),
      fc.constant((n: string) => `${n}s`),
      fc.constant((n: string) => `${n}-`),
      fc.constant((n: string) => `X${n}`),
      at.chain((w) =>
        fc.constantFrom('a', 'Z', '-', '!', '0', 'é', ' ', ':').map((ch) => (n: string) => {
          const i = Math.floor(w * n.length);
          return n.slice(0, i) + ch + n.slice(i + 1);
        }),
      ),
      at.map((w) => (n: string) => {
        const i = Math.floor(w * n.length);
        return n.slice(0, i) + n[i]!.toLowerCase() + n.slice(i + 1);
      }),
    );
    const value = fc.constantFrom('<sip:a@b.c>', '1 INVITE', '70', 'abc@d', 'SIP/2.0/UDP h.c;branch=z9hG4bK1', 'text/plain', '0');
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), edit, value, fc.constantFrom(': ', ':', ' : '), (n, f, v, colon) =>
        agree(`OPTIONS sip:a@b.c SIP/2.0\r\nVia: SIP/2.0/UDP h.c;branch=z9hG4bK1\r\n${f(n)}${colon}${v}\r\nCall-ID: x\r\n\r\n`),
      ),
      { numRuns: 3000 },
    );
  });

  it('URI text from the delimiters of the URI grammar', () => {
    // userinfo? host port? params?, each part from its own small set, valid or not
    const some = (...xs: string[]): fc.Arbitrary<string> => fc.constantFrom('', ...xs);
    const uriBody = fc
      .tuple(
        some('a', '1', 'a;b', 'a,b', 'a?b', '%41', '%4', 'a%'),
        some(':', ':1', ':a,b', ':a;b', ':%41', ':@'),
        some('@', ',', ';', '?', '@@'),
        some('b.c', '1.2.3.4', 'a-', '-a', '1a', 'a.1', '.', 'b.c.'),
        some(':5060', ':', ':65536', ':050600', ':x'),
        some(';lr', ';a=b', ';a=', ';=b', ';a=b=c', '?h=v', ';%41=1', ';'),
      )
      .map((p) => p.join(''));
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), uriBody, (w, t) => agree(oneVaried(w, t, '', ''))), { numRuns: 8000 });
  });
});
