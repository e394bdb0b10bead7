/** @module pusher:subscribe and pusher:unsubscribe: auth, presence membership, cache replay. */

import * as v from "valibot";
import type { App } from "../apps/app.ts";
import type { Channel, Subscription } from "../channels/channel.ts";
import { isValidChannelName, SERVER_TO_USER_PREFIX, serverToUserId } from "../channels/channel-kind.ts";
import type { RemoteMember } from "./cluster.ts";
import { PusherError } from "../errors.ts";
import { isChannelAuthValid } from "./channel-auth.ts";
import type { Connection } from "./connection.ts";
import { channelCount, findChannel, withChannel, withoutChannel } from "./connection-channels.ts";
import {
  cacheMiss,
  memberAdded,
  memberRemoved,
  JsonObject,
  PresenceChannelData,
  SubscribeData,
  subscriptionSucceeded,
  UnsubscribeData,
} from "./frames.ts";
import type { AppState } from "./hub.ts";

// https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#pusher-subscribe-client-pusher-channels
/** Subscribes `connection`; on failure throws and leaves no trace (no channel is created). */
export function subscribe(connection: Connection, app: App, state: AppState, data: unknown): void {
  const request = v.safeParse(SubscribeData, data);
  if (!request.success) throw new PusherError("invalidMessage");
  const { channel: name, auth, channel_data: rawChannelData } = request.output;
  if (name.startsWith(SERVER_TO_USER_PREFIX)) {
    // A signed-in user's own channel (pusher-js subscribes to it after signin_success): only that user's sockets.
    const owner = serverToUserId(name);
    if (owner === undefined) throw new PusherError("invalidChannelName");
    if (connection.user?.id !== owner) throw new PusherError("unauthorized");
  } else {
    if (!isValidChannelName(name)) throw new PusherError("invalidChannelName");
    const limit = app.maxChannelsPerConnection;
    if (channelCount(connection.channels) >= limit && !findChannel(connection.channels, name)) {
      throw new PusherError("tooManyChannels", `Too many channels: a connection may be subscribed to at most ${limit} (max_channels_per_connection)`);
    }
  }
  const { channel, elsewhere } = join(connection, app, state, name, auth, rawChannelData);
  const anonymousElsewhere = channel.presence !== undefined && connection.hub.cluster.anonymousElsewhere(app.id, name);
  connection.send(subscriptionSucceeded(name, channel.presence?.snapshot(elsewhere, anonymousElsewhere)));
  if (channel.kind.cache) {
    const cached = state.channels.cache.get(name);
    if (cached !== undefined) return connection.send(cached);
    connection.send(cacheMiss(name));
    const events = connection.hub.events;
    if (events.wants("cacheMiss")) events.emit("cacheMiss", { app, channel: name, socketId: connection.socketId });
  }
}

/**
 * Adds `connection` to the channel `name` (checking the signature of private and presence channels) and tells the
 * others and the cluster what changed; sends nothing to `connection` itself. Throws before any change on failure.
 */
export function join(
  connection: Connection,
  app: App,
  state: AppState,
  name: string,
  auth?: string | null,
  rawChannelData?: string | null,
): { channel: Channel<Connection>; elsewhere: ReadonlyMap<string, RemoteMember> | undefined } {
  const channel = state.channels.findOrNew(name);
  const channelData = rawChannelData ? parseChannelData(rawChannelData, channel.kind.authenticated) : undefined;
  if (channel.kind.authenticated && !isChannelAuthValid(app, connection.socketId, name, auth, rawChannelData)) {
    throw new PusherError("unauthorized");
  }
  // channel_data is only trusted when it was signed, i.e. on private and presence channels.
  const stored = channel.kind.authenticated ? (channelData ?? {}) : {};
  const userId = userIdOf(stored);
  // Most subscriptions carry no user: they share one record instead of two objects each (memory per connection).
  const subscription = userId === undefined && channelData === undefined ? ANONYMOUS : { userId, data: stored };
  const { joined, left, refreshed } = channel.add(connection, subscription);
  const hub = connection.hub;
  const { cluster, events } = hub;
  if (state.channels.register(channel)) {
    cluster.occupied(app.id, name);
    if (events.wants("channelCreated")) events.emit("channelCreated", { app, channel: name });
    if (!cluster.occupiedElsewhere(app.id, name)) hub.channelOccupiedSomewhere(app, name);
  }
  const isNew = !findChannel(connection.channels, name);
  connection.channels = withChannel(connection.channels, channel);
  if (isNew) {
    cluster.countChanged(app.id, name);
    hub.subscriptionCounts.changed(app, name);
    if (events.wants("subscribed")) events.emit("subscribed", { app, socketId: connection.socketId, channel: name, userId });
  }

  const elsewhere = channel.kind.presence ? cluster.remoteMembers(app.id, name) : undefined;
  if (joined) {
    if (userId !== undefined) {
      cluster.joined(app.id, name, userId, stored);
      if (events.wants("memberAdded")) events.emit("memberAdded", { app, channel: name, userId });
      if (!elsewhere?.has(String(userId)) && events.wants("presenceJoined")) events.emit("presenceJoined", { app, channel: name, userId });
    } else if (channel.presence?.anonymous === 1) cluster.anonymous(app.id, name, true);
    // A user already present on another node was announced there and replicated here: no second member_added.
    if (userId === undefined || !elsewhere?.has(String(userId))) hub.broadcast(app, channel, memberAdded(name, stored), connection);
  }
  // Other nodes keep a copy of the member: give them the new data for the member lists of later joiners.
  if (refreshed) cluster.refreshed(app.id, name, refreshed.userId, refreshed.data);
  if (left !== undefined) announceLeave(connection, channel, left, connection);
  return { channel, elsewhere };
}

// https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#pusher-unsubscribe-client-pusher-channels
/** Unsubscribes `connection`; unknown channels are ignored and nothing is sent back. */
export function unsubscribe(connection: Connection, data: unknown): void {
  const request = v.safeParse(UnsubscribeData, data);
  if (!request.success) throw new PusherError("invalidMessage");
  const channel = findChannel(connection.channels, request.output.channel);
  if (channel) leaveChannel(connection, channel);
}

/** Removes `connection` from `channel`, tells the others when a presence user left, drops the channel when empty. */
export function leaveChannel(connection: Connection, channel: Channel<Connection>): void {
  const hadAnonymous = (channel.presence?.anonymous ?? 0) > 0;
  const { left, refreshed } = channel.remove(connection);
  connection.channels = withoutChannel(connection.channels, channel.name);
  const { hub } = connection;
  const app = connection.app!;
  // The user's earliest socket left but another stays: what later joiners see of the member is now that one's.
  if (refreshed) hub.cluster.refreshed(app.id, channel.name, refreshed.userId, refreshed.data);
  hub.cluster.countChanged(app.id, channel.name);
  hub.subscriptionCounts.changed(app, channel.name);
  if (hub.events.wants("unsubscribed")) hub.events.emit("unsubscribed", { app, socketId: connection.socketId, channel: channel.name });
  if (left !== undefined) announceLeave(connection, channel, left);
  if (hadAnonymous && channel.presence?.anonymous === 0) hub.cluster.anonymous(app.id, channel.name, false);
  const state = connection.state;
  if (state?.channels.removeIfEmpty(channel)) {
    hub.cluster.vacated(state.app.id, channel.name);
    if (hub.events.wants("channelRemoved")) hub.events.emit("channelRemoved", { app, channel: channel.name });
    if (!hub.cluster.occupiedElsewhere(app.id, channel.name)) hub.channelVacatedEverywhere(app, channel.name);
  }
}

/** A user's last socket on this node left: report it, and tell subscribers unless the user is still on another node. */
function announceLeave(connection: Connection, channel: Channel<Connection>, userId: string | number, except?: Connection): void {
  const app = connection.app!;
  const { cluster, events } = connection.hub;
  cluster.left(app.id, channel.name, userId);
  if (events.wants("memberRemoved")) events.emit("memberRemoved", { app, channel: channel.name, userId });
  if (cluster.remoteMembers(app.id, channel.name)?.has(String(userId))) return; // still present on another node
  if (events.wants("presenceLeft")) events.emit("presenceLeft", { app, channel: channel.name, userId });
  connection.hub.broadcast(app, channel, memberRemoved(channel.name, userId), except);
}

/** channel_data must be a JSON object; on signed channels `user_id`, if any, a non-empty string or a number. */
function parseChannelData(raw: string, signed: boolean): Record<string, unknown> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(raw);
  } catch {
    throw new PusherError("invalidMessage");
  }
  const result = v.safeParse(signed ? PresenceChannelData : JsonObject, decoded);
  if (!result.success) throw new PusherError("invalidMessage");
  return result.output;
}

/** The subscription of a connection that sent no channel_data (public channels, most private ones). */
const ANONYMOUS: Subscription = Object.freeze({ userId: undefined, data: Object.freeze({}) });

function userIdOf(data: Record<string, unknown>): string | number | undefined {
  const userId = data["user_id"];
  return typeof userId === "string" || typeof userId === "number" ? userId : undefined;
}
