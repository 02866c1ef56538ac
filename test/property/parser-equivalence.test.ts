// Equivalence properties: spellings of the same headers that RFC 3261 says mean the same thing
// (header-name case and compact forms, optional whitespace, line folding, one list line versus
// several lines) parse to the same typed values.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isListHeader, parseMessage, quote, type SipRequest, type SipResponse } from '../../src/sip/parser/index.js';
import * as arb from './arbitraries.js';
import { caseless, typedSnap } from './snapshot.js';

// ---------------------------------------------------------------------------------------------
// Header values as text pieces separated by the places where the grammar allows whitespace

/** SWS: optional whitespace; LWS: required whitespace; DNSP: the single space between display-name tokens. */
type Gap = 'SWS' | 'LWS' | 'DNSP';
type Piece = string | { gap: Gap };
const SWS: Piece = { gap: 'SWS' };
const LWS: Piece = { gap: 'LWS' };
const DNSP: Piece = { gap: 'DNSP' };

type ParamSpec = [name: string, valueText: string | null];

/** Re-cases a name (parameter names and URI schemes are case-insensitive); identity in the plain form. */
type Recase = (name: string) => string;
const asIs: Recase = (n) => n;

const paramPieces = (params: readonly ParamSpec[], recase: Recase): Piece[] =>
  params.flatMap(([n, v]): Piece[] => (v === null ? [SWS, ';', SWS, recase(n)] : [SWS, ';', SWS, recase(n), SWS, '=', SWS, v]));

/** Quoted-string text for an arbitrary value (quote() writes quoted-pairs where needed). */
const quotedValue = arb.quotableText(10).map(quote);
const genValueText: fc.Arbitrary<string> = fc.oneof({ arbitrary: arb.token, weight: 3 }, { arbitrary: quotedValue, weight: 1 });
const extParams = (reserved: string[]): fc.Arbitrary<ParamSpec[]> =>
  fc.array(fc.tuple(arb.tokenExcept(...reserved), fc.option(genValueText, { nil: null })), { maxLength: 3 });

// Via: sent-protocol LWS sent-by *( SEMI via-params ), SLASH = SWS "/" SWS, COLON = SWS ":" SWS
interface ViaSpec {
  transport: string;
  host: string;
  port: number | undefined;
  params: ParamSpec[];
}
const viaSpec: fc.Arbitrary<ViaSpec> = fc.record({
  transport: arb.transport,
  host: fc.oneof(arb.hostname, arb.ipv4, arb.ipv6.map((a) => `[${a}]`)),
  port: fc.option(arb.port, { nil: undefined }),
  params: fc
    .record({
      branch: fc.option(arb.branch, { nil: undefined }),
      // via-received = "received" EQUAL (IPv4address / IPv6address): IPv6 unbracketed per RFC 3261,
      // bracketed as many implementations write it (RFC 5118 §4.5)
      received: fc.option(fc.oneof(arb.ipv4, arb.ipv6, arb.ipv6.map((a) => `[${a}]`)), { nil: undefined }),
      rport: fc.option(fc.option(arb.port.map(String), { nil: null }), { nil: undefined }),
      ext: extParams(['branch', 'received', 'rport', 'maddr', 'ttl']),
    })
    .map(({ branch, received, rport, ext }) => {
      const list: ParamSpec[] = [];
      if (branch !== undefined) list.push(['branch', branch]);
      if (rport !== undefined) list.push(['rport', rport]);
      if (received !== undefined) list.push(['received', received]);
      return [...list, ...ext];
    }),
});
const viaPieces = (v: ViaSpec, recase: Recase): Piece[] => [
  'SIP', SWS, '/', SWS, '2.0', SWS, '/', SWS, v.transport, LWS, v.host,
  ...(v.port === undefined ? [] : [SWS, ':', SWS, String(v.port)]),
  ...paramPieces(v.params, recase),
];

// name-addr = [ display-name ] LAQUOT addr-spec RAQUOT; display-name = *(token LWS) / quoted-string
interface NameAddrSpec {
  /** Display name: tokens (may also be written quoted) or free text (always quoted). */
  dn: { words: string[] } | { text: string } | undefined;
  uri: string;
  params: ParamSpec[];
}
const nameAddrSpec = (params: fc.Arbitrary<ParamSpec[]>): fc.Arbitrary<NameAddrSpec> =>
  fc.record({
    dn: fc.option(
      fc.oneof(
        fc.array(arb.token, { minLength: 1, maxLength: 3 }).map((words) => ({ words })),
        arb.quotableText(12).map((text) => ({ text })),
      ),
      { nil: undefined },
    ),
    uri: arb.uriText,
    params,
  });
const displayNameOf = (n: NameAddrSpec): string | undefined =>
  n.dn === undefined ? undefined : 'words' in n.dn ? n.dn.words.join(' ') : n.dn.text;

/** The URI may stand without <> only when it has no ",", ";" or "?" (RFC 3261 §20.10). */
const addrSpecAllowed = (n: NameAddrSpec): boolean => n.dn === undefined && !/[,;?]/.test(n.uri);

type Choose = <T>(options: readonly T[]) => T;

function nameAddrPieces(n: NameAddrSpec, choose: Choose | undefined, recase: Recase): Piece[] {
  const out: Piece[] = [];
  if (n.dn !== undefined) {
    if ('words' in n.dn && choose?.(['tokens', 'quoted']) === 'tokens') {
      n.dn.words.forEach((w, i) => out.push(...(i > 0 ? [DNSP, w] : [w])));
      out.push(LWS);
    } else {
      out.push(quote(displayNameOf(n)!), choose === undefined ? ' ' : SWS);
    }
  }
  const colon = n.uri.indexOf(':');
  const uri = recase(n.uri.slice(0, colon)) + n.uri.slice(colon);
  if (choose !== undefined && addrSpecAllowed(n) && choose([true, false])) out.push(uri);
  else out.push('<', uri, '>');
  return [...out, ...paramPieces(n.params, recase)];
}

const qvalue = fc.constantFrom('0', '1', '0.5', '0.25', '1.000', '0.001');
const fromTo = nameAddrSpec(
  fc.tuple(fc.option(arb.token, { nil: undefined }), extParams(['tag'])).map(([tag, ext]): ParamSpec[] => (tag === undefined ? ext : [['tag', tag], ...ext])),
);
const contact = nameAddrSpec(
  fc
    .tuple(fc.option(qvalue, { nil: undefined }), fc.option(fc.nat().map(String), { nil: undefined }), extParams(['q', 'expires']))
    .map(([q, e, ext]): ParamSpec[] => [...(q === undefined ? [] : [['q', q] as ParamSpec]), ...ext, ...(e === undefined ? [] : [['expires', e] as ParamSpec])]),
);
const route = nameAddrSpec(fc.constantFrom<ParamSpec[]>([], [['lr', null]], [['x', 'y'], ['lr', null]]));

interface HeadersSpec {
  vias: ViaSpec[];
  from: NameAddrSpec;
  to: NameAddrSpec;
  callId: string;
  cseq: { seq: number; method: string };
  maxForwards: number;
  contacts: NameAddrSpec[] | '*';
  routes: NameAddrSpec[];
  allow: string[];
  supported: string[];
}
const headersSpec: fc.Arbitrary<HeadersSpec> = fc.record({
  vias: fc.array(viaSpec, { minLength: 1, maxLength: 4 }),
  from: fromTo,
  to: fromTo,
  callId: arb.callId,
  cseq: fc.record({ seq: arb.cseqNumber, method: arb.method }),
  maxForwards: arb.maxForwards,
  contacts: fc.oneof({ arbitrary: fc.array(contact, { minLength: 1, maxLength: 3 }), weight: 5 }, { arbitrary: fc.constant('*' as const), weight: 1 }),
  routes: fc.array(route, { maxLength: 3 }),
  allow: fc.array(arb.method, { minLength: 1, maxLength: 5 }),
  supported: fc.array(arb.token, { minLength: 1, maxLength: 4 }),
});

// ---------------------------------------------------------------------------------------------
// Rendering: the canonical form, or a variant chosen by fast-check

interface Line {
  /** Header name family, to keep the relative order of same-name lines when interleaving. */
  family: string;
  names: readonly string[];
  pieces: Piece[];
}

/** Splits a list into lines (the canonical form keeps one line). */
function listLines<T>(family: string, names: readonly string[], items: readonly T[], pieces: (x: T) => Piece[], cut: (() => boolean) | undefined): Line[] {
  const lines: Line[] = [];
  let cur: Piece[] = [];
  items.forEach((x, i) => {
    if (i > 0) {
      if (cut?.() === true) {
        lines.push({ family, names, pieces: cur });
        cur = [];
      } else cur.push(SWS, ',', SWS);
    }
    cur.push(...pieces(x));
  });
  lines.push({ family, names, pieces: cur });
  return lines;
}

function lines(h: HeadersSpec, choose: Choose | undefined, recase: Recase): Line[] {
  const cut = choose === undefined ? undefined : () => choose([false, false, true]);
  const na = (n: NameAddrSpec) => nameAddrPieces(n, choose, recase);
  return [
    ...listLines('via', ['Via', 'v'], h.vias, (v) => viaPieces(v, recase), cut),
    { family: 'from', names: ['From', 'f'], pieces: na(h.from) },
    { family: 'to', names: ['To', 't'], pieces: na(h.to) },
    { family: 'call-id', names: ['Call-ID', 'i'], pieces: [h.callId] },
    { family: 'cseq', names: ['CSeq'], pieces: [String(h.cseq.seq), LWS, h.cseq.method] },
    { family: 'max-forwards', names: ['Max-Forwards'], pieces: [String(h.maxForwards)] },
    ...(h.contacts === '*'
      ? [{ family: 'contact', names: ['Contact', 'm'], pieces: ['*'] }]
      : listLines('contact', ['Contact', 'm'], h.contacts, na, cut)),
    ...(h.routes.length === 0 ? [] : listLines('route', ['Route'], h.routes, na, cut)),
    ...listLines('allow', ['Allow'], h.allow, (m) => [m], cut),
    ...listLines('supported', ['Supported', 'k'], h.supported, (t) => [t], cut),
  ];
}

const START = 'OPTIONS sip:bob@example.com SIP/2.0\r\n';

/** The plain form: canonical names, single spaces where whitespace is required, one line per header. */
function canonical(h: HeadersSpec): string {
  const gap = (p: Piece) => (typeof p === 'string' ? p : p.gap === 'SWS' ? '' : ' ');
  return START + lines(h, undefined, asIs).map((l) => `${l.names[0]}: ${l.pieces.map(gap).join('')}\r\n`).join('') + '\r\n';
}

/**
 * A variant: every optional choice (name case, compact form, whitespace, folding, line splits,
 * order) made by `g`; with `recaseNames`, parameter names and URI schemes are re-cased too.
 */
function variant(h: HeadersSpec, g: fc.GeneratorValue, recaseNames = false): string {
  const choose: Choose = (options) => g(fc.constantFrom, ...options);
  const fold = () => choose(['', ' ', '\t']) + '\r\n' + choose([' ', '\t', '  ', ' \t']);
  const render = (p: Piece): string => {
    if (typeof p === 'string') return p;
    switch (p.gap) {
      case 'SWS':
        return choose(['', '', '', ' ', '\t', '  ', ' \t ', 'fold']).replace('fold', fold);
      case 'LWS':
        return choose([' ', ' ', '\t', '   ', 'fold']).replace('fold', fold);
      case 'DNSP':
        // whitespace inside a token display name is kept as written, so only a single SP or a fold
        // (which unfolds to a single SP) keeps the name the same
        return choose([' ', ' ', 'fold']).replace('fold', fold);
    }
  };
  const anyCase: Recase = (name) => [...name].map((c) => (choose([true, false]) ? c.toUpperCase() : c.toLowerCase())).join('');
  const nameCase = (name: string) => (name.length === 1 ? choose([name, name.toUpperCase()]) : anyCase(name));
  const text = (l: Line) => {
    const name = nameCase(choose(l.names));
    // HCOLON = *( SP / HTAB ) ":" SWS; trailing whitespace before CRLF is ignored
    return `${name}${choose(['', '', ' ', '\t '])}:${render(SWS)}${l.pieces.map(render).join('')}${choose(['', '', ' ', '\t', ' \t'])}\r\n`;
  };
  // Interleave the header lines, keeping lines of the same header in their order.
  const queues = new Map<string, Line[]>();
  for (const l of lines(h, choose, recaseNames ? anyCase : asIs)) queues.set(l.family, [...(queues.get(l.family) ?? []), l]);
  let out = START;
  while (queues.size > 0) {
    const family = choose([...queues.keys()]);
    const q = queues.get(family)!;
    out += text(q.shift()!);
    if (q.length === 0) queues.delete(family);
  }
  return out + '\r\n';
}

const parse = (text: string): SipRequest | SipResponse => parseMessage(text);

describe('parser equivalence', { timeout: 30_000 }, () => {
  // Law: the canonical spelling parses to the values it was written from.
  it('the canonical form parses to the specified values', () => {
    fc.assert(
      fc.property(headersSpec, (h) => {
        const m = parse(canonical(h));
        expect(m.callId).toBe(h.callId);
        expect({ seq: m.cseq?.seq, method: m.cseq?.method }).toEqual(h.cseq);
        expect(m.maxForwards).toBe(h.maxForwards);
        expect(m.vias.map((v) => [v.transport, v.host, v.port])).toEqual(h.vias.map((v) => [v.transport, v.host, v.port]));
        expect(m.vias.map((v) => v.params.entries().map((p) => p.name))).toEqual(h.vias.map((v) => v.params.map(([n]) => n)));
        expect(m.from?.displayName).toBe(displayNameOf(h.from));
        expect(m.to?.displayName).toBe(displayNameOf(h.to));
        expect(m.from?.uri.toString()).toBe(h.from.uri);
        expect(m.contacts.length).toBe(h.contacts === '*' ? 1 : h.contacts.length);
        expect(m.routes.map(String).length).toBe(h.routes.length);
        expect(m.headers('Allow')).toEqual(h.allow);
        expect(m.headers('k')).toEqual(h.supported);
      }),
      { numRuns: 300 },
    );
  });

  // Law: header-name case, compact forms, SP/HTAB around ":" ";" "=" "/" ",", line folding at
  // whitespace positions, splitting list headers over several lines, interleaving header lines,
  // leading/trailing whitespace of values, token vs quoted display names and name-addr vs addr-spec
  // all give the same typed values (vias, from, to, contacts, cseq, callId, maxForwards, routes,
  // headers('Allow'), headers('Supported')).
  it('whitespace, folding, case and list-splitting variants parse to the same values', () => {
    fc.assert(
      fc.property(headersSpec, fc.gen(), (h, g) => {
        const base = typedSnap(parse(canonical(h)));
        const text = variant(h, g);
        expect(typedSnap(parse(text)), `variant: ${JSON.stringify(text)}`).toEqual(base);
      }),
      { numRuns: 800 },
    );
  });

  // Law: parameter names and URI schemes are case-insensitive: re-casing them (on top of all the
  // variations above) gives the same values once parameter names are compared case-insensitively;
  // accessors such as branch, received, rport and tag do not change.
  it('re-cased parameter names and URI schemes parse to the same values', () => {
    fc.assert(
      fc.property(headersSpec, fc.gen(), (h, g) => {
        const base = caseless(typedSnap(parse(canonical(h))));
        const text = variant(h, g, true);
        expect(caseless(typedSnap(parse(text))), `variant: ${JSON.stringify(text)}`).toEqual(base);
      }),
      { numRuns: 400 },
    );
  });

  // Law: for a header without a typed form, folding at a space and padding the value with
  // whitespace give the same value (RFC 3261 §7.3.1: a fold is equivalent to one SP).
  it('unknown header values: folding and surrounding whitespace', () => {
    const words = fc.array(fc.string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), arb.nonAsciiChar), minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(arb.extensionName, words, fc.gen(), (name, ws, g) => {
        const choose = <T,>(o: readonly T[]): T => g(fc.constantFrom, ...o);
        const value = ws.join(' ');
        const folded = ws.map((w, i) => (i === 0 ? w : choose([' ', '\r\n ', ' \r\n\t', '\r\n  ']) + w)).join('');
        const text = `${START}${name}${choose(['', ' '])}:${choose(['', ' ', '\t', '\r\n '])}${folded}${choose(['', ' ', '\t'])}\r\n\r\n`;
        const m = parse(text);
        expect(m.headerFields().find((f) => f.name === name)?.value, JSON.stringify(text)).toBe(value);
        // (a list header's header() gives the first comma-separated element instead)
        if (!isListHeader(name)) expect(m.header(name)).toBe(value);
      }),
      { numRuns: 800 },
    );
  });
});
