/**
 * @module Slow subscribers: a connection whose unsent data stays past `max_backlog_bytes` is closed with 4100, so
 * server memory stays bounded and the client knows to resubscribe.
 */

import type { Clock, StopTimer } from "../support/clock.ts";

/**
 * How long a connection may stay past its limit before it is cut off. Runtimes count as unsent what they have not yet
 * handed to the kernel: Node holds one event-loop turn's writes while its socket is corked, Deno's writes finish
 * asynchronously, so a burst counts in full for a moment even to a client that reads at once. Only a backlog that
 * is still there a moment later means the client is not keeping up.
 */
export const BACKLOG_GRACE_MS = 1_000;

/** Past this many times its limit a connection that was already behind is cut at once: the memory bound. */
export const BACKLOG_HARD_FACTOR = 4;

/**
 * ...but only once it has been behind this long: what one event-loop turn writes (several large batches arriving
 * together) counts as unsent in full on Node and Deno until the turn is over, even for clients that read at once.
 */
export const BACKLOG_HARD_AFTER_MS = 100;

/** How often the connections found behind are looked at again while there are any. */
export const BACKLOG_SWEEP_MS = 100;

/**
 * Where a connection is checked. A write a connection makes itself is checked at once: the runtime's count of
 * unsent bytes is O(1) to read (ws `bufferedAmount`, Deno `bufferedAmount`, Bun `getBufferedAmount()`), and a
 * connection past its limit goes to SlowClients.
 *
 * Native topic fan-out (Bun) writes to every subscriber in one call and only says whether some subscriber was
 * left with unsent data, not which. Checking every subscriber after each such publish would cost as much as the
 * fan-out itself, so the check is amortized with this meter: it counts the bytes an app has published so far, and
 * a subscriber's unsent data can have grown by at most that many bytes since a moment it was seen under the limit.
 * Each channel keeps the meter value at which all its subscribers were last known in bounds (a scan, a publish
 * every recipient took at once; a joiner is checked by the subscription_succeeded it is sent), and on a publish that
 * reports unsent data it scans its subscribers only once `slack` more bytes were published since then. A connection
 * is therefore seen past its limit at most `slack` (plus one frame) late, at the cost of one check per subscriber
 * every `slack` published bytes, and this costs nothing while every client keeps up.
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

/** What the backlog checks ask of a connection. */
export interface BacklogSubject {
  readonly isClosed: boolean;
  /** True when its unsent bytes are within its limit. */
  withinBacklog(): boolean;
  /** Reads its unsent bytes and reports it to the hub's SlowClients when they are past its limit. */
  checkBacklog(): void;
  /** Closes it with 4100 (its unsent bytes are over the limit). */
  overCapacity(): void;
}

/**
 * The connections seen past their limit, each with the time it was first seen so, looked at every BACKLOG_SWEEP_MS
 * while there are any: one found within its limit is forgotten, one still past it BACKLOG_GRACE_MS after it was first
 * seen so is cut off; one that is past BACKLOG_HARD_FACTOR × its limit on a write at least
 * BACKLOG_HARD_AFTER_MS after it was first seen behind is cut off at once. A single large frame or one turn's burst
 * (a presence roster, several big batches) therefore never cuts a client that reads it, and a client that stopped
 * reading holds at most BACKLOG_HARD_FACTOR × the limit plus what is published to it in BACKLOG_HARD_AFTER_MS. Costs
 * nothing while every client keeps up: the map only ever holds connections that are behind.
 */
export class SlowClients {
  private readonly since = new Map<BacklogSubject, number>();
  private readonly clock: Clock;
  private stopSweeping: StopTimer | undefined;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** `subject` has `unsent` bytes, past its `limit`, now. */
  over(subject: BacklogSubject, unsent: number, limit: number): void {
    const now = this.clock.now();
    const since = this.since.get(subject);
    if (since === undefined) {
      this.since.set(subject, now);
      // Swept often while anyone is behind, so a client that caught up starts afresh at its next burst.
      this.stopSweeping ??= this.clock.every(BACKLOG_SWEEP_MS, () => this.sweep());
    } else if (unsent > BACKLOG_HARD_FACTOR * limit && now - since >= BACKLOG_HARD_AFTER_MS) {
      this.cut(subject);
    }
  }

  /** Cuts off the connections still past their limit a grace period after they were first seen so; forgets the rest. */
  private sweep(): void {
    const now = this.clock.now();
    for (const [subject, since] of this.since) {
      if (subject.isClosed || subject.withinBacklog()) this.since.delete(subject);
      else if (now - since >= BACKLOG_GRACE_MS) this.cut(subject);
    }
    if (this.since.size === 0) this.stop();
  }

  /** Stops sweeping (shutdown); a later connection behind starts it again. */
  stop(): void {
    this.stopSweeping?.();
    this.stopSweeping = undefined;
  }

  /** How many connections are behind right now. */
  get size(): number {
    return this.since.size;
  }

  private cut(subject: BacklogSubject): void {
    this.since.delete(subject);
    subject.overCapacity();
  }
}
