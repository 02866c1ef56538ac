// Character classes of the RFC 3261 §25.1 grammar, as bit masks over ASCII.
// One table keeps every check a single array load and a bit test.

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = 1;
/** word (Call-ID) = token chars plus ( ) < > : \ DQUOTE / [ ] ? { } */
export const WORD = 2;
/** unreserved = alphanum / mark */
export const UNRESERVED = 4;
/** user = unreserved / escaped / "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
export const USER = 8;
/** password = unreserved / escaped / "&" / "=" / "+" / "$" / "," */
export const PASSWORD = 16;
/** paramchar = param-unreserved ("[" "]" "/" ":" "&" "+" "$") / unreserved / escaped */
export const PARAM = 32;
/** hname / hvalue chars = hnv-unreserved ("[" "]" "/" "?" ":" "+" "$") / unreserved / escaped */
export const HNV = 64;
/** uric = reserved / unreserved / escaped, plus "[" "]" (RFC 2732) */
export const URIC = 128;
/** hostname characters (alphanum, "-", "."), plus "_" which real deployments use */
export const HOST = 256;

export const CLASS = new Uint16Array(128);

function add(mask: number, chars: string): void {
  for (let i = 0; i < chars.length; i++) CLASS[chars.charCodeAt(i)]! |= mask;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
add(TOKEN, ALNUM + "-.!%*_+`'~");
add(WORD, ALNUM + "-.!%*_+`'~" + '()<>:\\"/[]?{}');
add(UNRESERVED, ALNUM + MARK);
add(USER, ALNUM + MARK + '%&=+$,;?/');
add(PASSWORD, ALNUM + MARK + '%&=+$,');
add(PARAM, ALNUM + MARK + '%[]/:&+$');
add(HNV, ALNUM + MARK + '%[]/?:+$');
add(URIC, ALNUM + MARK + '%;/?:@&=+$,[]');
add(HOST, ALNUM + '-._');

/** True when every character of `s[start, end)` is in class `mask`; `%` must start a valid escape. */
export function allOf(s: string, start: number, end: number, mask: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & mask) === 0) return false;
    if (c === 37 /* % */ && mask !== TOKEN && mask !== WORD) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2)) || i + 2 >= end) return false;
      i += 2;
    }
  }
  return true;
}

export function isToken(s: string): boolean {
  return allOf(s, 0, s.length, TOKEN);
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** SP or HTAB */
export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/** Index of the first non-SP/HTAB character at or after `i` (bounded by `end`). */
export function skipWs(s: string, i: number, end: number = s.length): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

/** Index just past the last non-SP/HTAB character before `end` (not below `start`). */
export function trimWsEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}

/**
 * Parses `1*DIGIT` in `s[start, end)` as an integer no larger than `max`.
 * Returns -1 when the text is not all digits or the value exceeds `max`.
 */
export function parseDecimal(s: string, start: number, end: number, max: number): number {
  if (start >= end) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
    if (v > max) return -1;
  }
  return v;
}

/** 2**32 - 1: the largest CSeq number and delta-seconds value (RFC 3261 §8.1.1.5, §25.1). */
export const UINT32_MAX = 0xffffffff;
