// SDP properties: whatever arrives, parseSdp returns a SessionDescription or throws an
// SdpParseError (nothing else), and what it returns serializes to a fixpoint of parse ∘ serialize.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIRECTIONS,
  type MediaDescription,
  parseSdp,
  type SdpAttribute,
  type SdpConnection,
  SdpParseError,
  serializeSdp,
  type SessionDescription,
} from '../../src/sdp/index.js';
import { ALL_FIXTURES } from '../sdp/fixtures.js';
import { ALNUM, DIGIT, nonAsciiChar, stringOf } from './arbitraries.js';

/** RFC 4566 token characters. */
const TOKEN_CHARS = ALNUM + "!#$%&'*+-.^_`{|}~";
const lines = (s: string): number => s.split('\n').length;

/**
 * Parses and checks the contract: a SessionDescription, or an SdpParseError with a reason and a
 * line number inside the input (or just past it), never a fallback for an unexpected exception.
 */
function parseChecked(input: string | Uint8Array): SessionDescription | undefined {
  try {
    return parseSdp(input);
  } catch (err) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    if (!(err instanceof SdpParseError)) throw new Error(`parseSdp threw a non-SdpParseError for ${JSON.stringify(text)}`, { cause: err });
    expect(err.name).toBe('SdpParseError');
    expect(err.reason.length).toBeGreaterThan(0);
    expect(err.reason, JSON.stringify(text)).not.toMatch(/^unparseable/);
    expect(Number.isInteger(err.line)).toBe(true);
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.line, `${err.message} for ${JSON.stringify(text)}`).toBeLessThanOrEqual(lines(text) + 1);
    return undefined;
  }
}

/** serialize ∘ parse is a fixpoint: writing what was read, then reading and writing again, changes nothing. */
function checkFixpoint(sd: SessionDescription): void {
  const once = serializeSdp(sd);
  const again = parseSdp(once);
  expect(again).toEqual(sd);
  expect(serializeSdp(again)).toBe(once);
}

// ---------------------------------------------------------------------------------------------
// Valid session descriptions

const token = stringOf(TOKEN_CHARS, 1, 8);
const wordChar = fc.oneof({ arbitrary: fc.constantFrom(...(TOKEN_CHARS + ':/[]@<>"()=,;?').split('')), weight: 10 }, { arbitrary: nonAsciiChar, weight: 1 });
const word = fc.string({ unit: wordChar, minLength: 1, maxLength: 10 });
const wordNoSlash = word.map((w) => w.replace(/\//g, '_'));
const textChar = fc.oneof({ arbitrary: fc.constantFrom(...(ALNUM + ' \t:=/-.;,#*').split('')), weight: 10 }, { arbitrary: nonAsciiChar, weight: 1 });
/** Free text for s= and i=: anything but CR, LF and NUL, leading and trailing whitespace included. */
const freeText = fc.string({ unit: textChar, maxLength: 20 });
/** A value the parser reads back unchanged elsewhere: no trailing whitespace. */
const value = freeText.map((s) => s.replace(/[ \t]+$/, ''));
const digits = stringOf(DIGIT, 1, 25);
const int = (max: number) => fc.integer({ min: 0, max });

const connection: fc.Arbitrary<SdpConnection> = fc.oneof(
  fc.record({ netType: fc.constant('IN'), addrType: fc.constant('IP4'), address: wordNoSlash }),
  fc.record({ netType: fc.constant('IN'), addrType: fc.constant('IP4'), address: wordNoSlash, ttl: int(255) }),
  fc.record({ netType: fc.constant('IN'), addrType: fc.constant('IP4'), address: wordNoSlash, ttl: int(255), addressCount: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ netType: token, addrType: fc.constant('IP6'), address: wordNoSlash }, { requiredKeys: ['netType', 'addrType', 'address'] }),
  fc.record({ netType: token, addrType: fc.constant('IP6'), address: wordNoSlash, addressCount: fc.integer({ min: 1, max: 99 }) }),
  fc.record({ netType: token, addrType: token.filter((t) => !['IP4', 'IP6'].includes(t.toUpperCase())), address: wordNoSlash }),
);
const bandwidth = fc.record({ type: token, value: int(1e12) });
const otherLine = fc.record({ type: fc.constantFrom(...'dfghjlnqwxyABZ'.split('')), value });

const attribute: fc.Arbitrary<SdpAttribute> = fc.oneof(
  fc.record(
    { kind: fc.constant('rtpmap' as const), payloadType: int(127), encodingName: wordNoSlash, clockRate: fc.integer({ min: 1, max: 1e8 }), channels: fc.integer({ min: 1, max: 8 }) },
    { requiredKeys: ['kind', 'payloadType', 'encodingName', 'clockRate'] },
  ),
  fc.record({ kind: fc.constant('fmtp' as const), format: word, parameters: value.map((s) => s.replace(/^[ \t]+/, '')) }),
  fc.record({ kind: fc.constant('ptime' as const), ptime: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 99999 }).map((n) => n / 8)) }),
  fc.record({ kind: fc.constant('direction' as const), direction: fc.constantFrom(...DIRECTIONS) }),
  fc.record({ kind: fc.constant('generic' as const), name: token.filter((n) => !['rtpmap', 'fmtp', 'ptime', ...DIRECTIONS].includes(n)) }),
  fc.record({ kind: fc.constant('generic' as const), name: token.filter((n) => !['rtpmap', 'fmtp', 'ptime'].includes(n)), value }),
);

const media: fc.Arbitrary<MediaDescription> = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom('audio', 'video', 'image', 'application'), token),
      port: fc.oneof(int(65535), fc.constant(0)),
      portCount: fc.integer({ min: 1, max: 9 }),
      rtp: fc.boolean(),
      protocol: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'rtp/avpf'),
      other: fc.oneof(fc.constantFrom('udptl', 'TCP/MSRP', 'udp'), token),
      pts: fc.array(int(127), { maxLength: 6 }),
      tokens: fc.array(token, { maxLength: 4 }),
      information: freeText,
      connections: fc.array(connection, { maxLength: 2 }),
      bandwidths: fc.array(bandwidth, { maxLength: 2 }),
      key: value,
      attributes: fc.array(attribute, { maxLength: 8 }),
      otherLines: fc.array(otherLine, { maxLength: 2 }),
    },
    { requiredKeys: ['type', 'port', 'rtp', 'protocol', 'other', 'pts', 'tokens', 'connections', 'bandwidths', 'attributes', 'otherLines'] },
  )
  .filter((m) => !/(?:^|\/)RTP(?:\/|$)/i.test(m.other))
  .map(({ rtp, protocol, other, pts, tokens, ...m }) => {
    const formats = rtp ? pts.map(String) : tokens;
    return { ...m, protocol: rtp ? protocol : other, formats: formats.length === 0 && m.port !== 0 ? ['0'] : formats };
  });

const sessionDescription: fc.Arbitrary<SessionDescription> = fc.record(
  {
    version: fc.constant(0 as const),
    origin: fc.record({ username: word, sessionId: digits, sessionVersion: digits, netType: token, addrType: fc.constantFrom('IP4', 'IP6'), address: word }),
    sessionName: freeText,
    information: freeText,
    uri: value,
    emails: fc.array(value, { maxLength: 2 }),
    phones: fc.array(value, { maxLength: 2 }),
    connection,
    bandwidths: fc.array(bandwidth, { maxLength: 2 }),
    timing: fc.array(fc.record({ start: int(2 ** 40), stop: int(2 ** 40), repeats: fc.array(value, { maxLength: 2 }) }), { minLength: 1, maxLength: 3 }),
    timeZones: value,
    key: value,
    attributes: fc.array(attribute, { maxLength: 6 }),
    otherLines: fc.array(otherLine, { maxLength: 2 }),
    media: fc.array(media, { maxLength: 4 }),
  },
  { requiredKeys: ['version', 'origin', 'sessionName', 'emails', 'phones', 'bandwidths', 'timing', 'attributes', 'otherLines', 'media'] },
);

// ---------------------------------------------------------------------------------------------
// Mutations of valid text

type Mutation =
  | { kind: 'delete-line' | 'duplicate-line' | 'swap-lines' | 'truncate' | 'strip-cr'; at: number; to: number }
  | { kind: 'insert' | 'replace-line'; at: number; text: string }
  | { kind: 'delete-chars'; at: number; count: number };

/** Text worth inserting: delimiters, line breaks, NUL, huge numbers, stray lines. */
const SPECIAL = [
  '\r', '\n', '\r\n', '\0', ' ', '\t', '/', ':', '=', '-', '0', '9', '99999999999999999999', '65536', '128', 'x', 'é', '\u{1F600}', '\uFEFF',
  'a=', 'm=', 'c=', 't=', 'v=0', 'o=', 's=', 'r=', 'z=', 'k=', 'b=AS:', 'a=rtpmap:', 'a=fmtp:', 'a=ptime:', 'a=sendonly', 'IN IP4 ', 'IN IP6 ', 'RTP/AVP',
];
const LINES = [
  'v=0', 'v=1', 'o=- 1 1 IN IP4 h', 'o=- 1', 's=', 's= ', 'c=IN IP4 0.0.0.0', 'c=IN IP4 224.0.0.1/300', 'c=IN IP6 ff::1/2/3', 't=0 0', 't=0', 'r=1 2',
  'm=audio 0 RTP/AVP', 'm=audio 70000 RTP/AVP 0', 'm=audio 1/0 RTP/AVP 0', 'm=video 1 RTP/AVP 200', 'm=image 1 udptl t38', 'a=rtpmap:96 x/0',
  'a=rtpmap:96 PCMU/8000/2', 'a=fmtp:', 'a=ptime:0.0001', 'a=ptime:1e3', 'a=:', 'a=x:', 'y=unknown', 'b=AS:1e3', 'z=1 -1h', 'k=prompt', 'i=',
];
const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete-line' as const, 'duplicate-line' as const, 'swap-lines' as const, 'truncate' as const, 'strip-cr' as const), at, to: at }),
  fc.record({ kind: fc.constant('insert' as const), at, text: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 3 })) }),
  fc.record({ kind: fc.constant('replace-line' as const), at, text: fc.constantFrom(...LINES) }),
  fc.record({ kind: fc.constant('delete-chars' as const), at, count: fc.integer({ min: 1, max: 6 }) }),
);

function applyMutation(text: string, m: Mutation): string {
  const chars = Array.from(text);
  const i = Math.floor(m.at * (chars.length + 1));
  const ls = text.split('\n');
  const li = Math.floor(m.at * ls.length);
  switch (m.kind) {
    case 'insert':
      return [...chars.slice(0, i), m.text, ...chars.slice(i)].join('');
    case 'delete-chars':
      return [...chars.slice(0, i), ...chars.slice(i + m.count)].join('');
    case 'truncate':
      return chars.slice(0, i).join('');
    case 'strip-cr':
      return text.replace(/\r/g, '');
    case 'delete-line':
      return [...ls.slice(0, li), ...ls.slice(li + 1)].join('\n');
    case 'duplicate-line':
      return [...ls.slice(0, li + 1), ...ls.slice(li)].join('\n');
    case 'replace-line':
      return [...ls.slice(0, li), m.text + '\r', ...ls.slice(li + 1)].join('\n');
    case 'swap-lines': {
      const lj = Math.floor(m.to * ls.length);
      const copy = [...ls];
      [copy[li], copy[lj]] = [ls[lj] ?? '', ls[li] ?? ''];
      return copy.join('\n');
    }
  }
}

const validText: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...Object.values(ALL_FIXTURES)), sessionDescription.map(serializeSdp));

/** Random text from SDP fragments: reaches the line parsers more often than noise. */
const soup: fc.Arbitrary<string> = fc.array(fc.oneof(fc.constantFrom(...SPECIAL), fc.constantFrom(...LINES.map((l) => l + '\r\n'))), { maxLength: 40 }).map((p) => p.join(''));

describe('SDP properties', { timeout: 60_000 }, () => {
  // Law: parse(serialize(sd)) equals sd for any valid description, and writing it again gives
  // the same text.
  it('valid descriptions survive serialize then parse', () => {
    fc.assert(
      fc.property(sessionDescription, (sd) => {
        const text = serializeSdp(sd);
        const parsed = parseSdp(text);
        expect(parsed).toEqual(sd);
        expect(serializeSdp(parsed)).toBe(text);
      }),
      { numRuns: 1500 },
    );
  });

  // Law: for any string (or bytes), parseSdp returns a description or throws SdpParseError.
  it('arbitrary strings, bytes and SDP-fragment soup', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), soup), (input) => {
        const sd = parseChecked(input);
        if (sd !== undefined) checkFixpoint(sd);
      }),
      { numRuns: 4000 },
    );
  });

  // Law: valid descriptions with lines deleted, duplicated, swapped or replaced, characters
  // inserted (CR, LF, NUL, delimiters, huge numbers) or deleted, or cut short, still only ever
  // parse or throw SdpParseError; and whatever parses is a fixpoint of parse ∘ serialize.
  it('mutated valid descriptions', () => {
    fc.assert(
      fc.property(validText, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, mutations) => {
        const mutated = mutations.reduce(applyMutation, text);
        const sd = parseChecked(mutated);
        if (sd !== undefined) checkFixpoint(sd);
        const bytes = parseChecked(new TextEncoder().encode(mutated));
        expect(bytes === undefined).toBe(sd === undefined);
      }),
      { numRuns: 4000 },
    );
  });

  // Law: what real phones vary without changing the meaning — LF-only line ends, trailing
  // whitespace (outside the free text of s= and i=), blank lines — parses to the same description.
  it('formatting noise does not change the meaning', () => {
    const noise = fc.array(fc.record({ lf: fc.boolean(), pad: fc.constantFrom('', '', ' ', '\t', ' \t '), blank: fc.constantFrom('', '', '\r\n', '\n', ' \r\n') }), {
      minLength: 60,
      maxLength: 60,
    });
    fc.assert(
      fc.property(validText, noise, (text, n) => {
        const noisy = text
          .split('\r\n')
          .slice(0, -1)
          .map((line, i) => {
            const { lf, pad, blank } = n[i % n.length]!;
            return blank + line + (/^[si]=/.test(line) ? '' : pad) + (lf ? '\n' : '\r\n');
          })
          .join('');
        expect(parseSdp(noisy)).toEqual(parseSdp(text));
      }),
      { numRuns: 1000 },
    );
  });

  // Law: every prefix of a valid description parses or throws SdpParseError.
  it('truncation at every position', () => {
    fc.assert(
      fc.property(validText, (text) => {
        for (let n = 0; n <= text.length; n++) {
          const sd = parseChecked(text.slice(0, n));
          if (sd !== undefined) checkFixpoint(sd);
        }
      }),
      { numRuns: 40 },
    );
  });
});
