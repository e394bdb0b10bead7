/**
 * @module Bun adapter: Bun.serve with its native WebSocket handler; channel fan-out uses Bun's topic pub/sub.
 * `import { createBunServer } from "resound/bun"`; the `resound` command on Bun uses it too.
 */

import type { Topics } from "../src/channels/channel.ts";
import { type Listener, ListenError, type ListenOptions } from "../src/cli/host.ts";
import type { Connection } from "../src/protocol/connection.ts";
import type { WebSocketSession } from "../src/protocol/socket.ts";
import { createServer, type ResoundServer, type ServerOptions } from "../src/server.ts";
import { useNativeHashes } from "../src/support/hashes.ts";
import { tlsServerOptions } from "./tls-options.ts";

// Bun's own CryptoHasher (BoringSSL) hashes 4–6× faster than @noble/hashes, and skips node:crypto's JavaScript
// layer: about 1 µs less per signed publish than createHmac/createHash, measured inside Bun.serve. Every core this
// adapter serves uses them.
useNativeHashes({
  hmacSha256Hex: (secret, message) => new Bun.CryptoHasher("sha256", secret).update(message).digest("hex"),
  md5Hex: (bytes) => Bun.CryptoHasher.hash("md5", bytes, "hex"),
});

export type { Listener, ListenOptions, TlsMaterial } from "../src/cli/host.ts";

/** Bun's send and publish status when a socket was left with unsent data (the frame is queued, not dropped). */
const BACKPRESSURE = -1;

/** What the adapter uses of a Bun server (`Bun.serve(...)`'s result, or the `server` argument of `fetch`). */
export interface BunServerLike {
  upgrade(request: Request, options: { data: WebSocketSession; headers?: Record<string, string> }): boolean;
  publish(topic: string, data: string): number;
}

/** What the adapter uses of a Bun ServerWebSocket. */
export interface BunSocketLike {
  readonly data: WebSocketSession;
}

/** The `websocket` option of Bun.serve for Resound's sockets. */
export interface BunWebSocketHandler {
  maxPayloadLength: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  idleTimeout: number;
  sendPings: boolean;
  perMessageDeflate: boolean;
  open(ws: BunSocketLike): void;
  message(ws: BunSocketLike, message: string | Uint8Array): void;
  ping(ws: BunSocketLike): void;
  pong(ws: BunSocketLike): void;
  close(ws: BunSocketLike): void;
}

/** Bun's native topic pub/sub as the core's Topics, for the server it is bound to (set by fetch or listen). */
export class BunTopics implements Topics<Connection> {
  server: BunServerLike | undefined;
  subscribe(connection: Connection, topic: string): void {
    connection.socket?.subscribe?.(topic);
  }
  unsubscribe(connection: Connection, topic: string): void {
    connection.socket?.unsubscribe?.(topic);
  }
  // ws.publish reaches every subscriber but that socket; server.publish reaches all.
  publish(topic: string, frame: string, except: Connection | undefined): boolean {
    const status = except?.socket?.publish ? except.socket.publish(topic, frame) : this.server?.publish(topic, frame);
    return status !== BACKPRESSURE;
  }
}

/** A Resound core with what Bun.serve needs to serve it, on its own port or inside an existing Bun.serve. */
export interface BunResound {
  readonly core: ResoundServer;
  /** Listens with its own Bun.serve. */
  listen(options: ListenOptions): Promise<Listener>;
  /** For your Bun.serve's `fetch`: answers `/up`, `/apps/…` and the WebSocket upgrades at `/app/{key}`. */
  fetch(request: Request, server: BunServerLike): Response | Promise<Response>;
  /** For your Bun.serve's `websocket` option (Resound's sockets must be the only ones on that server). */
  readonly websocket: BunWebSocketHandler;
}

/** Creates a Resound core for Bun, with channel fan-out on Bun's native pub/sub. */
export function createBunServer(options: Omit<ServerOptions, "topics">): BunResound {
  const topics = new BunTopics();
  const core = createServer({ ...options, topics });
  return {
    core,
    listen: (listenOptions) => serve(core, topics, listenOptions),
    fetch: (request, server) => fetchWith(core, topics, request, server),
    websocket: websocketHandler(core),
  };
}

/**
 * Serves `core` with a new Bun.serve; `topics` must be the ones the core was created with. Bun.serve reports no
 * failed accepts (the CLI's open-files probe notices those), so `onAcceptFailure` is not used here.
 */
export function serve(core: ResoundServer, topics: BunTopics, { host = "0.0.0.0", port, tls = null }: ListenOptions): Promise<Listener> {
  let server: Bun.Server<WebSocketSession>;
  try {
    server = Bun.serve<WebSocketSession>({
      hostname: host,
      port,
      ...(tls && { tls: tlsServerOptions(tls) }),
      fetch: (request, bun) => fetchWith(core, topics, request, bun),
      websocket: websocketHandler(core) as Bun.ServeOptions<WebSocketSession>["websocket"],
    });
  } catch (error) {
    return Promise.reject(listenError(error));
  }
  topics.server = server;
  return Promise.resolve({ port: server.port, close: () => server.stop(false) });
}

/** Serves a plain HTTP handler (the metrics port) with a new Bun.serve; rejects with a ListenError. */
export function serveHttp(fetch: (request: Request) => Response | Promise<Response>, { host, port }: { host: string; port: number }): Promise<Listener> {
  try {
    const server = Bun.serve<WebSocketSession>({ hostname: host, port, fetch: (request: Request) => fetch(withAbsoluteUrl(request)) } as unknown as Bun.ServeOptions<WebSocketSession>);
    return Promise.resolve({ port: server.port, close: () => server.stop(true) });
  } catch (error) {
    return Promise.reject(listenError(error));
  }
}

/**
 * Bun gives a request without a Host header (HTTP/1.0 health checks: HAProxy's `option httpchk`, monitoring scripts)
 * a relative URL, which routers read wrongly (every path answered 404); such a request gets an absolute one, as
 * Node's and Deno's servers give it. Bun itself refuses an HTTP/1.1 request without Host.
 */
function withAbsoluteUrl(request: Request): Request {
  // Joined, not resolved: a target like "//other/up" stays that path instead of naming a host.
  return request.url.charCodeAt(0) === SLASH ? new Request(`http://localhost${request.url}`, request) : request;
}

const SLASH = 0x2f;

function fetchWith(core: ResoundServer, topics: BunTopics, request: Request, server: BunServerLike): Response | Promise<Response> {
  topics.server = server;
  // The upgrade needs Bun's own request object; the core reads the one with an absolute URL.
  return core.fetch(withAbsoluteUrl(request), {
    upgrade: (session, headers) =>
      server.upgrade(request, { data: session, headers })
        ? new Response(null)
        : Response.json({ error: "WebSocket upgrade failed." }, { status: 400 }),
  });
}

function websocketHandler(core: ResoundServer): BunWebSocketHandler {
  return {
    // Bun enforces the largest app limit while reading; the core applies each app's own limit.
    maxPayloadLength: core.maxMessageSize,
    // With a limit, Bun silently drops frames (publish skips the socket) while a client is behind. The core bounds
    // each connection's unsent data itself and closes it with 4100 instead, so nothing is dropped here.
    backpressureLimit: 0,
    closeOnBackpressureLimit: false,
    idleTimeout: 0, // the core's heartbeat decides when a connection is dead
    sendPings: false,
    perMessageDeflate: false,
    // Bun's ServerWebSocket is itself the core's Socket port (send, close, ping, getBufferedAmount, topics).
    open: (ws) => ws.data.open(ws as unknown as Bun.ServerWebSocket<WebSocketSession>),
    message: (ws, message) => ws.data.message(message),
    ping: (ws) => ws.data.control("ping"),
    pong: (ws) => ws.data.control("pong"),
    close: (ws) => ws.data.closed(),
  };
}

function listenError(error: unknown): ListenError {
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  if (code === "EADDRINUSE" || /in use/i.test(text)) return new ListenError("in-use", text);
  if (code === "EACCES" || /permission/i.test(text)) return new ListenError("permission", text);
  if (code === "EADDRNOTAVAIL") return new ListenError("address", text);
  if (/certificate|private key|pem|tls|ssl/i.test(text)) return new ListenError("tls", text);
  return new ListenError("other", text);
}
