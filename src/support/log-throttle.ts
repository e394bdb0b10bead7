/** @module Keeps a repeated log line (a client mistake, an unexpected error) to one per interval, with a count of the rest. */

import type { Clock } from "./clock.ts";

/** How often one kind of line may be written. */
export const LOG_THROTTLE_MS = 60_000;

/** Remembers, per kind of line, when it was last written and how often it was held back since. */
export class LogThrottle {
  private readonly clock: Clock;
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Calls `write` (with a note of the occurrences held back) unless `kind` was written within the interval. */
  log(kind: string, write: (heldBack: string) => void): void {
    const now = this.clock.now();
    const entry = this.last.get(kind);
    if (entry && now - entry.at < LOG_THROTTLE_MS) {
      entry.held++;
      return;
    }
    write(entry?.held ? ` (${entry.held} more like it since the last report)` : "");
    this.last.set(kind, { at: now, held: 0 });
  }
}
