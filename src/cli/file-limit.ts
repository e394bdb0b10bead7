/**
 * @module Out of file descriptors: every connection holds one, and past the process's open-files limit the runtime
 * refuses new ones. Noticed by a probe each second and by the runtime's own accept failures, counted, and logged at
 * most once a minute with the fix, instead of a stack trace per refused client.
 */

import type { Lifecycle } from "../events/lifecycle.ts";
import type { Clock, StopTimer } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";

/** How often the probe runs, and how often at most the warning is logged. */
export const FILE_LIMIT_PROBE_MS = 1_000;
export const FILE_LIMIT_LOG_MS = 60_000;

/** What to do about it, for the warning. */
export const FILE_LIMIT_ADVICE =
  "raise the open-files limit: `ulimit -n 65536` in the shell that starts Resound, LimitNOFILE=65536 in its systemd unit, or minfds=65536 in supervisord.conf";

/** True when an error message from a runtime means "out of file descriptors" (EMFILE, ENFILE). */
export function isFileLimitError(message: string): boolean {
  return /EMFILE|ENFILE|too many open files|os error 2[34]\b/i.test(message);
}

/** Reports the process running out of file descriptors: a fileLimitReached event each time, a warning a minute. */
export class FileLimitWatch {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly events: Lifecycle;
  private sinceWarning = 0;
  private warnedAt = -Infinity;

  constructor(clock: Clock, logger: Logger, events: Lifecycle) {
    this.clock = clock;
    this.logger = logger;
    this.events = events;
  }

  /** The limit was hit once (a probe failed, or the runtime could not accept a connection). */
  report(): void {
    this.events.emit("fileLimitReached", {});
    this.sinceWarning++;
    const now = this.clock.now();
    if (now - this.warnedAt < FILE_LIMIT_LOG_MS) return;
    const times = this.sinceWarning === 1 ? "" : ` (${this.sinceWarning} times since the last warning)`;
    this.logger.warn(`Too many open files: new connections are being refused${times}. To serve more clients, ${FILE_LIMIT_ADVICE}.`);
    this.warnedAt = now;
    this.sinceWarning = 0;
  }

  /** Runs `canOpenFile` every second; each failure is a report. */
  start(canOpenFile: () => boolean): StopTimer {
    return this.clock.every(FILE_LIMIT_PROBE_MS, () => {
      if (!canOpenFile()) this.report();
    });
  }
}
