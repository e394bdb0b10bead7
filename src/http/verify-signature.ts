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
  readonly params: ReadonlyMap<string, string>;
  /** The query as sent, when it had nothing to decode (isPlainQuery): then it may be signed as it stands. */
  readonly plainQuery?: string | undefined;
  readonly body: Uint8Array;
}

/**
 * The query's parameters (the raw query string, without "?") in one pass, or the first name that occurs twice. Such
 * requests are refused: the signature check and the routes must read the very same values, and no Pusher SDK sends
 * a parameter twice. A query with nothing to decode (no %, no +, no lone surrogate: what Pusher SDKs send) is split
 * directly, which is exactly what URLSearchParams does with it, without its per-request parse and iterator.
 */
export function queryParameters(query: string): Map<string, string> | { readonly repeated: string } {
  const params = new Map<string, string>();
  if (!isPlainQuery(query)) {
    for (const [key, value] of new URLSearchParams(query)) {
      if (params.has(key)) return { repeated: key };
      params.set(key, value);
    }
    return params;
  }
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const key = equals === -1 ? pair : pair.slice(0, equals);
    if (params.has(key)) return { repeated: key };
    params.set(key, equals === -1 ? "" : pair.slice(equals + 1));
  }
  return params;
}

/** Whether a query has nothing to decode (no %, no +, no lone surrogate): its parameters are its text, split. */
export function isPlainQuery(query: string): boolean {
  return !/[%+\uD800-\uDFFF]/.test(query);
}

/**
 * Checks a request's signature; returns undefined when valid, else the reason (for the 401 body).
 * `prefix` is the active path prefix ("" or "/ws"): a signature over the path with or without it is accepted.
 */
export function verifySignature(app: App, request: SignedRequest, prefix: string, nowMs: number): string | undefined {
  const { params } = request;
  const signature = params.get("auth_signature");
  if (!signature) return "auth_signature is missing";
  if (params.get("auth_key") !== app.key) return "auth_key does not match the app's key";
  const timestamp = Number(params.get("auth_timestamp"));
  if (!Number.isFinite(timestamp) || Math.abs(nowMs / 1000 - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
    return `auth_timestamp must be within ${TIMESTAMP_WINDOW_SECONDS} seconds of the server's time`;
  }
  // Signed: every parameter but auth_signature, with body_md5 only for a non-empty body (and then the body's own).
  let md5: string | undefined;
  if (request.body.length > 0) {
    md5 = md5Hex(request.body);
    const sent = params.get("body_md5");
    if (sent !== undefined && sent !== md5) return "body_md5 does not match the request body";
  }
  const query = (request.plainQuery !== undefined && signedAsSent(request.plainQuery, params, signature, md5)) || canonicalQuery(params, md5);
  const { method, path } = request;
  if (timingSafeEqual(signature, hmacSha256Hex(app.secret, `${method}\n${path}\n${query}`))) return undefined;
  if (prefix && path.startsWith(prefix + "/") && timingSafeEqual(signature, hmacSha256Hex(app.secret, `${method}\n${path.slice(prefix.length)}\n${query}`))) {
    return undefined;
  }
  return "auth_signature does not match";
}

/** The signed string: every parameter but auth_signature, sorted, with body_md5 only as `md5` (the body's). */
function canonicalQuery(params: ReadonlyMap<string, string>, md5: string | undefined): string {
  const keys: string[] = [];
  for (const key of params.keys()) if (key !== "auth_signature" && key !== "body_md5") keys.push(key);
  if (md5 !== undefined) keys.push("body_md5");
  keys.sort();
  let query = "";
  for (const key of keys) query += `${query ? "&" : ""}${key}=${key === "body_md5" ? md5 : params.get(key)}`;
  return query;
}

/**
 * The signed string without building it, when the query as sent already is it followed by `&auth_signature=…`: what
 * Pusher SDKs send (sorted `key=value` pairs, body_md5 exactly when the body is non-empty and then the body's own, as
 * checked before). Walks the pairs in order (the Map keeps them in query order) and compares each with the text;
 * undefined when anything differs (empty pairs, a pair without "=", another order), and the caller builds it.
 */
function signedAsSent(query: string, params: ReadonlyMap<string, string>, signature: string, md5: string | undefined): string | undefined {
  if ((md5 !== undefined) !== params.has("body_md5")) return undefined;
  let at = 0;
  let previous = "";
  for (const [key, value] of params) {
    if (key === "auth_signature") continue;
    if (key <= previous) return undefined;
    previous = key;
    if (at > 0 && query.charCodeAt(at++) !== 38 /* & */) return undefined;
    if (!query.startsWith(key, at) || query.charCodeAt(at + key.length) !== 61 /* = */) return undefined;
    at += key.length + 1;
    if (!query.startsWith(value, at)) return undefined;
    at += value.length;
  }
  const tail = "&auth_signature=";
  if (at === 0 || query.length !== at + tail.length + signature.length || !query.startsWith(tail, at)) return undefined;
  return query.slice(0, at);
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
