// The SIP message layer: model, parser, serializer, URIs and typed headers.

export { SipParseError } from './errors.js';
export { parseMessage, MAX_MESSAGE_BYTES, MAX_HEADERS, MAX_HEADER_LINE } from './parse.js';
export { SipMessage, SipRequest, SipResponse, type HeaderField, type HeaderValue } from './message.js';
export { serializeMessage, createRequest, createResponse, type RequestInit, type ResponseOptions, type HeaderInit } from './serialize.js';
export { maskCredentials, MASK } from './mask-credentials.js';
export { SipUri, TelUri, AbsoluteUri, parseUri, classifyHost, type Uri, type SipUriInit, type HostType } from './uri.js';
export { NameAddr, ContactWildcard, type Contact, type NameAddrInit } from './name-addr.js';
export { Via, BRANCH_COOKIE, type ViaInit } from './via.js';
export { CSeq, splitListValue } from './typed-headers.js';
export { Params, type Param, type ParamStyle } from './params.js';
export { canonicalHeaderName, headerKey, isListHeader } from './header-names.js';
export { reasonPhrase } from './reason-phrases.js';
export { quote, unquote, percentDecode, percentEncode } from './escape.js';
