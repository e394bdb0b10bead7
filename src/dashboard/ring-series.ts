/** @module A fixed-size series of numbers (one per second): the dashboard's 15-minute charts without growing memory. */

/** The last `size` values pushed, oldest first when read. */
export class RingSeries {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.values = new Float64Array(size);
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
  }

  /** Every value kept, oldest first. */
  toArray(): number[] {
    const size = this.values.length;
    const start = (this.next - this.filled + size) % size;
    return Array.from({ length: this.filled }, (_, i) => this.values[(start + i) % size]!);
  }

  /** The newest value (0 when empty). */
  get latest(): number {
    return this.filled === 0 ? 0 : this.values[(this.next - 1 + this.values.length) % this.values.length]!;
  }

  get length(): number {
    return this.filled;
  }
}
