/**
 * @module Slow subscribers: each connection may have at most `max_backlog_bytes` sent but not yet taken by its
 * client; past that it is closed with 4100, so server memory stays bounded and the client knows to resubscribe.
 */

/**
 * Where a connection is checked. A write a connection makes itself is checked at once: the runtime's count of
 * unsent bytes is O(1) to read (ws `bufferedAmount`, Deno `bufferedAmount`, Bun `getBufferedAmount()`).
 *
 * Native topic fan-out (Bun) writes to every subscriber in one call and only says whether some subscriber was
 * left with unsent data, not which. Checking every subscriber after each such publish would cost as much as the
 * fan-out itself, so the check is amortized with this meter: it counts the bytes an app has published so far, and
 * a subscriber's unsent data can have grown by at most that many bytes since a moment it was seen under the limit.
 * Each channel keeps the meter value at which all its subscribers were last known in bounds (a scan, a publish
 * every recipient took at once; a joiner is checked by the subscription_succeeded it is sent), and on a publish that
 * reports unsent data it scans its subscribers only once `slack` more bytes were published since then. That bounds
 * any connection's unsent data by about `limit + slack` (plus one frame) at the cost of one check per subscriber
 * every `slack` published bytes, and costs nothing while every client keeps up.
 */
export class PublishMeter {
  /** Bytes (UTF-16 units, close enough for a bound) published through native topics by one app's channels so far. */
  bytes = 0;
  /** How far the meter may run past a channel's last scan before a publish with unsent data scans again. */
  readonly slack: number;

  constructor(limit: number) {
    this.slack = Math.max(1, Math.floor(limit / 4));
  }
}

/** What a channel asks of a subscriber when it scans for slow ones. */
export interface BacklogSubject {
  /** True when its unsent bytes are within its limit. */
  withinBacklog(): boolean;
  /** Closes it with 4100 (its unsent bytes are over the limit). */
  overCapacity(): void;
}
