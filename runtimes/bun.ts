/** @module Bun shim: Bun.serve with its native WebSocket handler; channel fan-out uses Bun's topic pub/sub. */

import { main } from "../src/cli/main.ts";
import { ListenError } from "../src/cli/host.ts";
import type { Topics } from "../src/channels/channel.ts";
import type { Connection } from "../src/protocol/connection.ts";
import type { WebSocketSession } from "../src/protocol/socket.ts";
import { processHost } from "./process-host.ts";
import { tlsServerOptions } from "./tls-options.ts";

let server: Bun.Server<WebSocketSession> | undefined;

/** Bun's send and publish status when a socket was left with unsent data (the frame is queued, not dropped). */
const BACKPRESSURE = -1;

// ws.publish reaches every subscriber but that socket; server.publish reaches all.
const topics: Topics<Connection> = {
  subscribe: (connection, topic) => connection.socket?.subscribe?.(topic),
  unsubscribe: (connection, topic) => connection.socket?.unsubscribe?.(topic),
  publish: (topic, frame, except) =>
    (except?.socket?.publish ? except.socket.publish(topic, frame) : server!.publish(topic, frame)) !== BACKPRESSURE,
};

await main({
  ...processHost({ name: "bun", version: Bun.version }),
  topics,
  listen(core, { host, port, tls }) {
    try {
      server = Bun.serve<WebSocketSession>({
        hostname: host,
        port,
        ...(tls && { tls: tlsServerOptions(tls) }),
        fetch: (request, bun) =>
          core.fetch(request, {
            upgrade: (session, headers) =>
              bun.upgrade(request, { data: session, headers })
                ? new Response(null)
                : Response.json({ error: "WebSocket upgrade failed." }, { status: 400 }),
          }),
        websocket: {
          // Bun enforces the largest app limit while reading; the core applies each app's own limit.
          maxPayloadLength: core.maxMessageSize,
          // With a limit, Bun silently drops frames (publish skips the socket) while a client is behind. The core
          // bounds each connection's unsent data itself and closes it with 4100 instead, so nothing is dropped here.
          backpressureLimit: 0,
          closeOnBackpressureLimit: false,
          idleTimeout: 0, // the core's heartbeat decides when a connection is dead
          sendPings: false,
          perMessageDeflate: false,
          open: (ws) => ws.data.open(ws),
          message: (ws, message) => ws.data.message(message),
          ping: (ws) => ws.data.control("ping"),
          pong: (ws) => ws.data.control("pong"),
          close: (ws) => ws.data.closed(),
        },
      });
    } catch (error) {
      throw listenError(error);
    }
    const running = server;
    return Promise.resolve({ port: running.port, close: () => running.stop(false) });
  },
});

function listenError(error: unknown): ListenError {
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  if (code === "EADDRINUSE" || /in use/i.test(text)) return new ListenError("in-use", text);
  if (code === "EACCES" || /permission/i.test(text)) return new ListenError("permission", text);
  if (code === "EADDRNOTAVAIL") return new ListenError("address", text);
  if (/certificate|private key|pem|tls|ssl/i.test(text)) return new ListenError("tls", text);
  return new ListenError("other", text);
}
