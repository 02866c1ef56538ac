// Where a request goes (RFC 3261 §8.1.2, RFC 3263 §4 in the small): the URI of the first hop
// turned into a UDP endpoint.

import { lookup } from 'node:dns/promises';
import { classifyHost, SipUri, type Uri } from '../parser/uri.js';
import type { Endpoint } from '../transport/transport.js';

/** The URI of a next hop cannot be reached over UDP (wrong scheme, unresolvable host, TLS). */
export class NextHopError extends Error {
  override readonly name = 'NextHopError';
  /** 416 for a URI scheme we cannot send to, 503 when the host does not resolve. */
  readonly code: number;

  constructor(message: string, code: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The UDP endpoint for a next-hop URI: its `maddr` parameter if any, else its host; its port, else
 * 5060. IP literals are used as they are; host names are resolved to an address with the system
 * resolver (A/AAAA — NAPTR and SRV lookups of RFC 3263 are not done, so give a port when the
 * service is not on 5060). `sips:` and `transport=tcp|tls|sctp` are refused: sipflow speaks UDP.
 *
 * @throws NextHopError (rejects) with code 416 for a non-SIP URI, 503 for an unusable host.
 */
export async function resolveNextHop(uri: Uri): Promise<Endpoint> {
  const hop = nextHopLiteral(uri);
  if (hop.kind === 'endpoint') return hop.endpoint;
  try {
    const { address } = await lookup(hop.host);
    return { address, port: hop.port };
  } catch (err) {
    throw new NextHopError(`cannot resolve ${hop.host}: ${err instanceof Error ? err.message : String(err)}`, 503, { cause: err });
  }
}

/** Like {@link resolveNextHop}, without the lookup: an endpoint for IP literals, else the name to resolve. */
export function nextHopLiteral(uri: Uri): { kind: 'endpoint'; endpoint: Endpoint } | { kind: 'name'; host: string; port: number } {
  if (!(uri instanceof SipUri)) throw new NextHopError(`cannot send to a ${uri.scheme}: URI (${String(uri)}): only sip: is supported`, 416);
  if (uri.scheme === 'sips') throw new NextHopError(`cannot send to ${String(uri)}: sips needs TLS, and sipflow speaks UDP`, 416);
  const transport = uri.params.get('transport');
  if (typeof transport === 'string' && transport.toLowerCase() !== 'udp') {
    throw new NextHopError(`cannot send to ${String(uri)}: transport=${transport} is not supported (UDP only)`, 503);
  }
  const maddr = uri.params.get('maddr');
  let host = typeof maddr === 'string' && maddr !== '' ? maddr : uri.host;
  const port = uri.port ?? 5060;
  const type = classifyHost(host);
  if (type === undefined) throw new NextHopError(`cannot send to ${String(uri)}: invalid host ${JSON.stringify(host)}`, 503);
  if (type === 'ipv6') host = host.startsWith('[') ? host.slice(1, -1) : host;
  if (type === 'name') return { kind: 'name', host, port };
  return { kind: 'endpoint', endpoint: { address: host, port } };
}
