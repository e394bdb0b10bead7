/** @module Configuration from environment variables: the same names and defaults as Laravel Reverb. The only file that names them. */

import type { App } from "../apps/app.ts";
import { type ConfigLayer, DEFAULT_APP, DEFAULT_RATE_LIMIT, setKeys } from "./config.ts";
import {
  Bool,
  ClientEventsFrom,
  ConfigError,
  DatabaseIndex,
  Endpoints,
  Host,
  HttpUrl,
  LimitOrZero,
  NatsServers,
  OptionalLimit,
  OptionalText,
  Origins,
  parseValue,
  PathPrefix,
  Port,
  PositiveInt,
  ScalingDriver,
  Scheme,
  Text,
  Token,
  WebhookEventTypes,
} from "./fields.ts";
import * as v from "valibot";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/webhook.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The env variables that describe the single env-configured app. */
export const APP_ENV_NAMES = ["REVERB_APP_ID", "REVERB_APP_KEY", "REVERB_APP_SECRET"] as const;

/**
 * Reads every REVERB_* / REDIS_* variable that is set; unset ones contribute nothing. With `withApp` false the
 * REVERB_APP_* variables are not read at all (a config file that lists apps replaces them, stale values included).
 */
export function envLayer(env: Env, withApp = true): ConfigLayer {
  const read = reader(env);
  const server = setKeys({
    host: read("REVERB_SERVER_HOST", Host),
    port: read("REVERB_SERVER_PORT", Port),
    path: read("REVERB_SERVER_PATH", PathPrefix),
    hostname: read("REVERB_HOST", OptionalText),
    // Only hints for the banner, from the Laravel app's own .env: a value that is not a port or scheme is left out.
    clientPort: read("REVERB_PORT", v.fallback(v.nullable(Port), null)),
    clientScheme: read("REVERB_SCHEME", v.fallback(v.nullable(Scheme), null)),
    maxRequestSize: read("REVERB_MAX_REQUEST_SIZE", PositiveInt),
    scalingEnabled: read("REVERB_SCALING_ENABLED", Bool),
    scalingChannel: read("REVERB_SCALING_CHANNEL", Text),
    scalingDriver: read("RESOUND_SCALING_DRIVER", ScalingDriver),
    metricsPort: read("RESOUND_METRICS_PORT", Port),
    metricsHost: read("RESOUND_METRICS_HOST", Host),
    dashboardToken: read("RESOUND_DASHBOARD_TOKEN", Token),
    redis: setKeys({
      url: read("REDIS_URL", OptionalText),
      host: read("REDIS_HOST", Host),
      port: read("REDIS_PORT", Port),
      username: read("REDIS_USERNAME", OptionalText),
      password: read("REDIS_PASSWORD", OptionalText),
      database: read("REDIS_DB", DatabaseIndex),
      sentinels: read("REDIS_SENTINELS", Endpoints),
      sentinelMaster: read("REDIS_SENTINEL_MASTER", Text),
      sentinelPassword: read("REDIS_SENTINEL_PASSWORD", OptionalText),
      cluster: read("REDIS_CLUSTER", Endpoints),
      tls: read("REDIS_TLS", Bool),
      tlsCa: read("REDIS_TLS_CA", OptionalText),
    }),
    nats: setKeys({
      servers: read("NATS_URL", NatsServers),
      user: read("NATS_USER", OptionalText),
      password: read("NATS_PASSWORD", OptionalText),
      token: read("NATS_TOKEN", OptionalText),
    }),
  });
  const app = withApp ? envApp(env, read) : undefined;
  return { server, ...(app && { apps: [app] }) };
}

/** Every app setting but the credentials. */
export type AppSettings = Omit<App, "id" | "key" | "secret">;

type Read = <S extends v.GenericSchema>(name: string, schema: S) => v.InferOutput<S> | undefined;

function reader(env: Env): Read {
  return (name, schema) => {
    const raw = env[name];
    return raw === undefined ? undefined : parseValue(schema, raw, name);
  };
}

/**
 * The REVERB_APP_* settings other than the credentials, validated (a bad value throws ConfigError), defaults for
 * the rest. They apply to the env-configured app, and to the development app when no app is configured.
 */
export function envAppSettings(env: Env): AppSettings {
  return appSettings(reader(env));
}

function envApp(env: Env, read: Read): App | undefined {
  const given = APP_ENV_NAMES.filter((name) => env[name] !== undefined && env[name] !== "");
  if (given.length === 0) return undefined;
  const missing = APP_ENV_NAMES.filter((name) => !given.includes(name));
  if (missing.length > 0) {
    throw new ConfigError(`${given.join(" and ")} ${given.length > 1 ? "are" : "is"} set but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not; set all three of ${APP_ENV_NAMES.join(", ")}.`);
  }
  return {
    id: read("REVERB_APP_ID", Text)!,
    key: read("REVERB_APP_KEY", Text)!,
    secret: read("REVERB_APP_SECRET", Text)!,
    ...appSettings(read),
  };
}

/** REVERB_APP_WEBHOOK_URL (and REVERB_APP_WEBHOOK_EVENTS, every type unless set): the env app's one webhook. */
function envWebhooks(read: Read): AppSettings["webhooks"] {
  const url = read("REVERB_APP_WEBHOOK_URL", v.union([v.pipe(v.literal(""), v.transform(() => null)), HttpUrl], "an http:// or https:// URL"));
  const events = read("REVERB_APP_WEBHOOK_EVENTS", WebhookEventTypes);
  if (!url) {
    if (events) throw new ConfigError("REVERB_APP_WEBHOOK_EVENTS is set but REVERB_APP_WEBHOOK_URL is not; set the URL to send webhooks to.");
    return [];
  }
  return [{ url, eventTypes: events ?? WEBHOOK_EVENT_TYPES, headers: {}, channelNameStartsWith: null, channelNameEndsWith: null }];
}

function appSettings(read: Read): AppSettings {
  const rateLimited = read("REVERB_APP_RATE_LIMITING_ENABLED", Bool) ?? false;
  return {
    pingInterval: read("REVERB_APP_PING_INTERVAL", PositiveInt) ?? DEFAULT_APP.pingInterval,
    activityTimeout: read("REVERB_APP_ACTIVITY_TIMEOUT", PositiveInt) ?? DEFAULT_APP.activityTimeout,
    allowedOrigins: read("REVERB_APP_ALLOWED_ORIGINS", Origins) ?? DEFAULT_APP.allowedOrigins,
    maxConnections: read("REVERB_APP_MAX_CONNECTIONS", OptionalLimit) ?? null,
    maxMessageSize: read("REVERB_APP_MAX_MESSAGE_SIZE", PositiveInt) ?? DEFAULT_APP.maxMessageSize,
    maxBacklogBytes: read("REVERB_APP_MAX_BACKLOG_BYTES", PositiveInt) ?? DEFAULT_APP.maxBacklogBytes,
    maxChannelsPerConnection: read("REVERB_APP_MAX_CHANNELS_PER_CONNECTION", LimitOrZero) ?? DEFAULT_APP.maxChannelsPerConnection,
    cacheTtl: read("REVERB_APP_CACHE_TTL", PositiveInt) ?? DEFAULT_APP.cacheTtl,
    maxCachedEvents: read("REVERB_APP_MAX_CACHED_EVENTS", PositiveInt) ?? DEFAULT_APP.maxCachedEvents,
    userAuthenticationTimeout: read("REVERB_APP_USER_AUTHENTICATION_TIMEOUT", OptionalLimit) ?? null,
    subscriptionCount: read("REVERB_APP_SUBSCRIPTION_COUNT", Bool) ?? DEFAULT_APP.subscriptionCount,
    webhooks: envWebhooks(read),
    acceptClientEventsFrom: read("REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM", ClientEventsFrom) ?? DEFAULT_APP.acceptClientEventsFrom,
    rateLimiting: rateLimited
      ? {
        maxAttempts: read("REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS", PositiveInt) ?? DEFAULT_RATE_LIMIT.maxAttempts,
        decaySeconds: read("REVERB_APP_RATE_LIMIT_DECAY_SECONDS", PositiveInt) ?? DEFAULT_RATE_LIMIT.decaySeconds,
        terminateOnLimit: read("REVERB_APP_RATE_LIMIT_TERMINATE", Bool) ?? DEFAULT_RATE_LIMIT.terminateOnLimit,
      }
      : null,
  };
}
