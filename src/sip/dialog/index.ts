// The dialog / user-agent layer (RFC 3261 §8.2, §12–15): UserAgent, dialogs, INVITE sessions,
// and UAS request validation.

export { validateRequest, KNOWN_METHODS, SINGLE_VALUE_HEADERS, type UasCapabilities } from './validate-request.js';
export { Dialog, dialogKey, type DialogId, type DialogState, type DialogRequest, type DialogRequestInit } from './dialog.js';
export { RequestFailedError, DialogEndedError, DialogStateError, type RequestFailureKind, type DialogEndReason } from './errors.js';
export { TypedEmitter, type EventMap, type Listener } from './emitter.js';
export { resolveNextHop, NextHopError } from './next-hop.js';
export { type OfferAnswerHandler } from './offer-answer.js';
export type { DialogUsage } from './ua-context.js';
export { Retransmitter2xx } from './retransmit-2xx.js';
export { DialogSession, type SessionRole, type ReinviteEvent, type DialogSessionEvents, type InDialogRequestOptions } from './session.js';
export { type ReferOptions } from './session-refer.js';
export { IncomingCall, type IncomingCallState, type IncomingResponseOptions } from './incoming-call.js';
export { type InviteOptions, type CancelSignal } from './outgoing-call.js';
export { UserAgent, DEFAULT_MAX_DIALOGS, type UserAgentOptions, type UserAgentIdentity, type UserAgentEvent, type UserAgentEvents, type UserAgentLimits, type UserAgentCounts } from './user-agent.js';
export { ReferSubscription, IncomingRefer, DEFAULT_REFER_TIMEOUT_MS, type ReferProgress, type ReferOutcome, type ReferSubscriptionEvents, type SubscriptionState } from './refer.js';
export { parseReplaces, formatReplaces, replacesFor, type ReplacesTarget } from './replaces.js';
export {
  DigestClient,
  authorizationFor,
  type AuthorizationInput,
  type DigestClientCredentials,
  type DigestClientOptions,
  createDigestChallenge,
  verifyDigest,
  parseDigestChallenge,
  challengesOf,
  DigestError,
  AuthenticationError,
  type DigestAlgorithm,
  type DigestQop,
  type DigestChallenge,
  type AuthorizeResult,
  type DigestChallengeOptions,
  type CreatedDigestChallenge,
  type VerifyDigestOptions,
  type DigestVerification,
  type DigestVerificationFailure,
  type AuthenticationFailureKind,
} from './digest.js';
export { type Credentials } from './auth.js';
export { Registration, RegistrationError, type RegisterOptions, type RegisteredEvent, type RegistrationEvents, type RegistrationState } from './registration.js';
