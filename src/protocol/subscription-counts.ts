/**
 * @module Subscription counts of non-presence channels, cluster-wide: `pusher_internal:subscription_count` to the
 * subscribers of apps that enable it, and the subscriptionCount lifecycle event (the webhook's subscription_count).
 * Changes are gathered and announced once a second per channel, whatever the churn in between (other nodes report
 * their counts with their heartbeats).
 * https://pusher.com/docs/channels/using_channels/events/#pusher-internal-subscription-count
 */

import type { App } from "../apps/app.ts";
import { channelKind } from "../channels/channel-kind.ts";
import { subscriptionCount } from "./frames.ts";
import type { Hub } from "./hub.ts";

/** Channels whose count changed, announced at the next flush. */
export class SubscriptionCounts {
  private readonly hub: Hub;
  private readonly dirty = new Map<App, Set<string>>();
  /** The count last announced per channel (`app id\nchannel`). */
  private readonly announced = new Map<string, number>();

  constructor(hub: Hub) {
    this.hub = hub;
  }

  /** The channel's count may have changed (here or on another node). */
  changed(app: App, channel: string): void {
    if (!app.subscriptionCount && !this.hub.events.wants("subscriptionCount")) return;
    if (channelKind(channel).presence || channel.startsWith("#")) return; // presence has user_count; users' channels are internal
    let channels = this.dirty.get(app);
    if (!channels) this.dirty.set(app, (channels = new Set()));
    channels.add(channel);
  }

  /** The count on every node: this one's subscribers and the others' reported counts. */
  count(app: App, channel: string): number {
    const local = this.hub.state(app).channels.find(channel)?.subscribers.size ?? 0;
    return local + this.hub.cluster.remoteSubscriptions(app.id, channel);
  }

  /** Announces what changed since the last flush (run once a second). */
  flush(): void {
    if (this.dirty.size === 0) return;
    const dirty = [...this.dirty];
    this.dirty.clear();
    for (const [app, channels] of dirty) {
      for (const name of channels) {
        const key = `${app.id}\n${name}`;
        const count = this.count(app, name);
        if (this.announced.get(key) === count) continue;
        if (count === 0) this.announced.delete(key);
        else this.announced.set(key, count);
        const local = this.hub.state(app).channels.find(name);
        if (app.subscriptionCount && local) this.hub.broadcast(app, local, subscriptionCount(name, count));
        if (this.hub.events.wants("subscriptionCount")) this.hub.events.emit("subscriptionCount", { app, channel: name, count });
      }
    }
  }
}
