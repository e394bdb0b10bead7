/**
 * @module Node: publishing requests go to the core's publish lane straight from `IncomingMessage`, skipping the
 * Web Request and Response objects @hono/node-server would build (about a third of a publish's CPU on Node).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { type LaneRequest, UNREADABLE } from "../src/http/publish-lane.ts";
import type { ResoundServer } from "../src/server.ts";

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** `fallback` with publishing requests answered by the lane first. */
export function withPublishLane(core: ResoundServer, fallback: RequestListener): RequestListener {
  return (request, response) => {
    const route = request.method === "POST" && request.url !== undefined ? core.lane.match(request.url) : undefined;
    if (!route) return fallback(request, response);
    const laneRequest: LaneRequest = {
      target: request.url!,
      host: request.headers.host,
      headerBytes: headerBytes(request),
      readBody: (limit, done) => readBody(request, limit, done),
    };
    core.lane.handle(route, laneRequest, ({ status, body }) => {
      const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
      // A body refused for its size was not read: close rather than read the rest of it to keep the connection.
      if (status === 413) headers["connection"] = "close";
      response.writeHead(status, headers).end(body);
    });
  };
}

/** The request line and headers as sent, as the core counts them for max_request_size. */
function headerBytes(request: IncomingMessage): number {
  let size = request.method!.length + request.url!.length + 12;
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) size += raw[i]!.length + raw[i + 1]!.length + 4;
  return size;
}

/** Calls `done` once with the body, or undefined as soon as it would exceed `limit` bytes (then nothing more is buffered). */
function readBody(request: IncomingMessage, limit: number, done: (body: Uint8Array | undefined | typeof UNREADABLE) => void): void {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limit) return done(undefined);
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (body: Uint8Array | undefined | typeof UNREADABLE) => {
    if (settled) return;
    settled = true;
    request.off("data", onData);
    done(body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0;
      settle(undefined);
      return;
    }
    chunks.push(chunk);
  };
  request.on("data", onData);
  request.once("end", () => settle(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
  request.once("error", () => settle(UNREADABLE));
  request.once("aborted", () => settle(UNREADABLE));
}
