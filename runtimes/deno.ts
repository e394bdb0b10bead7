/** @module Deno shim: Deno.serve with Deno.upgradeWebSocket. Start with `deno task start`. */

import { createPrivateKey } from "node:crypto";
import { main } from "../src/cli/main.ts";
import { ListenError } from "../src/cli/host.ts";
import type { Socket, WebSocketSession } from "../src/protocol/socket.ts";
import { processHost } from "./process-host.ts";

const OPEN = 1;

await main({
  ...processHost({ name: "deno", version: Deno.version.deno }),
  listen(core, { host, port, tls }) {
    if (tls?.ca !== undefined || tls?.verifyPeer) {
      return Promise.reject(new ListenError("unsupported", "Deno.serve cannot verify client certificates; remove ca and verify_peer from server.options.tls"));
    }
    return new Promise((resolve, reject) => {
      try {
        const server = Deno.serve({
          hostname: host,
          port,
          ...(tls && { cert: tls.cert, key: plainKey(tls.key, tls.passphrase) }),
          onListen: ({ port: bound }) => resolve({ port: bound, close: () => closeGracefully(server) }),
          onError: () => Response.json({ error: "Internal server error." }, { status: 500 }),
        }, (request) =>
          core.fetch(request, {
            upgrade: (session, headers) => {
              // Deno pings idle sockets itself unless idleTimeout is 0; the core's heartbeat owns liveness.
              const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
              attach(socket, session);
              for (const [key, value] of Object.entries(headers)) response.headers.set(key, value);
              return response;
            },
          }));
      } catch (error) {
        reject(listenError(error));
      }
    });
  },
});

/** Open sockets, so shutdown can let their closing handshakes (4200) finish: Deno.serve's shutdown cuts them with 1001. */
const open = new Set<WebSocket>();

async function closeGracefully(server: Deno.HttpServer): Promise<void> {
  const deadline = Date.now() + 3000;
  while (open.size > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
  await server.shutdown();
}

/** Deno.serve only takes unencrypted keys, so an encrypted one is decrypted here (a wrong passphrase throws). */
function plainKey(key: string, passphrase: string | undefined): string {
  if (passphrase === undefined) return key;
  try {
    return String(createPrivateKey({ key, passphrase }).export({ format: "pem", type: "pkcs8" }));
  } catch (error) {
    throw new ListenError("tls", error instanceof Error ? error.message : String(error));
  }
}

/** Drives a session from a standard WebSocket. Deno answers pings itself and does not report control frames. */
function attach(socket: WebSocket, session: WebSocketSession): void {
  socket.binaryType = "arraybuffer";
  const port: Socket = {
    send: (frame) => socket.readyState === OPEN && socket.send(frame),
    close: (code, reason) => socket.close(code, reason),
    ping: () => {}, // no API for control pings; such clients still get pusher:ping text frames
  };
  socket.onopen = () => {
    open.add(socket);
    session.open(port);
  };
  socket.onmessage = (event: MessageEvent) => session.message(event.data as string | ArrayBuffer);
  socket.onclose = () => {
    open.delete(socket);
    session.closed();
  };
  socket.onerror = () => {};
}

function listenError(error: unknown): ListenError {
  const name = (error as { name?: string }).name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === "AddrInUse") return new ListenError("in-use", message);
  if (name === "PermissionDenied") return new ListenError("permission", message);
  if (name === "AddrNotAvailable") return new ListenError("address", message);
  if (error instanceof ListenError) return error;
  if (/certificate|private key|pem|tls|key ?mismatch|not be consistent/i.test(message)) return new ListenError("tls", message);
  return new ListenError("other", message);
}
