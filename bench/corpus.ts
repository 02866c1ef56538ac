// A realistic SIP corpus for the parser benchmark: one basic call (INVITE/100/180/200/ACK/BYE)
// between a softphone and a PBX, a digest-authenticated REGISTER from a desk phone, and an INVITE
// that has crossed two proxies (three Vias, three Record-Routes). Header sets, ordering and value
// shapes follow what these kinds of devices actually send; addresses are documentation ranges.

/** One corpus message and what a transaction layer should read from it. */
export interface CorpusMessage {
  /** Short label for the table. */
  readonly name: string;
  /** The datagram, as a UDP socket would deliver it. */
  readonly data: Buffer;
  /** Expected Call-ID, CSeq and top-Via branch. */
  readonly expect: {
    readonly callId: string;
    readonly seq: number;
    readonly method: string;
    readonly branch: string;
  };
  /** Body length in bytes (Content-Length). */
  readonly bodyLength: number;
}

const CRLF = '\r\n';

/**
 * Assembles a message: start line, header lines, then `Content-Length` (computed from the body,
 * as the last header, which is where most stacks put it), the empty line and the body.
 */
function build(startLine: string, headers: readonly string[], body = ''): { data: Buffer; bodyLength: number } {
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  const text = [startLine, ...headers, `Content-Length: ${bodyBytes}`].join(CRLF) + CRLF + CRLF + body;
  return { data: Buffer.from(text, 'utf8'), bodyLength: bodyBytes };
}

function sdp(lines: readonly string[]): string {
  return lines.join(CRLF) + CRLF;
}

// --- One call: a Zoiper softphone (alice) behind NAT calls through an Asterisk PBX ---------------

const CALL_ID = '3ZkDGaJ5QxpW0Dh9mR1vLw..';
const ALICE_TAG = 'a3c8f2e1';
const PBX_TAG = 'as5f3c9a1e';
const INVITE_BRANCH = 'z9hG4bK-524287-1---7c1e9a4d2b6f3085';
const ACK_BRANCH = 'z9hG4bK-524287-1---0d5b8e27c3a91f64';
const BYE_BRANCH = 'z9hG4bK-524287-1---e4f01a6b9d3c7258';

const ALLOW_ZOIPER = 'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE';
const ALLOW_ASTERISK = 'Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER';
const SUPPORTED_ASTERISK = 'Supported: 100rel, timer, replaces, norefersub';
const SERVER_ASTERISK = 'Server: Asterisk PBX 18.20.2';

const OFFER = sdp([
  'v=0',
  'o=Z 1713801234561 1 IN IP4 192.168.1.34',
  's=Z',
  'c=IN IP4 192.168.1.34',
  't=0 0',
  'm=audio 52018 RTP/AVP 106 0 8 101',
  'a=rtpmap:106 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
]);

const ANSWER = sdp([
  'v=0',
  'o=- 1713801234 1713801236 IN IP4 198.51.100.10',
  's=Asterisk',
  'c=IN IP4 198.51.100.10',
  't=0 0',
  'm=audio 14872 RTP/AVP 9 0 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
]);

const invite = build(
  'INVITE sip:2001@pbx.example.com;transport=UDP SIP/2.0',
  [
    `Via: SIP/2.0/UDP 192.168.1.34:52018;branch=${INVITE_BRANCH};rport`,
    'Max-Forwards: 70',
    'Contact: <sip:1001@192.168.1.34:52018;transport=UDP>',
    'To: <sip:2001@pbx.example.com;transport=UDP>',
    `From: "Alice Jones"<sip:1001@pbx.example.com;transport=UDP>;tag=${ALICE_TAG}`,
    `Call-ID: ${CALL_ID}`,
    'CSeq: 1 INVITE',
    ALLOW_ZOIPER,
    'Content-Type: application/sdp',
    'Supported: replaces, norefersub, extended-refer, timer, sec-agree, outbound, path, X-cisco-serviceuri',
    'User-Agent: Zoiper v2.10.20.2',
    'Allow-Events: presence, kpml, talk, as-feature-event',
  ],
  OFFER,
);

// The PBX's answers carry the top Via back with received/rport filled in (RFC 3581).
const VIA_BACK = `Via: SIP/2.0/UDP 192.168.1.34:52018;rport=41730;received=203.0.113.77;branch=${INVITE_BRANCH}`;

const trying = build('SIP/2.0 100 Trying', [
  VIA_BACK,
  `Call-ID: ${CALL_ID}`,
  `From: "Alice Jones" <sip:1001@pbx.example.com>;tag=${ALICE_TAG}`,
  'To: <sip:2001@pbx.example.com>',
  'CSeq: 1 INVITE',
  SERVER_ASTERISK,
]);

const ringing = build('SIP/2.0 180 Ringing', [
  VIA_BACK,
  `Call-ID: ${CALL_ID}`,
  `From: "Alice Jones" <sip:1001@pbx.example.com>;tag=${ALICE_TAG}`,
  `To: <sip:2001@pbx.example.com>;tag=${PBX_TAG}`,
  'CSeq: 1 INVITE',
  SERVER_ASTERISK,
  'Contact: <sip:198.51.100.10:5060>',
  ALLOW_ASTERISK,
  SUPPORTED_ASTERISK,
]);

const ok = build(
  'SIP/2.0 200 OK',
  [
    VIA_BACK,
    `Call-ID: ${CALL_ID}`,
    `From: "Alice Jones" <sip:1001@pbx.example.com>;tag=${ALICE_TAG}`,
    `To: <sip:2001@pbx.example.com>;tag=${PBX_TAG}`,
    'CSeq: 1 INVITE',
    SERVER_ASTERISK,
    'Contact: <sip:198.51.100.10:5060>',
    ALLOW_ASTERISK,
    SUPPORTED_ASTERISK,
    'Session-Expires: 1800;refresher=uas',
    'Require: timer',
    'Content-Type: application/sdp',
  ],
  ANSWER,
);

const ack = build('ACK sip:198.51.100.10:5060 SIP/2.0', [
  `Via: SIP/2.0/UDP 192.168.1.34:52018;branch=${ACK_BRANCH};rport`,
  'Max-Forwards: 70',
  'Contact: <sip:1001@192.168.1.34:52018;transport=UDP>',
  `To: <sip:2001@pbx.example.com;transport=UDP>;tag=${PBX_TAG}`,
  `From: "Alice Jones"<sip:1001@pbx.example.com;transport=UDP>;tag=${ALICE_TAG}`,
  `Call-ID: ${CALL_ID}`,
  'CSeq: 1 ACK',
  'User-Agent: Zoiper v2.10.20.2',
]);

const bye = build('BYE sip:198.51.100.10:5060 SIP/2.0', [
  `Via: SIP/2.0/UDP 192.168.1.34:52018;branch=${BYE_BRANCH};rport`,
  'Max-Forwards: 70',
  'Contact: <sip:1001@192.168.1.34:52018;transport=UDP>',
  `To: <sip:2001@pbx.example.com;transport=UDP>;tag=${PBX_TAG}`,
  `From: "Alice Jones"<sip:1001@pbx.example.com;transport=UDP>;tag=${ALICE_TAG}`,
  `Call-ID: ${CALL_ID}`,
  'CSeq: 2 BYE',
  'User-Agent: Zoiper v2.10.20.2',
]);

// --- A Yealink desk phone re-sending REGISTER with digest credentials (after a 401) ------------------

const REG_CALL_ID = '0_2857321946@10.0.0.23';
const REG_BRANCH = 'z9hG4bK1436589173';

const register = build('REGISTER sip:sip.example.com:5060 SIP/2.0', [
  `Via: SIP/2.0/UDP 10.0.0.23:5060;branch=${REG_BRANCH};rport`,
  'From: "1001" <sip:1001@sip.example.com:5060>;tag=1946257851',
  'To: "1001" <sip:1001@sip.example.com:5060>',
  `Call-ID: ${REG_CALL_ID}`,
  'CSeq: 2 REGISTER',
  'Contact: <sip:1001@10.0.0.23:5060>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-805e0c1a2b3c>"',
  'Authorization: Digest username="1001", realm="sip.example.com", nonce="YmQzNGY5ZGEtMWU3NS00Mzg1LThlN2QtNzI0YjA5NmQ5YjJh", ' +
    'uri="sip:sip.example.com:5060", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001',
  'Max-Forwards: 70',
  'User-Agent: Yealink SIP-T46S 66.86.0.15',
  'Expires: 3600',
  'Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, REFER, PUBLISH, UPDATE, MESSAGE',
]);

// --- An INVITE as it reaches the callee after an edge proxy and a core proxy (Kamailio) --------------

const PX_CALL_ID = '8a4c53f9-5e0b2c71@192.168.50.12';
const PX_BRANCH = 'z9hG4bKcydzigwkX.1';

const proxied = build(
  'INVITE sip:bob@192.0.2.50:5062;transport=udp SIP/2.0',
  [
    'Record-Route: <sip:198.51.100.20;lr;ftag=1c4a9e27;did=b21.4a2e7c31>',
    'Record-Route: <sip:203.0.113.1;r2=on;lr;ftag=1c4a9e27;nat=yes>',
    'Record-Route: <sip:10.10.0.1;r2=on;lr;ftag=1c4a9e27;nat=yes>',
    `Via: SIP/2.0/UDP 198.51.100.20;branch=${PX_BRANCH}`,
    'Via: SIP/2.0/UDP 10.10.0.1;branch=z9hG4bK8e1b.0e2e1f4c7b3a5d9e8f1a2b3c4d5e6f70.0;i=5b1',
    'Via: SIP/2.0/UDP 192.168.50.12:5060;received=198.51.100.77;rport=51234;branch=z9hG4bK2931848103',
    'From: "Bob Office" <sip:1042@voip.example.net>;tag=1c4a9e27',
    'To: <sip:bob@voip.example.net>',
    `Call-ID: ${PX_CALL_ID}`,
    'CSeq: 101 INVITE',
    'Contact: <sip:1042@198.51.100.77:51234;alias=198.51.100.77~51234~1>',
    'Max-Forwards: 67',
    'User-Agent: Grandstream GXP2170 1.0.11.23',
    'Privacy: none',
    'Supported: replaces, path, timer, eventlist',
    'Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE, MESSAGE',
    'Content-Type: application/sdp',
    'Accept: application/sdp, application/dtmf-relay',
  ],
  sdp([
    'v=0',
    'o=1042 8000 8000 IN IP4 192.168.50.12',
    's=SIP Call',
    'c=IN IP4 198.51.100.20',
    't=0 0',
    'm=audio 35004 RTP/AVP 0 8 9 101',
    'a=sendrecv',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=nortpproxy:yes',
  ]),
);

function entry(
  name: string,
  m: { data: Buffer; bodyLength: number },
  callId: string,
  seq: number,
  method: string,
  branch: string,
): CorpusMessage {
  return { name, data: m.data, bodyLength: m.bodyLength, expect: { callId, seq, method, branch } };
}

/** The corpus, in call order. The INVITE with SDP comes first (it is the headline number). */
export const CORPUS: readonly CorpusMessage[] = [
  entry('INVITE+SDP', invite, CALL_ID, 1, 'INVITE', INVITE_BRANCH),
  entry('100 Trying', trying, CALL_ID, 1, 'INVITE', INVITE_BRANCH),
  entry('180 Ringing', ringing, CALL_ID, 1, 'INVITE', INVITE_BRANCH),
  entry('200 OK+SDP', ok, CALL_ID, 1, 'INVITE', INVITE_BRANCH),
  entry('ACK', ack, CALL_ID, 1, 'ACK', ACK_BRANCH),
  entry('BYE', bye, CALL_ID, 2, 'BYE', BYE_BRANCH),
  entry('REGISTER+auth', register, REG_CALL_ID, 2, 'REGISTER', REG_BRANCH),
  entry('proxied INVITE', proxied, PX_CALL_ID, 101, 'INVITE', PX_BRANCH),
];

/** Name of the message the "typical INVITE" target is about. */
export const TYPICAL_INVITE = 'INVITE+SDP';
