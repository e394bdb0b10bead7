/** @module The node's live state: per-app connections and channels, event delivery, heartbeat and shutdown. */

import type { App } from "../apps/app.ts";
import type { AppRegistry } from "../apps/app-registry.ts";
import type { Channel, Topics } from "../channels/channel.ts";
import { ChannelManager } from "../channels/channel-manager.ts";
import type { Clock, StopTimer } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import type { RandomInt } from "../support/random.ts";
import { Connection } from "./connection.ts";
import { channelList } from "./connection-channels.ts";
import { channelKind } from "../channels/channel-kind.ts";
import { type ClusterPort, SINGLE_NODE } from "./cluster.ts";
import { channelEvent, memberAdded, memberRemoved } from "./frames.ts";
import { sweepHeartbeats } from "./heartbeat.ts";
import { PublishMeter, SlowClients } from "../limits/backlog.ts";
import { Lifecycle, utf8Length } from "../events/lifecycle.ts";
import { LogThrottle } from "../support/log-throttle.ts";
import { Watchlists } from "./watchlists.ts";
import { SubscriptionCounts } from "./subscription-counts.ts";

/** One app's connections and channels on this node. */
export class AppState {
  readonly app: App;
  readonly channels: ChannelManager<Connection>;
  /** Every open connection of the app, by socket id. */
  readonly connections = new Map<string, Connection>();
  /** Bytes the app's channels published through native topics: the clock of the bulk backlog checks. */
  readonly meter: PublishMeter;

  constructor(app: App, clock: Clock, topics?: Topics<Connection>) {
    this.app = app;
    this.meter = new PublishMeter(app.maxBacklogBytes);
    const cache = { ttlMs: app.cacheTtl * 1000, max: app.maxCachedEvents, now: () => clock.now() };
    // Channel names cannot contain a newline, so it safely separates the app id from the channel name.
    this.channels = new ChannelManager(topics, `${app.id}\n`, this.meter, cache);
  }
}

/** An event to deliver, as given to the HTTP API. */
export interface ApiEvent {
  readonly name: string;
  readonly data: string;
  readonly channels: readonly string[];
  /** The publisher's own connection, which must not receive the event. */
  readonly socketId?: string | undefined;
}

export interface HubOptions {
  readonly apps: AppRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly randomInt: RandomInt;
  /** Native topic pub/sub for channel fan-out, when the runtime offers it. */
  readonly topics?: Topics<Connection> | undefined;
}

/** How often the heartbeat sweep runs; pings and timeouts therefore land within a second of their due time. */
export const HEARTBEAT_SWEEP_MS = 1000;

/** Apps, connections and channels of this process. */
export class Hub {
  readonly apps: AppRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly randomInt: RandomInt;
  private readonly topics: Topics<Connection> | undefined;
  private readonly states = new Map<string, AppState>();
  private stopHeartbeat: StopTimer | undefined;
  /** The rest of the cluster; a scaling broker replaces it when it starts. */
  cluster: ClusterPort = SINGLE_NODE;
  /** What happens on this node, for metrics, --debug, webhooks and embedders (see Lifecycle). */
  readonly events: Lifecycle;
  /** Who watches which signed-in users. */
  readonly watchlists: Watchlists;
  /** Cluster-wide subscription counts, announced once a second. */
  readonly subscriptionCounts: SubscriptionCounts;
  /** Connections whose unsent data is past their app's max_backlog_bytes, looked at again until they catch up. */
  readonly slowClients: SlowClients;

  constructor(options: HubOptions) {
    this.apps = options.apps;
    this.clock = options.clock;
    this.slowClients = new SlowClients(options.clock);
    this.logger = options.logger;
    const throttle = new LogThrottle(options.clock);
    this.events = new Lifecycle((name, error) =>
      throttle.log(`listener ${name}`, (heldBack) =>
        options.logger.error(`A ${name} listener failed${heldBack}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)));
    this.watchlists = new Watchlists(this);
    this.subscriptionCounts = new SubscriptionCounts(this);
    this.randomInt = options.randomInt;
    this.topics = options.topics;
  }

  /** Starts the heartbeat sweep. */
  start(): void {
    this.stopHeartbeat ??= this.clock.every(HEARTBEAT_SWEEP_MS, () => {
      sweepHeartbeats(this, this.clock.now());
      this.subscriptionCounts.flush();
      for (const state of this.states.values()) state.channels.cache.sweep();
    });
  }

  /** The session for a WebSocket upgrade to `/app/{appKey}`; an unknown key is reported once the socket opens. */
  session(appKey: string, origin: string | null): Connection {
    return new Connection(this, this.apps.findByKey(appKey), origin);
  }

  /** This node's state for `app`. */
  state(app: App): AppState {
    let state = this.states.get(app.id);
    if (!state) {
      state = new AppState(app, this.clock, this.topics);
      this.states.set(app.id, state);
    }
    return state;
  }

  /** Every app state with at least one connection. */
  activeStates(): IterableIterator<AppState> {
    return this.states.values();
  }

  /** Adds an opened connection and returns its new socket id (unique on this node). */
  register(connection: Connection, state: AppState): string {
    let socketId: string;
    do socketId = `${this.randomInt(1, 1_000_000_000)}.${this.randomInt(1, 1_000_000_000)}`;
    while (state.connections.has(socketId));
    state.connections.set(socketId, connection);
    return socketId;
  }

  unregister(connection: Connection, state: AppState): void {
    if (state.connections.get(connection.socketId) === connection) state.connections.delete(connection.socketId);
  }

  /** Delivers an HTTP API event (from this node or another) to this node's subscribers; encodes once per channel. */
  publish(app: App, event: ApiEvent): void {
    const state = this.state(app);
    const except = event.socketId === undefined ? undefined : state.connections.get(event.socketId);
    for (const name of event.channels) {
      const channel = state.channels.find(name);
      const cached = (channel?.kind ?? channelKind(name)).cache;
      // Most broadcasts go to channels nobody on this node watches: those cost no frame, unless the channel keeps it.
      if (!channel && !cached) continue;
      const frame = channelEvent(event.name, name, event.data);
      if (cached) state.channels.cache.set(name, frame);
      if (channel) this.broadcast(state.app, channel, frame, except);
    }
  }

  /** Delivers an encoded event frame (another node's client event) to this node's subscribers but `socketId`. */
  relay(app: App, channel: string, frame: string, socketId: string): void {
    const state = this.state(app);
    this.deliver(state, channel, frame, state.connections.get(socketId));
  }

  /**
   * Sends an event frame to this node's subscribers of `name` but `except`, never awaiting. Cache channels keep
   * the frame (for the app's cache_ttl, subscribers or not).
   */
  deliver(state: AppState, name: string, frame: string, except?: Connection): void {
    const channel = state.channels.find(name);
    if ((channel?.kind ?? channelKind(name)).cache) state.channels.cache.set(name, frame);
    if (channel) this.broadcast(state.app, channel, frame, except);
  }

  /** Sends a frame to a channel's subscribers on this node but `except`, and reports it (messageSent) once. */
  broadcast(app: App, channel: Channel<Connection>, frame: string, except?: Connection): void {
    const count = channel.broadcast(frame, except);
    if (count > 0 && this.events.wants("messageSent")) {
      this.events.emit("messageSent", { app, frame, count, bytes: utf8Length(frame), channel: channel.name, socketId: undefined });
    }
  }

  // --- presence changes on other nodes (called by the cluster broker) ---

  /** Whether a user is a presence member of the channel on this node. */
  hasLocalMember(app: App, channel: string, userKey: string): boolean {
    return this.states.get(app.id)?.channels.find(channel)?.presence?.members.has(userKey) ?? false;
  }

  /** A user became present in the cluster: tell this node's subscribers (`data` is its channel_data). */
  memberAppeared(app: App, channel: string, data: Record<string, unknown>): void {
    const userId = data["user_id"];
    if ((typeof userId === "string" || typeof userId === "number") && this.events.wants("presenceJoined")) {
      this.events.emit("presenceJoined", { app, channel, userId });
    }
    const local = this.states.get(app.id)?.channels.find(channel);
    if (local) this.broadcast(app, local, memberAdded(channel, data));
  }

  /** A user left the whole cluster: tell this node's subscribers. */
  memberDisappeared(app: App, channel: string, userId: string | number): void {
    if (this.events.wants("presenceLeft")) this.events.emit("presenceLeft", { app, channel, userId });
    const local = this.states.get(app.id)?.channels.find(channel);
    if (local) this.broadcast(app, local, memberRemoved(channel, userId));
  }

  /** Whether this node has subscribers on the channel. */
  hasLocalChannel(app: App, channel: string): boolean {
    return this.states.get(app.id)?.channels.find(channel) !== undefined;
  }

  /** The cluster went from no subscriber on the channel to some (on this node or another). */
  channelOccupiedSomewhere(app: App, channel: string): void {
    if (this.events.wants("channelOccupied")) this.events.emit("channelOccupied", { app, channel });
  }

  /** The channel's last subscriber in the whole cluster left (or its node died). */
  channelVacatedEverywhere(app: App, channel: string): void {
    if (this.events.wants("channelVacated")) this.events.emit("channelVacated", { app, channel });
  }

  /** Disconnects every connection of `app` signed in as this user, or whose signed channel data carries its id. */
  terminateUser(app: App, userId: string): number {
    const state = this.states.get(app.id);
    if (!state) return 0;
    let terminated = 0;
    for (const connection of [...state.connections.values()]) {
      if (connection.user?.id === userId) {
        connection.fail("terminated");
        terminated++;
        continue;
      }
      for (const channel of channelList(connection.channels)) {
        const subscription = channel.subscribers.get(connection);
        if (subscription?.userId !== undefined && String(subscription.userId) === userId) {
          connection.fail("terminated");
          terminated++;
          break;
        }
      }
    }
    return terminated;
  }

  /** Set by shutdown: connections that open from then on are told to reconnect elsewhere (4200) at once. */
  shuttingDown = false;

  /** Tells every client to reconnect elsewhere (4200) and closes it; stops the heartbeat. */
  shutdown(): void {
    this.shuttingDown = true;
    this.slowClients.stop();
    this.stopHeartbeat?.();
    this.stopHeartbeat = undefined;
    for (const state of this.states.values()) {
      for (const connection of [...state.connections.values()]) connection.fail("shuttingDown");
    }
  }
}
