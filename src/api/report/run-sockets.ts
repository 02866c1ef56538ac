// Which sockets belong to a run: the instances' SIP sockets and the calls' RTP/RTCP sockets. The
// ladder and the capture both need it to tell a datagram between two sockets of the run (it shows
// in the events twice, as the sender's `sent` and the receiver's `received`) from one to or from a
// party outside the run (a PBX, SIPp: once). Instances bound to a wildcard address (PBX mode may
// bind 0.0.0.0) stand for their Contact host, and for loopback.

import { isIP } from 'node:net';
import type { Endpoint } from '../../sip/transport/transport.js';
import type { ScenarioRun } from './scenario-run.js';

/** The sockets of one run, by owner. */
export interface RunSockets {
  /** The instance whose socket `endpoint` is, or undefined for a party outside the run. */
  owner(endpoint: Endpoint): string | undefined;
  /** An instance's real address: the host of its Contact URI, when that is an IP address. */
  host(instanceId: string): string | undefined;
}

/** The sockets of `run`: its instances' SIP sockets and the local sockets of its `rtp` events. */
export function runSockets(run: Pick<ScenarioRun, 'instances' | 'packets'>): RunSockets {
  const hosts = new Map<string, string>();
  for (const inst of run.instances) {
    const host = contactHost(inst.contact);
    if (host !== undefined) hosts.set(inst.id, host);
  }
  const exact = new Map<string, string>();
  /** Wildcard-bound sockets by port: their owner and the real host it stands for. */
  const wildcard = new Map<number, Array<{ owner: string; host: string | undefined }>>();
  const add = (local: Endpoint, owner: string): void => {
    if (!isWildcard(local.address)) {
      const key = `${plainAddress(local.address)} ${local.port}`;
      if (!exact.has(key)) exact.set(key, owner);
      return;
    }
    let list = wildcard.get(local.port);
    if (list === undefined) wildcard.set(local.port, (list = []));
    if (!list.some((w) => w.owner === owner)) list.push({ owner, host: hosts.get(owner) });
  };
  for (const inst of run.instances) add(inst.address, inst.id);
  for (const p of run.packets) add(p.local, p.instanceId);
  return {
    owner(endpoint) {
      const address = plainAddress(endpoint.address);
      const found = exact.get(`${address} ${endpoint.port}`);
      if (found !== undefined) return found;
      // A wildcard socket on that port is ours when the address is its host, or this host (loopback).
      return wildcard.get(endpoint.port)?.find((w) => (w.host !== undefined && plainAddress(w.host) === address) || isLoopback(address) || isWildcard(address))?.owner;
    },
    host: (instanceId) => hosts.get(instanceId),
  };
}

/**
 * The address a wildcard-bound socket used: a loopback address with a peer on loopback (the kernel
 * routes over `lo`), else the instance's Contact host; the wildcard itself when neither is known.
 */
export function realHost(wildcard: string, peer: string, contactHost: string | undefined): string {
  if (isLoopback(plainAddress(peer))) return loopbackOf(wildcard);
  return contactHost ?? wildcard;
}

/** The loopback address of a wildcard's family (a datagram sent to 0.0.0.0 goes to this host). */
export function loopbackOf(wildcard: string): string {
  return wildcard.includes(':') ? '::1' : '127.0.0.1';
}

/** The host of a Contact URI (`<sip:100@10.0.0.5:5062>` → `10.0.0.5`), when it is an IP address. */
export function contactHost(contact: string): string | undefined {
  const m = /sips?:(?:[^@;>?]*@)?(\[[^\]]+\]|[^:;>?\s]+)/i.exec(contact);
  const host = m?.[1]?.replace(/^\[|\]$/g, '');
  return host !== undefined && isIP(host) !== 0 ? host : undefined;
}

/** 0.0.0.0 or `::`: a socket bound to every address. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '[::]';
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/** The address without brackets or zone, lower case, an IPv4-mapped IPv6 address as IPv4. */
export function plainAddress(address: string): string {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null ? mapped[1]! : a;
}
