// Strings that outlive the message they came from.

/**
 * A copy of `s` that holds on to nothing else. V8 keeps a substring of a long string as a slice of
 * it, and a string built by concatenation as a tree of its pieces: a Call-ID or tag sliced from a
 * parsed INVITE keeps the whole datagram's text alive, and a rendered address keeps a node per
 * piece. What a dialog keeps for the length of a call goes through here.
 */
export function ownString(s: string): string {
  // JSON.parse allocates one flat string of its own for the literal.
  return JSON.parse(JSON.stringify(s)) as string;
}
