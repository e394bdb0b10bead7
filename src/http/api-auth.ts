/**
 * @module Who may call the HTTP API: a server that is not shutting down, the app named in the path, a query without
 * repeated parameters, a body within max_request_size, and a valid Pusher signature, checked in that order (503, 404,
 * 400, 413, 401). Shared by the Hono
 * middleware and the publish lane so both answer alike. Two synchronous steps around reading the body, so the lane
 * awaits nothing but the body itself.
 */

import type { App } from "../apps/app.ts";
import type { AppRegistry } from "../apps/app-registry.ts";
import { ApiError } from "../errors.ts";
import type { Clock } from "../support/clock.ts";
import { type QueryParameters, queryParameters, verifySignature } from "./verify-signature.ts";

export interface ApiAuthOptions {
  readonly apps: AppRegistry;
  /** Route prefix, "" or "/segment". */
  readonly prefix: string;
  readonly maxRequestSize: number;
  readonly clock: Clock;
  /** The hub, whose shutdown makes every API request a 503. */
  readonly hub: { readonly shuttingDown: boolean };
}

/**
 * Once shutdown began, clients are being told to reconnect elsewhere, so an event accepted here would reach nobody:
 * the publisher is told to go elsewhere too (a queued Laravel broadcast is retried) instead of getting a 200.
 */
export const SHUTTING_DOWN_MESSAGE = "Server is shutting down; send the request to another server or try again.";

/** What is known of an API request before its body is read. */
export interface ApiRequestHead {
  readonly appId: string;
  readonly method: string;
  /** The path as sent, percent-encoding untouched. */
  readonly path: string;
  /** The query string as sent, without "?". */
  readonly query: string;
  /** Size of the request line and headers. */
  readonly headerBytes: number;
}

/** An API request as the Hono middleware sees it. */
export interface ApiRequestParts extends ApiRequestHead {
  /** The body, or undefined past `limit` bytes; rejects when the client broke it off. */
  readBody(limit: number): Promise<Uint8Array | undefined>;
}

/** A request whose app and query passed: what checking its body needs, and how many body bytes it may have. */
export interface ApiHeadCheck {
  readonly app: App;
  readonly params: QueryParameters;
  readonly bodyLimit: number;
}

/** The checks that need no body (503, 404, then 400); throws the ApiError to answer otherwise. */
export function checkApiHead(options: ApiAuthOptions, head: ApiRequestHead): ApiHeadCheck {
  if (options.hub.shuttingDown) throw new ApiError(503, SHUTTING_DOWN_MESSAGE);
  const app = options.apps.findById(head.appId);
  if (!app) throw new ApiError(404, `No matching application for ID [${head.appId}].`);
  const params = queryParameters(head.query);
  if ("repeated" in params) throw new ApiError(400, `Query parameter ${JSON.stringify(params.repeated)} is repeated; send each parameter once.`);
  return { app, params, bodyLimit: options.maxRequestSize - head.headerBytes };
}

/** The checks of the body (undefined: it was over the limit) once read: 413, then 401; throws the ApiError. */
export function checkApiBody(options: ApiAuthOptions, head: ApiRequestHead, checked: ApiHeadCheck, body: Uint8Array | undefined): Uint8Array {
  if (!body) throw new ApiError(413, `Payload too large: requests are limited to ${options.maxRequestSize} bytes (max_request_size).`);
  const problem = verifySignature(checked.app, { method: head.method, path: head.path, params: checked.params, body }, options.prefix, options.clock.now());
  if (problem) throw new ApiError(401, `Authentication signature invalid: ${problem}.`);
  return body;
}

/** The answer when a body could not be read: the client went away or broke it off (its mistake: no 500). */
export function unreadableBody(): ApiError {
  return new ApiError(400, "The request body could not be read.");
}

/** The app and the body of an authenticated request; throws the ApiError to answer otherwise. */
export async function authenticateApi(options: ApiAuthOptions, request: ApiRequestParts): Promise<{ app: App; body: Uint8Array }> {
  const checked = checkApiHead(options, request);
  let body: Uint8Array | undefined;
  try {
    body = await request.readBody(checked.bodyLimit);
  } catch {
    throw unreadableBody();
  }
  return { app: checked.app, body: checkApiBody(options, request, checked, body) };
}
