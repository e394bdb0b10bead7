/** @module Per-connection message rate limit: a fixed window of `decaySeconds` allowing `maxAttempts` messages. */

import type { RateLimit } from "../apps/app.ts";

/** The window state one connection carries. */
export interface RateWindow {
  windowStartedAt: number;
  messagesInWindow: number;
}

/** Counts one message at `now` (ms); returns false, without counting it, when the window is already full. */
export function allowMessage(window: RateWindow, limit: RateLimit, now: number): boolean {
  if (now - window.windowStartedAt >= limit.decaySeconds * 1000) {
    window.windowStartedAt = now;
    window.messagesInWindow = 0;
  }
  if (window.messagesInWindow >= limit.maxAttempts) return false;
  window.messagesInWindow++;
  return true;
}
