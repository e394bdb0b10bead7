/** @module A raw WebSocket client (the `ws` package) for black-box tests: exact frames in arrival order, with timeouts. */

import type { IncomingHttpHeaders } from "node:http";
import WebSocket from "ws";

/** One message from the server; `data` is decoded when the frame's `data` is a JSON string. */
export interface Message {
  /** The exact text of the frame. */
  readonly raw: string;
  readonly event: string | undefined;
  readonly data: unknown;
  readonly channel: string | undefined;
  /** The whole frame, parsed (undefined when it was not JSON). */
  readonly json: Record<string, unknown> | undefined;
}

export interface ConnectOptions {
  /** Value of the Origin header; none is sent when omitted. */
  origin?: string;
  headers?: Record<string, string>;
}

export interface RawClient {
  readonly socket: WebSocket;
  /** The headers of the server's 101 response. */
  readonly upgradeHeaders: IncomingHttpHeaders;
  /** The next message not yet taken; rejects after `timeoutMs` (or when the socket closed with nothing queued). */
  next(timeoutMs?: number): Promise<Message>;
  /** Resolves with true if no message arrives within `ms` (a message stays queued for `next`). */
  silentFor(ms: number): Promise<boolean>;
  /** Sends an object as JSON, or a string as is (text frame). */
  send(message: unknown): void;
  /** Sends a binary frame. */
  sendBinary(data: Buffer | Uint8Array): void;
  /** Sends a ping control frame; resolves with the payload of the pong frame that answers it. */
  ping(payload?: string, timeoutMs?: number): Promise<Buffer>;
  /** Sends a pong control frame. */
  pong(payload?: string): void;
  /**
   * Resolves when the socket closed, with the close code and reason; rejects when it is still open 10 s after the
   * property was read, so a missing close fails the test instead of stalling it.
   */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Pong frames received so far (payloads). */
  readonly pongs: Buffer[];
  /** Ping frames received from the server so far (payloads). */
  readonly pings: Buffer[];
  /** Closes the socket (if open) and waits until it is closed. */
  close(): Promise<void>;
}

/** How long `closed` waits before it gives up. */
const CLOSE_WAIT_MS = 10_000;

/** Decodes a frame's text. */
export function decodeMessage(raw: string): Message {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // not JSON; raw is still there
  }
  let data = json?.["data"];
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      // a plain string stays a string
    }
  }
  const event = typeof json?.["event"] === "string" ? json["event"] : undefined;
  const channel = typeof json?.["channel"] === "string" ? json["channel"] : undefined;
  return { raw, event, data, channel, json };
}

/** Opens a WebSocket to `url` and resolves once the handshake succeeded (rejects with the HTTP status otherwise). */
export function connect(url: string, options: ConnectOptions = {}, timeoutMs = 5000): Promise<RawClient> {
  const socket = new WebSocket(url, {
    perMessageDeflate: false,
    headers: options.headers ?? {},
    ...(options.origin !== undefined && { origin: options.origin }),
  });
  const queue: Message[] = [];
  const waiters: Array<() => void> = [];
  const pongs: Buffer[] = [];
  const pings: Buffer[] = [];
  const pongWaiters: Array<(payload: Buffer) => void> = [];
  let upgradeHeaders: IncomingHttpHeaders = {};
  let isClosed = false;
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };

  socket.on("upgrade", (response) => {
    upgradeHeaders = response.headers;
  });
  socket.on("message", (data: Buffer, isBinary) => {
    queue.push(decodeMessage(isBinary ? data.toString("latin1") : data.toString()));
    wake();
  });
  socket.on("pong", (payload: Buffer) => {
    pongs.push(payload);
    pongWaiters.shift()?.(payload);
  });
  socket.on("ping", (payload: Buffer) => void pings.push(payload));
  socket.on("error", () => {}); // the close event follows and carries what matters

  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once("close", (code: number, reason: Buffer) => {
      isClosed = true;
      wake();
      resolve({ code, reason: reason.toString() });
    });
  });

  return new Promise<RawClient>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`WebSocket handshake with ${url} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("unexpected-response", (_request, response) => {
      clearTimeout(timer);
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => {
        socket.terminate();
        reject(Object.assign(new Error(`WebSocket handshake with ${url} answered ${response.statusCode}: ${body}`), {
          status: response.statusCode,
          body,
        }));
      });
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("open", () => {
      clearTimeout(timer);
      resolve({
        socket,
        get upgradeHeaders() {
          return upgradeHeaders;
        },
        next(timeout = 2000) {
          return new Promise<Message>((done, fail) => {
            const take = () => {
              const message = queue.shift();
              if (message) {
                clearTimeout(limit);
                done(message);
                return true;
              }
              if (isClosed) {
                clearTimeout(limit);
                fail(new Error(`socket closed while waiting for a message (${url})`));
                return true;
              }
              return false;
            };
            const limit = setTimeout(() => {
              const index = waiters.indexOf(check);
              if (index >= 0) waiters.splice(index, 1);
              fail(new Error(`no message within ${timeout} ms (${url})`));
            }, timeout);
            const check = () => {
              if (!take()) waiters.push(check);
            };
            check();
          });
        },
        async silentFor(ms) {
          if (queue.length > 0) return false;
          await new Promise((r) => setTimeout(r, ms));
          return queue.length === 0;
        },
        send(message) {
          socket.send(typeof message === "string" ? message : JSON.stringify(message));
        },
        sendBinary(data) {
          socket.send(data, { binary: true });
        },
        ping(payload = "", timeout = 2000) {
          return new Promise<Buffer>((done, fail) => {
            const limit = setTimeout(() => fail(new Error(`no pong frame within ${timeout} ms (${url})`)), timeout);
            pongWaiters.push((received) => {
              clearTimeout(limit);
              done(received);
            });
            socket.ping(payload);
          });
        },
        pong(payload = "") {
          socket.pong(payload);
        },
        get closed() {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<never>((_, fail) => {
            timer = setTimeout(() => fail(new Error(`socket still open after ${CLOSE_WAIT_MS} ms (${url})`)), CLOSE_WAIT_MS);
          });
          return Promise.race([closed, late]).finally(() => clearTimeout(timer));
        },
        pongs,
        pings,
        async close() {
          if (!isClosed) {
            socket.close();
            const timer2 = setTimeout(() => socket.terminate(), 2000);
            await closed;
            clearTimeout(timer2);
          }
        },
      });
    });
  });
}
