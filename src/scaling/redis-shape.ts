/** @module Which Redis shape the settings describe (Cluster, Sentinel, URL, host/port), printed without passwords. */

import type { Endpoint, RedisSettings } from "../config/config.ts";

/** One shape, as the banner, --debug and startup errors name it. */
export interface RedisShape {
  readonly kind: "cluster" | "sentinel" | "single";
  /** `Redis at redis://10.0.0.1:6379`, `Redis master "mymaster" via sentinels …`, `Redis Cluster at …`. */
  readonly target: string;
  /** Whether connections use TLS. */
  readonly tls: boolean;
  /** The settings to check when it cannot be reached. */
  readonly hint: string;
}

const list = (endpoints: readonly Endpoint[]) => endpoints.map(({ host, port }) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)).join(",");

/** The shape in force: `cluster` wins over `sentinels`, which win over `url`, which wins over host/port. */
export function redisShape(settings: RedisSettings): RedisShape {
  const tls = settings.tls || settings.tlsCa !== null || (settings.url?.startsWith("rediss:") ?? false);
  const overTls = tls ? " over TLS" : "";
  const tlsHint = tls ? " and REDIS_TLS_CA (server.scaling.server.tls_ca) for a private CA" : "";
  if (settings.cluster) {
    return {
      kind: "cluster",
      target: `Redis Cluster at ${list(settings.cluster)}${overTls}`,
      tls,
      hint: `Check REDIS_CLUSTER (server.scaling.server.cluster), REDIS_USERNAME/REDIS_PASSWORD${tlsHint}, or turn scaling off.`,
    };
  }
  if (settings.sentinels) {
    return {
      kind: "sentinel",
      target: `Redis master "${settings.sentinelMaster}" via sentinels ${list(settings.sentinels)}${overTls}`,
      tls,
      hint: `Check REDIS_SENTINELS, REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD (server.scaling.server.sentinels, name, sentinel_password), REDIS_PASSWORD${tlsHint}, or turn scaling off.`,
    };
  }
  return {
    kind: "single",
    // A rediss:// URL says TLS by itself.
    target: `Redis at ${redisAddress(settings)}${settings.url?.startsWith("rediss:") ? "" : overTls}`,
    tls,
    hint: `Check REDIS_URL or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD (or server.scaling.server)${tlsHint}, or turn scaling off.`,
  };
}

/** Where a single Redis is, for messages: the URL without its password, or host:port/db. */
function redisAddress(settings: RedisSettings): string {
  if (settings.url) {
    try {
      const url = new URL(settings.url);
      if (url.password) url.password = "***";
      return url.toString();
    } catch {
      return "(the REDIS_URL / scaling.server.url given)";
    }
  }
  return `redis://${settings.host}:${settings.port}${settings.database ? `/${settings.database}` : ""}`;
}
