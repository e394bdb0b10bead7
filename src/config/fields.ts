/** @module valibot schemas for single config values; each issue message says what is allowed, for one-line startup errors. */

import * as v from "valibot";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/webhook.ts";

/** A startup configuration problem, already phrased for the user (one or two lines). */
export class ConfigError extends Error {}

/** Validates one raw value (env string, JSON value or flag) and names `where` it came from on failure. */
export function parseValue<S extends v.GenericSchema>(schema: S, raw: unknown, where: string): v.InferOutput<S> {
  const result = v.safeParse(schema, raw);
  if (result.success) return result.output;
  throw new ConfigError(`${where} is ${show(raw)}; it must be ${result.issues[0].message}.`);
}

/** A raw value as the user wrote it. */
export function show(raw: unknown): string {
  return typeof raw === "string" ? JSON.stringify(raw) : raw === undefined ? "missing" : JSON.stringify(raw);
}

/** Values Laravel's env() reads as null or "" (and JSON null): "not set". */
const NULLS = new Set<unknown>([null, "", "null", "(null)", "empty", "(empty)"]);

const toNumber = (raw: unknown): unknown =>
  typeof raw === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;

const numberIn = (min: number, max: number, allowed: string) =>
  v.pipe(
    v.unknown(),
    v.transform(toNumber),
    v.number(allowed),
    v.check((n) => Number.isInteger(n) && n >= min && n <= max, allowed),
  );

/** TCP port. */
export const Port = numberIn(1, 65535, "an integer from 1 to 65535");
/** Sizes, counts and intervals. */
export const PositiveInt = numberIn(1, Number.MAX_SAFE_INTEGER, "a whole number, 1 or more");
/** Redis database index. */
export const DatabaseIndex = numberIn(0, 1_000_000, "a whole number, 0 or more");

/** A count where 0 means "no limit" (read as Infinity). */
export const LimitOrZero = v.pipe(
  numberIn(0, Number.MAX_SAFE_INTEGER, "a whole number, 0 or more (0 for no limit)"),
  v.transform((n) => (n === 0 ? Infinity : n)),
);

/** A positive integer, or null (empty, "null") for "no limit". */
export const OptionalLimit = v.pipe(
  v.unknown(),
  v.transform((raw) => (NULLS.has(raw) ? null : raw)),
  v.union([v.null(), PositiveInt], "a whole number, 1 or more (empty or null for no limit)"),
);

const BOOLEANS: Record<string, boolean> = {
  true: true, "(true)": true, "1": true, yes: true, on: true,
  false: false, "(false)": false, "0": false, no: false, off: false, "": false,
};

/** A boolean; env-style strings (true/false, 1/0, yes/no, on/off) are accepted. */
export const Bool = v.pipe(
  v.unknown(),
  v.transform((raw) => (typeof raw === "string" ? BOOLEANS[raw.trim().toLowerCase()] ?? raw : raw)),
  v.boolean("true or false"),
);

/**
 * A boolean in the JSON config file: only true or false. The env-style strings Bool takes exist because environment
 * values are text; in JSON a quoted "yes" or "false" is a mistake (and "false" would not even be false in PHP).
 */
export const JsonBool = v.boolean("true or false (without quotes)");

/** Origin patterns in the JSON config file: a list only (the comma-separated text is the environment's form). */
export const JsonOrigins = v.pipe(
  v.array(v.pipe(v.string(), v.nonEmpty()), 'a list of host patterns such as ["*"] or ["example.com", "*.example.com"]'),
  v.nonEmpty('a list of host patterns such as ["*"] or ["example.com", "*.example.com"]'),
);

/** Any non-empty text; numbers are read as their decimal text (app ids are often numeric). */
export const Text = v.pipe(
  v.unknown(),
  v.transform((raw) => (typeof raw === "number" ? String(raw) : raw)),
  v.string("a non-empty string"),
  v.trim(),
  v.nonEmpty("a non-empty string"),
);

/** Text that may be absent or empty (null); Laravel's `null`/`empty` words count as empty, as env() reads them. */
export const OptionalText = v.pipe(
  v.unknown(),
  v.transform((raw) => (NULLS.has(raw) ? null : raw)),
  v.union([v.null(), Text], "a string"),
);

/** Who may send client events. */
export const ClientEventsFrom = v.picklist(["members", "all", "none"], 'one of "members", "all" or "none"');

/** Origin patterns: a JSON array of strings, or comma-separated text. */
export const Origins = v.pipe(
  v.unknown(),
  v.transform((raw) => (typeof raw === "string" ? raw.split(",").map((s) => s.trim()).filter(Boolean) : raw)),
  v.array(v.pipe(v.string(), v.nonEmpty()), 'a list of host patterns such as ["*"] or ["example.com", "*.example.com"]'),
  v.nonEmpty('a list of host patterns such as ["*"] or ["example.com", "*.example.com"]'),
);

/** Route prefix, normalized the way Reverb does: `ws`, `/ws` and `/ws/` all become `/ws`; empty means none. */
export const PathPrefix = v.pipe(
  v.unknown(),
  v.transform((raw) => (NULLS.has(raw) ? "" : raw)),
  v.string("a URL path prefix such as /ws"),
  v.transform((raw) => raw.trim().replace(/^\/+|\/+$/g, "")),
  v.check((path) => /^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path), "a URL path prefix such as /ws"),
  v.transform((path) => (path ? `/${path}` : "")),
);

/** `host:port` (or `[v6]:port`) pairs, comma-separated or a JSON array: Redis Sentinel and Cluster nodes. */
export const Endpoints = v.pipe(
  v.unknown(),
  v.transform((raw) => (NULLS.has(raw) ? null : typeof raw === "string" ? raw.split(",").map((s) => s.trim()).filter(Boolean) : raw)),
  v.union([
    v.null(),
    v.pipe(
      v.array(v.string()),
      v.nonEmpty(),
      v.check((items) => items.every((item) => parseEndpoint(item) !== undefined)),
      v.transform((items) => items.map((item) => parseEndpoint(item)!)),
    ),
  ], 'a comma-separated list of host:port pairs such as "10.0.0.1:26379,10.0.0.2:26379"'),
);

/** One `host:port` or `[v6]:port`; undefined when it is not one. */
function parseEndpoint(text: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\s\[\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { host: match[1]!, port } : undefined;
}

/** NATS server URLs, comma-separated or a JSON array. */
export const NatsServers = v.pipe(
  v.unknown(),
  v.transform((raw) => (typeof raw === "string" ? raw.split(",").map((s) => s.trim()).filter(Boolean) : raw)),
  v.array(v.string(), 'one or more NATS URLs such as "nats://10.0.0.1:4222,nats://10.0.0.2:4222"'),
  v.nonEmpty('one or more NATS URLs such as "nats://10.0.0.1:4222,nats://10.0.0.2:4222"'),
  v.check((urls) => urls.every((url) => /^(nats|tls|ws|wss):\/\/[^\s]+$|^[^\s:/]+:\d+$/.test(url)), 'one or more NATS URLs such as "nats://10.0.0.1:4222,nats://10.0.0.2:4222"'),
);

/** Which broker carries messages between nodes. */
export const ScalingDriver = v.picklist(["redis", "nats"], '"redis" or "nats"');

/** The scheme clients use (REVERB_SCHEME). */
export const Scheme = v.picklist(["http", "https"], '"http" or "https"');

/** A DNS name or IPv4 address: dot-separated labels of letters, digits, `-` and `_` (a trailing dot allowed). */
const HOST_NAME = /^(?=.{1,254}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
/** An IPv6 address, optionally with a zone (`fe80::1%eth0`). */
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?$/;

/**
 * The address to listen on (or of a broker). Checked for shape so a typo fails at startup naming its key rather
 * than as a runtime's resolver error; `[::1]` is read as `::1` (Bun and Deno take the brackets, Node does not).
 */
export const Host = v.pipe(
  v.string("a host name or IP address"),
  v.trim(),
  v.nonEmpty("a host name or IP address"),
  v.transform((raw) => (/^\[.*:.*\]$/.test(raw) ? raw.slice(1, -1) : raw)),
  v.check((raw) => HOST_NAME.test(raw) || IPV6.test(raw), "a host name or IP address"),
);

/** An http(s) URL (a webhook's). */
export const HttpUrl = v.pipe(
  v.string("an http:// or https:// URL"),
  v.trim(),
  v.check((raw) => {
    try {
      return ["http:", "https:"].includes(new URL(raw).protocol);
    } catch {
      return false;
    }
  }, "an http:// or https:// URL"),
);

/** Webhook event types: a JSON array, or comma-separated text (the environment form). */
export const WebhookEventTypes = v.pipe(
  v.unknown(),
  v.transform((raw) => (typeof raw === "string" ? raw.split(",").map((s) => s.trim()).filter(Boolean) : raw)),
  v.array(
    v.picklist(WEBHOOK_EVENT_TYPES, `one of ${WEBHOOK_EVENT_TYPES.join(", ")}`),
    `a list of webhook event types (${WEBHOOK_EVENT_TYPES.join(", ")})`,
  ),
  v.nonEmpty(`a list of webhook event types (${WEBHOOK_EVENT_TYPES.join(", ")})`),
);

/** A secret token: long enough that guessing it is hopeless. */
export const Token = v.pipe(
  v.string("a token of at least 16 characters (e.g. the output of openssl rand -hex 16)"),
  v.trim(),
  v.minLength(16, "a token of at least 16 characters (e.g. the output of openssl rand -hex 16)"),
);
