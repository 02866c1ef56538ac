// A set that remembers what was added lately: at least the last `kept` values, at most twice that.

/**
 * @internal The values added lately, in two generations of at most `kept` each: when the newer is
 * full it becomes the older and the older is dropped. So the last `kept` values added are always
 * there, and never more than 2 × `kept`. Adding and testing cost a hash lookup each; there is no
 * per-value bookkeeping and no iterator (dropping the oldest value of one Set on each add, through
 * `values().next()`, cost more than the lookups it saved).
 */
export class RecentSet<T> {
  private newer = new Set<T>();
  private older = new Set<T>();

  constructor(private readonly kept: number) {}

  /** Whether `value` was added lately. */
  has(value: T): boolean {
    return this.newer.has(value) || this.older.has(value);
  }

  /** Adds `value` (again: it counts as added now). */
  add(value: T): void {
    if (this.newer.size >= this.kept) {
      this.older = this.newer;
      this.newer = new Set();
    }
    this.newer.add(value);
  }
}
