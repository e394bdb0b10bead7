/** @module An in-memory pub/sub bus standing in for Redis in unit tests: ordered (unless told to reorder), synchronous, and can be cut per node. */

import type { PubSub } from "../../src/scaling/pubsub.ts";

/** A shared bus; `link()` gives each node its PubSub. Messages are delivered in publish order to every linked node. */
export class MemoryBus {
  private readonly links = new Set<MemoryLink>();
  /** Every message published, for assertions. */
  readonly log: string[] = [];
  private queue: Array<() => void> = [];
  private draining = false;

  link(): MemoryLink {
    const link = new MemoryLink(this);
    this.links.add(link);
    return link;
  }

  /** Publishes a raw message as a foreign publisher would. */
  inject(message: string): void {
    this.deliver(undefined, message);
  }

  /** @internal */
  deliver(from: MemoryLink | undefined, message: string): void {
    if (from && !from.connected) return;
    this.log.push(message);
    for (const link of this.links) {
      if (!link.connected || link.closed || link.deaf) continue;
      if (link.holding) link.held.push(message);
      else this.queue.push(() => link.receive(message));
    }
    this.drain();
  }

  /** A broker that stops answering but keeps its connections (SIGSTOP): everything is held until `thaw`. */
  freeze(): void {
    for (const link of this.links) link.holding = true;
  }

  /** The broker answers again: what it held is delivered now, late, in order. */
  thaw(): void {
    for (const link of this.links) link.release();
  }

  /** @internal */
  enqueue(deliveries: Array<() => void>): void {
    this.queue.push(...deliveries);
    this.drain();
  }

  private drain(): void {
    // Delivery after the publisher's current work, in order, like a round trip to Redis (but without waiting).
    if (this.draining) return;
    this.draining = true;
    while (this.queue.length > 0) this.queue.shift()!();
    this.draining = false;
  }
}

export class MemoryLink implements PubSub {
  readonly target = "the memory bus";
  readonly topic = 'channel "memory"';
  readonly details = "";
  connected = true;
  closed = false;
  /** Messages for this node are held (a frozen broker, or a paused process not reading its socket). */
  holding = false;
  /** @internal */
  readonly held: string[] = [];
  /** The subscription was lost without a disconnect: nothing reaches this node, and it is not told. */
  deaf = false;
  /** How often the broker asked for a fresh subscription; a renewal cures deafness. */
  renewals = 0;
  private readonly bus: MemoryBus;
  private readonly listeners: Array<(message: string) => void> = [];
  private readonly statusListeners: Array<(connected: boolean) => void> = [];

  constructor(bus: MemoryBus) {
    this.bus = bus;
  }

  /**
   * How many of this node's next messages the broker keeps back (while later ones go ahead) until `overtaken()`:
   * ioredis retrying a Redis Cluster command after a redirect or a failover.
   */
  detain = 0;
  private readonly detained: string[] = [];

  publish(_channel: string, message: string): void {
    if (this.closed) return;
    if (this.detain > 0) {
      this.detain--;
      this.detained.push(message);
      return;
    }
    this.bus.deliver(this, message);
  }
  /** Delivers the detained messages now, after everything published since. */
  overtaken(): void {
    for (const message of this.detained.splice(0)) this.bus.deliver(this, message);
  }
  onMessage(listener: (message: string) => void): void {
    this.listeners.push(listener);
  }
  onStatusChange(listener: (connected: boolean) => void): void {
    this.statusListeners.push(listener);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  /** Simulates losing or regaining the Redis connection. */
  setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    for (const listener of this.statusListeners) listener(connected);
  }
  renew(): void {
    this.renewals++;
    this.deaf = false;
  }
  /** Delivers what was held, in order. */
  release(): void {
    this.holding = false;
    const held = this.held.splice(0);
    this.bus.enqueue(held.map((message) => () => this.receive(message)));
  }
  /** @internal */
  receive(message: string): void {
    for (const listener of this.listeners) listener(message);
  }
}
