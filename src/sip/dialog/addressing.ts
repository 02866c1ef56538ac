// How a UserAgent names itself and its targets: the Contact it advertises, target and proxy URIs,
// and requests outside any dialog (RFC 3261 §8.1.1, §8.1.2).

import { networkInterfaces } from 'node:os';
import type { SipRequest } from '../parser/message.js';
import { NameAddr } from '../parser/name-addr.js';
import { createMadeRequest, type HeaderInit } from '../parser/serialize.js';
import { parseUri, SipUri, type Uri } from '../parser/uri.js';
import { newTag } from '../transaction/tags.js';
import { headerPairs } from './dialog.js';

/** Who the user agent is: the user part of From and Contact, a display name, the From domain. */
export interface UserAgentIdentity {
  /** User part of our From and Contact URIs, e.g. `alice`. */
  user: string;
  /** Display name in From. */
  displayName?: string;
  /** Host part of our From URI; our contact address when left out. */
  domain?: string;
}

/** A target given by the application: a URI, with or without `<>`. @throws TypeError when it is not one. */
export function parseTarget(target: string): Uri {
  const text = target.trim();
  try {
    return parseUri(text.startsWith('<') && text.endsWith('>') ? text.slice(1, -1) : text);
  } catch (err) {
    throw new TypeError(`invalid target URI ${JSON.stringify(target)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The outbound proxy as a loose route (RFC 3261 §8.1.2): `lr` added if missing. */
export function proxyUri(proxy: string): Uri {
  const uri = parseTarget(proxy);
  if (uri instanceof SipUri && !uri.params.has('lr')) uri.params.set('lr');
  return uri;
}

/** The address to advertise for a socket bound to `address`: itself, or for a wildcard bind the first external IPv4 address. */
export function advertisedHost(address: string): string {
  if (address !== '0.0.0.0' && address !== '::') return address;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return '127.0.0.1';
}

/** Our Contact value, `<sip:user@host:port>`, with the user part %-escaped where RFC 3261 `user` needs it. */
export function contactFor(user: string, hostPort: string): string {
  const escaped = user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return `<sip:${escaped}@${hostPort}>`;
}

/**
 * A request outside any dialog (RFC 3261 §8.1.1): From with our identity and a new tag, To = the
 * target without tag, a new Call-ID (or the one given), CSeq 1, our Contact, and the outbound proxy as a pre-loaded
 * Route (§8.1.2) when there is one. Extra headers follow, as given.
 */
export function outOfDialogRequest(
  identity: UserAgentIdentity,
  contact: string,
  proxy: string | undefined,
  method: string,
  uri: Uri,
  extra: { headers?: HeaderInit; body?: string; contentType?: string; callId?: string },
): SipRequest {
  const { host, from } = addressOf(identity, contact);
  const routes = proxy === undefined ? [] : [`<${String(proxyUri(proxy))}>`];
  // (the target as text, rendered once: the Request-URI and the To are written from it)
  const target = String(uri);
  // (made of checked parts: the From checked once per identity with a new tag (a token), the To
  // the target, which createMadeRequest checks as the Request-URI)
  return createMadeRequest({
    method,
    uri: target,
    from: `${from};tag=${newTag()}`,
    to: `<${target}>`,
    callId: extra.callId ?? `${newTag()}${newTag()}@${host}`,
    cseq: 1,
    contact,
    headers: [...(routes.length > 0 ? [['Route', routes] as const] : []), ...headerPairs(extra.headers)] as HeaderInit,
    ...(extra.body !== undefined ? { body: extra.body } : {}),
    ...(extra.contentType !== undefined ? { contentType: extra.contentType } : {}),
  });
}

interface Addresses {
  readonly contact: string;
  readonly user: string;
  readonly displayName: string | undefined;
  readonly domain: string | undefined;
  /** The Contact URI's host. */
  readonly host: string;
  /** Our From address without a tag. */
  readonly from: string;
}

/** Our contact's host and our From address without a tag, per identity (a user agent's), as last made. */
const addresses = new WeakMap<UserAgentIdentity, Addresses>();

function addressOf(identity: UserAgentIdentity, contact: string): Addresses {
  const known = addresses.get(identity);
  // (the fields are compared: an identity changed in place gets its addresses made again)
  if (known !== undefined && known.contact === contact && known.user === identity.user && known.displayName === identity.displayName && known.domain === identity.domain) {
    return known;
  }
  const host = (NameAddr.parse(contact).uri as SipUri).host;
  const from = new NameAddr({
    ...(identity.displayName !== undefined ? { displayName: identity.displayName } : {}),
    uri: new SipUri({ user: identity.user, host: identity.domain ?? host }),
  });
  const fromText = String(from);
  // Checked once here: each request's From is this text with a new tag (a token), written unparsed.
  NameAddr.parse(fromText);
  const made: Addresses = { contact, user: identity.user, displayName: identity.displayName, domain: identity.domain, host, from: fromText };
  addresses.set(identity, made);
  return made;
}
