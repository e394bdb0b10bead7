/** @module The Pusher HTTP API under /apps/{appId}: events, batch events, channels, users, connections, terminate. */

import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { App } from "../apps/app.ts";
import { channelKind } from "../channels/channel-kind.ts";
import { ApiError } from "../errors.ts";
import type { Broker } from "../scaling/broker.ts";
import { channelAttributes, parseInfo } from "./channel-info.ts";
import { publishBatch, publishEvent } from "./publish-api.ts";
import type { HttpEnv } from "./http-env.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import { emptyRecord } from "../support/keyed-record.ts";

type ApiEnv = HttpEnv & { Variables: { app: App; body: Uint8Array } };
type Handler = (c: Context<ApiEnv>) => Promise<Response>;

/** The API routes, each behind `authenticate`; a known path with the wrong method answers 405 before any auth. */
export function createApiRoutes(broker: Broker, authenticate: MiddlewareHandler<ApiEnv>, events: Lifecycle): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  const routes: Array<[method: "GET" | "POST", path: string, handler: Handler]> = [
    ["POST", "/events", async (c) => c.json(await publishEvent(broker, events, c.get("app"), c.get("body")))],
    ["POST", "/batch_events", async (c) => c.json(await publishBatch(broker, events, c.get("app"), c.get("body")))],
    ["GET", "/channels", async (c) => {
      const prefix = c.req.query("filter_by_prefix") ?? "";
      const requested = parseInfo(c.req.query("info"));
      const channels = emptyRecord<unknown>(); // channel names are the client's: `__proto__` too
      for (const facts of await broker.channels(c.get("app"), requested.has("subscription_count"))) {
        // Users' own channels (#server-to-user-…) are the server's plumbing, not channels an app lists.
        if (facts.name.startsWith(prefix) && !facts.name.startsWith("#")) channels[facts.name] = channelAttributes(facts.name, facts, requested);
      }
      return c.json({ channels });
    }],
    ["GET", "/channels/:channelName", async (c) => {
      const name = pathParam(c, "channelName");
      const requested = parseInfo(c.req.query("info"));
      const facts = await broker.channel(c.get("app"), name, requested.has("subscription_count"));
      return c.json({ occupied: facts !== undefined, ...channelAttributes(name, facts, requested) });
    }],
    ["GET", "/channels/:channelName/users", async (c) => {
      const name = pathParam(c, "channelName");
      if (!channelKind(name).presence) throw new ApiError(400, "Users can only be listed for presence channels.");
      const users = await broker.users(c.get("app"), name);
      if (!users) throw new ApiError(404, `Channel [${name}] has no subscribers.`);
      return c.json({ users: users.map((id) => ({ id })) });
    }],
    ["GET", "/connections", async (c) => c.json({ connections: await broker.connectionCount(c.get("app")) })],
    ["POST", "/users/:userId/terminate_connections", async (c) => {
      await broker.terminateUser(c.get("app"), pathParam(c, "userId"));
      return c.json({});
    }],
  ];
  for (const [method, path, handler] of routes) api.on(method, path, authenticate, handler);
  for (const [method, path] of routes) {
    api.all(path, (c) => c.json({ error: "Method not allowed." }, 405, { Allow: method }));
  }
  return api;
}

/** A path parameter of the matched route (always present: the route pattern requires it). */
function pathParam(c: Context<ApiEnv>, name: string): string {
  return c.req.param(name) ?? "";
}
