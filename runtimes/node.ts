/**
 * @module Node adapter: serves a Resound core with @hono/node-server for HTTP(S) and `ws` for WebSockets.
 * `import { createNodeServer } from "resound/node"`; the `resound` command on Node uses it too.
 */

import { createAdaptorServer, getRequestListener } from "@hono/node-server";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createNodeHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { useNativeHashes } from "../src/support/hashes.ts";
import { NODE_HASHES } from "./native-hashes.ts";
import type { Duplex } from "node:stream";
import { defaultAcceptFailure, type Listener, ListenError, type ListenOptions, type TlsMaterial } from "../src/cli/host.ts";
import { createServer, type ResoundServer, type ServerOptions } from "../src/server.ts";
import { withPublishLane } from "./node-publish-lane.ts";
import { createUpgradeListener } from "./node-websocket.ts";
import { tlsServerOptions } from "./tls-options.ts";

// node:crypto hashes 3–5× faster than @noble/hashes here (MD5 one-shot); every core this adapter serves uses them.
useNativeHashes(NODE_HASHES);

export type { Listener, ListenOptions, TlsMaterial } from "../src/cli/host.ts";

/**
 * Connections that are not WebSockets yet must not be held open for free (slowloris): the request line and headers
 * must arrive within 10 s, the whole request within 30 s, and an idle keep-alive connection closes after 5 s.
 * Node checks these every `connectionsCheckingInterval`; upgraded sockets are no longer the HTTP server's.
 */
const HTTP_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 };
/** A connection that sends nothing at all is not covered by headersTimeout: an idle socket closes after 10 s (ws clears it on upgrade). */
const IDLE_SOCKET_MS = 10_000;

/** A Resound core with what a Node program needs to serve it, on its own port or inside an existing server. */
export interface NodeResound {
  readonly core: ResoundServer;
  /** Listens on its own HTTP(S) server. */
  listen(options: ListenOptions): Promise<Listener>;
  /** For an existing `http.Server`: `server.on("request", …)` for `/up` and `/apps/…` (or route them to it yourself). */
  readonly requestListener: (request: IncomingMessage, response: ServerResponse) => void;
  /** For an existing `http.Server`: `server.on("upgrade", …)` for the WebSockets at `/app/{key}`. */
  readonly upgradeListener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/**
 * The host @hono/node-server puts in a request's URL when the request has no Host header: HTTP/1.0 health checks
 * (HAProxy's `option httpchk`, monitoring scripts) send none, and without a default it answers them 400. Node's own
 * parser still refuses an HTTP/1.1 request without Host, as HTTP/1.1 requires.
 */
const NO_HOST = { hostname: "localhost" };

/** Creates a Resound core for Node. */
export function createNodeServer(options: ServerOptions): NodeResound {
  const core = createServer(options);
  return {
    core,
    listen: (listenOptions) => serve(core, listenOptions),
    requestListener: withPublishLane(core, getRequestListener((request) => core.fetch(request), NO_HOST)),
    upgradeListener: createUpgradeListener(core),
  };
}

/** How long shutdown lets clients answer the close (4200) before their sockets are dropped, as on Deno. */
const CLOSE_HANDSHAKE_MS = 3_000;

/** Serves `core` on a new HTTP(S) server; rejects with a ListenError. */
export function serve(core: ResoundServer, { host = "0.0.0.0", port, tls = null, onAcceptFailure = defaultAcceptFailure }: ListenOptions): Promise<Listener> {
  let server;
  try {
    server = createHttpServer(core, tls);
  } catch (error) {
    // Node checks the certificate, key and passphrase when the server is created.
    return Promise.reject(new ListenError("tls", error instanceof Error ? error.message : String(error)));
  }
  const upgrades = createUpgradeListener(core);
  server.on("upgrade", upgrades);
  server.setTimeout(IDLE_SOCKET_MS);
  return new Promise<Listener>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error)));
    server.listen(port, host, () => {
      // Past listening, an error event is a failed accept (EMFILE when libuv's reserve descriptor is gone too):
      // reported, not fatal. Without a listener Node would throw it and end the process.
      server.on("error", (error: Error) => onAcceptFailure(error.message));
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeIdleConnections" in server) server.closeIdleConnections();
            // The server closes only once every upgraded socket has; ws waits 30 s for a close handshake.
            setTimeout(upgrades.terminateAll, CLOSE_HANDSHAKE_MS).unref();
          }),
      });
    });
  });
}

/** Serves a plain HTTP handler (the metrics port) on a new server; rejects with a ListenError. */
export function serveHttp(fetch: (request: Request) => Response | Promise<Response>, { host, port }: { host: string; port: number }): Promise<Listener> {
  const server = createAdaptorServer({ fetch, serverOptions: HTTP_TIMEOUTS, ...NO_HOST });
  server.setTimeout(IDLE_SOCKET_MS);
  return new Promise<Listener>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error)));
    server.listen(port, host, () => {
      server.on("error", () => {}); // a failed accept on the metrics port must not end the process
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          if ("closeIdleConnections" in server) server.closeIdleConnections();
        }),
      });
    });
  });
}

function createHttpServer(core: ResoundServer, tls: TlsMaterial | null) {
  const listener = withPublishLane(core, getRequestListener((request) => core.fetch(request), NO_HOST));
  return tls
    // Node gives a TLS handshake 120 s by default: a client that connects and sends nothing would hold its socket
    // that long, where every other idle connection is closed after 10 s.
    ? createHttpsServer({ ...tlsServerOptions(tls), ...HTTP_TIMEOUTS, handshakeTimeout: IDLE_SOCKET_MS }, listener)
    : createNodeHttpServer(HTTP_TIMEOUTS, listener);
}

function listenError(error: NodeJS.ErrnoException): ListenError {
  if (error.code === "EADDRINUSE") return new ListenError("in-use", error.message);
  if (error.code === "EACCES") return new ListenError("permission", error.message);
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") return new ListenError("address", error.message);
  return new ListenError("other", error.message);
}
