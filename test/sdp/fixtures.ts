// Session descriptions in the shapes real user agents send them (written for these tests, not
// captured): each is in serializeSdp's line order with CRLF endings, so it must round-trip exactly.

/** Joins lines with CRLF, ending the last one too, as SDP bodies are written. */
export function sdp(...lines: string[]): string {
  return lines.map((l) => l + '\r\n').join('');
}

/** A Linphone-style offer: several codecs, telephone-event at three clock rates (8000 Hz is PT 100). */
export const LINPHONE_OFFER = sdp(
  'v=0',
  'o=alice 2140 3402 IN IP4 192.168.1.20',
  's=Talk',
  'c=IN IP4 192.168.1.20',
  't=0 0',
  'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics',
  'm=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:97 speex/16000',
  'a=fmtp:97 vbr=on',
  'a=rtpmap:98 speex/8000',
  'a=fmtp:98 vbr=on',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:101 telephone-event/48000',
  'a=rtpmap:99 telephone-event/16000',
  'a=rtpmap:100 telephone-event/8000',
  'a=rtcp-fb:* trr-int 1000',
  'a=rtcp-fb:* ccm tmmbr',
);

/** A Zoiper-style offer: PCMU, PCMA, GSM and telephone-event 101, static types without rtpmap for some. */
export const ZOIPER_OFFER = sdp(
  'v=0',
  'o=Zoiper 0 0 IN IP4 10.0.0.15',
  's=Zoiper',
  'c=IN IP4 10.0.0.15',
  't=0 0',
  'm=audio 59646 RTP/AVP 0 8 3 101',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  'a=rtcp-mux',
);

/** An Asterisk-style answer choosing PCMU. */
export const ASTERISK_ANSWER = sdp(
  'v=0',
  'o=- 1234567890 1234567892 IN IP4 203.0.113.5',
  's=Asterisk',
  'c=IN IP4 203.0.113.5',
  't=0 0',
  'm=audio 14562 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
);

/** An offer with audio (PCMA before PCMU, telephone-event on dynamic PT 96) and video. */
export const VIDEO_OFFER = sdp(
  'v=0',
  'o=- 3724394400 3724394405 IN IP4 198.51.100.7',
  's=-',
  'c=IN IP4 198.51.100.7',
  'b=AS:2048',
  't=0 0',
  'm=audio 49170 RTP/AVP 8 0 96',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:96 telephone-event/8000',
  'a=fmtp:96 0-15',
  'a=ptime:20',
  'm=video 51372 RTP/AVP 97',
  'b=AS:1920',
  'a=rtpmap:97 H264/90000',
  'a=fmtp:97 profile-level-id=42e01f;packetization-mode=1',
  'a=rtcp-fb:97 nack pli',
);

/** IPv6, session id and version beyond 2^53 and 2^64, "s= " and a session-level a=sendonly. */
export const IPV6_SENDONLY = sdp(
  'v=0',
  'o=bob 9223372036854775807 18446744073709551617 IN IP6 2001:db8::1',
  's= ',
  'c=IN IP6 2001:db8::1',
  't=0 0',
  'a=sendonly',
  'm=audio 30000 RTP/AVP 0',
);

/** Every line type RFC 4566 defines, an unknown one, multicast, unknown attributes and non-RTP media. */
export const EVERYTHING = sdp(
  'v=0',
  'o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
  's=SDP Seminar',
  'i=A Seminar on the session description protocol',
  'u=http://www.example.com/seminars/sdp.pdf',
  'e=j.doe@example.com (Jane Doe)',
  'p=+1 617 555-6011',
  'c=IN IP4 224.2.17.12/127/2',
  'b=CT:128',
  't=2873397496 2873404696',
  'r=604800 3600 0 90000',
  't=0 0',
  'z=2882844526 -1h 2898848070 0',
  'k=prompt',
  'y=a line type nobody defined',
  'a=recvonly',
  'a=X-custom:some value: with colons',
  'a=rtcp-mux',
  'a=tool:',
  'm=audio 49170/2 RTP/AVP 0',
  'i=main audio',
  'c=IN IP4 224.2.17.12/127',
  'b=AS:64',
  'k=clear:secret',
  'a=rtcp:53020 IN IP4 126.16.64.4',
  'a=ptime:30',
  'a=maxptime:60',
  'm=application 5000 udp wb',
  'a=orient:portrait',
  'm=image 5004 udptl t38',
  'a=T38FaxVersion:0',
  'a=T38MaxBitRate:14400',
  'm=video 0 RTP/AVP 31',
);

/** Every fixture above, by name. */
export const ALL_FIXTURES: Record<string, string> = {
  LINPHONE_OFFER,
  ZOIPER_OFFER,
  ASTERISK_ANSWER,
  VIDEO_OFFER,
  IPV6_SENDONLY,
  EVERYTHING,
};
