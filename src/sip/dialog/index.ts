// The dialog / user-agent layer. So far: UAS request validation (RFC 3261 §8.2).

export { validateRequest, KNOWN_METHODS, SINGLE_VALUE_HEADERS, type UasCapabilities } from './validate-request.js';
