/**
 * @module Resound's public API: the runtime-neutral server core. Serve it with `resound/node`, `resound/bun` or
 * `resound/deno`, or mount its `fetch` in your own server. Everything else in the package is internal.
 */

export { createServer } from "./server.ts";
export type { ResoundServer, ServerOptions } from "./server.ts";
export { defineApp } from "./apps/define-app.ts";
export type { AppDefinition } from "./apps/define-app.ts";
export type { App, ClientEventsFrom, RateLimit } from "./apps/app.ts";
export type { ApiEvent } from "./protocol/hub.ts";
export type { Lifecycle, LifecycleEventName, LifecycleEvents, LifecycleListener } from "./events/lifecycle.ts";
export { Metrics } from "./metrics/metrics.ts";
export type { ProcessStats } from "./metrics/metrics.ts";
export type { Logger } from "./support/logger.ts";
export type { Clock, StopTimer } from "./support/clock.ts";
export type { Upgrade, Socket, WebSocketSession } from "./protocol/socket.ts";
export { VERSION } from "./version.ts";
