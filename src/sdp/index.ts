// SDP (RFC 4566) and the offer/answer model (RFC 3264): parse, serialize, codecs, directions.

export { SdpParseError, SdpNegotiationError } from './errors.js';
export type {
  SessionDescription,
  MediaDescription,
  MediaDirection,
  SdpOrigin,
  SdpConnection,
  SdpBandwidth,
  SdpTiming,
  SdpLine,
  SdpAttribute,
  RtpmapAttribute,
  FmtpAttribute,
  PtimeAttribute,
  DirectionAttribute,
  GenericAttribute,
} from './model.js';
export { parseSdp } from './parse.js';
export { serializeSdp } from './serialize.js';
export { DIRECTIONS, isDirection, attributeName, attributeText, directionAttribute, rtpmapFor, fmtpFor, ptimeOf, fmtpParameters } from './attributes.js';
export {
  AUDIO_CODECS,
  DEFAULT_CODECS,
  TELEPHONE_EVENT,
  STATIC_PAYLOAD_TYPES,
  payloadFormat,
  payloadFormats,
  isCodec,
  isTelephoneEvent,
  formatName,
  type AudioCodecName,
  type AudioCodec,
  type PayloadFormat,
} from './codecs.js';
export {
  canSend,
  canReceive,
  directionOf,
  reverseDirection,
  intersectDirections,
  answerDirection,
  connectionFor,
  isNullConnection,
  mediaDirection,
  withDirection,
} from './direction.js';
export { nextVersion, newSessionId, cloneSdp } from './session-version.js';
export type { LocalDescriptionOptions } from './local-description.js';
export { createOffer, type OfferOptions } from './offer.js';
export { createAnswer, type AnswerOptions } from './answer.js';
export { negotiated, type NegotiatedAudio, type SdpRole } from './negotiated.js';
export { holdOffer, resumeOffer } from './hold.js';
export { sdpOfferAnswer, type SdpOfferAnswer } from './offer-answer.js';
