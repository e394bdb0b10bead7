/** @module The Hono environment every route shares: runtime shims pass `upgrade` for WebSocket requests. */

import type { App } from "../apps/app.ts";
import type { Upgrade } from "../protocol/socket.ts";

/**
 * Bindings a runtime shim passes to `fetch` with each request, and what routes leave for the request's report:
 * the app (once authenticated) and whether the request became a WebSocket.
 */
export type HttpEnv = {
  Bindings: { upgrade?: Upgrade } | undefined;
  Variables: { app?: App; upgraded?: boolean };
};
