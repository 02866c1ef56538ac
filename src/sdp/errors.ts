/**
 * The one error type {@link parseSdp} throws for a malformed session description.
 *
 * `parseSdp` throws nothing else, whatever it is given. The error says what was wrong (`reason`)
 * and where: the 1-based `line` number in the input (blank lines count), pointing at the line
 * that broke a rule or, for a missing mandatory line, at the line where it was expected (one past
 * the last line when the input ended too early).
 *
 * @example
 * ```ts
 * try {
 *   parseSdp(body);
 * } catch (err) {
 *   if (err instanceof SdpParseError) report(err.reason, err.line);
 * }
 * ```
 */
export class SdpParseError extends Error {
  /** Always `"SdpParseError"`, stable across versions. */
  override readonly name = 'SdpParseError';
  /** What was wrong, in words, without the location. */
  readonly reason: string;
  /** 1-based number of the offending line (or of the line where a missing line was expected). */
  readonly line: number;

  constructor(reason: string, line: number) {
    super(`${reason} (SDP line ${line})`);
    this.reason = reason;
    this.line = line;
  }
}

/**
 * An offer/answer exchange (RFC 3264) that cannot produce a usable session.
 *
 * {@link createAnswer} throws it with `code` 488 (Not Acceptable Here, RFC 3261 §21.4.26) when
 * no offered audio stream can be served, so a UAS can answer the INVITE with that status;
 * {@link negotiated} throws it without a code when an answer does not fit its offer.
 *
 * @example
 * ```ts
 * try {
 *   answer = createAnswer(offer, { address: '192.0.2.10', port: 40000 });
 * } catch (err) {
 *   if (err instanceof SdpNegotiationError && err.code === 488) reject(488, err.reason);
 * }
 * ```
 */
export class SdpNegotiationError extends Error {
  /** Always `"SdpNegotiationError"`, stable across versions. */
  override readonly name = 'SdpNegotiationError';
  /** What could not be agreed, naming what was offered and what is supported. */
  readonly reason: string;
  /** The SIP status that explains the failure (488 when nothing offered is acceptable). */
  readonly code: number | undefined;
  /** The offered audio formats, e.g. `['G729/8000 (PT 18)']`, when the failure is about codecs. */
  readonly offered: readonly string[];
  /** The formats this side supports, e.g. `['PCMU/8000', 'PCMA/8000']`, when the failure is about codecs. */
  readonly supported: readonly string[];

  constructor(reason: string, details: { code?: number | undefined; offered?: readonly string[]; supported?: readonly string[] } = {}) {
    super(details.code === undefined ? reason : `${reason} (${details.code})`);
    this.reason = reason;
    this.code = details.code;
    this.offered = details.offered ?? [];
    this.supported = details.supported ?? [];
  }
}
