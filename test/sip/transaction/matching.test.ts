// Transaction matching rules: RFC 3261 §17.1.3, §17.2.3 (with the RFC 2543 fallback), §8.2.2.2.
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { clientKeyOfRequest, clientKeyOfResponse, mergeKey, sameSentBy, serverKey, toTagMatches } from '../../../src/sip/transaction/matching.js';
import { torture } from '../parser/fixtures.js';

function req(method: string, opts: { branch?: string; via?: string; cseq?: string; toTag?: string; uri?: string; fromTag?: string } = {}): SipRequest {
  const via = opts.via ?? `SIP/2.0/UDP 192.0.2.1:5060;branch=${opts.branch ?? 'z9hG4bKabc'}`;
  return parseMessage(
    [
      `${method} ${opts.uri ?? 'sip:bob@192.0.2.9'} SIP/2.0`,
      `Via: ${via}`,
      `From: <sip:alice@192.0.2.1>;tag=${opts.fromTag ?? 'f1'}`,
      `To: <sip:bob@192.0.2.9>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
      'Call-ID: c1',
      `CSeq: ${opts.cseq ?? `1 ${method}`}`,
      '',
      '',
    ].join('\r\n'),
  ) as SipRequest;
}

function res(status: number, branch: string, cseq: string): SipResponse {
  return parseMessage(`SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}\r\nCSeq: ${cseq}\r\n\r\n`) as SipResponse;
}

describe('client matching (§17.1.3)', () => {
  it('matches on branch and CSeq method', () => {
    const invite = req('INVITE');
    expect(clientKeyOfResponse(res(180, 'z9hG4bKabc', '1 INVITE'))).toBe(clientKeyOfRequest(invite));
    expect(clientKeyOfResponse(res(200, 'z9hG4bKabc', '1 CANCEL'))).toBe(clientKeyOfRequest(req('CANCEL')));
    expect(clientKeyOfResponse(res(200, 'z9hG4bKabc', '1 CANCEL'))).not.toBe(clientKeyOfRequest(invite));
    expect(clientKeyOfResponse(res(200, 'z9hG4bKother', '1 INVITE'))).not.toBe(clientKeyOfRequest(invite));
  });

  it('checks the sent-by of responses (§18.1.2)', () => {
    const mine = req('OPTIONS').vias[0];
    expect(sameSentBy(mine, res(200, 'z9hG4bKabc', '1 OPTIONS').vias[0])).toBe(true);
    const other = parseMessage('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bKabc\r\n\r\n') as SipResponse;
    expect(sameSentBy(mine, other.vias[0])).toBe(false);
    const noPort = parseMessage('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc\r\n\r\n') as SipResponse;
    expect(sameSentBy(mine, noPort.vias[0])).toBe(true);
  });
});

describe('server matching (§17.2.3)', () => {
  it('files an ACK and a retransmission with their INVITE, a CANCEL apart', () => {
    const invite = serverKey(req('INVITE'));
    expect(serverKey(req('INVITE'))).toBe(invite);
    expect(serverKey(req('ACK', { cseq: '1 ACK', toTag: 't9' }))).toBe(invite);
    expect(serverKey(req('CANCEL'))).not.toBe(invite);
    expect(serverKey(req('CANCEL'), 'INVITE')).toBe(invite);
  });

  it('distinguishes sent-by and method', () => {
    const a = serverKey(req('OPTIONS'));
    expect(serverKey(req('OPTIONS', { via: 'SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKabc' }))).not.toBe(a);
    expect(serverKey(req('INFO', { cseq: '1 INFO' }))).not.toBe(a);
  });

  it('falls back to RFC 2543 matching without the cookie (RFC 4475 badbranch: the bare cookie too)', () => {
    const old = req('INVITE', { via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=oldstyle' });
    expect(serverKey(old)!.startsWith('2543')).toBe(true);
    expect(serverKey(req('INVITE', { via: 'SIP/2.0/UDP 192.0.2.1:5060' }))!.startsWith('2543')).toBe(true);
    expect(serverKey(parseMessage(torture('badbranch')) as SipRequest)!.startsWith('2543')).toBe(true);
    const ack = req('ACK', { via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=oldstyle', cseq: '1 ACK', toTag: 'resp' });
    expect(serverKey(ack)).toBe(serverKey(old));
    expect(toTagMatches(ack, old, 'resp')).toBe(true);
    expect(toTagMatches(req('ACK', { via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=oldstyle', cseq: '1 ACK', toTag: 'other' }), old, 'resp')).toBe(false);
    expect(serverKey(req('INVITE', { via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=oldstyle', uri: 'sip:carol@192.0.2.9' }))).not.toBe(serverKey(old));
  });

  it('has no key without Via or CSeq', () => {
    expect(serverKey(parseMessage('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n') as SipRequest)).toBeUndefined();
  });
});

describe('merged requests (§8.2.2.2)', () => {
  it('share a merge key when From tag, Call-ID and CSeq match across different branches', () => {
    expect(mergeKey(req('INVITE', { branch: 'z9hG4bK1' }))).toBe(mergeKey(req('INVITE', { branch: 'z9hG4bK2' })));
    expect(mergeKey(req('INVITE', { fromTag: 'other' }))).not.toBe(mergeKey(req('INVITE')));
  });

  it('do not apply inside a dialog, or to ACK and CANCEL', () => {
    expect(mergeKey(req('INVITE', { toTag: 'x' }))).toBeUndefined();
    expect(mergeKey(req('ACK', { cseq: '1 ACK' }))).toBeUndefined();
    expect(mergeKey(req('CANCEL'))).toBeUndefined();
  });
});
