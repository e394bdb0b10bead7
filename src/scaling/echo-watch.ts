/** @module Whether this node's messages still make the round trip through the broker, judged by its own heartbeats. */

/**
 * A node receives its own messages back (the channel delivers to every subscriber, the sender included). A broker that
 * stops answering while keeping its connections open, a subscription the client library silently lost, or this
 * process having been paused all look the same from here: the node's own heartbeats stop coming back on time. That is
 * the one signal every broker and shape gives, so the cluster trusts it over the client library's connection status.
 *
 * While stalled, what arrives may be a backlog released late, so the broker drops it; stalled ends when a heartbeat
 * sent after the first one to come back returns too (the backlog, queued ahead of it, has then been seen).
 */
export class EchoWatch {
  private readonly heartbeatMs: number;
  private readonly lateMs: number;
  /** Send times of this node's heartbeats that have not come back yet, oldest first. */
  private readonly pending: number[] = [];
  private lastTick: number;
  /** Heartbeats sent at or after this time prove the backlog is through; Infinity until the broker answers at all. */
  private confirmAfter = Infinity;
  stalled = false;

  /** `lateMs`: how late a heartbeat (or this node's own timer) may be before the link counts as stalled; `now`: the start. */
  constructor(heartbeatMs: number, lateMs: number, now: number) {
    this.heartbeatMs = heartbeatMs;
    this.lateMs = lateMs;
    this.lastTick = now;
  }

  /**
   * Called on every heartbeat tick, before sending. Returns why the link just became stalled: `paused` when this
   * process's own timer ran late (it was stopped or starved, so what it receives next is old), `silent` when a
   * heartbeat has not come back within lateMs.
   */
  tick(now: number): "paused" | "silent" | undefined {
    const late = now - this.lastTick - this.heartbeatMs;
    this.lastTick = now;
    if (late > this.lateMs) {
      // What is queued for this node was sent while it slept; a heartbeat sent from now on comes back behind it.
      this.pending.length = 0;
      this.confirmAfter = Math.min(this.confirmAfter, now);
      if (this.stalled) return undefined;
      this.stalled = true;
      return "paused";
    }
    const oldest = this.pending[0];
    if (this.stalled || oldest === undefined || now - oldest < this.lateMs) return undefined;
    this.stalled = true;
    this.confirmAfter = Infinity;
    return "silent";
  }

  /** A heartbeat stamped `at` was sent. */
  sent(at: number): void {
    // Bounded: a broker silent for minutes must not grow this; the oldest entry is what matters.
    if (this.pending.length < 64) this.pending.push(at);
  }

  /**
   * This node's heartbeat stamped `at` came back. Returns `probe` when the caller should send a heartbeat now (the
   * broker answers again, and one sent now confirms the backlog is through), `recovered` when the stall is over.
   */
  echoed(at: number, now: number): "probe" | "recovered" | undefined {
    // Messages of one sender come back in order: everything sent up to `at` is through.
    while (this.pending.length > 0 && this.pending[0]! <= at) this.pending.shift();
    if (!this.stalled) return undefined;
    if (at >= this.confirmAfter) {
      this.stalled = false;
      this.confirmAfter = Infinity;
      return "recovered";
    }
    if (this.confirmAfter !== Infinity) return undefined;
    this.confirmAfter = now;
    return "probe";
  }

  /** The connection was lost or is back: heartbeats in flight are gone, and a reconnect resynchronises anyway. */
  reset(): void {
    this.pending.length = 0;
    this.stalled = false;
    this.confirmAfter = Infinity;
  }
}
