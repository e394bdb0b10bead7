/** @module `resound restart` over Redis: one message on the scaling channel, which every node answers by stopping gracefully. */

import type { RedisSettings } from "../config/config.ts";
import { newNodeId } from "./cluster-broker.ts";
import { encodeEnvelope } from "./envelope.ts";

/** Tells every node on `channel` to restart; resolves with the Redis address once the message is sent. */
export async function signalClusterRestart(settings: RedisSettings, channel: string): Promise<string> {
  const { connectRedis } = await import("./connect-redis.ts");
  const pubsub = await connectRedis(settings, channel);
  pubsub.publish(channel, encodeEnvelope(`restart-${newNodeId()}`, { type: "restart" }));
  await pubsub.close(); // QUIT is queued behind the PUBLISH, so the message has gone out when this resolves
  return pubsub.address;
}
