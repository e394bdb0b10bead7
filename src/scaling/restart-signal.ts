/** @module `resound restart` over the scaling broker: one message on the scaling channel, which every node answers by stopping gracefully. */

import type { ServerSettings } from "../config/config.ts";
import { newNodeId } from "./cluster-broker.ts";
import { connectScaling, type ScalingHost } from "./connect-scaling.ts";
import { encodeEnvelope } from "./envelope.ts";

/** Tells every node on the scaling channel to restart; resolves with where it was sent once the message is out. */
export async function signalClusterRestart(server: ServerSettings, host: ScalingHost): Promise<string> {
  const pubsub = await connectScaling(server, host);
  pubsub.publish(server.scalingChannel, encodeEnvelope(`restart-${newNodeId()}`, { type: "restart" }));
  await pubsub.close(); // Redis queues QUIT behind the PUBLISH and NATS drains: the message has gone out when this resolves
  return `${pubsub.topic} on ${pubsub.target}`;
}
