/** @module The log of one webhook endpoint's dropped events: one line a minute at most, yet every dropped event counted. */

import type { Clock, StopTimer } from "../support/clock.ts";
import { LOG_THROTTLE_MS } from "../support/log-throttle.ts";
import type { Logger } from "../support/logger.ts";

/**
 * The first drop is logged at once; drops within the next minute are only counted, and a summary line with their
 * total follows when the minute is up. A plain throttle would report the held-back count only at the next drop after
 * the minute, which may never come (a burst that filled the queue once), so the log would under-count the metric.
 */
export class DropLog {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly subject: string;
  private lastLineAt: number | undefined;
  private held = 0;
  private lastReason = "";
  private timer: StopTimer | undefined;

  /** `subject` starts every line ("Webhook https://… of app 123"). */
  constructor(clock: Clock, logger: Logger, subject: string) {
    this.clock = clock;
    this.logger = logger;
    this.subject = subject;
  }

  /** Records that `count` events were given up on, for `reason`. */
  dropped(count: number, reason: string): void {
    const now = this.clock.now();
    if (this.timer === undefined && (this.lastLineAt === undefined || now - this.lastLineAt >= LOG_THROTTLE_MS)) {
      this.logger.error(`${this.subject}: dropped ${events(count)}: ${reason}.`);
      this.lastLineAt = now;
      return;
    }
    this.held += count;
    this.lastReason = reason;
    this.timer ??= this.clock.after(this.lastLineAt! + LOG_THROTTLE_MS - now, () => this.summarise());
  }

  /** Writes the summary of what is held back now (shutdown), instead of when the minute is up. */
  flush(): void {
    if (this.timer !== undefined) this.summarise();
  }

  private summarise(): void {
    this.timer?.();
    this.timer = undefined;
    if (this.held === 0) return;
    // Always within a minute of the last line: the timer fires when the minute is up, flush() earlier.
    this.logger.error(`${this.subject}: … and ${this.held} more event${this.held === 1 ? "" : "s"} dropped in the last minute (the last: ${this.lastReason}).`);
    this.lastLineAt = this.clock.now();
    this.held = 0;
  }
}

const events = (count: number) => `${count} event${count === 1 ? "" : "s"}`;
