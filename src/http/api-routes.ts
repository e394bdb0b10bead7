/** @module The Pusher HTTP API under /apps/{appId}: events, batch events, channels, users, connections, terminate. */

import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { App } from "../apps/app.ts";
import { channelKind } from "../channels/channel-kind.ts";
import { ApiError } from "../errors.ts";
import type { Broker } from "../scaling/broker.ts";
import { BatchBody, parseBody, parseEventBody } from "./api-schemas.ts";
import { channelAttributes, parseInfo } from "./channel-info.ts";
import type { HttpEnv } from "./http-env.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import type { ApiEvent } from "../protocol/hub.ts";
import { emptyRecord } from "../support/keyed-record.ts";

type ApiEnv = HttpEnv & { Variables: { app: App; body: Uint8Array } };
type Handler = (c: Context<ApiEnv>) => Promise<Response>;

/** The API routes, each behind `authenticate`; a known path with the wrong method answers 405 before any auth. */
export function createApiRoutes(broker: Broker, authenticate: MiddlewareHandler<ApiEnv>, events: Lifecycle): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  const published = (app: App, event: ApiEvent) => {
    if (events.wants("apiEvent")) events.emit("apiEvent", { app, name: event.name, channels: event.channels, data: event.data, socketId: event.socketId });
  };
  const routes: Array<[method: "GET" | "POST", path: string, handler: Handler]> = [
    ["POST", "/events", async (c) => {
      const event = parseEventBody(c.var.body);
      const apiEvent = { name: event.name, data: event.data, channels: event.channels, socketId: event.socket_id };
      await broker.publish(c.var.app, apiEvent);
      published(c.var.app, apiEvent);
      if (event.info === undefined) return c.json({});
      const requested = parseInfo(event.info);
      const channels = emptyRecord<unknown>(); // channel names are the client's: `__proto__` too
      const counts = requested.has("subscription_count");
      for (const name of event.channels) {
        channels[name] = channelAttributes(name, await broker.channel(c.var.app, name, counts), requested);
      }
      return c.json({ channels });
    }],
    ["POST", "/batch_events", async (c) => {
      const { batch } = parseBody(BatchBody, c.var.body);
      for (const item of batch) {
        const apiEvent = { name: item.name, data: item.data, channels: [item.channel], socketId: item.socket_id };
        await broker.publish(c.var.app, apiEvent);
        published(c.var.app, apiEvent);
      }
      if (!batch.some((item) => item.info !== undefined)) return c.json({ batch: [] });
      const results = [];
      for (const item of batch) {
        const requested = parseInfo(item.info);
        const facts = item.info === undefined ? undefined : await broker.channel(c.var.app, item.channel, requested.has("subscription_count"));
        results.push(channelAttributes(item.channel, facts, requested));
      }
      return c.json({ batch: results });
    }],
    ["GET", "/channels", async (c) => {
      const prefix = c.req.query("filter_by_prefix") ?? "";
      const requested = parseInfo(c.req.query("info"));
      const channels = emptyRecord<unknown>(); // channel names are the client's: `__proto__` too
      for (const facts of await broker.channels(c.var.app, requested.has("subscription_count"))) {
        // Users' own channels (#server-to-user-…) are the server's plumbing, not channels an app lists.
        if (facts.name.startsWith(prefix) && !facts.name.startsWith("#")) channels[facts.name] = channelAttributes(facts.name, facts, requested);
      }
      return c.json({ channels });
    }],
    ["GET", "/channels/:channelName", async (c) => {
      const name = pathParam(c, "channelName");
      const requested = parseInfo(c.req.query("info"));
      const facts = await broker.channel(c.var.app, name, requested.has("subscription_count"));
      return c.json({ occupied: facts !== undefined, ...channelAttributes(name, facts, requested) });
    }],
    ["GET", "/channels/:channelName/users", async (c) => {
      const name = pathParam(c, "channelName");
      if (!channelKind(name).presence) throw new ApiError(400, "Users can only be listed for presence channels.");
      const users = await broker.users(c.var.app, name);
      if (!users) throw new ApiError(404, `Channel [${name}] has no subscribers.`);
      return c.json({ users: users.map((id) => ({ id })) });
    }],
    ["GET", "/connections", async (c) => c.json({ connections: await broker.connectionCount(c.var.app) })],
    ["POST", "/users/:userId/terminate_connections", async (c) => {
      await broker.terminateUser(c.var.app, pathParam(c, "userId"));
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
