/** @module Raw TCP for hostile-client tests: exact bytes on the wire where an HTTP or WebSocket library would refuse to send them. */

import { randomBytes } from "node:crypto";
import { connect as tcpConnect, type Socket } from "node:net";

/** A TCP connection to the test server with everything it received so far. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything received, as latin1 text (headers and frames). */
  received(): string;
  /** Resolves when the server closed or reset the connection; rejects after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<void>;
  /** Resolves once `pattern` appears in what was received; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly isClosed: boolean;
}

/** Opens a TCP connection to 127.0.0.1:`port` and writes `initial` (if any). */
export function rawConnection(port: number, initial?: string | Buffer): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let closed = false;
    const waiters = new Set<() => void>();
    const wake = () => {
      for (const waiter of waiters) waiter();
    };
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      wake();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      wake();
    });
    const until = (done: () => boolean, timeoutMs: number, what: string) =>
      new Promise<void>((ok, fail) => {
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          ok();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`${what} within ${timeoutMs} ms; received: ${data.toString("latin1").slice(0, 300)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    socket.once("connect", () => {
      if (initial !== undefined) socket.write(initial);
      resolve({
        socket,
        received: () => data.toString("latin1"),
        closedWithin: (timeoutMs) => until(() => closed, timeoutMs, "the server did not close the connection"),
        waitFor: (pattern, timeoutMs = 5_000) => until(() => pattern.test(data.toString("latin1")), timeoutMs, `no ${pattern}`),
        get isClosed() {
          return closed;
        },
      });
    });
    socket.once("error", reject);
  });
}

/** A WebSocket opening handshake for `path` with extra or replaced header lines. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    Host: "127.0.0.1",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  const lines = Object.entries(all).filter(([, value]) => value !== "").map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

/** The header of a masked client text frame that declares `length` payload bytes, followed by the mask key. */
export function textFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81; // FIN, text
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}
