import { describe, expect, it } from 'vitest';
import { sdpBody } from '../../../src/sip/dialog/offer-answer.js';

describe('sdpBody', () => {
  const message = (contentType: string | undefined, body: string) => {
    const bytes = new Uint8Array(Buffer.from(body, 'utf8'));
    return { bodyLength: bytes.byteLength, contentType, bodyText: body };
  };

  it('gives the body of an application/sdp message, however the media type is spelt (RFC 3261 §20.15, §7.3.1)', () => {
    for (const type of ['application/sdp', 'Application/SDP', ' application/sdp ', 'application/sdp;charset=utf-8', 'APPLICATION/sdp ; x=1', undefined]) {
      expect(sdpBody(message(type, 'v=0\r\n'))).toBe('v=0\r\n');
    }
  });

  it('gives nothing for an empty body or another media type', () => {
    expect(sdpBody(message('application/sdp', ''))).toBeUndefined();
    for (const type of ['text/plain', 'application/sdpx', 'multipart/mixed;boundary=x', 'application/sd']) {
      expect(sdpBody(message(type, 'v=0\r\n'))).toBeUndefined();
    }
  });
});
