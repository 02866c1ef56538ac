// Plain-data views of parsed values, so properties can compare messages field by field with
// `expect(...).toEqual(...)` and get a readable diff when they differ.

import {
  canonicalHeaderName,
  type Contact,
  headerKey,
  type NameAddr,
  type Params,
  type SipMessage,
  SipRequest,
  SipResponse,
  SipUri,
  type Uri,
  type Via,
} from '../../src/sip/parser/index.js';

export const paramsSnap = (p: Params): Array<{ name: string; value: string | null; raw: string }> =>
  p.entries().map(({ name, value, raw }) => ({ name, value, raw }));

export function uriSnap(u: Uri): unknown {
  if (u instanceof SipUri) {
    return {
      text: String(u),
      scheme: u.scheme,
      user: u.user,
      password: u.password,
      host: u.host,
      hostType: u.hostType,
      port: u.port,
      params: paramsSnap(u.params),
      headers: paramsSnap(u.headers),
    };
  }
  return { text: String(u), scheme: u.scheme };
}

export const viaSnap = (v: Via): unknown => ({
  protocolName: v.protocolName,
  protocolVersion: v.protocolVersion,
  transport: v.transport,
  host: v.host,
  port: v.port,
  branch: v.branch,
  received: v.received,
  rport: v.rport,
  maddr: v.maddr,
  ttl: v.ttl,
  params: paramsSnap(v.params),
});

export const nameAddrSnap = (n: NameAddr | undefined): unknown =>
  n === undefined ? undefined : { displayName: n.displayName, uri: uriSnap(n.uri), tag: n.tag, params: paramsSnap(n.params) };

export const contactSnap = (c: Contact): unknown => (c.wildcard ? '*' : nameAddrSnap(c));

/** Everything the typed accessors expose (no header spellings, no raw text of typed headers). */
export function typedSnap(m: SipMessage): Record<string, unknown> {
  return {
    callId: m.callId,
    cseq: m.cseq === undefined ? undefined : { seq: m.cseq.seq, method: m.cseq.method },
    vias: m.vias.map(viaSnap),
    from: nameAddrSnap(m.from),
    to: nameAddrSnap(m.to),
    contacts: m.contacts.map(contactSnap),
    routes: m.routes.map(nameAddrSnap),
    recordRoutes: m.recordRoutes.map(nameAddrSnap),
    maxForwards: m.maxForwards,
    expires: m.expires,
    contentType: m.contentType,
    allow: m.headers('Allow'),
    supported: m.headers('Supported'),
  };
}

/**
 * A full field-by-field view of a message. Header names are compared in their canonical spelling
 * (the serializer writes `Via` for `v`); Content-Length is left out because the serializer always
 * writes the body's real length (properties check it apart).
 */
export function messageSnap(m: SipMessage): Record<string, unknown> {
  const start =
    m instanceof SipRequest
      ? { kind: 'request', method: m.method, uri: uriSnap(m.uri) }
      : m instanceof SipResponse
        ? { kind: 'response', status: m.status, reason: m.reason }
        : { kind: 'unknown' };
  return {
    ...start,
    version: m.version,
    ...typedSnap(m),
    fields: m
      .headerFields()
      .filter((f) => headerKey(f.name) !== 'content-length')
      .map((f) => ({ key: headerKey(f.name), name: canonicalHeaderName(f.name), value: f.value })),
    body: Buffer.from(m.body).toString('hex'),
  };
}

/**
 * The same view with parameter names lower-cased and the raw parameter text dropped, for
 * comparisons where only the case of parameter names differs.
 */
export function caseless(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(caseless);
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 3 && 'name' in o && 'value' in o && 'raw' in o) return { name: String(o.name).toLowerCase(), value: o.value };
    return Object.fromEntries(keys.map((k) => [k, caseless(o[k])]));
  }
  return x;
}
