// Answering digest challenges on the requests a user agent sends (RFC 3261 §22.2, §22.3): a
// 401 or 407 is answered by sending the request again, with credentials, as a new transaction.

import { peekCSeq, type SipRequest, type SipResponse } from '../parser/message.js';
import { parseMessage } from '../parser/parse.js';
import { serializeMessage } from '../parser/serialize.js';
import { CSeq } from '../parser/typed-headers.js';
import type { TransactionFailure } from '../transaction/transaction.js';
import { type AuthenticationError, DigestClient } from './digest.js';

/** A final response, and the transaction failure behind it when the transaction layer made it up (408, 503). */
export interface FinalResponse {
  response: SipResponse;
  failure?: TransactionFailure | undefined;
}

/** Username and password for digest authentication (RFC 7616); `realm` limits them to one realm. */
export interface Credentials {
  username: string;
  password: string;
  realm?: string;
}

/** At most this many challenged attempts for one request (a `stale=true` nonce counts as one). */
const MAX_AUTH_ATTEMPTS = 4;

/**
 * Sends `request` with `send` (which resolves with its final response) and answers 401/407
 * challenges with `client` (RFC 3261 §22.2): each retry is a copy of the request with the same
 * Call-ID, From and To, a CSeq one higher (from `nextSeq` for requests in a dialog), no Via (a new
 * branch is added when it is sent) and the Authorization / Proxy-Authorization headers. A second
 * challenge to the same credentials is a failure (wrong password), not a loop.
 *
 * @returns the final response that is not a challenge we can answer, and the request that got it.
 * @throws AuthenticationError when the credentials are refused or no challenge can be answered.
 */
export async function sendAuthenticated(
  request: SipRequest,
  client: DigestClient | undefined,
  send: (request: SipRequest) => Promise<FinalResponse>,
  nextSeq: (request: SipRequest) => number = (r) => peekCSeq(r)!.seq + 1,
): Promise<FinalResponse & { request: SipRequest; error?: AuthenticationError }> {
  let current = request;
  for (let attempt = 0; ; attempt++) {
    const final = await send(current);
    const response = final.response;
    if ((response.status !== 401 && response.status !== 407) || client === undefined || attempt >= MAX_AUTH_ATTEMPTS) return { ...final, request: current };
    const result = client.authorize(current, response);
    if (!result.ok) return { ...final, request: current, error: result.error };
    current = authorizedCopy(current, nextSeq(current), result.headers);
  }
}

/**
 * A copy of `request` for the next attempt: no Via, CSeq `seq`, the credentials headers replaced.
 * RFC 3261 §22.2: the retry has the same Call-ID, From and To (with their tags) and a new CSeq.
 */
export function authorizedCopy(request: SipRequest, seq: number, headers: ReadonlyArray<readonly [string, string]>): SipRequest {
  const copy = parseMessage(serializeMessage(request)) as SipRequest;
  copy.removeHeader('Via');
  copy.removeHeader('Authorization');
  copy.removeHeader('Proxy-Authorization');
  copy.setHeader('CSeq', new CSeq(seq, request.method));
  for (const [name, value] of headers) copy.addHeader(name, value);
  return copy;
}

/** A digest client for `credentials`, or undefined without them. */
export function digestClientFor(credentials: Credentials | undefined): DigestClient | undefined {
  return credentials === undefined ? undefined : new DigestClient(credentials);
}

/** The Authorization and Proxy-Authorization headers of a request, in order (for the ACK of a 2xx, RFC 3261 §13.2.2.4). */
export function credentialsOf(request: SipRequest): Array<[string, string]> {
  return request.headerFields().filter((f) => /^(proxy-)?authorization$/i.test(f.name)).map((f) => [f.name, f.value]);
}
