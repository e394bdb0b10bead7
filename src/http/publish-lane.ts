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
import { type ApiAuthOptions, type ApiHeadCheck, checkApiBody, checkApiHead, unreadableBody } from "./api-auth.ts";
import { isValidHost, MALFORMED_HOST } from "./host-header.ts";
import { LANE_SEGMENT, prefixPattern } from "./lane-target.ts";
import { publishBatch, publishEvent } from "./publish-api.ts";

/** A request on the lane, as the runtime has it. */
export interface LaneRequest {
  /** The request target as sent: path and query. */
  readonly target: string;
  readonly host: string | undefined;
  /** Size of the request line and headers. */
  readonly headerBytes: number;
  /**
   * Reads the body and calls `done` once: with the body, with undefined past `limit` bytes (then nothing more is
   * buffered), or with UNREADABLE when the client broke the body off. A callback, not a promise: on Node a publish
   * then costs no promise at all.
   */
  readBody(limit: number, done: (body: Uint8Array | undefined | typeof UNREADABLE) => void): void;
}

/** What `readBody` reports when the client went away or broke the body off. */
export const UNREADABLE: unique symbol = Symbol("unreadable body");

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

const MALFORMED_HOST_BODY = JSON.stringify(MALFORMED_HOST);

export class PublishLane {
  private readonly options: PublishLaneOptions;
  private readonly pattern: RegExp;
  private readonly throttle: LogThrottle;

  constructor(options: PublishLaneOptions) {
    this.options = options;
    this.pattern = new RegExp(`^(${prefixPattern(options.prefix)}/apps/(${LANE_SEGMENT})/(events|batch_events))(?:\\?([^#]*))?(?:#.*)?$`);
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

  /** Answers a POST to a matched route: calls `respond` once, synchronously or after the body was read. */
  handle(route: LaneRoute, request: LaneRequest, respond: (answer: LaneAnswer) => void): void {
    const head = { appId: route.appId, method: "POST", path: route.path, query: route.query, headerBytes: request.headerBytes };
    let checked: ApiHeadCheck;
    try {
      if (!isValidHost(request.host)) return this.finish(route, undefined, { status: 400, body: MALFORMED_HOST_BODY }, respond);
      checked = checkApiHead(this.options, head);
    } catch (error) {
      return this.finish(route, undefined, this.failure(error, route), respond);
    }
    request.readBody(checked.bodyLimit, (body) => {
      let answer: LaneAnswer | Promise<LaneAnswer>;
      let app: App | undefined; // reported only once authenticated, as the Hono routes do
      try {
        if (body === UNREADABLE) throw unreadableBody();
        const valid = checkApiBody(this.options, head, checked, body);
        app = checked.app;
        const publish = route.endpoint === "events" ? publishEvent : publishBatch;
        const result = publish(this.options.broker, this.options.hub.events, checked.app, valid);
        answer = result instanceof Promise
          ? result.then((attributes) => ({ status: 200, body: JSON.stringify(attributes) }), (error) => this.failure(error, route))
          : { status: 200, body: JSON.stringify(result) };
      } catch (error) {
        answer = this.failure(error, route);
      }
      if (answer instanceof Promise) answer.then((settled) => this.finish(route, app, settled, respond));
      else this.finish(route, app, answer, respond);
    });
  }

  /** Reports the request (httpRequest) and hands the answer over. */
  private finish(route: LaneRoute, app: App | undefined, answer: LaneAnswer, respond: (answer: LaneAnswer) => void): void {
    const { hub, prefix } = this.options;
    if (hub.events.wants("httpRequest")) {
      hub.events.emit("httpRequest", { app, method: "POST", route: `${prefix}/apps/:appId/${route.endpoint}`, status: answer.status });
    }
    respond(answer);
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
