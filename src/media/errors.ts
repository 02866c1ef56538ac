// Typed errors of the media layer.

/** What went wrong in a media session. */
export type MediaErrorCode = 'bad-port-range' | 'no-port' | 'closed' | 'no-codec' | 'bad-parameters' | 'socket' | 'listener';

/**
 * A media session could not do what was asked: no port, a codec it cannot send, a closed
 * session, a socket failure; or (`listener`) one of your event listeners threw, reported as the
 * session's `error` event with the exception as `cause`.
 */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  /** What failed. */
  readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
