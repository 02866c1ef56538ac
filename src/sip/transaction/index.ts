// The transaction layer: RFC 3261 §17 state machines (with RFC 6026), timers and their context.

export { DEFAULT_TIMERS, resolveTimers, type TimerSettings } from './timers.js';
export { Transaction, TransactionStateError, type TransactionContext, type TransactionFailure, type TimerName, type ClientTransactionUser, type ServerTransactionUser } from './transaction.js';
export { NonInviteClientTransaction, type NonInviteClientState } from './non-invite-client.js';
