/**
 * @module The publish lane: `POST {path}/apps/{id}/events` and `/batch_events`, the request every Laravel broadcast
 * makes, answered without the router and without Request or Response objects where the runtime allows (the Node
 * adapter hands it the raw request). Same checks, order, answers and lifecycle events as the Hono routes, which
 * remain for every other request, for publishes whose path needs decoding, and for code that mounts the Hono app.
 */

import type { App } from "../apps/app.ts";
import type { AppRegistry } from "../apps/app-registry.ts";
import { ApiError } from "../errors.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import type { Clock } from "../support/clock.ts";
import { LogThrottle } from "../support/log-throttle.ts";
import type { Logger } from "../support/logger.ts";
import { type ApiAuthOptions, authenticateApi } from "./api-auth.ts";
import { isValidHost, MALFORMED_HOST } from "./host-header.ts";
import { publishBatch, publishEvent } from "./publish-api.ts";

/** A request on the lane, as the runtime has it. */
export interface LaneRequest {
  /** The request target as sent: path and query. */
  readonly target: string;
  readonly host: string | undefined;
  /** Size of the request line and headers. */
  readonly headerBytes: number;
  /** The body, or undefined past `limit` bytes; rejects when the client broke it off. */
  readBody(limit: number): Promise<Uint8Array | undefined>;
}

/** The answer: a status and a JSON body (Content-Type: application/json). Never a rejection. */
export interface LaneAnswer {
  readonly status: number;
  readonly body: string;
}

/** A matched lane request: which endpoint, the app id and the parts of the target. */
export interface LaneRoute {
  readonly endpoint: "events" | "batch_events";
  readonly appId: string;
  readonly path: string;
  readonly query: string;
}

export interface PublishLaneOptions extends ApiAuthOptions {
  readonly hub: Hub;
  readonly broker: Broker;
  readonly apps: AppRegistry;
  readonly logger: Logger;
}

/**
 * Path characters that every URL parser leaves as they are (no percent-decoding, no dot segments, no backslashes),
 * so the path the lane signs is the one the Hono routes would sign.
 */
const SEGMENT = "[A-Za-z0-9._~!$&'()*+,;=:@-]+";

export class PublishLane {
  private readonly options: PublishLaneOptions;
  private readonly pattern: RegExp;
  private readonly throttle: LogThrottle;

  constructor(options: PublishLaneOptions) {
    this.options = options;
    const prefix = options.prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    this.pattern = new RegExp(`^(${prefix}/apps/(${SEGMENT})/(events|batch_events))(?:\\?([^#]*))?(?:#.*)?$`);
    this.throttle = new LogThrottle(options.clock);
  }

  /** The lane's reading of `target` when a POST to it belongs on the lane, else undefined. */
  match(target: string): LaneRoute | undefined {
    const found = this.pattern.exec(target);
    if (!found) return undefined;
    const appId = found[2]!;
    if (appId === "." || appId === "..") return undefined;
    return { endpoint: found[3] as LaneRoute["endpoint"], appId, path: found[1]!, query: found[4] ?? "" };
  }

  /** Answers a POST to a matched route. */
  async handle(route: LaneRoute, request: LaneRequest): Promise<LaneAnswer> {
    const { hub, broker } = this.options;
    let app: App | undefined;
    let answer: LaneAnswer;
    try {
      if (!isValidHost(request.host)) {
        answer = { status: 400, body: JSON.stringify(MALFORMED_HOST) };
      } else {
        const authenticated = await authenticateApi(this.options, {
          appId: route.appId,
          method: "POST",
          path: route.path,
          query: route.query,
          headerBytes: request.headerBytes,
          readBody: (limit) => request.readBody(limit),
        });
        app = authenticated.app;
        const publish = route.endpoint === "events" ? publishEvent : publishBatch;
        const result = publish(broker, hub.events, app, authenticated.body);
        answer = { status: 200, body: JSON.stringify(result instanceof Promise ? await result : result) };
      }
    } catch (error) {
      answer = this.failure(error, route);
    }
    if (hub.events.wants("httpRequest")) {
      hub.events.emit("httpRequest", { app, method: "POST", route: `${this.options.prefix}/apps/:appId/${route.endpoint}`, status: answer.status });
    }
    return answer;
  }

  private failure(error: unknown, route: LaneRoute): LaneAnswer {
    if (error instanceof ApiError) return { status: error.status, body: JSON.stringify(error.fields ?? { error: error.message }) };
    // An unexpected error is a bug worth a stack trace, but one a client can repeat at will: one report a minute.
    this.throttle.log("http-500", (heldBack) => {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.options.logger.error(`HTTP POST ${route.path} failed${heldBack}: ${detail}`);
    });
    return { status: 500, body: JSON.stringify({ error: "Internal server error." }) };
  }
}

/** The request target (path and query) of an absolute request URL. */
export function requestTarget(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start === -1 ? "/" : url.slice(start);
}
