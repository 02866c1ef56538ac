import { describe, expect, it } from 'vitest';
import { quote, unquote } from '../../../src/sip/parser/escape.js';

describe('quote', () => {
  it('wraps a display name in DQUOTEs, escaping only DQUOTE, backslash and controls but HTAB (RFC 3261 §25.1)', () => {
    expect(quote('Bob')).toBe('"Bob"');
    expect(quote('Ålice\tB')).toBe('"Ålice\tB"');
    expect(quote('a"b\\c\x01\x7f')).toBe('"a\\"b\\\\c\\\x01\\\x7f"');
    expect(quote('')).toBe('""');
    for (const s of ['plain', 'with "quotes"', 'back\\slash', '\x00\x1f', 'tab\there', '"', '\\']) expect(unquote(quote(s))).toBe(s);
  });
});
