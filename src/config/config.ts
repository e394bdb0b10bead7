/** @module The resolved configuration, its defaults, and how layers (env < file < flags) combine. */

import type { App } from "../apps/app.ts";

/** Direct TLS: PEM file paths (absolute once resolved) and options. */
export interface TlsSettings {
  readonly cert: string | null;
  readonly key: string | null;
  readonly passphrase: string | null;
  readonly ca: string | null;
  readonly verifyPeer: boolean;
}

/** A host and port (Redis Sentinel and Cluster nodes). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the scaling Redis is. One shape applies: `cluster` when set, else `sentinels`, else `url`, else host/port.
 * username/password/database apply to the data nodes of every shape (database not in a Cluster).
 */
export interface RedisSettings {
  readonly url: string | null;
  readonly host: string;
  readonly port: number;
  readonly username: string | null;
  readonly password: string | null;
  readonly database: number;
  /** Sentinels to ask for the master named `sentinelMaster`. */
  readonly sentinels: readonly Endpoint[] | null;
  readonly sentinelMaster: string;
  /** The sentinels' own `requirepass`, when they have one. */
  readonly sentinelPassword: string | null;
  /** Redis Cluster seed nodes (any few of the cluster's nodes). */
  readonly cluster: readonly Endpoint[] | null;
  /** TLS to every Redis node (sentinels included); a `rediss://` URL turns it on as well. */
  readonly tls: boolean;
  /** A PEM CA file (absolute once resolved) to verify Redis certificates with, for private CAs; implies `tls`. */
  readonly tlsCa: string | null;
}

/** Where the NATS servers are, when the scaling driver is "nats". */
export interface NatsSettings {
  readonly servers: readonly string[];
  readonly user: string | null;
  readonly password: string | null;
  readonly token: string | null;
}

/** The broker between nodes. */
export type ScalingDriver = "redis" | "nats";

/** Server-wide settings (Reverb's `servers.reverb`). */
export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  /** Route prefix, "" or "/segment". */
  readonly path: string;
  /** Public hostname: shown in the banner and used to find Herd/Valet certificates. */
  readonly hostname: string | null;
  /**
   * The port and scheme clients connect to (the Laravel app's REVERB_PORT and REVERB_SCHEME, e.g. 443 and https
   * behind a proxy): the banner suggests them; null = this server's own.
   */
  readonly clientPort: number | null;
  readonly clientScheme: "http" | "https" | null;
  readonly maxRequestSize: number;
  readonly tls: TlsSettings | null;
  readonly scalingEnabled: boolean;
  readonly scalingChannel: string;
  readonly scalingDriver: ScalingDriver;
  readonly redis: RedisSettings;
  readonly nats: NatsSettings;
  /** Port of the Prometheus /metrics listener; null = no metrics. */
  readonly metricsPort: number | null;
  /** Address of the metrics listener (loopback unless set: metrics are not for the public). */
  readonly metricsHost: string;
  /** Token that opens the dashboard at {path}/dashboard; null = no dashboard (the development app gets one). */
  readonly dashboardToken: string | null;
}

/** Everything the server needs to start. */
export interface Config {
  readonly server: ServerSettings;
  readonly apps: readonly App[];
  readonly debug: boolean;
}

/** One source's contribution; absent keys leave lower layers in force. */
export interface ConfigLayer {
  readonly server?: Partial<Omit<ServerSettings, "redis" | "nats">> & { readonly redis?: Partial<RedisSettings>; readonly nats?: Partial<NatsSettings> };
  readonly apps?: readonly App[];
  readonly debug?: boolean;
}

export const DEFAULT_SERVER: ServerSettings = {
  host: "0.0.0.0",
  port: 8080,
  path: "",
  hostname: null,
  clientPort: null,
  clientScheme: null,
  maxRequestSize: 10_000,
  tls: null,
  scalingEnabled: false,
  scalingChannel: "reverb",
  scalingDriver: "redis",
  redis: {
    url: null, host: "127.0.0.1", port: 6379, username: null, password: null, database: 0,
    sentinels: null, sentinelMaster: "mymaster", sentinelPassword: null, cluster: null, tls: false, tlsCa: null,
  },
  nats: { servers: ["nats://127.0.0.1:4222"], user: null, password: null, token: null },
  metricsPort: null,
  metricsHost: "127.0.0.1",
  dashboardToken: null,
};

/** App settings when a source leaves them out (Reverb's config/reverb.php defaults). */
export const DEFAULT_APP = {
  pingInterval: 60,
  activityTimeout: 30,
  allowedOrigins: ["*"],
  maxConnections: null,
  maxMessageSize: 10_000,
  maxBacklogBytes: 1_048_576,
  maxChannelsPerConnection: 1_000,
  cacheTtl: 1_800,
  maxCachedEvents: 10_000,
  userAuthenticationTimeout: null,
  subscriptionCount: false,
  webhooks: [],
  acceptClientEventsFrom: "members",
  rateLimiting: null,
} as const satisfies Omit<App, "id" | "key" | "secret">;

/** Default rate-limit values when rate limiting is enabled without them. */
export const DEFAULT_RATE_LIMIT = { maxAttempts: 60, decaySeconds: 60, terminateOnLimit: false } as const;

/** Combines layers, later ones winning; the first layer that lists apps provides all of them. */
export function mergeLayers(layers: readonly ConfigLayer[]): { server: ServerSettings; apps: readonly App[]; debug: boolean } {
  let server = DEFAULT_SERVER;
  let apps: readonly App[] = [];
  let debug = false;
  for (const layer of layers) {
    if (layer.server) {
      const { redis, nats, ...rest } = layer.server;
      server = { ...server, ...rest, redis: { ...server.redis, ...redis }, nats: { ...server.nats, ...nats } };
    }
    if (layer.apps && layer.apps.length > 0) apps = layer.apps;
    if (layer.debug !== undefined) debug = layer.debug;
  }
  return { server, apps, debug };
}

/** Keeps only the keys a layer actually sets: null and undefined both mean "not set here". */
export function setKeys<T extends object>(values: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== null)) as {
    [K in keyof T]?: NonNullable<T[K]>;
  };
}
