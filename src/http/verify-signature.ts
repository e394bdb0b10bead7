/** @module Pusher HTTP API request signing: auth_key, auth_timestamp, body_md5 and auth_signature. */

import type { App } from "../apps/app.ts";
import { hmacSha256Hex, md5Hex } from "../support/hashes.ts";
import { timingSafeEqual } from "../support/timing-safe-equal.ts";

/** How far `auth_timestamp` may be from the server's clock, in seconds (Pusher's window). */
export const TIMESTAMP_WINDOW_SECONDS = 600;

/** A request to check, as received. */
export interface SignedRequest {
  readonly method: string;
  /** The path as sent, percent-encoding untouched. */
  readonly path: string;
  /** The query's parameters, each name once (see queryParameters). */
  readonly params: QueryParameters;
  readonly body: Uint8Array;
}

/**
 * A query's parameters in the order sent, each name once: `values[i]` belongs to `names[i]`. Two arrays, not a Map:
 * a Map hashes every freshly split name, which cost 1.5 µs of a publish on every runtime; a handful of names is
 * found faster by a scan.
 */
export interface QueryParameters {
  readonly names: readonly string[];
  readonly values: readonly string[];
}

/** The value of parameter `name`, if sent. */
function parameter(params: QueryParameters, name: string): string | undefined {
  const index = params.names.indexOf(name);
  return index === -1 ? undefined : params.values[index];
}

/** Up to this many names, a repeat is found by scanning the names so far; past it, by a Set (hostile queries). */
const SCAN_LIMIT = 16;

/**
 * The query's parameters (the raw query string, without "?") in one pass, or the first name that occurs twice. Such
 * requests are refused: the signature check and the routes must read the very same values, and no Pusher SDK sends
 * a parameter twice. A query with nothing to decode (no %, no +, no lone surrogate: what Pusher SDKs send) is split
 * directly, which is exactly what URLSearchParams does with it, without its per-request parse and iterator.
 */
export function queryParameters(query: string): QueryParameters | { readonly repeated: string } {
  const params: ParameterList = { names: [], values: [], seen: undefined };
  if (/[%+\uD800-\uDFFF]/.test(query)) {
    for (const [name, value] of new URLSearchParams(query)) if (!addParameter(params, name, value)) return { repeated: name };
    return params;
  }
  for (let start = 0; start < query.length;) {
    let end = query.indexOf("&", start);
    if (end === -1) end = query.length;
    if (end > start) {
      const equals = query.indexOf("=", start);
      const name = equals === -1 || equals > end ? query.slice(start, end) : query.slice(start, equals);
      if (!addParameter(params, name, equals === -1 || equals > end ? "" : query.slice(equals + 1, end))) return { repeated: name };
    }
    start = end + 1;
  }
  return params;
}

interface ParameterList {
  readonly names: string[];
  readonly values: string[];
  seen: Set<string> | undefined;
}

/** Appends a parameter; false when its name was already there. */
function addParameter(params: ParameterList, name: string, value: string): boolean {
  const { names, seen } = params;
  if (seen ? seen.has(name) : names.includes(name)) return false;
  names.push(name);
  params.values.push(value);
  if (seen) seen.add(name);
  else if (names.length === SCAN_LIMIT) params.seen = new Set(names);
  return true;
}

/**
 * Checks a request's signature; returns undefined when valid, else the reason (for the 401 body).
 * `prefix` is the active path prefix ("" or "/ws"): a signature over the path with or without it is accepted.
 */
export function verifySignature(app: App, request: SignedRequest, prefix: string, nowMs: number): string | undefined {
  const { params } = request;
  const signature = parameter(params, "auth_signature");
  if (!signature) return "auth_signature is missing";
  if (parameter(params, "auth_key") !== app.key) return "auth_key does not match the app's key";
  const timestamp = Number(parameter(params, "auth_timestamp"));
  if (!Number.isFinite(timestamp) || Math.abs(nowMs / 1000 - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
    return `auth_timestamp must be within ${TIMESTAMP_WINDOW_SECONDS} seconds of the server's time`;
  }
  // Signed: every parameter but auth_signature, with body_md5 only for a non-empty body (and then the body's own).
  let md5: string | undefined;
  if (request.body.length > 0) {
    md5 = md5Hex(request.body);
    const sent = parameter(params, "body_md5");
    if (sent !== undefined && sent !== md5) return "body_md5 does not match the request body";
  }
  // Pairs sorted by name, each carrying its value: looking values up by name would make a query of many parameters
  // cost their square.
  const { names, values } = params;
  const pairs: Array<readonly [string, string]> = [];
  for (let i = 0; i < names.length; i++) {
    const key = names[i]!;
    if (key !== "auth_signature" && key !== "body_md5") pairs.push([key, values[i]!]);
  }
  if (md5 !== undefined) pairs.push(["body_md5", md5]);
  pairs.sort(byName);
  let query = "";
  for (const [key, value] of pairs) query += `${query ? "&" : ""}${key}=${value}`;
  const paths = prefix && request.path.startsWith(prefix + "/")
    ? [request.path, request.path.slice(prefix.length)]
    : [request.path];
  const valid = paths.some((path) =>
    timingSafeEqual(signature, hmacSha256Hex(app.secret, `${request.method}\n${path}\n${query}`))
  );
  return valid ? undefined : "auth_signature does not match";
}

/** Orders pairs by name as Array.prototype.sort orders strings (names are distinct). */
function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : 1;
}

/** Signs a request the way Pusher SDKs do (used by tests and the benchmark tool). Returns the full query string. */
export function signQuery(app: App, method: string, path: string, body: string, nowMs: number, extra: Record<string, string> = {}): string {
  const params: Record<string, string> = {
    ...extra,
    auth_key: app.key,
    auth_timestamp: String(Math.floor(nowMs / 1000)),
    auth_version: "1.0",
  };
  if (body) params["body_md5"] = md5Hex(new TextEncoder().encode(body));
  const sorted = Object.keys(params).sort().map((key) => `${key}=${params[key]}`).join("&");
  const signature = hmacSha256Hex(app.secret, `${method}\n${path}\n${sorted}`);
  const search = new URLSearchParams({ ...params, auth_signature: signature });
  return search.toString();
}
