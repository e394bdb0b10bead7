/** @module Configuration from a JSON file shaped like Reverb's config/reverb.php (`server` and `apps`). */

import * as v from "valibot";
import type { App } from "../apps/app.ts";
import { closest } from "../support/closest.ts";
import { dirname, resolvePath } from "../support/paths.ts";
import { type ConfigLayer, DEFAULT_APP, DEFAULT_RATE_LIMIT, setKeys } from "./config.ts";
import {
  ClientEventsFrom,
  ConfigError,
  DatabaseIndex,
  Endpoints,
  Host,
  HttpUrl,
  JsonBool,
  JsonOrigins,
  LimitOrZero,
  NatsServers,
  OptionalLimit,
  OptionalText,
  PathPrefix,
  Port,
  PositiveInt,
  ScalingDriver,
  show,
  Text,
  Token,
  WebhookEventTypes,
} from "./fields.ts";

const opt = <S extends v.GenericSchema>(schema: S) => v.optional(v.nullable(schema));

const TlsOptions = v.strictObject({
  local_cert: opt(Text),
  local_pk: opt(Text),
  passphrase: opt(Text),
  ca: opt(Text),
  verify_peer: opt(JsonBool),
});

const ServerSection = v.strictObject({
  host: opt(Host),
  port: opt(Port),
  path: opt(PathPrefix),
  hostname: opt(OptionalText),
  options: opt(v.strictObject({ tls: opt(TlsOptions) })),
  max_request_size: opt(PositiveInt),
  metrics: opt(v.strictObject({ host: opt(Host), port: opt(Port) })),
  dashboard: opt(v.strictObject({ token: opt(Token) })),
  scaling: opt(v.strictObject({
    enabled: opt(JsonBool),
    channel: opt(Text),
    driver: opt(ScalingDriver),
    server: opt(v.strictObject({
      url: opt(OptionalText),
      host: opt(Host),
      port: opt(Port),
      username: opt(OptionalText),
      password: opt(OptionalText),
      database: opt(DatabaseIndex),
      sentinels: opt(Endpoints),
      name: opt(Text),
      sentinel_password: opt(OptionalText),
      cluster: opt(Endpoints),
      tls: opt(JsonBool),
      tls_ca: opt(OptionalText),
    })),
    nats: opt(v.strictObject({
      url: opt(NatsServers),
      user: opt(OptionalText),
      password: opt(OptionalText),
      token: opt(OptionalText),
    })),
  })),
  // Reverb's stock server entry has these (Laravel Pulse and Telescope ingestion); nothing here uses them.
  pulse_ingest_interval: opt(v.unknown()),
  telescope_ingest_interval: opt(v.unknown()),
});

const AppEntry = v.strictObject({
  app_id: Text,
  key: Text,
  secret: Text,
  allowed_origins: opt(JsonOrigins),
  ping_interval: opt(PositiveInt),
  activity_timeout: opt(PositiveInt),
  max_connections: opt(OptionalLimit),
  max_message_size: opt(PositiveInt),
  max_backlog_bytes: opt(PositiveInt),
  max_channels_per_connection: opt(LimitOrZero),
  cache_ttl: opt(PositiveInt),
  max_cached_events: opt(PositiveInt),
  user_authentication_timeout: opt(OptionalLimit),
  subscription_count: opt(JsonBool),
  webhooks: opt(v.array(v.strictObject({
    url: HttpUrl,
    event_types: WebhookEventTypes,
    headers: opt(v.record(v.string(), v.string("a string"))),
    filter: opt(v.strictObject({ channel_name_starts_with: opt(Text), channel_name_ends_with: opt(Text) })),
  }), "a list of webhooks")),
  accept_client_events_from: opt(ClientEventsFrom),
  rate_limiting: opt(v.strictObject({
    enabled: opt(JsonBool),
    max_attempts: opt(PositiveInt),
    decay_seconds: opt(PositiveInt),
    terminate_on_limit: opt(JsonBool),
  })),
  // Reverb apps carry client-side connection options (host, port, scheme); the server does not use them.
  options: opt(v.record(v.string(), v.unknown())),
});

const ConfigFile = v.strictObject({
  server: opt(ServerSection),
  apps: opt(v.array(AppEntry, "a list of apps")),
});

/** Reads a parsed config file; `file` is its path (for messages and to resolve relative certificate paths). */
export function fileLayer(json: unknown, file: string): ConfigLayer {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(`${file} must contain a JSON object with "server" and/or "apps"; found ${show(json)}.`);
  }
  const result = v.safeParse(ConfigFile, json);
  if (!result.success) {
    // A misspelt key also shows up as a missing one; the misspelling is the useful thing to report.
    const issue = result.issues.find(isUnknownKey) ?? result.issues[0];
    throw new ConfigError(describeIssue(issue, file));
  }
  const { server = {}, apps } = result.output;
  const tls = server?.options?.tls;
  const scaling = server?.scaling;
  const redis = scaling?.server;
  const base = dirname(file);
  const relative = (path: string | null | undefined) => (path ? resolvePath(base, path) : null);
  return {
    server: setKeys({
      host: server?.host,
      port: server?.port,
      path: server?.path,
      hostname: server?.hostname,
      maxRequestSize: server?.max_request_size,
      metricsPort: server?.metrics?.port,
      metricsHost: server?.metrics?.host,
      dashboardToken: server?.dashboard?.token,
      tls: tls && (tls.local_cert || tls.local_pk)
        ? {
          cert: relative(tls.local_cert),
          key: relative(tls.local_pk),
          passphrase: tls.passphrase ?? null,
          ca: relative(tls.ca),
          verifyPeer: tls.verify_peer ?? false,
        }
        : undefined,
      scalingEnabled: scaling?.enabled,
      scalingChannel: scaling?.channel,
      scalingDriver: scaling?.driver,
      redis: setKeys({
        url: redis?.url,
        host: redis?.host,
        port: redis?.port,
        username: redis?.username,
        password: redis?.password,
        database: redis?.database,
        sentinels: redis?.sentinels,
        sentinelMaster: redis?.name,
        sentinelPassword: redis?.sentinel_password,
        cluster: redis?.cluster,
        tls: redis?.tls,
        tlsCa: relative(redis?.tls_ca),
      }),
      nats: setKeys({
        servers: scaling?.nats?.url,
        user: scaling?.nats?.user,
        password: scaling?.nats?.password,
        token: scaling?.nats?.token,
      }),
    }),
    ...(apps && { apps: apps.map(toApp) }),
  };
}

function toApp(entry: v.InferOutput<typeof AppEntry>): App {
  const limits = entry.rate_limiting;
  return {
    id: entry.app_id,
    key: entry.key,
    secret: entry.secret,
    pingInterval: entry.ping_interval ?? DEFAULT_APP.pingInterval,
    activityTimeout: entry.activity_timeout ?? DEFAULT_APP.activityTimeout,
    allowedOrigins: entry.allowed_origins ?? DEFAULT_APP.allowedOrigins,
    maxConnections: entry.max_connections ?? null,
    maxMessageSize: entry.max_message_size ?? DEFAULT_APP.maxMessageSize,
    maxBacklogBytes: entry.max_backlog_bytes ?? DEFAULT_APP.maxBacklogBytes,
    maxChannelsPerConnection: entry.max_channels_per_connection ?? DEFAULT_APP.maxChannelsPerConnection,
    cacheTtl: entry.cache_ttl ?? DEFAULT_APP.cacheTtl,
    maxCachedEvents: entry.max_cached_events ?? DEFAULT_APP.maxCachedEvents,
    userAuthenticationTimeout: entry.user_authentication_timeout ?? null,
    subscriptionCount: entry.subscription_count ?? DEFAULT_APP.subscriptionCount,
    webhooks: (entry.webhooks ?? []).map((webhook) => ({
      url: webhook.url,
      eventTypes: webhook.event_types,
      headers: webhook.headers ?? {},
      channelNameStartsWith: webhook.filter?.channel_name_starts_with ?? null,
      channelNameEndsWith: webhook.filter?.channel_name_ends_with ?? null,
    })),
    acceptClientEventsFrom: entry.accept_client_events_from ?? DEFAULT_APP.acceptClientEventsFrom,
    rateLimiting: limits?.enabled
      ? {
        maxAttempts: limits.max_attempts ?? DEFAULT_RATE_LIMIT.maxAttempts,
        decaySeconds: limits.decay_seconds ?? DEFAULT_RATE_LIMIT.decaySeconds,
        terminateOnLimit: limits.terminate_on_limit ?? DEFAULT_RATE_LIMIT.terminateOnLimit,
      }
      : null,
  };
}

/** One line naming the key (as `apps[0].key`), the file, the bad value and what is allowed. */
function describeIssue(issue: v.BaseIssue<unknown>, file: string): string {
  const keys = (issue.path ?? []).map((item) => item.key);
  const where = keys.reduce<string>((path, key) => typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${String(key)}` : String(key), "");
  if (isUnknownKey(issue)) {
    const known = knownKeys(keys.slice(0, -1));
    const guess = closest(String(keys.at(-1)), known);
    return `Unknown key ${where} in ${file}${guess ? `; did you mean ${guess}?` : `; allowed here: ${known.join(", ")}.`}`;
  }
  if (issue.input === undefined && issue.type === "strict_object") {
    return `${where} in ${file} is missing; it must be ${requiredMessage(keys)}.`;
  }
  return `${where} in ${file} is ${show(issue.input)}; it must be ${issue.message}.`;
}

function isUnknownKey(issue: v.BaseIssue<unknown>): boolean {
  return issue.type === "strict_object" && issue.expected === "never";
}

/** What a required key must hold, from its own schema (valibot reports a missing key on the parent object). */
function requiredMessage(keys: ReadonlyArray<unknown>): string {
  const parent = knownKeysSchema(keys.slice(0, -1));
  const child = parent ? childSchema(parent, keys.at(-1)) : undefined;
  const result = child ? v.safeParse(child, undefined) : undefined;
  return result && !result.success ? result.issues[0].message : "set";
}

function knownKeys(parentPath: ReadonlyArray<unknown>): string[] {
  const schema = knownKeysSchema(parentPath);
  const entries = schema && "entries" in schema ? schema.entries : undefined;
  return entries && typeof entries === "object" ? Object.keys(entries) : [];
}

function knownKeysSchema(parentPath: ReadonlyArray<unknown>): v.GenericSchema | undefined {
  let schema: v.GenericSchema | undefined = ConfigFile;
  for (const key of parentPath) schema = schema && childSchema(schema, key);
  while (schema && "wrapped" in schema) schema = schema.wrapped as v.GenericSchema;
  return schema;
}

function childSchema(schema: v.GenericSchema, key: unknown): v.GenericSchema | undefined {
  let current: unknown = schema;
  // Unwrap optional/nullable wrappers to reach an object or array schema.
  while (current && typeof current === "object" && "wrapped" in current) current = current.wrapped;
  if (!current || typeof current !== "object") return undefined;
  if (typeof key === "number" && "item" in current) return current.item as v.GenericSchema;
  if ("entries" in current && current.entries && typeof current.entries === "object") {
    let child: unknown = (current.entries as Record<string, unknown>)[String(key)];
    while (child && typeof child === "object" && "wrapped" in child) child = child.wrapped;
    return child as v.GenericSchema | undefined;
  }
  return undefined;
}
