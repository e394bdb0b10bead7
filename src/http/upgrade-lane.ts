/**
 * @module The WebSocket handshake at `{path}/app/{key}`, the request every client connection starts with: answered
 * without the router (on Bun the router's per-request garbage added ~0.4 KB of RSS per connection opened in a
 * burst). Same checks, answers and lifecycle event as the Hono route, which shares `answerHandshake` and remains for
 * keys that need percent-decoding, for HEAD, and for code that mounts the Hono app.
 */

import type { App } from "../apps/app.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Upgrade } from "../protocol/socket.ts";
import { isValidHost, MALFORMED_HOST } from "./host-header.ts";
import { LANE_SEGMENT, prefixPattern } from "./lane-target.ts";

/** Reverb's handshake header; some clients and proxies in the Laravel ecosystem look for it. */
const HANDSHAKE_HEADERS = { "X-Powered-By": "Laravel Reverb" };

/** How a handshake was answered: the response, the app it named (once a session was made) and whether it upgraded. */
export interface HandshakeAnswer {
  readonly response: Response;
  readonly app: App | undefined;
  readonly upgraded: boolean;
}

/** Reads one request header by its lowercase name: a Request's `headers.get`, or Node's raw header object. */
export type HeaderReader = (name: string) => string | null;

/** What is wrong with a WebSocket opening handshake's headers (RFC 6455 §4.2.1), if anything. */
function handshakeProblem(header: HeaderReader): string | undefined {
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(header("connection") ?? "")) return "the Connection header must include Upgrade";
  const key = header("sec-websocket-key") ?? "";
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return "Sec-WebSocket-Key must be 16 bytes in base64";
  if (header("sec-websocket-version") !== "13") return "Sec-WebSocket-Version must be 13";
  return undefined;
}

function json(body: unknown, status: number, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Checks a GET to `/app/{appKey}` and, when it is a valid WebSocket handshake, hands the runtime a session for it. */
export function answerHandshake(hub: Hub, header: HeaderReader, appKey: string, upgrade: Upgrade | undefined): HandshakeAnswer {
  const notWebSocket = () => json({ error: "This endpoint only accepts WebSocket connections." }, 426, { Upgrade: "websocket" });
  if (header("upgrade")?.toLowerCase() !== "websocket") return { response: notWebSocket(), app: undefined, upgraded: false };
  // Checked here, the same on every runtime, rather than left to each runtime's upgrade (Deno's throws).
  const problem = handshakeProblem(header);
  if (problem) return { response: json({ error: `Invalid WebSocket handshake: ${problem}.` }, 400), app: undefined, upgraded: false };
  if (!upgrade) return { response: notWebSocket(), app: undefined, upgraded: false };
  const session = hub.session(appKey, header("origin"));
  const response = upgrade(session, HANDSHAKE_HEADERS);
  return { response, app: session.app, upgraded: response.status < 300 };
}

/**
 * Handshakes whose key needs no decoding, straight from the runtime's fetch (Bun, Deno) or, on Node, from the raw
 * request without building a Request at all.
 */
export class UpgradeLane {
  private readonly hub: Hub;
  private readonly route: string;
  private readonly pattern: RegExp;

  constructor(hub: Hub, prefix: string) {
    this.hub = hub;
    this.route = `${prefix}/app/:appKey`;
    this.pattern = new RegExp(`^${prefixPattern(prefix)}/app/(${LANE_SEGMENT})(?:\\?[^#]*)?(?:#.*)?$`);
  }

  /** The app key when a GET to `target` belongs on the lane, else undefined. */
  match(target: string): string | undefined {
    const key = this.pattern.exec(target)?.[1];
    return key === "." || key === ".." ? undefined : key;
  }

  /** Answers the handshake and reports it (httpRequest) as the Hono route's middleware would. */
  handle(header: HeaderReader, appKey: string, upgrade: Upgrade | undefined): Response {
    const answer: HandshakeAnswer = isValidHost(header("host") ?? undefined)
      ? answerHandshake(this.hub, header, appKey, upgrade)
      : { response: json(MALFORMED_HOST, 400), app: undefined, upgraded: false };
    const events = this.hub.events;
    if (events.wants("httpRequest")) {
      events.emit("httpRequest", { app: answer.app, method: "GET", route: this.route, status: answer.upgraded ? 101 : answer.response.status });
    }
    return answer.response;
  }
}
