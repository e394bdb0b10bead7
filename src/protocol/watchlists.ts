/**
 * @module Watchlists (Pusher user authentication): a signed-in user's `user_data.watchlist` names users whose coming
 * online and going offline it is told of (`pusher_internal:watchlist_events`). A user is online while it has a
 * signed-in socket anywhere in the cluster, which is exactly while its `#server-to-user-{id}` channel is occupied,
 * so the cluster's replicated channel state answers it and its occupied/vacated transitions drive the events.
 * https://pusher.com/docs/channels/using_channels/watchlist-events/
 */

import type { App } from "../apps/app.ts";
import { SERVER_TO_USER_PREFIX, serverToUserId } from "../channels/channel-kind.ts";
import type { Connection } from "./connection.ts";
import { watchlistEvents } from "./frames.ts";
import type { Hub } from "./hub.ts";

/** Which connections watch which user, per app. */
export class Watchlists {
  private readonly hub: Hub;
  /** app id → watched user id → the connections watching it. */
  private readonly watchers = new Map<string, Map<string, Set<Connection>>>();

  constructor(hub: Hub) {
    this.hub = hub;
    hub.events.on("channelOccupied", ({ app, channel }) => this.changed(app, channel, "online"));
    hub.events.on("channelVacated", ({ app, channel }) => this.changed(app, channel, "offline"));
  }

  /** Whether the user has a signed-in socket anywhere in the cluster. */
  isOnline(app: App, userId: string): boolean {
    const channel = `${SERVER_TO_USER_PREFIX}${userId}`;
    return this.hub.hasLocalChannel(app, channel) || this.hub.cluster.occupiedElsewhere(app.id, channel);
  }

  /** `connection` watches `userIds`; it is told at once which of them are online. */
  watch(connection: Connection, app: App, userIds: readonly string[]): void {
    let byUser = this.watchers.get(app.id);
    if (!byUser) this.watchers.set(app.id, (byUser = new Map()));
    for (const userId of userIds) {
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(connection);
    }
    const online = userIds.filter((userId) => this.isOnline(app, userId));
    if (online.length > 0) connection.send(watchlistEvents([{ name: "online", userIds: online }]));
  }

  /** `connection` watches nothing any more (it closed). */
  unwatch(connection: Connection, app: App, userIds: readonly string[]): void {
    const byUser = this.watchers.get(app.id);
    if (!byUser) return;
    for (const userId of userIds) {
      const set = byUser.get(userId);
      if (!set?.delete(connection)) continue;
      if (set.size === 0) byUser.delete(userId);
    }
    if (byUser.size === 0) this.watchers.delete(app.id);
  }

  private changed(app: App, channel: string, name: "online" | "offline"): void {
    const userId = serverToUserId(channel);
    if (userId === undefined) return;
    const watching = this.watchers.get(app.id)?.get(userId);
    if (!watching) return;
    const frame = watchlistEvents([{ name, userIds: [userId] }]);
    for (const connection of [...watching]) connection.send(frame);
  }
}
