/**
 * The one error type the message layer throws for bad input.
 *
 * `parseMessage` throws nothing else, whatever bytes it is given. The error names what was wrong
 * (`reason`), and where: the byte `offset` into the input and, when the problem is inside a header,
 * the `header` name as it appeared on the wire.
 *
 * @example
 * ```ts
 * try {
 *   parseMessage(bytes);
 * } catch (err) {
 *   if (err instanceof SipParseError) report(err.reason, err.header, err.offset);
 * }
 * ```
 */
export class SipParseError extends Error {
  /** Always `"SipParseError"`, stable across versions. */
  override readonly name = 'SipParseError';
  /** What was wrong, in words, without the location. */
  readonly reason: string;
  /** Byte offset into the parsed input where the problem was found, when known. */
  readonly offset: number | undefined;
  /** The header (name as received) whose value was malformed, when the problem is in a header. */
  readonly header: string | undefined;

  constructor(reason: string, where: { offset?: number | undefined; header?: string | undefined } = {}) {
    super(describe(reason, where.header, where.offset));
    this.reason = reason;
    this.offset = where.offset;
    this.header = where.header;
  }
}

function describe(reason: string, header: string | undefined, offset: number | undefined): string {
  const place: string[] = [];
  if (header !== undefined) place.push(`header ${header}`);
  if (offset !== undefined) place.push(`byte ${offset}`);
  return place.length > 0 ? `${reason} (${place.join(', ')})` : reason;
}
