// Our descriptions made once and reused: a load answers thousands of identical offers, and
// parsing the offer, negotiating and serializing the answer cost more than the rest of the
// answer's work. Only the `o=` session id differs from one call to the next (RFC 4566 §5.2,
// RFC 3264 §5), so the text is kept around it and each use gets a new id.

import { newSessionId } from './session-version.js';

/** A description's text split around its `o=` session id and version. */
interface Template {
  /** `v=0` CRLF `o=<username> ` */
  readonly before: string;
  /** From the space after the version to the end. */
  readonly after: string;
}

/**
 * Descriptions of ours, each made once per key by the caller's `make` and then given out again
 * with a new random `o=` session id (version equal to it, as a first description has: RFC 3264
 * §5) on every use. `make` must be deterministic for its key apart from that id, and its text
 * must be `serializeSdp` output (`v=` line, then `o=`). An error `make` throws is not kept: the
 * same key tries again next time.
 *
 * At most `limit` keys are kept; past that the cache starts again empty, so a stream of offers that
 * never repeat costs one map insertion each and holds little. Keys are kept as given: one sliced
 * from a SIP message (an offer) keeps that message's text alive, `limit` of them at most.
 *
 * @internal
 */
export class DescriptionCache {
  private readonly kept = new Map<string, Template>();

  constructor(private readonly limit = 64) {}

  /** The description for `key`, made by `make` the first time, with a new `o=` session id. */
  get(key: string, make: () => string): string {
    let template = this.kept.get(key);
    if (template === undefined) {
      const text = make();
      template = templateOf(text);
      if (this.kept.size >= this.limit) this.kept.clear();
      this.kept.set(key, template);
      return text;
    }
    const id = newSessionId();
    return `${template.before}${id} ${id}${template.after}`;
  }

  /** How many keys it holds. */
  get size(): number {
    return this.kept.size;
  }
}

/** Splits `v=0\r\no=<username> <id> <version> <nettype> ...` around id and version. */
function templateOf(text: string): Template {
  if (!text.startsWith('v=0\r\no=')) throw new Error('DescriptionCache: a description must start with v= and o= lines');
  const idAt = text.indexOf(' ', 7) + 1;
  const versionAt = text.indexOf(' ', idAt) + 1;
  const afterAt = text.indexOf(' ', versionAt);
  const lineEnd = text.indexOf('\r\n', 7);
  if (idAt === 0 || versionAt === 0 || afterAt === -1 || afterAt > lineEnd) throw new Error('DescriptionCache: the o= line has no session id and version');
  return { before: text.slice(0, idAt), after: text.slice(afterAt) };
}
