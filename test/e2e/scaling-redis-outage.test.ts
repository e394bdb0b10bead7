/** @module Scaling while Redis goes away and comes back: local clients keep being served, the outage is logged once, the cluster heals. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  apiGet,
  closePeers,
  eventually,
  nextMatching,
  openPeer,
  type Peer,
  type RedisServer,
  type ScalingNode,
  startNodes,
  startRedis,
  stopNodes,
  subscribe,
} from "../support/redis-server.ts";
import { RUNTIMES } from "../support/spawn.ts";

/** An answer that did not wait for a gather (2 s) or for Redis: generous, so a slow CI machine does not flake. */
const PROMPT_MS = 1_500;

let counter = 0;
const unique = (prefix: string) => `${prefix}outage-${++counter}-${randomBytes(3).toString("hex")}`;

const event = (name: string, channel: string, data: string) => JSON.stringify({ event: name, data, channel });
const memberAdded = (channel: string, userId: string) =>
  JSON.stringify({ event: "pusher_internal:member_added", data: JSON.stringify({ user_id: userId, user_info: { name: `User ${userId}` } }), channel });
const memberRemoved = (channel: string, userId: string) =>
  JSON.stringify({ event: "pusher_internal:member_removed", data: JSON.stringify({ user_id: userId }), channel });

/** The user ids of a `/users` body, sorted. */
const userIds = (body: unknown) => ((body as { users?: Array<{ id: string | number }> }).users ?? []).map((user) => String(user.id)).sort();

/** Waits until `node` lists exactly `ids` as the channel's users. */
const usersOn = (node: ScalingNode, name: string, ids: string[], timeoutMs = 3000) =>
  eventually(() => apiGet(node, `/channels/${name}/users`), ({ body }) => assert.deepEqual(userIds(body), [...ids].sort()), timeoutMs, 50);

/** The node is still running and its health check answers. */
async function assertUp(node: ScalingNode): Promise<void> {
  assert.equal(node.server.process.exitCode, null, `the ${node.runtime} node is running:\n${node.server.output()}`);
  const up = await fetch(node.httpUrl("/up"));
  assert.equal(up.status, 200);
  assert.deepEqual(await up.json(), { health: "OK" });
}

/** How many times `pattern` occurs in the node's output. */
const occurrences = (node: ScalingNode, pattern: RegExp) => node.server.output().match(new RegExp(pattern.source, "g"))?.length ?? 0;

// Each runtime gets its own redis-server (it is killed and restarted), so the runtimes run side by side;
// the tests of one runtime tell one story and run in order.
describe("scaling through a Redis outage", { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    describe(runtime, { concurrency: false }, () => {
      let outage: RedisServer;
      let nodes: ScalingNode[] = [];
      let killedAt = 0;
      const presence = unique("presence-outage-");
      const cache = unique("cache-");
      const peers: Record<string, Peer> = {};
      const LOST = () => new RegExp(`Lost the connection to Redis at redis://127\\.0\\.0\\.1:${outage.port}\\b`);
      const RECONNECTED = () => new RegExp(`Reconnected to Redis at redis://127\\.0\\.0\\.1:${outage.port}\\b`);

      before(async () => {
        outage = await startRedis();
        nodes = await startNodes([runtime, runtime], outage, unique("cluster-"));
        const [a, b] = nodes as [ScalingNode, ScalingNode];
        // Before the outage: "a" and "leaver" on node A, "b" on node B, all seeing each other.
        peers["a"] = await openPeer(a);
        peers["leaver"] = await openPeer(a);
        peers["b"] = await openPeer(b);
        await subscribe(peers["a"], presence, "a");
        await subscribe(peers["leaver"], presence, "leaver");
        assert.equal((await peers["a"].client.next()).raw, memberAdded(presence, "leaver"));
        await usersOn(b, presence, ["a", "leaver"]);
        await subscribe(peers["b"], presence, "b");
        for (const name of ["a", "leaver"]) assert.equal((await peers[name]!.client.next()).raw, memberAdded(presence, "b"));
        // A cache channel with a subscriber on each node, holding "v1" on both.
        peers["cacheA"] = await openPeer(a);
        peers["cacheB"] = await openPeer(b);
        await subscribe(peers["cacheA"], cache);
        await subscribe(peers["cacheB"], cache);
        for (const name of ["cacheA", "cacheB"]) assert.equal((await peers[name]!.client.next()).event, "pusher:cache_miss");
        await a.sdk.trigger(cache, "v", "v1");
        for (const name of ["cacheA", "cacheB"]) assert.equal((await peers[name]!.client.next()).raw, event("v", cache, "v1"));
        await outage.stop("SIGKILL");
        killedAt = Date.now();
        for (const node of nodes) await node.server.waitFor(LOST(), 5000);
      });
      after(async () => {
        await closePeers(...Object.values(peers));
        await stopNodes(nodes);
        await outage?.stop();
      });

      it("keeps serving each node's own clients: subscribe, client events, API events, presence", async () => {
        for (const [index, node] of nodes.entries()) {
          const name = unique("private-local-");
          const [one, two] = [await openPeer(node), await openPeer(node)];
          try {
            await subscribe(one, name);
            await subscribe(two, name);
            one.client.send({ event: "client-hello", channel: name, data: { from: index } });
            assert.equal((await two.client.next()).raw, `{"event":"client-hello","channel":"${name}","data":{"from":${index}}}`);
            const response = await node.sdk.trigger(name, "local-news", "still served");
            assert.equal(response.status, 200);
            for (const peer of [one, two]) assert.equal((await peer.client.next()).raw, event("local-news", name, "still served"));
          } finally {
            await closePeers(one, two);
          }
        }
        // terminate_connections answers at once and disconnects the user on the node asked.
        for (const node of nodes) {
          const kicked = await openPeer(node);
          try {
            await subscribe(kicked, unique("presence-kick-"), "kicked");
            const started = Date.now();
            const response = await node.sdk.terminateUserConnections("kicked");
            assert.deepEqual(await response.json(), {});
            assert.ok(Date.now() - started < PROMPT_MS, "terminate_connections did not wait for Redis");
            assert.equal((await kicked.client.closed).code, 4009);
          } finally {
            await closePeers(kicked);
          }
        }
        // Presence changes during the outage are seen locally at once.
        peers["late"] = await openPeer(nodes[1]!);
        await subscribe(peers["late"], presence, "late");
        assert.equal((await peers["b"]!.client.next()).raw, memberAdded(presence, "late"));
        await peers["leaver"]!.client.close();
        assert.equal((await peers["a"]!.client.next()).raw, memberRemoved(presence, "leaver"));
      });

      it("keeps an event published on a cache channel during the outage on the node that published it", async () => {
        const [a, b] = nodes as [ScalingNode, ScalingNode];
        assert.equal((await a.sdk.trigger(cache, "v", "v2")).status, 200);
        assert.equal((await peers["cacheA"]!.client.next()).raw, event("v", cache, "v2"));
        assert.equal(await peers["cacheB"]!.client.silentFor(200), true, "the copy for node B is lost with Redis");
        for (const [node, expected] of [[a, "v2"], [b, "v1"]] as const) {
          const late = await openPeer(node);
          try {
            await subscribe(late, cache);
            assert.equal((await late.client.next()).raw, event("v", cache, expected));
          } finally {
            await closePeers(late);
          }
        }
      });

      it("stays up, answers queries promptly and logs the outage once per node", async () => {
        // Let several reconnection attempts pass (200, 400, 800 ms) before counting log lines.
        const wait = 1500 - (Date.now() - killedAt);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        for (const node of nodes) {
          await assertUp(node);
          const { status, ms } = await apiGet(node, "/connections");
          assert.equal(status, 200);
          assert.ok(ms < PROMPT_MS, `/connections took ${ms} ms during the outage`);
          assert.equal(occurrences(node, LOST()), 1, `one warning about the outage:\n${node.server.output()}`);
        }
      });

      it("resumes cross-node delivery and converges presence once Redis is back on the same port", async () => {
        await outage.restart();
        const restartedAt = Date.now();
        for (const node of nodes) await node.server.waitFor(RECONNECTED(), 10_000);
        const [a, b] = nodes as [ScalingNode, ScalingNode];
        // Delivery: publish on each node until the other node's subscriber receives it (messages sent before the
        // other end resubscribed are lost, as with any pub/sub).
        const [toB, toA] = [unique("resumed-to-b-"), unique("resumed-to-a-")];
        const [onA, onB] = [await openPeer(a), await openPeer(b)];
        try {
          await subscribe(onB, toB);
          await subscribe(onA, toA);
          for (const [publisher, receiver, name] of [[a, onB, toB], [b, onA, toA]] as const) {
            let attempt = 0;
            await eventually(async () => {
              await publisher.sdk.trigger(name, "resumed", String(++attempt));
              return receiver.client.silentFor(100);
            }, (silent) => assert.equal(silent, false, `an event published on one node reached the other within 10 s`), Math.max(1, 10_000 - (Date.now() - restartedAt)), 0);
            assert.match((await receiver.client.next()).raw, new RegExp(`^\\{"event":"resumed","data":"\\d+","channel":"${name}"\\}$`));
          }
        } finally {
          await closePeers(onA, onB);
        }
        // Presence: what changed on one node during the outage reaches the other.
        const a1 = nextMatching(peers["a"]!, (message) => message.event === "pusher_internal:member_added", 10_000);
        const b1 = nextMatching(peers["b"]!, (message) => message.event === "pusher_internal:member_removed", 10_000);
        assert.equal((await a1).message.raw, memberAdded(presence, "late"));
        assert.equal((await b1).message.raw, memberRemoved(presence, "leaver"));
        for (const node of nodes) await usersOn(node, presence, ["a", "b", "late"], 5000);
        // Client events cross nodes again.
        peers["late"]!.client.send({ event: "client-back", channel: presence, data: {} });
        const whisper = await nextMatching(peers["a"]!, (message) => message.event === "client-back", 3000);
        assert.equal(whisper.message.raw, `{"event":"client-back","channel":"${presence}","data":{},"user_id":"late"}`);
        for (const node of nodes) {
          assert.equal(occurrences(node, LOST()), 1, "the outage was logged once");
          await assertUp(node);
        }
      });

      it("replays the cache channel's newest event (published during the outage) to new subscribers on every node", async () => {
        for (const node of nodes) {
          await eventually(async () => {
            const late = await openPeer(node);
            try {
              await subscribe(late, cache);
              return (await late.client.next()).raw;
            } finally {
              await closePeers(late);
            }
          }, (replayed) => assert.equal(replayed, event("v", cache, "v2"), `a new subscriber on the ${node.runtime} node at port ${node.port}`), 10_000, 200);
        }
      });
    });
  }
});
