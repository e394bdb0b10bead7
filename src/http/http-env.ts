/** @module The Hono environment every route shares: runtime shims pass `upgrade` for WebSocket requests. */

import type { Upgrade } from "../protocol/socket.ts";

/** Bindings a runtime shim passes to `fetch` with each request. */
export type HttpEnv = { Bindings: { upgrade?: Upgrade } | undefined };
