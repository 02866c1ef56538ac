// The transaction layer: RFC 3261 §17 state machines (with RFC 6026), timers and their context.

export { DEFAULT_TIMERS, resolveTimers, type TimerSettings } from './timers.js';
export { Transaction, TransactionStateError, type TransactionContext, type TransactionFailure, type TimerName, type ClientTransactionUser, type ServerTransactionUser } from './transaction.js';
export { NonInviteClientTransaction, type NonInviteClientState } from './non-invite-client.js';
export { InviteClientTransaction, type InviteClientState } from './invite-client.js';
export { NonInviteServerTransaction, type NonInviteServerState } from './non-invite-server.js';
export { clientKeyOfRequest, clientKeyOfResponse, serverKey, mergeKey, sameSentBy, hasRfc3261Branch, toTagMatches } from './matching.js';
export { InviteServerTransaction, type InviteServerState } from './invite-server.js';
export { newBranch, newTag } from './tags.js';
export { TransactionLayer, DEFAULT_MAX_TRANSACTIONS, DEFAULT_RETRY_AFTER_S, type ClientTransaction, type ServerTransaction, type TransactionCore, type TransactionLayerEvent, type TransactionLayerOptions } from './layer.js';
