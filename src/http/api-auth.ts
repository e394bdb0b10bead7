/**
 * @module Who may call the HTTP API: the app named in the path, a query without repeated parameters, a body within
 * max_request_size, and a valid Pusher signature, checked in that order (404, 400, 413, 401). Shared by the Hono
 * middleware and the publish lane so both answer alike.
 */

import type { App } from "../apps/app.ts";
import type { AppRegistry } from "../apps/app-registry.ts";
import { ApiError } from "../errors.ts";
import type { Clock } from "../support/clock.ts";
import { queryParameters, verifySignature } from "./verify-signature.ts";

export interface ApiAuthOptions {
  readonly apps: AppRegistry;
  /** Route prefix, "" or "/segment". */
  readonly prefix: string;
  readonly maxRequestSize: number;
  readonly clock: Clock;
}

/** An API request as either path sees it. */
export interface ApiRequestParts {
  readonly appId: string;
  readonly method: string;
  /** The path as sent, percent-encoding untouched. */
  readonly path: string;
  /** The query string as sent, without "?". */
  readonly query: string;
  /** Size of the request line and headers. */
  readonly headerBytes: number;
  /** The body, or undefined past `limit` bytes; rejects when the client broke it off. */
  readBody(limit: number): Promise<Uint8Array | undefined>;
}

/** The app and the body of an authenticated request; throws the ApiError to answer otherwise. */
export async function authenticateApi(options: ApiAuthOptions, request: ApiRequestParts): Promise<{ app: App; body: Uint8Array }> {
  const app = options.apps.findById(request.appId);
  if (!app) throw new ApiError(404, `No matching application for ID [${request.appId}].`);
  const params = queryParameters(request.query);
  if ("repeated" in params) throw new ApiError(400, `Query parameter ${JSON.stringify(params.repeated)} is repeated; send each parameter once.`);
  let body: Uint8Array | undefined;
  try {
    body = await request.readBody(options.maxRequestSize - request.headerBytes);
  } catch {
    // The client went away or broke the body off (its mistake, not the server's: no 500, no stack trace).
    throw new ApiError(400, "The request body could not be read.");
  }
  if (!body) throw new ApiError(413, `Payload too large: requests are limited to ${options.maxRequestSize} bytes (max_request_size).`);
  const problem = verifySignature(app, { method: request.method, path: request.path, params, body }, options.prefix, options.clock.now());
  if (problem) throw new ApiError(401, `Authentication signature invalid: ${problem}.`);
  return { app, body };
}
