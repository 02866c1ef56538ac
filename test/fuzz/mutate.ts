// Mutations for the fuzzers: byte flips, inserts, deletes, repeats, splices with another input and
// SIP-aware ones (a header line duplicated or dropped, a number made huge or negative, a line
// cut). Driven by a seeded PRNG, so a run replays from its seed.

/** A seeded PRNG (mulberry32): numbers in [0, 1). */
export { mulberry32 as prng } from '../../src/sip/transport/memory-network.js';

const INTERESTING = ['0', '-1', '4294967296', '99999999999999999999', '1e999', 'NaN', '', ' ', '\r\n', '\0', '%00', '"', '\\', ';', ',', ':', '<', '>', '\u00ff', '\u{1F600}', '${X}'];

/** One to four mutations of `input`; `other` is what a splice takes from. */
export function mutate(input: Uint8Array, other: Uint8Array, random: () => number): Uint8Array {
  let bytes: Buffer = Buffer.from(input);
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) bytes = once(bytes, other, random);
  // Stay within a datagram.
  return new Uint8Array(bytes.subarray(0, 65_535));
}

function once(b: Buffer, other: Uint8Array, random: () => number): Buffer {
  const at = (len: number): number => Math.floor(random() * (len + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  switch (Math.floor(random() * 9)) {
    case 0: {
      // flip a byte
      if (b.length === 0) return Buffer.from([Math.floor(random() * 256)]);
      const c = Buffer.from(b);
      c[Math.floor(random() * c.length)] = Math.floor(random() * 256);
      return c;
    }
    case 1: {
      // insert random bytes
      const p = at(b.length);
      const ins = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256)));
      return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
    }
    case 2: {
      // delete a range
      const p = at(b.length);
      return Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + Math.floor(random() * 32)))]);
    }
    case 3: {
      // repeat a range many times (header bombs, long values)
      const p = at(b.length);
      const piece = b.subarray(p, Math.min(b.length, p + 1 + Math.floor(random() * 40)));
      return Buffer.concat([b.subarray(0, p), Buffer.concat(Array.from({ length: 1 + Math.floor(random() * 200) }, () => piece)), b.subarray(p)]);
    }
    case 4: {
      // splice with the other input
      const p = at(b.length);
      const q = at(other.length);
      return Buffer.concat([b.subarray(0, p), Buffer.from(other.subarray(q))]);
    }
    case 5: {
      // an interesting token at a random place
      const p = at(b.length);
      return Buffer.concat([b.subarray(0, p), Buffer.from(pick(INTERESTING)), b.subarray(p)]);
    }
    case 6: {
      // a number replaced by an extreme one
      const s = b.toString('latin1');
      const numbers = [...s.matchAll(/\d+/g)];
      if (numbers.length === 0) return b;
      const m = pick(numbers);
      return Buffer.from(s.slice(0, m.index) + pick(['0', '-1', '4294967296', '99999999999999999999', '2147483648']) + s.slice(m.index! + m[0].length), 'latin1');
    }
    case 7: {
      // a line duplicated or dropped
      const lines = b.toString('latin1').split('\r\n');
      const i = Math.floor(random() * lines.length);
      if (random() < 0.5) lines.splice(i, 0, lines[i]!);
      else lines.splice(i, 1);
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    default:
      // truncate
      return b.subarray(0, at(b.length));
  }
}
