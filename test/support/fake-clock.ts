/** @module A manual Clock for deterministic heartbeat, rate-limit and signature-window tests. */

import type { Clock } from "../../src/support/clock.ts";

/** Time only moves when a test calls `advance`; due timers then run in order. */
export class FakeClock implements Clock {
  private current: number;
  private timers: Array<{ every: number; next: number; task: () => void; stopped: boolean; once?: boolean }> = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  every(ms: number, task: () => void) {
    const timer = { every: ms, next: this.current + ms, task, stopped: false };
    this.timers.push(timer);
    return () => {
      timer.stopped = true;
    };
  }

  after(ms: number, task: () => void) {
    const timer = { every: ms, next: this.current + ms, task, stopped: false, once: true };
    this.timers.push(timer);
    return () => {
      timer.stopped = true;
    };
  }

  /** How many periodic timers are running (not stopped). */
  get periodicTimers(): number {
    return this.timers.filter((t) => !t.stopped && !t.once).length;
  }

  /**
   * Moves time forward by `ms` at once, as a process that was paused (SIGSTOP) or blocked sees it: each timer that
   * came due meanwhile fires once, late, at the end (periodic ones are not caught up).
   */
  jump(ms: number): void {
    this.current += ms;
    for (const due of this.timers.filter((t) => !t.stopped && t.next <= this.current).sort((a, b) => a.next - b.next)) {
      due.next = this.current + due.every;
      if (due.once) due.stopped = true;
      due.task();
    }
  }

  /** Moves time forward by `ms`, firing every timer that comes due on the way. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.stopped && t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.current = due.next;
      due.next += due.every;
      if (due.once) due.stopped = true;
      due.task();
    }
    this.current = end;
  }
}
