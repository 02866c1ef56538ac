// Credentials out of SIP text meant for people and files (run events, NDJSON, reports, pcaps):
// the credentials of Authorization and Proxy-Authorization (RFC 3261 §22.2–22.3, §20.7, §20.28)
// are masked in place, character for character, so the message keeps its shape and length.

/** The character a masked credential is written with. */
export const MASK = '*';

const AUTH_HEADER = /^(authorization|proxy-authorization)[ \t]*:/i;
/** Digest parameters whose value proves the password: `response` (RFC 7616 §3.4), and `auts` (AKA). */
const SECRET_PARAMS = new Set(['response', 'auts']);

/**
 * `text` (a SIP message, or any text holding one) with the credentials of every Authorization and
 * Proxy-Authorization header masked in place: for Digest, the value of `response` (the hash that
 * proves the password, open to an offline guess of it) — username, realm, nonce, uri, qop, nc
 * and cnonce stay readable, since they are what one reads to find why a challenge failed; for
 * any other scheme (Basic, Bearer …) everything after the scheme, since there the credential is
 * the password or the token itself. Every masked character becomes `*`: lengths, quotes, commas
 * and line breaks stay where they were. Header lines are found in the head only (up to the first
 * empty line), folded lines included. Text with no such header is returned as is (the same string).
 *
 * @example
 * ```ts
 * maskCredentials('REGISTER sip:pbx SIP/2.0\r\nAuthorization: Digest username="alice", response="6629fae49393a05397450978507c4ef1"\r\n\r\n');
 * // 'REGISTER sip:pbx SIP/2.0\r\nAuthorization: Digest username="alice", response="********************************"\r\n\r\n'
 * ```
 */
export function maskCredentials(text: string): string {
  // Cheap test first: nearly every message has no such header.
  if (!/authorization/i.test(text)) return text;
  const headEnd = endOfHead(text);
  let out = '';
  let at = 0;
  let inAuth = false;
  while (at < headEnd) {
    let eol = text.indexOf('\n', at);
    if (eol < 0 || eol > headEnd) eol = headEnd;
    const line = text.slice(at, eol);
    const folded = line.length > 0 && (line[0] === ' ' || line[0] === '\t');
    if (!folded) inAuth = AUTH_HEADER.test(line);
    out += inAuth ? maskLine(line, folded) : line;
    if (eol < headEnd) out += '\n';
    at = eol + 1;
  }
  return out + text.slice(headEnd);
}

function endOfHead(text: string): number {
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  const ends = [crlf, lf].filter((i) => i >= 0);
  return ends.length === 0 ? text.length : Math.min(...ends);
}

/** Per header line (a first line `Name: value` or a folded continuation): see {@link maskCredentials}. */
function maskLine(line: string, folded: boolean): string {
  let valueStart = 0;
  if (!folded) valueStart = line.indexOf(':') + 1;
  const value = line.slice(valueStart);
  const scheme = /^[ \t]*([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(value);
  if (!folded && scheme !== null && scheme[1]!.toLowerCase() !== 'digest') {
    // Basic, Bearer, …: the credential is the rest of the value.
    const rest = valueStart + scheme[0].length;
    return line.slice(0, rest) + maskRun(line.slice(rest));
  }
  return line.slice(0, valueStart) + maskDigestParams(value);
}

/** `name=value` pairs of a Digest value with the secret ones' values masked (quoted or not). */
function maskDigestParams(value: string): string {
  return value.replace(/([A-Za-z0-9_-]+)([ \t]*=[ \t]*)("(?:[^"\\]|\\.)*"|[^\s,]+)/g, (whole, name: string, eq: string, v: string) => {
    if (!SECRET_PARAMS.has(name.toLowerCase())) return whole;
    const quoted = v.startsWith('"') && v.endsWith('"') && v.length >= 2;
    return `${name}${eq}${quoted ? `"${MASK.repeat(v.length - 2)}"` : MASK.repeat(v.length)}`;
  });
}

/** Every character but spaces, tabs and a final CR masked. */
function maskRun(s: string): string {
  return s.replace(/[^ \t\r]/g, MASK);
}
