// Shared fast-check arbitraries for the SIP message layer, following the RFC 3261 §25.1 grammar
// (and RFC 3966 for tel: URIs). Everything generated here is meant to be *valid*: the round-trip
// and equivalence properties rely on that, and the robustness properties mutate it.

import fc from 'fast-check';
import {
  createRequest,
  createResponse,
  CSeq,
  headerKey,
  type HeaderValue,
  NameAddr,
  parseUri,
  quote,
  serializeMessage,
  SipRequest,
  SipResponse,
  SipUri,
  type Uri,
  Via,
} from '../../src/sip/parser/index.js';

// ---------------------------------------------------------------------------------------------
// Character classes (RFC 3261 §25.1)

export const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGIT = '0123456789';
export const ALNUM = ALPHA + DIGIT;
export const HEXDIG = DIGIT + 'ABCDEFabcdef';
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN_CHARS = ALNUM + "-.!%*_+`'~";
const MARK = "-_.!~*'()";
const UNRESERVED = ALNUM + MARK;
/** user = 1*( unreserved / escaped / user-unreserved ) */
const USER_CHARS = UNRESERVED + '&=+$,;?/';
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD_CHARS = UNRESERVED + '&=+$,';
/** paramchar = param-unreserved / unreserved / escaped */
const PARAM_CHARS = UNRESERVED + '[]/:&+$';
/** hname / hvalue = 1*( hnv-unreserved / unreserved / escaped ) */
const HNV_CHARS = UNRESERVED + '[]/?:+$';
/** uric = reserved / unreserved / escaped */
const URIC_CHARS = UNRESERVED + ';/?:@&=+$,[]';
/** word (Call-ID) = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
const WORD_CHARS = TOKEN_CHARS + '()<>:\\"/[]?{}';

export const charOf = (chars: string): fc.Arbitrary<string> => fc.constantFrom(...chars.split(''));

export const stringOf = (chars: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: charOf(chars), minLength, maxLength });

/** escaped = "%" HEXDIG HEXDIG (either case of hex digit). */
export const escape: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.boolean())
  .map(([b, lower]) => '%' + (lower ? b.toString(16).padStart(2, '0') : b.toString(16).padStart(2, '0').toUpperCase()));

/** Text of `chars` with valid %-escapes mixed in. */
export const escapedText = (chars: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof({ arbitrary: charOf(chars), weight: 8 }, { arbitrary: escape, weight: 1 }), { minLength, maxLength })
    .map((parts) => parts.join(''));

export const token: fc.Arbitrary<string> = stringOf(TOKEN_CHARS, 1, 12);

/** A token whose lower case is none of `reserved` (for extension parameters beside typed ones). */
export const tokenExcept = (...reserved: string[]): fc.Arbitrary<string> =>
  token.filter((t) => !reserved.includes(t.toLowerCase()));

/** A non-ASCII code point (UTF8-NONASCII), never a lone surrogate. */
export const nonAsciiChar: fc.Arbitrary<string> = fc
  .integer({ min: 0x80, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));

const printableAscii: fc.Arbitrary<string> = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Printable text (SP, VCHAR, UTF-8), possibly with HTAB; no controls. */
export const printableText = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { arbitrary: printableAscii, weight: 10 },
        { arbitrary: fc.constant('\t'), weight: 1 },
        { arbitrary: nonAsciiChar, weight: 2 },
      ),
      { maxLength },
    )
    .map((a) => a.join(''));

/** Text for a quoted-string: anything but CR and LF (quote() escapes `"`, `\` and controls). */
export const quotableText = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { arbitrary: printableAscii, weight: 10 },
        { arbitrary: fc.constantFrom('"', '\\', '\t', ' '), weight: 3 },
        { arbitrary: nonAsciiChar, weight: 2 },
        // controls other than CR/LF may only appear as quoted-pairs, which quote() writes
        { arbitrary: fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)), weight: 1 },
        { arbitrary: fc.constant('\x7f'), weight: 1 },
      ),
      { maxLength },
    )
    .map((a) => a.join(''));

// ---------------------------------------------------------------------------------------------
// Hosts and URIs

const domainLabel: fc.Arbitrary<string> = fc.oneof(
  charOf(ALNUM),
  fc.tuple(charOf(ALNUM), stringOf(ALNUM + '-', 0, 8), charOf(ALNUM)).map(([a, m, b]) => a + m + b),
);
const topLabel: fc.Arbitrary<string> = fc.oneof(
  charOf(ALPHA),
  fc.tuple(charOf(ALPHA), stringOf(ALNUM + '-', 0, 8), charOf(ALNUM)).map(([a, m, b]) => a + m + b),
);

/** hostname = *( domainlabel "." ) toplabel [ "." ] */
export const hostname: fc.Arbitrary<string> = fc
  .tuple(fc.array(domainLabel, { maxLength: 3 }), topLabel, fc.boolean())
  .map(([labels, top, dot]) => [...labels, top].join('.') + (dot ? '.' : ''));

export const ipv4: fc.Arbitrary<string> = fc.ipV4();
export const ipv6: fc.Arbitrary<string> = fc.ipV6();

/** host = hostname / IPv4address / IPv6reference */
export const host: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: hostname, weight: 4 },
  { arbitrary: ipv4, weight: 2 },
  { arbitrary: ipv6.map((a) => `[${a}]`), weight: 1 },
);

export const port: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(5060, 5061, 0, 65535), fc.integer({ min: 0, max: 65535 }));

const uriParamText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(';lr', ';transport=udp', ';transport=TCP', ';user=phone', ';method=INVITE', ';ttl=15', ';maddr=239.255.255.1', ';ob'),
  fc
    .tuple(escapedText(PARAM_CHARS, 1, 8), fc.option(escapedText(PARAM_CHARS, 1, 10), { nil: undefined }))
    .map(([n, v]) => ';' + n + (v === undefined ? '' : '=' + v)),
);

const uriHeaderText: fc.Arbitrary<string> = fc
  .tuple(escapedText(HNV_CHARS, 1, 8), escapedText(HNV_CHARS, 0, 10))
  .map(([n, v]) => n + '=' + v);

/** SIP-URI / SIPS-URI as text, written the way SipUri.toString() writes it (lower-case scheme). */
export const sipUriText: fc.Arbitrary<string> = fc
  .record({
    scheme: fc.constantFrom('sip', 'sip', 'sips'),
    user: fc.option(escapedText(USER_CHARS, 1, 14), { nil: undefined }),
    password: fc.option(escapedText(PASSWORD_CHARS, 0, 8), { nil: undefined }),
    host,
    port: fc.option(port, { nil: undefined }),
    params: fc.array(uriParamText, { maxLength: 3 }),
    headers: fc.array(uriHeaderText, { maxLength: 2 }),
  })
  .map(({ scheme, user, password, host, port, params, headers }) => {
    let s = scheme + ':';
    if (user !== undefined) s += user + (password === undefined ? '' : ':' + password) + '@';
    s += host + (port === undefined ? '' : ':' + port);
    s += params.join('');
    if (headers.length > 0) s += '?' + headers.join('&');
    return s;
  });

const telSep = '-.()';
/** RFC 3966 telephone-subscriber; `#` written %23 as TelUri.toString() writes it. */
export const telUriText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.tuple(stringOf(DIGIT + telSep, 0, 5), charOf(DIGIT), stringOf(DIGIT + telSep, 0, 10)).map(([a, d, b]) => '+' + a + d + b),
      fc.tuple(stringOf(HEXDIG + '*#' + telSep, 0, 5), charOf(HEXDIG + '*#'), stringOf(HEXDIG + '*#' + telSep, 0, 8)).map(([a, d, b]) => a + d + b),
    ),
    fc.array(fc.oneof(fc.constantFrom(';phone-context=example.com', ';phone-context=+1-212', ';ext=1234', ';isub=77'), uriParamText), { maxLength: 3 }),
  )
  .map(([n, params]) => 'tel:' + n.replace(/#/g, '%23') + params.join(''));

/** absoluteURI with a scheme SIP does not interpret. */
export const absoluteUriText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('http://www.example.com/alice/photo.jpg', 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', 'mailto:alice@example.com', 'im:alice@example.com'),
  fc
    .tuple(charOf('abcdefghijklmnopqrstuvwxyz'), stringOf('abcdefghijklmnopqrstuvwxyz0123456789+-.', 0, 6), escapedText(URIC_CHARS, 1, 30))
    .filter(([a, b]) => !['sip', 'sips', 'tel'].includes(a + b))
    .map(([a, b, opaque]) => `${a}${b}:${opaque}`),
);

/** URI text in the exact form the URI classes write it (so String(parseUri(t)) === t). */
export const uriText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: sipUriText, weight: 6 },
  { arbitrary: telUriText, weight: 1 },
  { arbitrary: absoluteUriText, weight: 1 },
);

/** A SipUri built through the constructor from unescaped (arbitrary Unicode) parts. */
export const constructedSipUri: fc.Arbitrary<SipUri> = fc
  .record({
    scheme: fc.constantFrom<'sip' | 'sips'>('sip', 'sips'),
    user: fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), { nil: undefined }),
    password: fc.option(fc.string({ unit: 'binary', maxLength: 6 }), { nil: undefined }),
    host: fc.oneof(hostname, ipv4, ipv6),
    port: fc.option(port, { nil: undefined }),
    params: fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), { nil: null })), { maxLength: 3 }),
    headers: fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 2 }),
  })
  .map((r) => {
    const uri = new SipUri({ scheme: r.scheme, user: r.user, password: r.user === undefined ? undefined : r.password, host: r.host, port: r.port });
    for (const [k, v] of r.params) uri.params.set(k, v);
    for (const [k, v] of r.headers) uri.headers.set(k, v);
    return uri;
  });

export const uri: fc.Arbitrary<Uri> = fc.oneof({ arbitrary: uriText.map((t) => parseUri(t)), weight: 4 }, { arbitrary: constructedSipUri, weight: 1 });

// ---------------------------------------------------------------------------------------------
// Header parameters and addresses

/** gen-value = token / host / quoted-string; Params.set picks the written form. */
export const genValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: token, weight: 4 },
  { arbitrary: quotableText(12), weight: 2 },
  { arbitrary: ipv6.map((a) => `[${a}]`), weight: 1 },
);

/** generic-param pairs with names outside `reserved`. */
export const genericParams = (reserved: string[], maxLength = 3): fc.Arbitrary<Array<[string, string | null]>> =>
  fc.array(fc.tuple(tokenExcept(...reserved), fc.option(genValue, { nil: null })), { maxLength });

/** display-name text, with quotes, backslashes, UTF-8 and the odd control character. */
export const displayName: fc.Arbitrary<string | undefined> = fc.option(
  fc.oneof({ arbitrary: quotableText(10), weight: 3 }, { arbitrary: fc.constantFrom('Alice', 'Bob Smith', '', 'A "quoted" \\ name', 'Zoë 日本'), weight: 1 }),
  { nil: undefined },
);

function nameAddr(dn: string | undefined, u: Uri, params: Array<[string, string | null]>): NameAddr {
  const na = new NameAddr({ displayName: dn, uri: u });
  for (const [k, v] of params) na.params.set(k, v);
  return na;
}

/** From / To: name-addr with an optional tag and extension parameters. */
export const fromTo: fc.Arbitrary<NameAddr> = fc
  .record({ dn: displayName, uri, tag: fc.option(token, { nil: undefined }), params: genericParams(['tag']) })
  .map(({ dn, uri, tag, params }) => nameAddr(dn, uri, tag === undefined ? params : [['tag', tag], ...params]));

const qvalue = fc.constantFrom('0', '1', '0.5', '0.123', '1.0', '1.000', '0.', '0.7');
const deltaSeconds = fc.oneof(fc.constantFrom(0, 3600, 4294967295), fc.nat()).map(String);

/** One Contact address: contact-params (q, expires) and extensions. */
export const contactAddr: fc.Arbitrary<NameAddr> = fc
  .record({
    dn: displayName,
    uri,
    q: fc.option(qvalue, { nil: undefined }),
    expires: fc.option(deltaSeconds, { nil: undefined }),
    params: genericParams(['q', 'expires']),
  })
  .map(({ dn, uri, q, expires, params }) => {
    const all: Array<[string, string | null]> = [...params];
    if (q !== undefined) all.unshift(['q', q]);
    if (expires !== undefined) all.push(['expires', expires]);
    return nameAddr(dn, uri, all);
  });

/** A Route / Record-Route entry: usually a loose-routing SIP URI. */
export const routeAddr: fc.Arbitrary<NameAddr> = fc
  .record({ dn: fc.option(fc.constantFrom('proxy', 'P1'), { nil: undefined }), uri: fc.oneof({ arbitrary: sipUriText, weight: 3 }, { arbitrary: uriText, weight: 1 }), lr: fc.boolean(), params: genericParams([], 2) })
  .map(({ dn, uri, lr, params }) => {
    const u = parseUri(uri);
    if (lr && u instanceof SipUri && !u.params.has('lr')) u.params.set('lr');
    return nameAddr(dn, u, params);
  });

// ---------------------------------------------------------------------------------------------
// Via

export const transport: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS', 'udp', 'tls-sctp'), weight: 4 },
  { arbitrary: token, weight: 1 },
);

export const branch: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: token.map((t) => 'z9hG4bK' + t), weight: 3 },
  { arbitrary: token, weight: 1 },
);

/** Via params in some order: branch, received, rport (with/without value), maddr, ttl, extensions. */
const viaParams: fc.Arbitrary<Array<[string, string | null]>> = fc
  .record({
    branch: fc.option(branch, { nil: undefined }),
    received: fc.option(fc.oneof(ipv4, ipv6, ipv6.map((a) => `[${a}]`)), { nil: undefined }),
    rport: fc.option(fc.option(port.map(String), { nil: null }), { nil: undefined }),
    maddr: fc.option(fc.oneof(hostname, ipv4, ipv6.map((a) => `[${a}]`)), { nil: undefined }),
    ttl: fc.option(fc.integer({ min: 0, max: 255 }).map(String), { nil: undefined }),
    ext: genericParams(['branch', 'received', 'rport', 'maddr', 'ttl']),
  })
  .chain(({ branch, received, rport, maddr, ttl, ext }) => {
    const list: Array<[string, string | null]> = [...ext];
    if (branch !== undefined) list.push(['branch', branch]);
    if (received !== undefined) list.push(['received', received]);
    if (rport !== undefined) list.push(['rport', rport]);
    if (maddr !== undefined) list.push(['maddr', maddr]);
    if (ttl !== undefined) list.push(['ttl', ttl]);
    return fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length });
  });

export const via: fc.Arbitrary<Via> = fc
  .record({
    protocolName: fc.oneof({ arbitrary: fc.constant('SIP'), weight: 6 }, { arbitrary: token, weight: 1 }),
    protocolVersion: fc.oneof({ arbitrary: fc.constant('2.0'), weight: 6 }, { arbitrary: token, weight: 1 }),
    transport,
    host: fc.oneof({ arbitrary: hostname, weight: 3 }, { arbitrary: ipv4, weight: 2 }, { arbitrary: ipv6, weight: 1 }, { arbitrary: ipv6.map((a) => `[${a}]`), weight: 1 }),
    port: fc.option(port, { nil: undefined }),
    params: viaParams,
  })
  .map(({ protocolName, protocolVersion, transport, host, port, params }) => {
    const v = new Via({ protocolName, protocolVersion, transport, host, port });
    for (const [k, val] of params) v.params.set(k, val);
    return v;
  });

// ---------------------------------------------------------------------------------------------
// Other header values

export const method: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'), weight: 3 },
  { arbitrary: token, weight: 1 },
);

/** callid = word [ "@" word ] */
export const callId: fc.Arbitrary<string> = fc
  .tuple(stringOf(WORD_CHARS, 1, 16), fc.option(stringOf(WORD_CHARS, 1, 12), { nil: undefined }))
  .map(([a, b]) => (b === undefined ? a : `${a}@${b}`));

export const cseqNumber: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(0, 1, 4294967295), fc.integer({ min: 0, max: 4294967295 }));
export const maxForwards: fc.Arbitrary<number> = fc.integer({ min: 0, max: 255 });

/** SIP-Version: upper case nearly always, but the string is case-insensitive (RFC 3261 §7.1). */
export const sipVersion: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('SIP/2.0'), weight: 12 },
  { arbitrary: fc.constantFrom('sip/2.0', 'Sip/2.0', 'SIP/3.1', 'SIP/10.25'), weight: 1 },
);

/** Reason-Phrase: reserved / unreserved / escaped / UTF-8 / SP / HTAB; may be empty. */
export const reasonText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('OK', 'Ringing', 'Not Found', '', 'Très bien', 'Session Progress '), weight: 1 },
  { arbitrary: printableText(24), weight: 3 },
);

/** media-type = m-type SLASH m-subtype *( SEMI m-parameter ) */
export const contentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('application/sdp', 'text/plain;charset=utf-8', 'message/sipfrag', 'multipart/mixed;boundary="unique-boundary-1"'),
  fc
    .tuple(token, token, fc.array(fc.tuple(token, fc.oneof(token, quotableText(8).map(quote))), { maxLength: 2 }))
    .map(([t, s, ps]) => `${t}/${s}` + ps.map(([n, v]) => `;${n}=${v}`).join('')),
);

/** Keys whose values the parser types or validates: unknown-header generators avoid them. */
export const TYPED_KEYS = new Set([
  'via', 'from', 'to', 'contact', 'route', 'record-route', 'call-id', 'cseq', 'max-forwards', 'content-length',
  'expires', 'min-expires', 'retry-after', 'warning', 'content-type',
]);

/** An extension header name (any token the parser does not type). */
export const extensionName: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('X-Custom', 'Subject', 'User-Agent', 'Server', 'P-Charging-Vector', 'x-weird.name', 'Organization'), weight: 1 },
  { arbitrary: token.filter((n) => !TYPED_KEYS.has(headerKey(n))), weight: 2 },
  // valid tokens that are also names of Object.prototype members, a classic lookup-table pitfall
  { arbitrary: fc.constantFrom('constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'), weight: 1 },
);

/** A printable extension-header value: no leading/trailing whitespace (which the parser trims). */
export const extensionValue: fc.Arbitrary<string> = printableText(40).map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''));

export const extensionHeader: fc.Arbitrary<[string, string]> = fc.tuple(extensionName, extensionValue);

/** Known headers with their own grammar, given as [name, value]. */
const otherKnownHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constantFrom('Expires', 'expires', 'Min-Expires'), deltaSeconds),
  fc.tuple(fc.constantFrom('Allow', 'allow'), fc.array(method, { minLength: 1, maxLength: 5 }).map((a) => a.join(', '))),
  fc.tuple(fc.constantFrom('Supported', 'k', 'Require'), fc.array(token, { minLength: 1, maxLength: 4 }).map((a) => a.join(', '))),
  fc.tuple(
    fc.constant('Warning'),
    fc.tuple(fc.integer({ min: 300, max: 399 }), fc.oneof(hostname, token), quotableText(12)).map(([c, a, t]) => `${c} ${a} ${quote(t)}`),
  ),
  fc.tuple(fc.constant('Retry-After'), fc.tuple(fc.nat(), fc.boolean()).map(([n, c]) => (c ? `${n} (back soon)` : String(n)))),
);

export const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.constant(new Uint8Array(0)), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 2 },
  { arbitrary: fc.constantFrom('v=0\r\no=- 0 0 IN IP4 192.0.2.1\r\ns=-\r\n\r\nc=IN IP4 192.0.2.1\r\n').map((s) => new Uint8Array(Buffer.from(s))), weight: 1 },
);

/** Splits `list` into consecutive non-empty chunks according to `cuts` (one boolean per gap). */
export function chunk<T>(list: readonly T[], cuts: readonly boolean[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  list.forEach((x, i) => {
    if (i > 0 && cuts[i - 1] === true) {
      out.push(cur);
      cur = [];
    }
    cur.push(x);
  });
  if (cur.length > 0) out.push(cur);
  return out;
}

const cuts = fc.array(fc.boolean(), { maxLength: 4 });

/**
 * Attaches a readable rendering for fast-check counterexample reports: the start line, the header
 * lines as set (names as given, before the serializer canonicalizes them) and the serialized text.
 */
function printable<T extends SipRequest | SipResponse>(msg: T): T {
  const describe = (): string => {
    const start = msg instanceof SipRequest ? `${msg.method} ${String(msg.uri)}` : `${msg.status} ${JSON.stringify(msg.reason)}`;
    const headers = JSON.stringify(msg.headerFields().map((f) => [f.name, f.value]));
    let wire: string;
    try {
      wire = JSON.stringify(Buffer.from(serializeMessage(msg)).toString('utf8'));
    } catch (err) {
      wire = `<serializeMessage threw ${String(err)}>`;
    }
    return `message(${start} ${msg.version}; headers ${headers}; body ${msg.body.byteLength} bytes; wire ${wire})`;
  };
  Object.defineProperty(msg, fc.toStringMethod, { value: describe, enumerable: false });
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Whole messages

/** A request built with createRequest, plus split Via/Route/Record-Route lines and extension headers. */
export const request: fc.Arbitrary<SipRequest> = fc
  .record({
    method,
    uri,
    version: sipVersion,
    from: fromTo,
    to: fromTo,
    callId,
    cseq: cseqNumber,
    maxForwards,
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    viaCuts: cuts,
    viaName: fc.constantFrom('Via', 'v', 'VIA', 'via'),
    contacts: fc.option(fc.oneof({ arbitrary: fc.array(contactAddr, { minLength: 1, maxLength: 3 }), weight: 5 }, { arbitrary: fc.constant('*' as const), weight: 1 }), { nil: undefined }),
    routes: fc.array(routeAddr, { maxLength: 3 }),
    routeCuts: cuts,
    recordRoutes: fc.array(routeAddr, { maxLength: 2 }),
    extensions: fc.array(fc.oneof(extensionHeader, otherKnownHeader), { maxLength: 4 }),
    body,
    contentType,
  })
  .map((r) => {
    const req = createRequest({
      method: r.method,
      uri: r.uri,
      from: r.from,
      to: r.to,
      callId: r.callId,
      cseq: r.cseq,
      maxForwards: r.maxForwards,
      headers: r.extensions,
      ...(r.body.byteLength > 0 ? { body: r.body, contentType: r.contentType } : {}),
    });
    req.version = r.version;
    for (const group of chunk(r.vias, r.viaCuts)) req.prependHeader(r.viaName, group);
    if (r.contacts === '*') req.addHeader('m', '*');
    else if (r.contacts !== undefined) req.addHeader('Contact', r.contacts);
    for (const group of chunk(r.routes, r.routeCuts)) req.addHeader('Route', group);
    for (const rr of r.recordRoutes) req.addHeader('Record-Route', rr);
    return printable(req);
  });

/** A response built with createResponse from a generated request. */
export const response: fc.Arbitrary<SipResponse> = fc
  .record({
    request,
    status: fc.oneof(fc.constantFrom(100, 180, 183, 200, 302, 401, 486, 699), fc.integer({ min: 100, max: 699 })),
    reason: fc.option(reasonText, { nil: undefined }),
    version: sipVersion,
    toTag: fc.option(token, { nil: undefined }),
    contacts: fc.array(contactAddr, { maxLength: 2 }),
    recordRoutes: fc.array(routeAddr, { maxLength: 2 }),
    extensions: fc.array(fc.oneof(extensionHeader, otherKnownHeader), { maxLength: 4 }),
    body,
    contentType,
  })
  .map((r) => {
    const res = createResponse(r.request, r.status, r.reason, {
      ...(r.toTag === undefined ? {} : { toTag: r.toTag }),
      headers: r.extensions,
      ...(r.body.byteLength > 0 ? { body: r.body, contentType: r.contentType } : {}),
    });
    res.version = r.version;
    if (r.contacts.length > 0) res.addHeader('Contact', r.contacts);
    for (const rr of r.recordRoutes) res.prependHeader('Record-Route', rr);
    return printable(res);
  });

/** Any header as [name as written, value], for building messages header by header. */
const anyHeader: fc.Arbitrary<[string, HeaderValue | readonly HeaderValue[]]> = fc.oneof(
  fc.tuple(fc.constantFrom('Via', 'v', 'vIA'), fc.array(via, { minLength: 1, maxLength: 3 })),
  fc.tuple(fc.constantFrom('From', 'f', 'To', 't', 'TO'), fromTo),
  fc.tuple(fc.constantFrom('Contact', 'm'), fc.oneof(fc.array(contactAddr, { minLength: 1, maxLength: 3 }), fc.constant('*'))),
  fc.tuple(fc.constantFrom('Route', 'Record-Route', 'record-route'), fc.array(routeAddr, { minLength: 1, maxLength: 3 })),
  fc.tuple(fc.constantFrom('Call-ID', 'i', 'call-id'), callId),
  fc.tuple(fc.constantFrom('CSeq', 'cseq'), fc.tuple(cseqNumber, method).map(([n, m]) => new CSeq(n, m))),
  fc.tuple(fc.constantFrom('Max-Forwards', 'max-forwards'), maxForwards.map(String)),
  fc.tuple(fc.constantFrom('Content-Type', 'c'), contentType),
  otherKnownHeader,
  extensionHeader,
);

/** A message assembled with new SipRequest / new SipResponse and add/set/prependHeader in any order. */
export const assembled: fc.Arbitrary<SipRequest | SipResponse> = fc
  .record({
    start: fc.oneof(
      fc.record({ kind: fc.constant('request' as const), method, uri }),
      fc.record({ kind: fc.constant('response' as const), status: fc.integer({ min: 100, max: 699 }), reason: reasonText }),
    ),
    version: sipVersion,
    ops: fc.array(fc.tuple(fc.constantFrom('add', 'add', 'set', 'prepend'), anyHeader), { maxLength: 14 }),
    body,
  })
  .map(({ start, version, ops, body }) => {
    const msg = start.kind === 'request' ? new SipRequest(start.method, start.uri) : new SipResponse(start.status, start.reason);
    msg.version = version;
    for (const [op, [name, value]] of ops) {
      if (op === 'add') msg.addHeader(name, value);
      else if (op === 'set') msg.setHeader(name, value);
      else msg.prependHeader(name, value);
    }
    msg.body = body;
    return printable(msg);
  });

/** Any valid message. */
export const message: fc.Arbitrary<SipRequest | SipResponse> = fc.oneof(request, response, assembled);

/** A small seeded PRNG (mulberry32): reproducible choices from one seed. */
export { mulberry32 as prng } from '../../src/sip/transport/memory-network.js';
