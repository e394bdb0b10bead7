/** @module A hybrid logical clock: versions for cached events that follow wall time yet never run behind what a node has seen. */

/** Sub-millisecond steps per millisecond: a node can version this many events per millisecond before running ahead. */
const STEPS_PER_MS = 1000;

/** The wall-clock millisecond a hybrid time was issued at (give or take the clocks' skew between nodes). */
export function wallTimeOf(at: number): number {
  return Math.floor(at / STEPS_PER_MS);
}

/**
 * Issues increasing times, `wall ms × 1000 + n`. A time seen from another node moves this clock past it, so an
 * event published after receiving another one is always newer, whatever the nodes' wall clocks say; events that
 * were concurrent (a partition) are ordered by wall time.
 */
export class HybridClock {
  private last = 0;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** A new time, later than every time issued or seen so far. */
  tick(): number {
    this.last = Math.max(this.last + 1, Math.floor(this.now()) * STEPS_PER_MS);
    return this.last;
  }

  /** Another node's time: later ticks come after it. */
  observe(at: number): void {
    if (at > this.last) this.last = at;
  }
}
