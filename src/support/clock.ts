/** @module Clock: the only source of time in the core, injected so heartbeats and limits are testable. */

/** A handle returned by {@link Clock.every}; call it to stop the timer. */
export type StopTimer = () => void;

/** Time and periodic timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `task` every `ms` milliseconds until stopped. */
  every(ms: number, task: () => void): StopTimer;
  /** Runs `task` once after `ms` milliseconds unless stopped first. */
  after(ms: number, task: () => void): StopTimer;
}

/** The real clock, on Web-standard timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, task) {
    const timer: unknown = setInterval(task, ms);
    // Where the runtime allows it (Node, Bun), a forgotten timer must not keep a finished process alive.
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer as number);
  },
  after(ms, task) {
    const timer: unknown = setTimeout(task, ms);
    return () => clearTimeout(timer as number);
  },
};
