/**
 * A first-in first-out queue whose front is taken by moving a head index: `Array#shift` copies
 * the whole array, which once it holds thousands of items (waiters of a big publish, a stream at
 * its message cap, a usage backlog) makes every take O(n). The taken prefix is released (its
 * slots cleared) and cut off once it is as long as what is left.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item `i` places from the front, or undefined. */
  at(i: number): T | undefined {
    return i < 0 ? undefined : this.items[this.head + i];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    this.compact();
    return item;
  }

  /** Removes up to `n` items from the front. */
  drop(n: number): void {
    const end = Math.min(this.head + Math.max(0, n), this.items.length);
    while (this.head < end) this.items[this.head++] = undefined;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
