// What a UserAgent supports and says it supports (RFC 3261 §8.2, §11.2, §20.1): its methods,
// the body types it understands per method, the Accept check for INVITE, and the OPTIONS answer.

import { peekTag, type SipRequest, type SipResponse } from '../parser/message.js';
import { createResponse } from '../parser/serialize.js';
import { newTag } from '../transaction/tags.js';
import type { UasCapabilities } from './validate-request.js';

/** The methods a UserAgent implements (its Allow header). */
export const UA_METHODS: readonly string[] = Object.freeze(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REFER', 'NOTIFY']);
/** The body types our responses carry and most requests may carry: SDP. */
export const UA_ACCEPT: readonly string[] = Object.freeze(['application/sdp']);
/** Body types INFO may carry besides SDP (RFC 6086 leaves them to the Info Package; these are the DTMF ones in use). */
const INFO_CONTENT_TYPES: readonly string[] = Object.freeze(['application/sdp', 'application/dtmf-relay', 'application/dtmf', 'text/plain']);
/** NOTIFY for the refer package carries message/sipfrag (RFC 3515 §2.4.5). */
const NOTIFY_CONTENT_TYPES: readonly string[] = Object.freeze(['message/sipfrag']);

/** RFC 3261 §8.2.3: the body types we understand depend on the method: SDP; INFO also DTMF relay; NOTIFY sipfrag. */
export function capabilitiesFor(method: string, extensions: readonly string[]): UasCapabilities {
  const contentTypes = method === 'INFO' ? INFO_CONTENT_TYPES : method === 'NOTIFY' ? NOTIFY_CONTENT_TYPES : UA_ACCEPT;
  return { methods: UA_METHODS, extensions, contentTypes };
}

/** RFC 3261 §11.2: 200 with Allow, Accept, Supported and our Contact (a To tag when the request had none). */
export function capabilitiesResponse(request: SipRequest, contact: string, extensions: readonly string[]): SipResponse {
  return createResponse(request, 200, undefined, {
    ...(peekTag(request, 'to') === undefined ? { toTag: newTag() } : {}),
    headers: [
      ['Contact', contact],
      ['Allow', UA_METHODS.join(', ')],
      ['Accept', UA_ACCEPT.join(', ')],
      ['Supported', extensions.join(', ')],
    ],
  });
}

/**
 * True when the request has no Accept header, or one of its media ranges covers application/sdp
 * (RFC 3261 §20.1). An Accept header with no value means no body is acceptable.
 */
export function acceptsSdp(request: SipRequest): boolean {
  if (!request.hasHeader('Accept')) return true;
  return request.headers('Accept').some((value) => {
    const range = value.split(';')[0]!.trim().toLowerCase();
    return range === 'application/sdp' || range === 'application/*' || range === '*/*';
  });
}

/** RFC 3261 §21.4.7 (RFC 4475 sdp01): 406 for an INVITE whose Accept excludes the SDP our answers carry. */
export function notAcceptable(request: SipRequest): SipResponse {
  return createResponse(request, 406, undefined, {
    toTag: newTag(),
    headers: { Accept: UA_ACCEPT.join(', '), Warning: '399 sipflow "Accept does not include application/sdp"' },
  });
}
