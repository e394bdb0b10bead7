/**
 * @module The dashboard's debug console: what happens on this node as short entries (connections, subscriptions,
 * API and client events with payload previews, errors), listened to only while a dashboard is open.
 */

import type { Lifecycle } from "../events/lifecycle.ts";
import type { Clock } from "../support/clock.ts";

/** One line of the debug console. */
export interface DebugEntry {
  readonly time: number;
  readonly type: string;
  readonly app: string;
  readonly socketId?: string;
  readonly channel?: string;
  readonly event?: string;
  readonly detail?: string;
}

/** Longest payload preview shown. */
const PREVIEW = 200;
const preview = (text: string) => (text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text);

/** Fans lifecycle events out to the open dashboards; attached to the events only while one is open. */
export class DebugFeed {
  private readonly events: Lifecycle;
  private readonly clock: Clock;
  private readonly listeners = new Set<(entry: DebugEntry) => void>();
  private stops: Array<() => void> = [];

  constructor(events: Lifecycle, clock: Clock) {
    this.events = events;
    this.clock = clock;
  }

  /** Calls `listener` with every entry until the returned function is called. */
  subscribe(listener: (entry: DebugEntry) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.attach();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.detach();
    };
  }

  private emit(entry: Omit<DebugEntry, "time">): void {
    const full = { time: this.clock.now(), ...entry };
    for (const listener of this.listeners) listener(full);
  }

  private attach(): void {
    const on = this.events.on.bind(this.events);
    this.stops = [
      on("connectionOpened", (e) => this.emit({ type: "connected", app: e.app.id, socketId: e.socketId, ...(e.origin && { detail: `origin ${e.origin}` }) })),
      on("connectionClosed", (e) => this.emit({ type: "disconnected", app: e.app.id, socketId: e.socketId, ...(e.code !== undefined && { detail: `close ${e.code}` }) })),
      on("subscribed", (e) => this.emit({ type: "subscribed", app: e.app.id, socketId: e.socketId, channel: e.channel, ...(e.userId !== undefined && { detail: `user ${e.userId}` }) })),
      on("unsubscribed", (e) => this.emit({ type: "unsubscribed", app: e.app.id, socketId: e.socketId, channel: e.channel })),
      on("signedIn", (e) => this.emit({ type: "signed in", app: e.app.id, socketId: e.socketId, detail: `user ${e.userId}` })),
      on("apiEvent", (e) => {
        for (const channel of e.channels) this.emit({ type: "api event", app: e.app.id, channel, event: e.name, detail: preview(e.data) });
      }),
      on("clientEvent", (e) => this.emit({ type: "client event", app: e.app.id, socketId: e.socketId, channel: e.channel, event: e.event, ...(e.data !== undefined && { detail: preview(e.data) }) })),
      on("errorSent", (e) => this.emit({ type: "error", app: e.app?.id ?? "", socketId: e.socketId, detail: `${e.code} ${e.message}` })),
      on("overCapacity", (e) => this.emit({ type: "error", app: e.app.id, socketId: e.socketId, detail: `4100 over capacity: ${e.unsentBytes} bytes unsent` })),
      on("rateLimited", (e) => this.emit({ type: "rate limited", app: e.app.id, socketId: e.socketId })),
      on("webhookDropped", (e) => this.emit({ type: "error", app: e.app.id, detail: `webhook ${e.url}: dropped ${e.events} events: ${e.reason}` })),
    ];
  }

  private detach(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
  }
}
