/**
 * @module Prometheus metrics of one node: counters kept from lifecycle events (O(1) per event, nothing per
 * recipient of a broadcast), gauges read from the hub when scraped.
 */

import type { App } from "../apps/app.ts";
import { channelType } from "../channels/channel-kind.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import { type MetricFamily, renderPrometheusText, type Sample } from "./prometheus-text.ts";

/** The process's own resource use, from the runtime (the core cannot read it). */
export interface ProcessStats {
  /** User plus system CPU time, in seconds. */
  cpuSeconds(): number;
  /** Resident set size, in bytes. */
  residentBytes(): number;
}

/** Counters of one app. */
export class AppCounters {
  newConnections = 0;
  messagesReceived = 0;
  bytesReceived = 0;
  messagesSent = 0;
  bytesSent = 0;
  rateLimited = 0;
  overCapacity = 0;
  pruned = 0;
  apiEvents = 0;
  clientEvents = 0;
  webhookEventsSent = 0;
  webhookEventsDropped = 0;
}

type CounterName = Exclude<keyof AppCounters, never>;
const EMPTY_COUNTERS = new AppCounters();

/** The per-app counters as metric families: [name, help, field]. */
const APP_COUNTERS: ReadonlyArray<[string, string, CounterName]> = [
  ["resound_new_connections_total", "Connections opened (connection_established sent).", "newConnections"],
  ["resound_messages_received_total", "Messages received from clients.", "messagesReceived"],
  ["resound_bytes_received_total", "Bytes of messages received from clients.", "bytesReceived"],
  ["resound_messages_sent_total", "Frames delivered to clients (a broadcast counts once per recipient).", "messagesSent"],
  ["resound_bytes_sent_total", "Bytes of frames delivered to clients.", "bytesSent"],
  ["resound_rate_limited_total", "Client messages refused by the rate limit (4301).", "rateLimited"],
  ["resound_over_capacity_total", "Connections closed for not reading their messages (4100, max_backlog_bytes).", "overCapacity"],
  ["resound_connections_pruned_total", "Connections closed for not answering a ping (4201).", "pruned"],
  ["resound_api_events_total", "Events published through the HTTP API of this node.", "apiEvents"],
  ["resound_client_events_total", "Client events relayed from connections of this node.", "clientEvents"],
  ["resound_webhook_events_sent_total", "Webhook events delivered to their endpoints.", "webhookEventsSent"],
  ["resound_webhook_events_dropped_total", "Webhook events given up on (endpoint failing for 5 minutes, or queue full).", "webhookEventsDropped"],
];


const CHANNEL_TYPES = ["public", "private", "presence", "cache", "encrypted"] as const;

/** Keeps the counters of one node and renders every metric in the Prometheus text format. */
export class Metrics {
  private readonly hub: Hub;
  private readonly broker: Broker;
  private readonly processStats: ProcessStats | undefined;
  private readonly apps = new Map<App, AppCounters>();
  /** HTTP requests by app id, route pattern and status (all bounded: configured apps, routes, status codes). */
  private readonly http = new Map<string, { labels: Record<string, string>; count: number }>();
  private fileLimitReached = 0;
  private readonly stops: Array<() => void>;

  constructor(hub: Hub, broker: Broker, processStats?: ProcessStats) {
    this.hub = hub;
    this.broker = broker;
    this.processStats = processStats;
    this.stops = this.listen(hub.events);
  }

  /** Stops counting. */
  stop(): void {
    for (const stop of this.stops) stop();
  }

  /** An app's counters so far (zeros before its first event). */
  countersOf(app: App): Readonly<AppCounters> {
    return this.apps.get(app) ?? EMPTY_COUNTERS;
  }

  /** HTTP requests answered so far for an app (requests without one count for ""), and how many were errors (4xx/5xx). */
  httpTotals(appId: string, route?: (route: string) => boolean): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    for (const { labels, count } of this.http.values()) {
      if (labels["app_id"] !== appId || (route && !route(labels["route"] ?? ""))) continue;
      requests += count;
      if (Number(labels["status"]) >= 400) errors += count;
    }
    return { requests, errors };
  }

  private counters(app: App): AppCounters {
    let counters = this.apps.get(app);
    if (!counters) this.apps.set(app, (counters = new AppCounters()));
    return counters;
  }

  private listen(events: Lifecycle): Array<() => void> {
    return [
      events.on("connectionOpened", (e) => void this.counters(e.app).newConnections++),
      events.on("messageReceived", (e) => {
        const counters = this.counters(e.app);
        counters.messagesReceived++;
        counters.bytesReceived += e.bytes;
      }),
      events.on("messageSent", (e) => {
        const counters = this.counters(e.app);
        counters.messagesSent += e.count;
        counters.bytesSent += e.count * e.bytes;
      }),
      events.on("rateLimited", (e) => void this.counters(e.app).rateLimited++),
      events.on("overCapacity", (e) => void this.counters(e.app).overCapacity++),
      events.on("connectionPruned", (e) => void this.counters(e.app).pruned++),
      events.on("apiEvent", (e) => void this.counters(e.app).apiEvents++),
      events.on("clientEvent", (e) => void this.counters(e.app).clientEvents++),
      events.on("fileLimitReached", () => void this.fileLimitReached++),
      events.on("webhookSent", (e) => void (this.counters(e.app).webhookEventsSent += e.events)),
      events.on("webhookDropped", (e) => void (this.counters(e.app).webhookEventsDropped += e.events)),
      events.on("httpRequest", (e) => {
        const appId = e.app?.id ?? "";
        const key = `${appId}\n${e.route}\n${e.status}`;
        const entry = this.http.get(key);
        if (entry) entry.count++;
        else this.http.set(key, { labels: { app_id: appId, route: e.route, status: String(e.status) }, count: 1 });
      }),
    ];
  }

  /** Every metric, now. */
  render(): string {
    const apps = this.hub.apps.all();
    const families: MetricFamily[] = [];
    const perApp = (value: (app: App) => number): Sample[] => apps.map((app) => ({ labels: { app_id: app.id }, value: value(app) }));

    families.push({ name: "resound_connections", help: "Open connections.", type: "gauge", samples: perApp((app) => this.hub.state(app).connections.size) });
    const channels: Sample[] = [];
    for (const app of apps) {
      const byType = new Map<string, number>(CHANNEL_TYPES.map((type) => [type, 0]));
      for (const channel of this.hub.state(app).channels.channels.values()) {
        const type = channelType(channel.kind);
        byType.set(type, byType.get(type)! + 1);
      }
      for (const [type, count] of byType) channels.push({ labels: { app_id: app.id, type }, value: count });
    }
    families.push({ name: "resound_channels", help: "Channels with subscribers on this node, by type.", type: "gauge", samples: channels });
    for (const [name, help, field] of APP_COUNTERS) {
      families.push({ name, help, type: "counter", samples: perApp((app) => this.apps.get(app)?.[field] ?? 0) });
    }
    families.push({
      name: "resound_http_requests_total",
      help: "HTTP requests answered, by route pattern and status.",
      type: "counter",
      samples: [...this.http.values()].map(({ labels, count }) => ({ labels, value: count })),
    });
    families.push({
      name: "resound_open_files_limit_reached_total",
      help: "Times the process could not open one more file (new connections refused).",
      type: "counter",
      samples: [{ value: this.fileLimitReached }],
    });
    const cluster = this.broker.clusterStatus();
    if (cluster) {
      families.push({ name: "resound_redis_connected", help: "Whether this node is connected to its scaling broker, Redis or NATS (1) or not (0).", type: "gauge", samples: [{ value: cluster.connected ? 1 : 0 }] });
      families.push({ name: "resound_cluster_nodes", help: "Nodes of the cluster this node hears from, itself included.", type: "gauge", samples: [{ value: cluster.nodes }] });
    }
    if (this.processStats) {
      families.push({ name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", type: "counter", samples: [{ value: this.processStats.cpuSeconds() }] });
      families.push({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", type: "gauge", samples: [{ value: this.processStats.residentBytes() }] });
    }
    return renderPrometheusText(families);
  }
}
