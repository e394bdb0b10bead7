/** @module Node WebSocket upgrades with `ws`: routes each upgrade through the core's Hono app, then drives the session. */

import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { MESSAGE_TOO_BIG } from "../src/protocol/connection.ts";
import type { Upgrade, WebSocketSession } from "../src/protocol/socket.ts";
import type { ResoundServer } from "../src/server.ts";

// A broadcast sends one string object to every subscriber in a row; encoding it to UTF-8 once, instead of once per
// socket (ws measures and encodes strings on every send), is what makes Node's fan-out cheap.
let lastFrame = "";
let lastBytes = Buffer.alloc(0);
const TEXT = { binary: false };

// A socket's first frame in an event-loop turn is written at once (fan-out latency); later frames in the same turn
// (a presence storm: many joins read in one poll phase) are corked and leave in one write at the end of the turn,
// as Bun's corked sends do, instead of one syscall each. State per socket: 0 idle, 1 written this turn, 2 corked.
const touched: SessionSocket[] = [];
function endTurn() {
  for (const socket of touched) {
    if (socket.turn === 2) socket.raw?.uncork();
    socket.turn = 0;
  }
  touched.length = 0;
}

/** A ws socket that is itself the core's Socket port, so no adapter object is allocated per connection. */
class SessionSocket extends WebSocket {
  session?: WebSocketSession;
  raw?: Duplex;
  turn?: number;

  override send(frame: string): void {
    if (frame !== lastFrame) {
      lastFrame = frame;
      lastBytes = Buffer.from(frame);
    }
    if (this.turn === 0) {
      this.turn = 1;
      if (touched.push(this) === 1) setImmediate(endTurn);
    } else if (this.turn === 1) {
      this.turn = 2;
      this.raw?.cork();
    }
    super.send(lastBytes, TEXT);
  }

  /** ws counts what the TCP socket has not written yet plus frames queued behind a compressor: O(1). */
  getBufferedAmount(): number {
    return this.bufferedAmount;
  }

  // ws closes oversized messages with a bare 1009; Reverb's clients see this reason.
  override close(code?: number, reason?: string | Buffer): void {
    super.close(code, code === MESSAGE_TOO_BIG.code && reason === undefined ? MESSAGE_TOO_BIG.reason : reason);
  }
}

// ws calls its listeners with `this` set to the socket, which is always a SessionSocket here.
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean) {
  (this as SessionSocket).session?.message(isBinary ? data : data.toString());
}
function onPing(this: WebSocket) {
  (this as SessionSocket).session?.control("ping");
}
function onPong(this: WebSocket) {
  (this as SessionSocket).session?.control("pong");
}
function onClose(this: WebSocket) {
  (this as SessionSocket).session?.closed();
}
function ignore() {} // ws reports socket errors, then emits close

/** Returns the `upgrade` event listener for a Node http(s) server. */
export function createUpgradeListener(core: ResoundServer) {
  const servers = new Map<number, WebSocketServer>();
  const handshakeHeaders = new WeakMap<IncomingMessage, Record<string, string>>();
  // One ws server per message-size limit, so ws enforces each app's max_message_size while reading frames. ws reads
  // a maxPayload of 0 as "no limit", so the limit is never allowed below 1.
  const serverFor = (limit: number) => {
    const maxPayload = Math.max(1, limit);
    let wss = servers.get(maxPayload);
    if (!wss) {
      wss = new WebSocketServer({ noServer: true, maxPayload, WebSocket: SessionSocket, perMessageDeflate: false });
      wss.on("headers", (headers, request) => {
        for (const [key, value] of Object.entries(handshakeHeaders.get(request) ?? {})) headers.push(`${key}: ${value}`);
      });
      servers.set(maxPayload, wss);
    }
    return wss;
  };

  const accept = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    let accepted: { session: WebSocketSession; headers: Record<string, string> } | undefined;
    const upgrade: Upgrade = (session, headers) => {
      accepted = { session, headers };
      return ACCEPTED;
    };
    // Routing uses the request target only: the Host header is the client's to choose, so it must not pick the path.
    const target = request.url ?? "/";
    if (!target.startsWith("/")) return refuse(socket, 400, "The request target must be a path.");
    // The usual handshake is read straight from Node's headers: a Web Request costs more than the rest of it.
    const appKey = request.method === "GET" ? core.upgrades.match(target) : undefined;
    const response = appKey !== undefined
      ? core.upgrades.handle((name) => rawHeader(request, name), appKey, upgrade)
      : await core.fetch(webRequest(request, target), { upgrade });
    if (!accepted) return refuse(socket, response.status, await response.text());
    const { session } = accepted;
    handshakeHeaders.set(request, accepted.headers);
    serverFor(session.maxMessageSize).handleUpgrade(request, socket, head, (ws) => {
      const sessionSocket = ws as SessionSocket;
      sessionSocket.session = session;
      sessionSocket.raw = socket;
      sessionSocket.turn = 0;
      sessionSocket.on("message", onMessage).on("ping", onPing).on("pong", onPong).on("close", onClose).on("error", ignore);
      session.open(sessionSocket);
    });
  };
  const listener = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", ignore);
    // What can fail here is the client's request (headers a Request refuses, say): a 400, not a logged stack.
    accept(request, socket, head).catch(() => refuse(socket, 400, "Malformed WebSocket request."));
  };
  return Object.assign(listener, {
    /** Drops every WebSocket still open: at shutdown, those whose clients never answered the close in time. */
    terminateAll: () => {
      for (const wss of servers.values()) for (const ws of wss.clients) ws.terminate();
    },
  });
}

/** What the upgrade binding tells the core: only its status is read. */
const ACCEPTED = new Response(null, { status: 200 });

/** A header of a Node request as a Request's `headers.get` gives it (repeated headers joined, absent: null). */
function rawHeader(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

/** The upgrade request as a Web Request, for the Hono routes (a key that needs decoding, a method other than GET). */
function webRequest(request: IncomingMessage, target: string): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) if (typeof value === "string") headers.set(key, value);
  return new Request(new URL(target, "http://localhost"), { headers });
}

/** Answers an upgrade request that will not become a WebSocket, and closes the connection. */
function refuse(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) return void socket.destroy();
  const json = Buffer.from(body.startsWith("{") ? body : JSON.stringify({ error: body }));
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${json.length}\r\nConnection: close\r\n\r\n${json}`);
}
