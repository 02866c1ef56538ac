// The two UDP sockets of an RTP session (RFC 3550 §11: RTP on an even port, RTCP on the next
// odd one), bound from a configurable port range.

import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { MediaError } from './errors.js';

/** An inclusive range of local ports for RTP (RTCP uses RTP + 1). */
export interface PortRange {
  min: number;
  max: number;
}

/** Default RTP port range. */
export const DEFAULT_PORT_RANGE: Readonly<PortRange> = Object.freeze({ min: 10000, max: 20000 });

/** A bound RTP/RTCP socket pair. */
export interface RtpSocketPair {
  readonly rtp: Socket;
  readonly rtcp: Socket;
  /** The RTP port (even); RTCP is on port + 1. */
  readonly port: number;
}

/**
 * Binds RTP on an even port of `range` and RTCP on the next port, trying random even ports until
 * a pair is free (at most `attempts`).
 *
 * @throws MediaError `bad-port-range` for a range without an even port whose successor fits,
 *   `no-port` when every attempt found a port in use.
 */
export async function bindRtpPair(host: string, range: PortRange = DEFAULT_PORT_RANGE, random: () => number = Math.random, attempts = 64): Promise<RtpSocketPair> {
  const first = range.min % 2 === 0 ? range.min : range.min + 1;
  const last = range.max % 2 === 0 ? range.max - 2 : range.max - 1; // RTCP needs last + 1 <= max
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1 || range.max > 65535 || last < first) {
    throw new MediaError('bad-port-range', `port range ${range.min}–${range.max} has no even port with a free successor for RTCP`);
  }
  const type = host.includes(':') ? 'udp6' : 'udp4';
  const slots = (last - first) / 2 + 1;
  let lastError: unknown;
  for (let i = 0; i < Math.min(attempts, slots * 2); i++) {
    const port = first + 2 * Math.floor(random() * slots);
    const rtp = createSocket({ type, reuseAddr: false, lookup: literalLookup });
    try {
      await bind(rtp, host, port);
    } catch (err) {
      lastError = err;
      rtp.close();
      continue;
    }
    const rtcp = createSocket({ type, reuseAddr: false });
    try {
      await bind(rtcp, host, port + 1);
    } catch (err) {
      lastError = err;
      rtp.close();
      rtcp.close();
      continue;
    }
    return { rtp, rtcp, port };
  }
  throw new MediaError('no-port', `no free RTP/RTCP port pair in ${range.min}–${range.max} on ${host} after ${Math.min(attempts, slots * 2)} attempts`, { cause: lastError });
}

/**
 * The socket's address lookup: an IP literal (what SDP and received packets give) resolves at once,
 * in the same call, where dns.lookup would defer every datagram sent to an unconnected peer by a
 * process tick; a host name goes to dns.lookup.
 */
function literalLookup(hostname: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // Every datagram to an unconnected peer comes here with the same few addresses: remember what
  // they are rather than run isIP's regular expressions per packet.
  let family = literalFamily.get(hostname);
  if (family === undefined) {
    family = isIP(hostname);
    if (literalFamily.size >= LITERAL_CACHE_MAX) literalFamily.clear();
    literalFamily.set(hostname, family);
  }
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

function bind(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** IP family (4, 6, or 0 for a host name) of the addresses literalLookup has seen. */
const literalFamily = new Map<string, number>();
const LITERAL_CACHE_MAX = 1024;
