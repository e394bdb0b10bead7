/** @module Connects the configured broker (Redis in any shape, or NATS), loading its client library only now. */

import type { ServerSettings } from "../config/config.ts";
import type { PubSub } from "./pubsub.ts";
import { ScalingUnavailable } from "./scaling-error.ts";

/** What connecting needs from the host: the CA file's text (src/ reads no files itself) and a warning line. */
export interface ScalingHost {
  readTextFile(path: string): string | undefined;
  warn(line: string): void;
}

/** The PubSub on `server.scalingChannel`; rejects with ScalingUnavailable (one line naming the settings) otherwise. */
export async function connectScaling(server: ServerSettings, host: ScalingHost): Promise<PubSub> {
  const channel = server.scalingChannel;
  if (server.scalingDriver === "nats") {
    const { connectNats } = await import("./connect-nats.ts");
    return connectNats(server.nats, channel, (line) => host.warn(line));
  }
  const { redis } = server;
  if (redis.cluster && redis.sentinels) {
    throw new ScalingUnavailable("Both REDIS_CLUSTER (server.scaling.server.cluster) and REDIS_SENTINELS (server.scaling.server.sentinels) are set; a Redis is either a Cluster or watched by sentinels: keep one.");
  }
  let ca: string | null = null;
  if (redis.tlsCa) {
    ca = host.readTextFile(redis.tlsCa) ?? null;
    if (!ca?.includes("-----BEGIN CERTIFICATE-----")) {
      throw new ScalingUnavailable(`REDIS_TLS_CA (server.scaling.server.tls_ca) is ${JSON.stringify(redis.tlsCa)}, which ${ca === null ? "cannot be read" : "holds no PEM certificate"}; give the PEM file of the CA that signed Redis's certificate.`);
    }
  }
  const { connectRedis } = await import("./connect-redis.ts");
  return connectRedis(redis, channel, ca);
}
