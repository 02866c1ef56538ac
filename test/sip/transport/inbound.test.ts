// Shared inbound processing: received/rport (RFC 3261 §18.2.1, RFC 3581), response routing
// (§18.2.2), and the stateless 400 for malformed requests.
import { describe, expect, it } from 'vitest';
import { parseMessage, SipRequest, SipResponse } from '../../../src/sip/parser/index.js';
import { receiveDatagram, responseDestination } from '../../../src/sip/transport/inbound.js';

const SOURCE = { address: '198.51.100.7', port: 40123 };

function request(via: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [
      'OPTIONS sip:bob@example.com SIP/2.0',
      `Via: ${via}`,
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=a1',
      'To: <sip:bob@example.com>',
      'Call-ID: c1@example.com',
      'CSeq: 1 OPTIONS',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function received(via: string): SipRequest {
  const out = receiveDatagram(request(via), SOURCE);
  if (out.kind !== 'message') throw new Error('expected a message');
  return out.inbound.message as SipRequest;
}

function response(via: string): SipResponse {
  return parseMessage(`SIP/2.0 200 OK\r\nVia: ${via}\r\nCSeq: 1 OPTIONS\r\n\r\n`) as SipResponse;
}

describe('received and rport on inbound requests', () => {
  it('adds received when sent-by is another address (RFC 3261 §18.2.1)', () => {
    const v = received('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1').vias[0]!;
    expect(v.received).toBe('198.51.100.7');
    expect(v.rport).toBeUndefined();
  });

  it('adds received when sent-by is a host name', () => {
    expect(received('SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1').vias[0]?.received).toBe('198.51.100.7');
  });

  it('adds nothing when sent-by is the source address', () => {
    const v = received('SIP/2.0/UDP 198.51.100.7:40123;branch=z9hG4bK1').vias[0]!;
    expect(v.received).toBeUndefined();
    expect(String(v)).toBe('SIP/2.0/UDP 198.51.100.7:40123;branch=z9hG4bK1');
  });

  it('fills rport and always adds received when rport is requested (RFC 3581 §4)', () => {
    const v = received('SIP/2.0/UDP 198.51.100.7:5060;rport;branch=z9hG4bK1').vias[0]!;
    expect(v.rport).toBe(40123);
    expect(v.received).toBe('198.51.100.7');
  });

  it('compares IPv6 sent-by with the source in canonical form', () => {
    const out = receiveDatagram(request('SIP/2.0/UDP [2001:DB8:0:0::1]:5060;branch=z9hG4bK1'), { address: '2001:db8::1', port: 5060 });
    expect(out.kind === 'message' && out.inbound.message.vias[0]?.received).toBeUndefined();
  });

  it('hands up the datagram itself with the parsed message, for traces of the wire', () => {
    const data = request('SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bK1');
    const out = receiveDatagram(data, SOURCE);
    if (out.kind !== 'message') throw new Error(out.kind);
    expect(out.inbound.data).toBe(data);
    expect(out.inbound.bytes).toBe(data.byteLength);
    // The Via was stamped in the parsed message, not in the bytes that arrived.
    expect(Buffer.from(out.inbound.data).toString()).not.toContain('received=');
  });

  it('leaves responses alone', () => {
    const out = receiveDatagram(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bK1\r\n\r\n'), SOURCE);
    expect(out.kind === 'message' && out.inbound.message.vias[0]?.rport).toBe(true);
  });
});

describe('response destination (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('uses received with the rport port when rport has a value', () => {
    expect(responseDestination(response('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1;received=198.51.100.7;rport=40123'))).toEqual({ address: '198.51.100.7', port: 40123 });
  });

  it('uses received with the sent-by port, or 5060', () => {
    expect(responseDestination(response('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1;received=198.51.100.7'))).toEqual({ address: '198.51.100.7', port: 5070 });
    expect(responseDestination(response('SIP/2.0/UDP host.example.com;branch=z9hG4bK1;received=198.51.100.7'))).toEqual({ address: '198.51.100.7', port: 5060 });
  });

  it('uses maddr first', () => {
    expect(responseDestination(response('SIP/2.0/UDP 192.0.2.1:5070;maddr=239.255.255.1;ttl=1;received=198.51.100.7;branch=z9hG4bK1'))).toEqual({ address: '239.255.255.1', port: 5070 });
  });

  it('falls back to a literal sent-by, and gives up on names (no DNS here)', () => {
    expect(responseDestination(response('SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bK1'))).toEqual({ address: '2001:db8::9', port: 5062 });
    expect(responseDestination(response('SIP/2.0/UDP host.example.com;branch=z9hG4bK1'))).toBeUndefined();
  });
});

describe('malformed datagrams', () => {
  it('answers a readable request with a stateless 400 naming the problem', () => {
    const out = receiveDatagram(request('SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKbad', ['Expires: soon']), SOURCE);
    expect(out.kind).toBe('malformed');
    if (out.kind !== 'malformed') return;
    expect(out.datagram.answered).toBe(true);
    expect(out.datagram.error.header).toBe('Expires');
    const reply = parseMessage(out.reply!.data) as SipResponse;
    expect(reply.status).toBe(400);
    expect(reply.reason).toContain('Expires');
    expect(reply.callId).toBe('c1@example.com');
    expect(String(reply.cseq)).toBe('1 OPTIONS');
    expect(reply.from?.tag).toBe('a1');
    expect(reply.to?.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(reply.vias[0]?.branch).toBe('z9hG4bKbad');
    expect(out.reply!.destination).toEqual(SOURCE);
    // stateless: the same request gets the same To tag
    const again = receiveDatagram(request('SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKbad', ['Expires: soon']), SOURCE);
    expect(again.kind === 'malformed' && (parseMessage(again.reply!.data) as SipResponse).to?.tag).toBe(reply.to?.tag);
  });

  it('answers a malformed Request-Line (extra spaces, LWS in the URI) when the headers are readable (RFC 4475 lwsstart, lwsruri)', () => {
    const base = request('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlws', []).toString('latin1');
    for (const bad of [base.replace('OPTIONS sip:', 'OPTIONS  sip:'), base.replace(/^OPTIONS (\S+) /, 'OPTIONS $1;lr ; x=y ')]) {
      const out = receiveDatagram(Buffer.from(bad, 'latin1'), SOURCE);
      expect(out.kind).toBe('malformed');
      expect(out.kind === 'malformed' && (parseMessage(out.reply!.data) as SipResponse).status).toBe(400);
    }
  });

  it('does not answer when the headers a response needs cannot be read', () => {
    const broken = receiveDatagram(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: garbage\r\nCall-ID: x\r\n\r\n'), SOURCE);
    expect(broken.kind === 'malformed' && broken.datagram.answered).toBe(false);
    const noise = receiveDatagram(Buffer.from([0xde, 0xad, 0xbe, 0xef]), SOURCE);
    expect(noise.kind === 'malformed' && noise.reply).toBeUndefined();
  });

  it('never answers an ACK (RFC 3261 §17.2.3)', () => {
    const ack = Buffer.from(request('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', ['Max-Forwards: 300']).toString('latin1').replace('OPTIONS sip', 'ACK sip').replace('1 OPTIONS', '1 ACK'));
    const out = receiveDatagram(ack, SOURCE);
    expect(out.kind === 'malformed' && out.datagram.answered).toBe(false);
  });

  it('keeps UTF-8 in echoed headers and ignores a maddr in the malformed request', () => {
    const bytes = Buffer.from(request('SIP/2.0/UDP 192.0.2.1:5070;maddr=203.0.113.9;branch=z9hG4bK1', ['Max-Forwards: x']).toString('utf8').replace('<sip:alice@example.com>', '"José" <sip:alice@example.com>'), 'utf8');
    const out = receiveDatagram(bytes, SOURCE);
    if (out.kind !== 'malformed' || out.reply === undefined) throw new Error('expected a 400');
    expect((parseMessage(out.reply.data) as SipResponse).from?.displayName).toBe('José');
    expect(out.reply.destination).toEqual({ address: SOURCE.address, port: 5070 });
  });

  it('treats a datagram of CRLFs as a keep-alive', () => {
    expect(receiveDatagram(Buffer.from('\r\n\r\n'), SOURCE).kind).toBe('keepalive');
    expect(receiveDatagram(Buffer.from('\r\n'), SOURCE).kind).toBe('keepalive');
  });

  it('strips an IPv6 zone from the source address', () => {
    const out = receiveDatagram(request('SIP/2.0/UDP [fe80::2]:5060;rport;branch=z9hG4bK1'), { address: 'fe80::1%eth0', port: 5060 });
    expect(out.kind === 'message' && out.inbound.message.vias[0]?.received).toBe('fe80::1');
  });

  it('never answers a malformed response', () => {
    const out = receiveDatagram(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nCSeq: x\r\nCall-ID: a\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\n\r\n'), SOURCE);
    expect(out.kind === 'malformed' && out.datagram.answered).toBe(false);
  });
});
