/** @module A Redis Cluster shard's master killed under two nodes per runtime: the sharded subscription follows the promoted replica. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { closePeers, nextMatching, openPeer, type ScalingNode, startNodes, stopNodes, subscribe } from "../support/redis-server.ts";
import { type RedisCluster, startRedisCluster } from "../support/redis-topologies.ts";
import { RUNTIMES, type RuntimeName } from "../support/spawn.ts";

describe("Redis Cluster shard failover (3 masters, 1 replica each)", () => {
  let cluster: RedisCluster;
  // One hash tag for every pair's channel: one kill takes the shard of all of them.
  const tag = `{failover-${randomBytes(3).toString("hex")}}`;
  const pairs: Array<{ runtime: RuntimeName; nodes: ScalingNode[] }> = [];
  before(async () => {
    cluster = await startRedisCluster({ replicas: 1 });
    const env = { REDIS_CLUSTER: cluster.nodes.slice(0, 2).map(({ host, port }) => `${host}:${port}`).join(",") };
    for (const runtime of RUNTIMES) pairs.push({ runtime, nodes: await startNodes([runtime, runtime], { env }, `${tag}${runtime}`) });
  });
  after(async () => {
    await Promise.all(pairs.map((pair) => stopNodes(pair.nodes)));
    await cluster?.stop();
  });

  it("cross-node delivery resumes on every runtime and no presence member is expired", async () => {
    const watched = await Promise.all(pairs.map(async ({ runtime, nodes }) => {
      const listener = await openPeer(nodes[1]!);
      await subscribe(listener, "traffic");
      const here = await openPeer(nodes[0]!);
      await subscribe(here, "presence-room", "here");
      const there = await openPeer(nodes[1]!);
      await subscribe(there, "presence-room", "there");
      await nextMatching(here, (message) => message.event === "pusher_internal:member_added");
      return { runtime, nodes, listener, here, there };
    }));
    let publishing = true;
    let sequence = 0;
    const traffic = (async () => {
      while (publishing) {
        sequence++;
        await Promise.all(watched.map(({ nodes }) => nodes[0]!.sdk.trigger("traffic", "tick", { sequence }).catch(() => undefined)));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await cluster.killShardMaster(tag);
      const afterFailover = sequence;
      for (const { runtime, nodes, listener } of watched) {
        await nextMatching(listener, (message) => message.event === "tick" && (message.data as { sequence: number }).sequence > afterFailover + 2, 20_000)
          .catch((error: Error) => assert.fail(`${runtime}: nothing from node 0 reached node 1 after the failover: ${error.message}\n${nodes[1]!.server.output()}`));
      }
    } finally {
      publishing = false;
      await traffic;
    }
    for (const { runtime, nodes, here, there } of watched) {
      for (const [name, peer] of [["here", here], ["there", there]] as const) {
        // Everything queued since the kill is read; a member_removed among it fails the test.
        // (and the connection is still open: a closed one would end the wait early with another error)
        const removed = await nextMatching(peer, (message) => message.event === "pusher_internal:member_removed", 500)
          .then(({ message, skipped }) => `${message.raw} after ${skipped.map((m) => m.raw).join(" | ")}`, (error: Error) => /^no (matching )?message within/.test(error.message) ? undefined : error.message);
        assert.equal(removed, undefined, `${runtime}: a member who never left was removed, or ${name} was disconnected\n${nodes.map((node, i) => `node ${i}:\n${node.server.output()}`).join("\n")}`);
      }
    }
    await Promise.all(watched.map(({ listener, here, there }) => closePeers(listener, here, there)));
  });
});
