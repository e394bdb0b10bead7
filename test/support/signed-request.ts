/** @module Signed Pusher HTTP API requests for in-process tests (signQuery on the harness clock), with a tampering variant. */

import type { App } from "../../src/apps/app.ts";
import { signQuery } from "../../src/http/verify-signature.ts";
import { APP_A } from "./fixtures.ts";

/** Origin of every test URL; the core never touches the network. */
export const ORIGIN = "http://localhost:8080";

/** Anything with the harness clock's `now()`. */
export interface NowSource {
  now(): number;
}

/** A body: strings are sent as is, anything else as JSON; undefined sends no body. */
export type Body = unknown;

function encodeBody(body: Body): string {
  if (body === undefined) return "";
  return typeof body === "string" ? body : JSON.stringify(body);
}

/** Everything a test may change about how a request is signed or what is sent. Unset = the honest value. */
export interface Tampering {
  /** App whose key (auth_key) and secret sign the request (default: the target app). */
  signApp?: App;
  /** auth_key to sign and send (default: signApp's key). */
  authKey?: string;
  /** Clock time in ms for auth_timestamp (default: clock.now()). */
  timestampMs?: number;
  /** Method used in the string to sign (default: the request method). */
  signMethod?: string;
  /** Path used in the string to sign (default: the requested path). */
  signPath?: string;
  /** Body whose md5 is signed and sent as body_md5 (default: the sent body). */
  signBody?: string;
  /** Query params replaced or added after signing (not covered by the signature). */
  set?: Record<string, string>;
  /** Query params removed after signing (e.g. "body_md5", "auth_signature"). */
  drop?: string[];
  /** Send the query params in reverse order (auth_signature first). */
  reverseQuery?: boolean;
  /** Last word on the query string as sent (e.g. to put malformed percent-escapes on the wire). */
  rawQuery?: (query: string) => string;
}

/**
 * A request signed like a Pusher SDK would, timestamped with `clock`, for `app`.
 * `path` is the requested path (e.g. "/apps/123456/events"); `query` holds extra, signed params.
 */
export function signedRequest(
  app: App,
  clock: NowSource,
  method: string,
  path: string,
  body?: Body,
  query: Record<string, string> = {},
): Request {
  return tamperedRequest(app, clock, method, path, body, query, {});
}

/** Like {@link signedRequest}, but any part of the signing can be falsified through `tampering`. */
export function tamperedRequest(
  app: App,
  clock: NowSource,
  method: string,
  path: string,
  body: Body,
  query: Record<string, string>,
  tampering: Tampering,
): Request {
  const text = encodeBody(body);
  const signer = tampering.signApp ?? app;
  const keyed = tampering.authKey === undefined ? signer : { ...signer, key: tampering.authKey };
  const signed = signQuery(
    keyed,
    tampering.signMethod ?? method,
    tampering.signPath ?? path,
    tampering.signBody ?? text,
    tampering.timestampMs ?? clock.now(),
    query,
  );
  const params = new URLSearchParams(signed);
  for (const [key, value] of Object.entries(tampering.set ?? {})) params.set(key, value);
  for (const key of tampering.drop ?? []) params.delete(key);
  let entries = [...params.entries()];
  if (tampering.reverseQuery) entries = entries.reverse();
  const search = new URLSearchParams(entries).toString();
  return rawRequest(method, `${path}?${tampering.rawQuery ? tampering.rawQuery(search) : search}`, body);
}

/** An unsigned request (path may include a query string). */
export function rawRequest(method: string, pathAndQuery: string, body?: Body, headers: Record<string, string> = {}): Request {
  const text = encodeBody(body);
  const init: RequestInit = { method, headers: { ...(text ? { "content-type": "application/json" } : {}), ...headers } };
  if (body !== undefined) init.body = text;
  return new Request(ORIGIN + pathAndQuery, init);
}

/** A response read once: status, headers, raw text and parsed JSON (undefined when not JSON). */
export interface ReadResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Runs a request through the core and reads the whole response. */
export async function send(core: Fetcher, request: Request): Promise<ReadResponse> {
  const response = await core.fetch(request);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Anything that serves requests the way the core does. */
export interface Fetcher {
  fetch(request: Request): Response | Promise<Response>;
}

/** A signed-API caller for one app: `api("POST", "/events", body, query)` hits `{prefix}/apps/{id}/events`. */
export function apiFor(harness: { core: Fetcher; clock: NowSource }, app: App = APP_A, prefix = "") {
  return (method: string, path: string, body?: Body, query: Record<string, string> = {}): Promise<ReadResponse> =>
    send(harness.core, signedRequest(app, harness.clock, method, `${prefix}/apps/${app.id}${path}`, body, query));
}
