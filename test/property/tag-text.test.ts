// tagOfText reads a From/To tag (uriTextOfText its URI) from the value's text without parsing it:
// whatever text the parser accepts, it gives what the parsed value has, or says it cannot tell (null)
// and the value is parsed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NameAddr, tagOfText, uriTextOfText } from '../../src/sip/parser/name-addr.js';
import { fromTo, sipUriText, token } from './arbitraries.js';

const ws = fc.constantFrom('', '', ' ', '  ', '\t');
const caseOf = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

/** One header parameter as written: a tag (any case, spaced, with or without a value) or another. */
const param: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(ws, caseOf('tag'), ws, ws, token).map(([a, n, b, c, v]) => `${a};${b}${n}${a}=${c}${v}`),
  fc.tuple(ws, caseOf('tag')).map(([a, n]) => `${a};${n}`),
  fc.tuple(ws, fc.constantFrom('tags', 'xtag', 'ta', 'tag-x', 'expires', 'q'), token).map(([a, n, v]) => `${a};${n}=${v}`),
  fc.tuple(ws, token).map(([a, v]) => `;tag=${a}"${v}"`),
  token.map((v) => `;x=[2001:db8::${v.length}]`),
);

/** The address part: addr-spec, <uri> with or without a display name (plain or quoted, with `>` and `;tag=` inside). */
const address: fc.Arbitrary<string> = fc.oneof(
  sipUriText,
  sipUriText.map((u) => `<${u}>`),
  fc.tuple(token, sipUriText).map(([d, u]) => `${d} <${u}>`),
  fc.tuple(fc.constantFrom('"A>b;tag=x"', '"Bob"', '"<sip:x@y>;tag=1"', '"A \\"<b>;tag=q"', '"\\\\"', ' "Zoë"'), sipUriText).map(([d, u]) => `${d} <${u}>`),
  fc.tuple(sipUriText, token).map(([u, t]) => `<${u};tag=${t}>`),
);

const text: fc.Arbitrary<string> = fc.tuple(address, fc.array(param, { maxLength: 4 })).map(([a, ps]) => a + ps.join(''));

/**
 * For every text the parser accepts, a quick reading gives what the parsed value has, or null (it
 * cannot tell); many are told without a parse (not a reading that says null to everything: the
 * texts made here are full of flags and quotes, which it leaves to the parser).
 */
function agreesWithParser<T>(quick: (text: string) => T | null, fromValue: (value: NameAddr) => T): void {
  let told = 0;
  let accepted = 0;
  fc.assert(
    fc.property(text, (t) => {
      let value: NameAddr;
      try {
        value = NameAddr.parse(t);
      } catch {
        return;
      }
      accepted++;
      const read = quick(t);
      if (read === null) return;
      told++;
      expect(read).toBe(fromValue(value));
    }),
    { numRuns: 3000 },
  );
  expect(accepted).toBeGreaterThan(1000);
  expect(told / accepted).toBeGreaterThan(0.2);
}

/** The same for the values the stack writes itself. */
function agreesWithWritten<T>(quick: (text: string) => T | null, fromValue: (value: NameAddr) => T): void {
  fc.assert(
    fc.property(fromTo, (value) => {
      const read = quick(String(value));
      if (read !== null) expect(read).toBe(fromValue(value));
    }),
    { numRuns: 1000 },
  );
}

describe('tagOfText', () => {
  it("gives the parsed value's tag, or null, for any text the parser accepts", () => {
    agreesWithParser(tagOfText, (v) => v.tag);
  });

  it('agrees with the values the stack writes', () => {
    agreesWithWritten(tagOfText, (v) => v.tag);
  });

  it('tells the usual forms, and leaves the doubtful ones to the parser', () => {
    expect(tagOfText('<sip:bob@b.example.com>;tag=a6c85cf')).toBe('a6c85cf');
    expect(tagOfText('Bob <sip:bob@b.example.com> ; TAG = a6c85cf ;x=1')).toBe('a6c85cf');
    expect(tagOfText('sip:bob@b.example.com;tag=1928301774')).toBe('1928301774');
    expect(tagOfText('<sip:bob@b.example.com;tag=uri-param>')).toBeUndefined();
    expect(tagOfText('<sip:bob@b.example.com>;tags=1;xtag=2')).toBeUndefined();
    expect(tagOfText('sip:bob@b.example.com')).toBeUndefined();
    // A quoted display name that opens the text is skipped, escaped quotes and all; a quote elsewhere is left to the parser.
    expect(tagOfText('"A;tag=x" <sip:bob@b.example.com>')).toBeUndefined();
    expect(tagOfText(' "A \\" >;tag=x" <sip:bob@b.example.com>;tag=real')).toBe('real');
    expect(tagOfText('"alice" <sip:100@127.0.0.1>;tag=9f8e')).toBe('9f8e');
    expect(tagOfText('"A" <sip:bob@b.example.com>;x="q";tag=1')).toBeNull();
    expect(tagOfText('Bob <sip:bob@b.example.com>;x="q";tag=1')).toBeNull();
    expect(tagOfText('<sip:bob@b.example.com>;tag')).toBeNull();
    expect(tagOfText('<sip:bob@b.example.com>;tag="q"')).toBeNull();
  });
});

describe('uriTextOfText', () => {
  it("gives the parsed value's URI as text, or null, for any text the parser accepts", () => {
    agreesWithParser(uriTextOfText, (v) => String(v.uri));
  });

  it('agrees with the values the stack writes', () => {
    agreesWithWritten(uriTextOfText, (v) => String(v.uri));
  });

  it('cuts the usual forms, and leaves a quoted display name to the parser', () => {
    expect(uriTextOfText('Bob <sip:bob@b.example.com;transport=udp>;tag=a6c85cf')).toBe('sip:bob@b.example.com;transport=udp');
    expect(uriTextOfText('sip:bob@b.example.com ;tag=1928301774')).toBe('sip:bob@b.example.com');
    expect(uriTextOfText('tel:+15551234567')).toBe('tel:+15551234567');
    expect(uriTextOfText('"A <x>" <sip:bob@b.example.com>')).toBe('sip:bob@b.example.com');
    expect(uriTextOfText('"A \\" <x>" <sip:bob@b.example.com>;tag=1')).toBe('sip:bob@b.example.com');
    expect(uriTextOfText('<sip:bob@b.example.com>;x="<sip:no@x>"')).toBeNull();
    // Not a valid value (a display name needs the angle brackets): left to the parser, which refuses it.
    expect(uriTextOfText('"Bob" sip:bob@b.example.com')).toBeNull();
  });
});
