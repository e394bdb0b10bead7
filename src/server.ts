/** @module Composition root: wires apps, hub, broker and HTTP app into one runtime-neutral server. */

import type { App } from "./apps/app.ts";
import { createConfigAppRegistry } from "./apps/app-registry.ts";
import { createHttpApp } from "./http/http-app.ts";
import { type LaneRequest, PublishLane, UNREADABLE } from "./http/publish-lane.ts";
import { requestTarget } from "./http/lane-target.ts";
import { UpgradeLane } from "./http/upgrade-lane.ts";
import { readBody, readHead } from "./http/read-body.ts";
import type { HttpEnv } from "./http/http-env.ts";
import { Hub } from "./protocol/hub.ts";
import type { Upgrade } from "./protocol/socket.ts";
import { type Broker, createLocalBroker } from "./scaling/broker.ts";
import { type Clock, systemClock } from "./support/clock.ts";
import { type Logger, silentLogger } from "./support/logger.ts";
import { type RandomInt, secureRandomInt } from "./support/random.ts";
import type { Hono } from "hono";
import type { Topics } from "./channels/channel.ts";
import type { Connection } from "./protocol/connection.ts";
import type { Lifecycle } from "./events/lifecycle.ts";
import { Webhooks } from "./webhooks/webhooks.ts";
import { Metrics, type ProcessStats } from "./metrics/metrics.ts";
import { DashboardState } from "./dashboard/dashboard-state.ts";
import { DebugFeed } from "./dashboard/debug-feed.ts";
import { mountDashboard } from "./dashboard/dashboard-routes.ts";
import type { StopTimer } from "./support/clock.ts";
import type { WebhookQueueOptions } from "./webhooks/webhook-queue.ts";

export interface ServerOptions {
  readonly apps: readonly App[];
  /** Route prefix, "" or "/segment". */
  readonly path?: string;
  readonly maxRequestSize?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly randomInt?: RandomInt;
  /** Native topic pub/sub for channel fan-out (Bun); channels loop over subscribers without it. */
  readonly topics?: Topics<Connection>;
  /** Cluster broker; defaults to a single-node broker. */
  readonly createBroker?: (hub: Hub) => Broker;
  /** Webhook batching and retry timing (tests shorten it). */
  readonly webhookOptions?: Partial<WebhookQueueOptions>;
  /** Count for Prometheus (`core.metrics`); the dashboard counts too. */
  readonly metrics?: boolean;
  /** The process's CPU and memory for the metrics, from the runtime. */
  readonly processStats?: ProcessStats;
  /** Serve the dashboard at {path}/dashboard, opened with this token (at least 16 characters). */
  readonly dashboardToken?: string;
}

/** A running Resound core, ready to be served by a runtime shim. */
export interface ResoundServer {
  /** Handles one HTTP request; pass `upgrade` for requests the runtime can turn into a WebSocket. */
  fetch(request: Request, bindings?: { upgrade?: Upgrade }): Response | Promise<Response>;
  readonly hub: Hub;
  readonly broker: Broker;
  /** What happens on this node: subscribe with `events.on(name, listener)` (see Lifecycle). */
  readonly events: Lifecycle;
  readonly http: Hono<HttpEnv>;
  /** Publishing (`POST /apps/{id}/events`, `/batch_events`) without the router; `fetch` takes it, and adapters that
   * can answer without building a Request (Node) call it directly. */
  readonly lane: PublishLane;
  /** WebSocket handshakes without the router; `fetch` takes them. */
  readonly upgrades: UpgradeLane;
  /** Largest max_message_size of any app, for runtimes that cap message size server-wide. */
  readonly maxMessageSize: number;
  /** The counters behind /metrics and the dashboard, when either is on. */
  readonly metrics: Metrics | undefined;
  /** Sends every client a 4200 "reconnect" error, closes it, and releases the broker. */
  shutdown(): Promise<void>;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Creates the server core and starts its heartbeat. */
export function createServer(options: ServerOptions): ResoundServer {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const apps = createConfigAppRegistry(options.apps);
  const hub = new Hub({ apps, clock, logger, randomInt: options.randomInt ?? secureRandomInt, topics: options.topics });
  const broker = (options.createBroker ?? createLocalBroker)(hub);
  // Only apps with webhooks pay for them (the listeners make the hub report cluster-wide changes).
  const webhooks = options.apps.some((app) => app.webhooks.length > 0)
    ? new Webhooks(hub, clock, logger, options.webhookOptions)
    : undefined;
  const path = options.path ?? "";
  const maxRequestSize = options.maxRequestSize ?? 10_000;
  const http = createHttpApp({ hub, broker, apps, path, maxRequestSize, clock, logger });
  const upgrades = new UpgradeLane(hub, path);
  const lane = new PublishLane({ hub, broker, apps, prefix: path, maxRequestSize, clock, logger });
  const metrics = options.metrics || options.dashboardToken !== undefined ? new Metrics(hub, broker, options.processStats) : undefined;
  let stopSampling: StopTimer | undefined;
  if (options.dashboardToken !== undefined && metrics) {
    const state = new DashboardState(hub, broker, metrics);
    stopSampling = clock.every(1_000, () => state.sample());
    broker.statsProvider = () => state.nodeStats();
    mountDashboard(http, { token: options.dashboardToken, prefix: path, hub, broker, state, feed: new DebugFeed(hub.events, clock), clock });
  }
  hub.start();
  return {
    fetch(request, bindings) {
      if (request.method === "GET") {
        const appKey = upgrades.match(requestTarget(request.url));
        if (appKey !== undefined) {
          const headers = request.headers;
          return upgrades.handle((name) => headers.get(name), appKey, bindings?.upgrade);
        }
      } else if (request.method === "POST") {
        const target = requestTarget(request.url);
        const route = lane.match(target);
        if (route) {
          const head = readHead(request, target);
          const laneRequest: LaneRequest = {
            target,
            host: head.host,
            headerBytes: head.headerBytes,
            readBody: (limit, done) => void readBody(request, limit, head.contentLength).then(done, () => done(UNREADABLE)),
          };
          return new Promise((resolve) => {
            lane.handle(route, laneRequest, ({ status, body }) => resolve(new Response(body, { status, headers: JSON_HEADERS })));
          });
        }
      }
      return http.fetch(request, bindings);
    },
    hub,
    broker,
    events: hub.events,
    http,
    lane,
    upgrades,
    maxMessageSize: Math.max(0, ...options.apps.map((app) => app.maxMessageSize)),
    metrics,
    async shutdown() {
      stopSampling?.();
      broker.beginShutdown?.();
      hub.shutdown();
      // Only webhooks need it: the departures of nodes stopping at the same moment are reported by whoever hears them.
      if (webhooks?.active) await broker.handOver?.();
      await broker.close();
      // Last: until the others were told this node is gone, what it hears may still be reported.
      await webhooks?.close();
    },
  };
}
