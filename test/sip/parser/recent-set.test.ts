import { describe, expect, it } from 'vitest';
import { RecentSet } from '../../../src/sip/parser/recent-set.js';

describe('RecentSet', () => {
  it('keeps at least the last `kept` values added and never more than twice that', () => {
    const set = new RecentSet<number>(4);
    for (let i = 0; i < 100; i++) {
      set.add(i);
      // the last four are always there
      for (let j = Math.max(0, i - 3); j <= i; j++) expect(set.has(j)).toBe(true);
      // nothing older than eight adds ago
      for (let j = 0; j < i - 7; j++) expect(set.has(j)).toBe(false);
    }
  });

  it('takes a value added again as added now', () => {
    const set = new RecentSet<string>(2);
    set.add('a');
    set.add('b');
    set.add('c'); // a and b are the older generation
    set.add('a'); // a again, in the newer
    set.add('d'); // the newer (c, a) becomes the older: b is gone, a stays
    set.add('e');
    expect(['a', 'b', 'c', 'd', 'e'].map((v) => set.has(v))).toEqual([true, false, true, true, true]);
  });
});
