/** @module The Hono app: /up, the WebSocket route /app/{key}, the API under /apps/{appId}, JSON errors everywhere. */

import { Hono, type MiddlewareHandler } from "hono";
import type { App } from "../apps/app.ts";
import type { AppRegistry } from "../apps/app-registry.ts";
import { ApiError } from "../errors.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import type { Clock } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import { createApiRoutes } from "./api-routes.ts";
import type { HttpEnv } from "./http-env.ts";
import { headerBytes, readBody } from "./read-body.ts";
import { verifySignature } from "./verify-signature.ts";

/** Reverb's handshake header; some clients and proxies in the Laravel ecosystem look for it. */
const HANDSHAKE_HEADERS = { "X-Powered-By": "Laravel Reverb" };

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

  app.get(`${prefix}/up`, (c) => c.json({ health: "OK" }));
  app.all(`${prefix}/up`, (c) => c.json({ error: "Method not allowed." }, 405, { Allow: "GET" }));

  app.get(`${prefix}/app/:appKey`, (c) => {
    const upgrade = c.env?.upgrade;
    if (!upgrade || c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: "This endpoint only accepts WebSocket connections." }, 426, { Upgrade: "websocket" });
    }
    const session = hub.session(c.req.param("appKey"), c.req.header("origin") ?? null);
    return upgrade(session, HANDSHAKE_HEADERS);
  });
  app.all(`${prefix}/app/:appKey`, (c) => c.json({ error: "Method not allowed." }, 405, { Allow: "GET" }));

  const authenticate: MiddlewareHandler<HttpEnv & { Variables: { app: App; body: Uint8Array } }> = async (c, next) => {
    const appId = c.req.param("appId") ?? "";
    const target = apps.findById(appId);
    if (!target) throw new ApiError(404, `No matching application for ID [${appId}].`);
    const url = new URL(c.req.url);
    const body = await readBody(c.req.raw, maxRequestSize - headerBytes(c.req.raw, url.pathname + url.search));
    if (!body) throw new ApiError(413, `Payload too large: requests are limited to ${maxRequestSize} bytes (max_request_size).`);
    const request = { method: c.req.method, path: url.pathname, query: url.searchParams, body };
    const problem = verifySignature(target, request, prefix, clock.now());
    if (problem) throw new ApiError(401, `Authentication signature invalid: ${problem}.`);
    c.set("app", target);
    c.set("body", body);
    await next();
  };
  app.route(`${prefix}/apps/:appId`, createApiRoutes(broker, authenticate));

  app.notFound((c) => c.json({ error: "Not found." }, 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.fields ?? { error: error.message }, error.status);
    logger.error(`HTTP ${c.req.method} ${new URL(c.req.url).pathname} failed: ${error.stack ?? error.message}`);
    return c.json({ error: "Internal server error." }, 500);
  });
  return app;
}
