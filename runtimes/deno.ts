/**
 * @module Deno adapter: Deno.serve with Deno.upgradeWebSocket. `import { createDenoServer } from "resound/deno"`;
 * the `resound` command on Deno and `deno task start` use it too.
 */

import { createPrivateKey } from "node:crypto";
import { defaultAcceptFailure, type Listener, ListenError, type ListenOptions } from "../src/cli/host.ts";
import type { Socket, WebSocketSession } from "../src/protocol/socket.ts";
import { createServer, type ResoundServer, type ServerOptions } from "../src/server.ts";
import { createMD5 } from "hash-wasm";
import { useNativeHashes } from "../src/support/hashes.ts";

// On Deno each node:crypto call is several calls into Rust: its MD5 costs 1.3 µs, hash-wasm's (WebAssembly, in
// process) 0.6 µs, noble's 4.6 µs. Its HMAC is slower than noble's (5.3 vs 2.7 µs), so HMAC stays with noble.
const md5 = await createMD5();
useNativeHashes({
  md5Hex: (bytes) => {
    md5.init();
    md5.update(bytes);
    return md5.digest("hex");
  },
});

export type { Listener, ListenOptions, TlsMaterial } from "../src/cli/host.ts";

const OPEN = 1;
/** Backoff between attempts to listen again after the accept loop failed. */
const RELISTEN_FIRST_MS = 100;
const RELISTEN_MAX_MS = 2_000;

/** A Resound core with what Deno.serve needs to serve it, on its own port or inside an existing Deno.serve. */
export interface DenoResound {
  readonly core: ResoundServer;
  /** Listens with its own Deno.serve. */
  listen(options: ListenOptions): Promise<Listener>;
  /** For your Deno.serve handler: answers `/up`, `/apps/…` and the WebSocket upgrades at `/app/{key}`. */
  fetch(request: Request): Response | Promise<Response>;
}

/** Creates a Resound core for Deno. */
export function createDenoServer(options: ServerOptions): DenoResound {
  const core = createServer(options);
  return { core, listen: (listenOptions) => serve(core, listenOptions), fetch: (request) => fetchWith(core, request) };
}

/** Serves `core` with a new Deno.serve, listening again when the accept loop fails; rejects with a ListenError. */
export function serve(core: ResoundServer, { host = "0.0.0.0", port, tls = null, onAcceptFailure = defaultAcceptFailure }: ListenOptions): Promise<Listener> {
  if (tls?.ca !== undefined || tls?.verifyPeer) {
    return Promise.reject(new ListenError("unsupported", "Deno.serve cannot verify client certificates; remove ca and verify_peer from server.options.tls"));
  }
  let key: string | null = null;
  try {
    key = tls && plainKey(tls.key, tls.passphrase);
  } catch (error) {
    return Promise.reject(error);
  }
  const handler = (request: Request) => fetchWith(core, request);
  return new Promise((resolve, reject) => {
    let current: Deno.HttpServer | undefined;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = RELISTEN_FIRST_MS;
    let listenedAt = 0;
    let boundPort = port;
    const close = async () => {
      stopped = true;
      clearTimeout(retry);
      if (current) await closeGracefully(current);
    };
    const listenAgainLater = () => {
      if (Date.now() - listenedAt > 10 * RELISTEN_MAX_MS) delay = RELISTEN_FIRST_MS; // a new episode
      retry = setTimeout(() => listenOnce(false), delay);
      delay = Math.min(delay * 2, RELISTEN_MAX_MS);
    };
    // When Deno.serve cannot accept a connection (out of file descriptors: EMFILE) its accept loop ends and
    // `finished` rejects, which would end the process. Upgraded WebSockets do not depend on that loop, so they
    // keep running while the listener is opened again on the same port.
    const listenOnce = (first: boolean) => {
      try {
        const server = Deno.serve({
          hostname: host,
          port: boundPort,
          ...(tls && { cert: tls.cert, key: key! }),
          onListen: ({ port: bound }) => {
            boundPort = bound;
            listenedAt = Date.now();
            if (first) resolve({ port: bound, close });
          },
          onError: () => Response.json({ error: "Internal server error." }, { status: 500 }),
        }, handler);
        current = server;
        server.finished.catch((error: unknown) => {
          if (stopped) return;
          onAcceptFailure(describe(error));
          listenAgainLater();
        });
      } catch (error) {
        if (first) return reject(listenError(error));
        onAcceptFailure(describe(error));
        listenAgainLater();
      }
    };
    listenOnce(true);
  });
}

/** Serves a plain HTTP handler (the metrics port) with a new Deno.serve; rejects with a ListenError. */
export function serveHttp(fetch: (request: Request) => Response | Promise<Response>, { host, port }: { host: string; port: number }): Promise<Listener> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: host,
        port,
        onListen: ({ port: bound }) => resolve({ port: bound, close: () => server.shutdown() }),
        onError: () => Response.json({ error: "Internal server error." }, { status: 500 }),
      }, fetch);
      server.finished.catch(() => {}); // the metrics port failing to accept must not end the process
    } catch (error) {
      reject(listenError(error));
    }
  });
}

function fetchWith(core: ResoundServer, request: Request): Response | Promise<Response> {
  return core.fetch(request, {
    upgrade: (session, headers) => {
      let upgraded;
      try {
        // Deno pings idle sockets itself unless idleTimeout is 0; the core's heartbeat owns liveness.
        upgraded = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
      } catch {
        return Response.json({ error: "WebSocket upgrade failed." }, { status: 400 }); // the core checked the handshake
      }
      const { socket, response } = upgraded;
      attach(socket, session);
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
      return response;
    },
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Open sockets, so shutdown can let their closing handshakes (4200) finish: Deno.serve's shutdown cuts them with 1001. */
const openSockets = new Set<WebSocket>();

async function closeGracefully(server: Deno.HttpServer): Promise<void> {
  const deadline = Date.now() + 3000;
  while (openSockets.size > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
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

/** How long a client must have sent nothing before the server's close frame goes out, and the longest wait for that. */
const QUIET_BEFORE_CLOSE_MS = 50;
const MOST_WAIT_BEFORE_CLOSE_MS = 1_000;

/**
 * Deno drops the TCP connection with a reset when a client's frame arrives after the server's close frame, and the
 * client then loses what it had not read yet: the 4301 or 4100 error just before the close, and the close itself
 * (1006). A client that breaks a limit is often still sending (a burst, a flood), so the close frame waits until the
 * client has been quiet for a moment (at most a second). The core has already let the connection go: nothing more is
 * sent to it and what it sends is ignored.
 */
function closeWhenQuiet(socket: WebSocket, code: number, reason: string, lastMessageAt: () => number, since = Date.now()): void {
  if (socket.readyState !== OPEN) return;
  const now = Date.now();
  if (now - lastMessageAt() >= QUIET_BEFORE_CLOSE_MS || now - since >= MOST_WAIT_BEFORE_CLOSE_MS) socket.close(code, reason);
  else setTimeout(() => closeWhenQuiet(socket, code, reason, lastMessageAt, since), QUIET_BEFORE_CLOSE_MS);
}

/** Drives a session from a standard WebSocket. Deno answers pings itself and does not report control frames. */
function attach(socket: WebSocket, session: WebSocketSession): void {
  socket.binaryType = "arraybuffer";
  let lastMessageAt = 0;
  const port: Socket = {
    send: (frame) => socket.readyState === OPEN && socket.send(frame),
    close: (code, reason) => closeWhenQuiet(socket, code, reason, () => lastMessageAt),
    ping: () => {}, // no API for control pings; such clients still get pusher:ping text frames
    getBufferedAmount: () => socket.bufferedAmount,
  };
  socket.onopen = () => {
    openSockets.add(socket);
    session.open(port);
  };
  socket.onmessage = (event: MessageEvent) => {
    lastMessageAt = Date.now();
    session.message(event.data as string | ArrayBuffer);
  };
  socket.onclose = () => {
    openSockets.delete(socket);
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
