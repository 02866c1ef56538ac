// Round-trip properties: what the serializer writes, the parser reads back unchanged.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerKey, parseMessage, parseUri, serializeMessage, type SipRequest, type SipResponse } from '../../src/sip/parser/index.js';
import * as arb from './arbitraries.js';
import { messageSnap, uriSnap } from './snapshot.js';

const text = (b: Uint8Array): string => JSON.stringify(Buffer.from(b).toString('utf8'));

function checkRoundTrip(m: SipRequest | SipResponse): void {
  const bytes = serializeMessage(m);
  const parsed = parseMessage(bytes);
  expect(messageSnap(parsed), `wire: ${text(bytes)}`).toEqual(messageSnap(m));
  // The serializer writes Content-Length from the body; the parser reads it back.
  expect(parsed.contentLength).toBe(m.body.byteLength);
  // Raw values of headers without a typed form survive byte for byte, in order.
  const raw = (x: SipRequest | SipResponse) =>
    x.headerFields().filter((f) => !arb.TYPED_KEYS.has(headerKey(f.name))).map((f) => [headerKey(f.name), f.value]);
  expect(raw(parsed)).toEqual(raw(m));
}

describe('parser round trip', { timeout: 30_000 }, () => {
  // Law: String(parseUri(t)) === t for URI text in the form the URI classes write it, and
  // re-parsing the written form gives the same parts.
  it('URI text survives parseUri ∘ toString', () => {
    fc.assert(
      fc.property(arb.uriText, (t) => {
        const u = parseUri(t);
        expect(String(u)).toBe(t);
        expect(uriSnap(parseUri(String(u)))).toEqual(uriSnap(u));
      }),
      { numRuns: 2000 },
    );
  });

  // Law: URIs built from unescaped Unicode parts are written with valid escapes and read back
  // with the same decoded user, password, parameters and headers.
  it('constructed SIP URIs survive toString ∘ parseUri', () => {
    fc.assert(
      fc.property(arb.constructedSipUri, (u) => {
        expect(uriSnap(parseUri(String(u)))).toEqual(uriSnap(u));
      }),
      { numRuns: 1000 },
    );
  });

  // Law: parseMessage(serializeMessage(m)) equals m field by field, for requests made with
  // createRequest (+ split Via/Route lines, extension headers, bodies).
  it('requests: parse ∘ serialize = id', () => {
    fc.assert(fc.property(arb.request, checkRoundTrip), { numRuns: 700 });
  });

  // Law: the same for responses made with createResponse.
  it('responses: parse ∘ serialize = id', () => {
    fc.assert(fc.property(arb.response, checkRoundTrip), { numRuns: 500 });
  });

  // Law: the same for messages assembled header by header with add/set/prependHeader.
  it('assembled messages: parse ∘ serialize = id', () => {
    fc.assert(fc.property(arb.assembled, checkRoundTrip), { numRuns: 800 });
  });

  // Law: serialize ∘ parse ∘ serialize = serialize (the serialized form is a fixpoint).
  it('serialize ∘ parse ∘ serialize = serialize', () => {
    fc.assert(
      fc.property(arb.message, (m) => {
        const once = serializeMessage(m);
        const twice = serializeMessage(parseMessage(once));
        expect(text(twice)).toBe(text(once));
        expect(Buffer.compare(Buffer.from(twice), Buffer.from(once))).toBe(0);
      }),
      { numRuns: 700 },
    );
  });
});
