/** @module The Hono app: /up, the WebSocket route /app/{key}, the API under /apps/{appId}, JSON errors everywhere. */

import { Hono, type MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { App } from "../apps/app.ts";
import type { AppRegistry } from "../apps/app-registry.ts";
import { ApiError } from "../errors.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import type { Clock } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import { createApiRoutes } from "./api-routes.ts";
import type { HttpEnv } from "./http-env.ts";
import { readBody, readHead } from "./read-body.ts";
import { authenticateApi } from "./api-auth.ts";
import { isValidHost, MALFORMED_HOST } from "./host-header.ts";
import { LogThrottle } from "../support/log-throttle.ts";
import { answerHandshake } from "./upgrade-lane.ts";

export interface HttpAppOptions {
  readonly hub: Hub;
  readonly broker: Broker;
  readonly apps: AppRegistry;
  /** Route prefix, "" or "/segment" (already normalized). */
  readonly path: string;
  readonly maxRequestSize: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Builds the HTTP surface of the server. */
export function createHttpApp(options: HttpAppOptions): Hono<HttpEnv> {
  const { hub, broker, apps, path: prefix, maxRequestSize, clock, logger } = options;
  const app = new Hono<HttpEnv>();

  // Some runtimes build the request URL from the Host header, so `Host: a/app/other-key#` would pick the route;
  // a Host that is not a host (and port) is refused before routing, the same everywhere.
  app.use("*", async (c, next) => {
    if (isValidHost(c.req.header("host"))) await next();
    else c.res = c.json(MALFORMED_HOST, 400); // answered here, and still reported below
    if (hub.events.wants("httpRequest")) {
      // The route pattern, not the path: bounded, whatever clients request. Only the catch-all "*" matched: a 404.
      const route = routePath(c, -1);
      hub.events.emit("httpRequest", {
        app: c.get("app"),
        method: c.req.method,
        route: route === "*" || route === "/*" ? "unmatched" : route,
        status: c.get("upgraded") ? 101 : c.res.status,
      });
    }
  });

  // A load balancer's health check sees a stopping server as down and sends traffic elsewhere.
  app.get(`${prefix}/up`, (c) => (hub.shuttingDown ? c.json({ health: "shutting down" }, 503) : c.json({ health: "OK" })));
  app.all(`${prefix}/up`, (c) => c.json({ error: "Method not allowed." }, 405, { Allow: "GET" }));

  app.get(`${prefix}/app/:appKey`, (c) => {
    const headers = c.req.raw.headers;
    const answer = answerHandshake(hub, (name) => headers.get(name), c.req.param("appKey"), c.env?.upgrade);
    if (answer.app) c.set("app", answer.app);
    c.set("upgraded", answer.upgraded);
    return answer.response;
  });
  app.all(`${prefix}/app/:appKey`, (c) => c.json({ error: "Method not allowed." }, 405, { Allow: "GET" }));

  const authOptions = { apps, prefix, maxRequestSize, clock, hub };
  const authenticate: MiddlewareHandler<HttpEnv & { Variables: { app: App; body: Uint8Array } }> = async (c, next) => {
    const url = new URL(c.req.url);
    const { app: target, body } = await authenticateApi(authOptions, {
      appId: c.req.param("appId") ?? "",
      method: c.req.method,
      path: url.pathname,
      query: url.search.slice(1),
      headerBytes: readHead(c.req.raw, url.pathname + url.search).headerBytes,
      readBody: (limit) => readBody(c.req.raw, limit),
    });
    c.set("app", target);
    c.set("body", body);
    await next();
  };
  app.route(`${prefix}/apps/:appId`, createApiRoutes(broker, authenticate, hub.events));

  app.notFound((c) => c.json({ error: "Not found." }, 404));
  // An unexpected error is a bug worth a stack trace, but one a client can repeat at will: one report a minute.
  const throttle = new LogThrottle(clock);
  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.fields ?? { error: error.message }, error.status);
    throttle.log("http-500", (heldBack) =>
      logger.error(`HTTP ${c.req.method} ${new URL(c.req.url).pathname} failed${heldBack}: ${error.stack ?? error.message}`));
    return c.json({ error: "Internal server error." }, 500);
  });
  return app;
}
