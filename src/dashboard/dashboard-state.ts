/**
 * @module What the dashboard shows, sampled once a second: per app and in total, this node's figures (from the same
 * counters as /metrics) and the cluster's (from the load other nodes report with their heartbeats), kept for 15
 * minutes in fixed-size rings, and the busiest channels when asked.
 */

import type { App } from "../apps/app.ts";
import { channelType, type ChannelType } from "../channels/channel-kind.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import type { NodeStats } from "../scaling/envelope.ts";
import { RingSeries } from "./ring-series.ts";

/** Seconds of history the charts show. */
export const HISTORY_SECONDS = 900;
/** Rows of the busiest-channels table. */
export const BUSIEST = 10;

/** The figures of one app (or of every app, as "*"), at one second. */
export interface Figures {
  /** Connections on this node, and on every node that reports them (this one included). */
  readonly connections: number;
  readonly clusterConnections: number;
  readonly channels: Readonly<Record<ChannelType, number>>;
  /** Presence users on this node (a user on two channels counts twice). */
  readonly members: number;
  /** Per second, this node: messages received and frames sent, HTTP API requests and those that failed, rate-limit hits. */
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly http: number;
  readonly httpErrors: number;
  readonly rateLimited: number;
}

/** A row of the busiest-channels table. */
export interface BusyChannel {
  readonly app: string;
  readonly channel: string;
  readonly subscriptions: number;
}

/** Whether `a` ranks above `b`: more subscriptions, then by app and channel name for a stable table. */
function busier(a: BusyChannel, b: BusyChannel): boolean {
  return a.subscriptions !== b.subscriptions ? a.subscriptions > b.subscriptions : a.app !== b.app ? a.app < b.app : a.channel < b.channel;
}

const SERIES = ["clusterConnections", "messagesIn", "messagesOut", "http", "httpErrors"] as const;
type SeriesName = (typeof SERIES)[number];

/** Cumulative counters at the previous sample, to turn them into rates. */
interface Totals {
  received: number;
  sent: number;
  http: number;
  errors: number;
  rateLimited: number;
}

/** Samples and keeps the dashboard's figures. */
export class DashboardState {
  private readonly hub: Hub;
  private readonly broker: Broker;
  private readonly metrics: Metrics;
  private readonly history = new Map<string, Record<SeriesName, RingSeries>>();
  private readonly previous = new Map<string, Totals>();
  private readonly latest = new Map<string, Figures>();
  /** How many samples were taken: a page adds a point to its charts when this moves. */
  samples = 0;
  private busiestCache: { sample: number; limit: number; rows: readonly BusyChannel[] } | undefined;

  constructor(hub: Hub, broker: Broker, metrics: Metrics) {
    this.hub = hub;
    this.broker = broker;
    this.metrics = metrics;
  }

  /** Takes this second's sample (run once a second). */
  sample(): void {
    this.samples++;
    const perApp = this.hub.apps.all().map((app) => [app.id, this.figures(app)] as const);
    const total = this.withUnattributed(sum(perApp.map(([, figures]) => figures)));
    for (const [key, figures] of [...perApp, ["*", total] as const]) {
      this.latest.set(key, figures);
      let rings = this.history.get(key);
      if (!rings) {
        rings = Object.fromEntries(SERIES.map((name) => [name, new RingSeries(HISTORY_SECONDS)])) as Record<SeriesName, RingSeries>;
        this.history.set(key, rings);
      }
      for (const name of SERIES) rings[name].push(figures[name]);
    }
  }

  /** This node's load for the other nodes' dashboards (sent with heartbeats). */
  nodeStats(): NodeStats {
    const connections: Record<string, number> = Object.create(null);
    for (const app of this.hub.apps.all()) connections[app.id] = this.hub.state(app).connections.size;
    const total = this.latest.get("*");
    return { connections, in: total?.messagesIn ?? 0, out: total?.messagesOut ?? 0 };
  }

  /** The latest figures per app id, and "*" for all apps. */
  figuresNow(): ReadonlyMap<string, Figures> {
    return this.latest;
  }

  /** The 15-minute series of an app id (or "*"), oldest first. */
  series(key: string): Record<SeriesName, number[]> | undefined {
    const rings = this.history.get(key);
    return rings && (Object.fromEntries(SERIES.map((name) => [name, rings[name].toArray()])) as Record<SeriesName, number[]>);
  }

  /** The cluster's nodes with their load (this node's from its own figures), or undefined on a single node. */
  nodes(): Array<{ id: string; self: boolean; connections: number | null; messagesIn: number | null; messagesOut: number | null }> | undefined {
    const status = this.broker.clusterStatus();
    if (!status) return undefined;
    const total = this.latest.get("*");
    return [
      { id: status.nodeId, self: true, connections: total?.connections ?? 0, messagesIn: total?.messagesIn ?? 0, messagesOut: total?.messagesOut ?? 0 },
      ...status.peers.map(({ id, stats }) => ({
        id,
        self: false,
        connections: stats ? Object.values(stats.connections).reduce((a, b) => a + b, 0) : null,
        messagesIn: stats?.in ?? null,
        messagesOut: stats?.out ?? null,
      })),
    ];
  }

  /**
   * The channels with the most subscriptions in the cluster (this node's and the others' reported counts), worked out
   * at most once per sample however many pages ask: one pass keeping the top rows, no sort of every channel.
   */
  busiest(limit = BUSIEST): readonly BusyChannel[] {
    if (this.busiestCache?.sample === this.samples && this.busiestCache.limit === limit) return this.busiestCache.rows;
    const top: BusyChannel[] = [];
    const consider = (app: string, channel: string, subscriptions: number) => {
      if (top.length === limit && !busier({ app, channel, subscriptions }, top[limit - 1]!)) return;
      let at = top.length;
      while (at > 0 && busier({ app, channel, subscriptions }, top[at - 1]!)) at--;
      top.splice(at, 0, { app, channel, subscriptions });
      if (top.length > limit) top.pop();
    };
    for (const app of this.hub.apps.all()) {
      const local = this.hub.state(app).channels.channels;
      const cluster = this.hub.cluster;
      for (const [name, channel] of local) {
        if (!name.startsWith("#")) consider(app.id, name, channel.subscribers.size + cluster.remoteSubscriptions(app.id, name));
      }
      for (const name of cluster.remoteChannels(app.id)) {
        if (!local.has(name) && !name.startsWith("#")) consider(app.id, name, cluster.remoteSubscriptions(app.id, name));
      }
    }
    this.busiestCache = { sample: this.samples, limit, rows: top };
    return top;
  }

  /**
   * Adds the API requests that named no app they could prove (bad signatures, unknown apps) to the total: an operator
   * wants to see those. Health checks, the dashboard's own requests and unmatched paths are not the API.
   */
  private withUnattributed(total: Figures): Figures {
    const totals = this.metrics.httpTotals("", (route) => route.includes("/apps/"));
    const now: Totals = { received: 0, sent: 0, http: totals.requests, errors: totals.errors, rateLimited: 0 };
    const before = this.previous.get("") ?? now;
    this.previous.set("", now);
    return { ...total, http: total.http + now.http - before.http, httpErrors: total.httpErrors + now.errors - before.errors };
  }

  private figures(app: App): Figures {
    const state = this.hub.state(app);
    const channels = { public: 0, private: 0, presence: 0, cache: 0, encrypted: 0 };
    let members = 0;
    for (const [name, channel] of state.channels.channels) {
      if (name.startsWith("#")) continue;
      channels[channelType(channel.kind)]++;
      members += channel.presence?.members.size ?? 0;
    }
    const counters = this.metrics.countersOf(app);
    const http = this.metrics.httpTotals(app.id);
    const now: Totals = { received: counters.messagesReceived, sent: counters.messagesSent, http: http.requests, errors: http.errors, rateLimited: counters.rateLimited };
    const before = this.previous.get(app.id) ?? now;
    this.previous.set(app.id, now);
    const status = this.broker.clusterStatus();
    const elsewhere = status?.peers.reduce((total, peer) => total + (peer.stats?.connections[app.id] ?? 0), 0) ?? 0;
    return {
      connections: state.connections.size,
      clusterConnections: state.connections.size + elsewhere,
      channels,
      members,
      messagesIn: now.received - before.received,
      messagesOut: now.sent - before.sent,
      http: now.http - before.http,
      httpErrors: now.errors - before.errors,
      rateLimited: now.rateLimited - before.rateLimited,
    };
  }
}

/** The figures of several apps added up. */
export function sum(all: readonly Figures[]): Figures {
  const channels = { public: 0, private: 0, presence: 0, cache: 0, encrypted: 0 };
  const total = { connections: 0, clusterConnections: 0, members: 0, messagesIn: 0, messagesOut: 0, http: 0, httpErrors: 0, rateLimited: 0 };
  for (const figures of all) {
    for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += figures[key];
    for (const key of Object.keys(channels) as Array<keyof typeof channels>) channels[key] += figures.channels[key];
  }
  return { ...total, channels };
}
