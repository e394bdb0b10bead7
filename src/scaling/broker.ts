/** @module Broker: what the HTTP API needs from "all nodes"; LocalBroker answers for a single node. */

import type { App } from "../apps/app.ts";
import type { Channel } from "../channels/channel.ts";
import type { ApiEvent, Hub } from "../protocol/hub.ts";
import type { NodeStats } from "./envelope.ts";

/** What the HTTP API reports about one occupied channel (over all nodes). */
export interface ChannelFacts {
  readonly name: string;
  readonly subscriptionCount: number;
  /** Presence channels: distinct users. */
  readonly userCount?: number;
  /** Cache channels: the cached event frame, if any. */
  readonly cachedFrame?: string;
}

/** The cluster from one node's point of view. */
export interface ClusterStatus {
  readonly connected: boolean;
  /** Nodes heard from, this one included. */
  readonly nodes: number;
  readonly nodeId: string;
  /** The other nodes, with the load they last reported (when they report it). */
  readonly peers: ReadonlyArray<{ readonly id: string; readonly stats: NodeStats | undefined }>;
}

/** Delivery and queries across the cluster. Every method answers within a bounded time and never throws for a missing node. */
export interface Broker {
  /** Delivers an API event to subscribers on every node: to this node's at once, to the others' fire-and-forget. */
  publish(app: App, event: ApiEvent): void;
  /**
   * The channel's facts, or undefined when no node has a subscriber. `subscriptionCount` is summed over every
   * node only when `counts` is true (that costs a round trip to the others).
   */
  channel(app: App, name: string, counts?: boolean): Promise<ChannelFacts | undefined>;
  /** Every occupied channel of the app (with cluster-wide subscription counts when `counts`). */
  channels(app: App, counts?: boolean): Promise<ChannelFacts[]>;
  /** Presence user ids of the channel (each once), or undefined when it has no subscriber. */
  users(app: App, name: string): Promise<Array<string | number> | undefined>;
  /** Open connections of the app. */
  connectionCount(app: App): Promise<number>;
  /** Disconnects the user's connections on every node. */
  terminateUser(app: App, userId: string): Promise<void>;
  /** This node is about to shut down (called before its clients are closed). */
  beginShutdown?(): void;
  /**
   * After the local clients were closed: resolves once the other nodes have had a moment to hear this node's
   * departures, and this node theirs (the webhooks listen until then).
   */
  handOver?(): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
  /** The cluster as this node sees it (Redis reachable, nodes heard from including this one); undefined on a single node. */
  clusterStatus(): ClusterStatus | undefined;
  /** This node's load, for the other nodes' dashboards (a cluster sends it with its heartbeats). */
  statsProvider?: (() => NodeStats) | undefined;
}

/** Facts about a channel on this node (`cache` is the app's cache store). */
export function channelFacts(channel: Channel, cache: ReadonlyMap<string, string>): ChannelFacts {
  const cachedFrame = cache.get(channel.name);
  return {
    name: channel.name,
    subscriptionCount: channel.subscribers.size,
    ...(channel.presence && { userCount: channel.presence.userCount() }),
    ...(cachedFrame !== undefined && { cachedFrame }),
  };
}

/** The broker of a single node: everything is answered from this process's Hub. */
export function createLocalBroker(hub: Hub): Broker {
  const local = (app: App) => hub.state(app);
  return {
    publish(app, event) {
      hub.publish(app, event);
    },
    async channel(app, name) {
      const { channels } = local(app);
      const channel = channels.find(name);
      return channel?.occupied ? channelFacts(channel, channels.cache) : undefined;
    },
    async channels(app) {
      const { channels } = local(app);
      return [...channels.channels.values()].filter((c) => c.occupied).map((c) => channelFacts(c, channels.cache));
    },
    async users(app, name) {
      const channel = local(app).channels.find(name);
      if (!channel?.occupied) return undefined;
      return [...(channel.presence?.members.values() ?? [])].map((member) => member.userId);
    },
    async connectionCount(app) {
      return local(app).connections.size;
    },
    async terminateUser(app, userId) {
      hub.terminateUser(app, userId);
    },
    async close() {},
    clusterStatus: () => undefined,
  };
}
