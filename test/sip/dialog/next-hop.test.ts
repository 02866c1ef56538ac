// Turning a next-hop URI into a UDP endpoint (RFC 3261 §8.1.2, RFC 3263 in the small).
import { describe, expect, it } from 'vitest';
import { NextHopError, nextHopLiteral, resolveNextHop } from '../../../src/sip/dialog/next-hop.js';
import { parseUri } from '../../../src/sip/parser/index.js';

describe('next hop', () => {
  it('uses the host and port of an IP literal, 5060 by default', async () => {
    expect(await resolveNextHop(parseUri('sip:bob@192.0.2.9:5080'))).toEqual({ address: '192.0.2.9', port: 5080 });
    expect(await resolveNextHop(parseUri('sip:bob@192.0.2.9'))).toEqual({ address: '192.0.2.9', port: 5060 });
    expect(await resolveNextHop(parseUri('sip:bob@[2001:db8::1]:5062'))).toEqual({ address: '2001:db8::1', port: 5062 });
  });

  it('prefers maddr', async () => {
    expect(await resolveNextHop(parseUri('sip:bob@example.com:5070;maddr=192.0.2.77'))).toEqual({ address: '192.0.2.77', port: 5070 });
  });

  it('resolves names through the system resolver', async () => {
    const hop = await resolveNextHop(parseUri('sip:bob@localhost:5099'));
    expect(hop.port).toBe(5099);
    expect(['127.0.0.1', '::1']).toContain(hop.address);
    expect(nextHopLiteral(parseUri('sip:bob@example.com'))).toEqual({ kind: 'name', host: 'example.com', port: 5060 });
  });

  it('refuses what UDP cannot reach, with a typed error and code', async () => {
    const cases: Array<[string, number]> = [
      ['tel:+15551234', 416],
      ['mailto:bob@example.com', 416],
      ['sips:bob@192.0.2.9', 416],
      ['sip:bob@192.0.2.9;transport=tcp', 503],
    ];
    for (const [uri, code] of cases) {
      await expect(resolveNextHop(parseUri(uri))).rejects.toSatisfy((e: unknown) => e instanceof NextHopError && e.code === code && e.name === 'NextHopError');
    }
  });

  it('reports an unresolvable name as 503', async () => {
    await expect(resolveNextHop(parseUri('sip:bob@no-such-host.invalid'))).rejects.toSatisfy((e: unknown) => e instanceof NextHopError && e.code === 503);
  });
});
