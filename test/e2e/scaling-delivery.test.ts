/** @module Scaling over Redis: API events, batch events and client events reach every node once; socket_id exclusion, cache replay and terminate across nodes. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  apiGet,
  closePeers,
  eventually,
  openPeer,
  type Peer,
  type RedisServer,
  type ScalingNode,
  startNodes,
  startRedis,
  stopNodes,
  subscribe,
} from "../support/redis-server.ts";
import { APP_B } from "../support/fixtures.ts";
import { RUNTIMES, type RuntimeName } from "../support/spawn.ts";

/** Two nodes per runtime, and one cluster mixing every runtime. */
const CLUSTERS: Array<{ title: string; runtimes: RuntimeName[] }> = [
  ...RUNTIMES.map((runtime) => ({ title: `${runtime} cluster of 2`, runtimes: [runtime, runtime] })),
  ...(RUNTIMES.length > 1 ? [{ title: `mixed cluster ${RUNTIMES.join("+")}`, runtimes: RUNTIMES }] : []),
];

let counter = 0;
const unique = (prefix: string) => `${prefix}deliv-${++counter}-${randomBytes(3).toString("hex")}`;

const event = (name: string, channel: string, data: string) => JSON.stringify({ event: name, data, channel });
const memberRemoved = (channel: string, userId: string) =>
  JSON.stringify({ event: "pusher_internal:member_removed", data: JSON.stringify({ user_id: userId }), channel });
const TERMINATED = '{"event":"pusher:error","data":"{\\"code\\":4009,\\"message\\":\\"Connection terminated by the app\\"}"}';

/** Every frame `peer` receives within `ms`. */
async function framesFor(peer: Peer, ms: number): Promise<string[]> {
  const frames: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return frames;
    const message = await peer.client.next(left).catch(() => undefined);
    if (!message) return frames;
    frames.push(message.raw);
  }
}

/** Asserts that none of `peers` receives anything more within `ms`. */
async function allSilent(peers: Peer[], ms = 300): Promise<void> {
  const silent = await Promise.all(peers.map((peer) => peer.client.silentFor(ms)));
  silent.forEach((quiet, index) => assert.ok(quiet, `peer ${index} (node on ${peers[index]!.node.runtime}) got an extra message`));
}

// Clusters are independent (own nodes, own Redis channel), so they run side by side; tests within one run in order.
describe("scaling delivery", { concurrency: true }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  for (const { title, runtimes } of CLUSTERS) {
    describe(title, { concurrency: false }, () => {
      const channel = unique("cluster-");
      let nodes: ScalingNode[] = [];
      before(async () => {
        nodes = await startNodes(runtimes, redis, channel);
      });
      after(async () => {
        await stopNodes(nodes);
      });

      /** One peer on every node, each subscribed to `name` (as `user-<index>` on presence channels). */
      const onEveryNode = async (name: string): Promise<Peer[]> => {
        const peers = await Promise.all(nodes.map((node) => openPeer(node)));
        await Promise.all(peers.map((peer, index) => subscribe(peer, name, `user-${index}`)));
        return peers;
      };

      /**
       * Waits until `node` reports `cached` as the channel's cache (the event travels through Redis; a client
       * subscribing on that node a moment before it arrived would rightly get the previous state).
       */
      const cachedOn = (node: ScalingNode, name: string, cached: unknown) =>
        eventually(() => apiGet(node, `/channels/${name}`, { info: "cache" }), ({ body }) => assert.deepEqual(body, { occupied: true, cache: cached }), 3000, 20);

      it("announces scaling in the banner with the Redis channel, the address and a distinct node id", () => {
        const ids = nodes.map((node) => {
          const line = /^ {2}Scaling {4}on \(channel "([^"]+)" on Redis at (\S+), node ([0-9a-z]+)\)$/m.exec(node.server.output());
          assert.ok(line, `Scaling line in:\n${node.server.output()}`);
          assert.equal(line[1], channel);
          assert.equal(line[2], `redis://127.0.0.1:${redis.port}`);
          return line[3];
        });
        assert.equal(new Set(ids).size, nodes.length, "every node has its own id");
      });

      it("delivers an HTTP event published on any node to the subscribers of every node, exactly once", async () => {
        const name = unique("news-");
        const peers = await onEveryNode(name);
        const second = await openPeer(nodes[0]!);
        await subscribe(second, name);
        try {
          for (const [index, node] of nodes.entries()) {
            const data = JSON.stringify({ from: index });
            assert.equal((await node.sdk.trigger(name, "published", { from: index })).status, 200);
            for (const peer of [...peers, second]) assert.equal((await peer.client.next()).raw, event("published", name, data));
          }
          await allSilent([...peers, second]);
        } finally {
          await closePeers(...peers, second);
        }
      });

      it("keeps apps apart across nodes: an event for one app never reaches another app's subscribers", async () => {
        const name = unique("shared-name-");
        const ofA = await openPeer(nodes.at(-1)!);
        const ofB = await openPeer(nodes.at(-1)!, APP_B.key);
        try {
          await subscribe(ofA, name);
          await subscribe(ofB, name);
          await nodes[0]!.sdk.trigger(name, "for-a", "a");
          assert.equal((await ofA.client.next()).raw, event("for-a", name, "a"));
          assert.ok(await ofB.client.silentFor(300), "app B's subscriber got app A's event");
        } finally {
          await closePeers(ofA, ofB);
        }
      });

      it("delivers batch events to the subscribers of every node, each item once", async () => {
        const [one, two] = [unique("batch-a-"), unique("batch-b-")];
        const peersOne = await onEveryNode(one);
        const peersTwo = await onEveryNode(two);
        try {
          const response = await nodes.at(-1)!.sdk.triggerBatch([
            { channel: one, name: "first", data: "1" },
            { channel: two, name: "second", data: "2" },
          ]);
          assert.equal(response.status, 200);
          for (const peer of peersOne) assert.equal((await peer.client.next()).raw, event("first", one, "1"));
          for (const peer of peersTwo) assert.equal((await peer.client.next()).raw, event("second", two, "2"));
          await allSilent([...peersOne, ...peersTwo]);
        } finally {
          await closePeers(...peersOne, ...peersTwo);
        }
      });

      it("relays a client event to the subscribers of every other node once, with the sender's user_id, never back to the sender", async () => {
        for (const name of [unique("private-whisper-"), unique("presence-whisper-")]) {
          const peers = await onEveryNode(name);
          try {
            const sender = peers.at(-1)!;
            sender.client.send(`{"event":"client-typing","channel":"${name}","data":{"who" : "last",  "n":[1,2]}}`);
            const userId = name.startsWith("presence-") ? `,"user_id":"user-${peers.length - 1}"` : "";
            const expected = `{"event":"client-typing","channel":"${name}","data":{"who" : "last",  "n":[1,2]}${userId}}`;
            // Presence peers may also get member_added frames (who joined first is a race); only the whisper counts.
            const whispers = await Promise.all(peers.map((peer) => framesFor(peer, 500)));
            whispers.forEach((frames, index) => {
              const relayed = frames.filter((frame) => frame.includes('"client-typing"'));
              assert.deepEqual(relayed, index === peers.length - 1 ? [] : [expected], `peer on node ${index}`);
            });
          } finally {
            await closePeers(...peers);
          }
        }
      });

      it("honours socket_id exclusion when the excluded socket is on another node than the one publishing", async () => {
        const name = unique("excluded-");
        const peers = await onEveryNode(name);
        try {
          for (const [index, excluded] of peers.entries()) {
            const publisher = nodes[(index + 1) % nodes.length]!;
            assert.notEqual(publisher, excluded.node);
            await publisher.sdk.trigger(name, "not-for-you", "x", { socket_id: excluded.socketId });
            for (const peer of peers) if (peer !== excluded) assert.equal((await peer.client.next()).raw, event("not-for-you", name, "x"));
            assert.ok(await excluded.client.silentFor(300), `socket ${excluded.socketId} on node ${index} was excluded`);
          }
          // Batch items carry their own socket_id.
          const excluded = peers[0]!;
          await nodes.at(-1)!.sdk.triggerBatch([{ channel: name, name: "batched", data: "y", socket_id: excluded.socketId }]);
          for (const peer of peers.slice(1)) assert.equal((await peer.client.next()).raw, event("batched", name, "y"));
          await allSilent(peers);
        } finally {
          await closePeers(...peers);
        }
      });

      it("replays a cache channel's last event to a subscriber joining on another node", async () => {
        const name = unique("cache-scores-");
        const first = await openPeer(nodes[0]!);
        try {
          await subscribe(first, name);
          assert.equal((await first.client.next()).raw, JSON.stringify({ event: "pusher:cache_miss", channel: name }));
          // Published through the node with the only subscriber, then through a node without subscribers.
          for (const [round, publisher] of [nodes[0]!, nodes.at(-1)!].entries()) {
            const data = JSON.stringify({ round });
            await publisher.sdk.trigger(name, "score", { round });
            assert.equal((await first.client.next()).raw, event("score", name, data));
            const joiners = await Promise.all(nodes.slice(1).map((node) => openPeer(node)));
            try {
              for (const joiner of joiners) {
                await cachedOn(joiner.node, name, JSON.parse(event("score", name, data)));
                await subscribe(joiner, name);
                assert.equal((await joiner.client.next()).raw, event("score", name, data), `replayed on the ${joiner.node.runtime} node`);
              }
            } finally {
              await closePeers(...joiners);
            }
          }
          const info = await nodes.at(-1)!.sdk.get({ path: `/channels/${name}`, params: { info: "cache" } });
          assert.deepEqual(await info.json(), { occupied: true, cache: { event: "score", data: JSON.stringify({ round: 1 }), channel: name } });
        } finally {
          await closePeers(first);
        }
      });

      it("keeps a cache channel's event when no node has subscribers, as Pusher does: a later subscriber on another node gets it", async () => {
        const name = unique("cache-kept-");
        const vacant = unique("cache-vacant-");
        const only = await openPeer(nodes[0]!);
        const later = await openPeer(nodes.at(-1)!);
        try {
          await subscribe(only, name);
          await only.client.next(); // cache_miss
          await nodes[0]!.sdk.trigger([name, vacant], "flash", "still here");
          await cachedOn(later.node, name, JSON.parse(event("flash", name, "still here")));
          await only.client.close();
          await eventually(() => apiGet(later.node, `/channels/${name}`, { info: "cache" }), ({ body }) => assert.deepEqual(body, { occupied: false }), 3000, 20);
          await subscribe(later, name);
          assert.equal((await later.client.next()).raw, event("flash", name, "still here"));
          await subscribe(later, vacant); // published while nobody anywhere was subscribed
          assert.equal((await later.client.next()).raw, event("flash", vacant, "still here"));
        } finally {
          await closePeers(only, later);
        }
      });

      it("replays a client event sent on a private cache channel to a subscriber joining on another node", async () => {
        const name = unique("private-cache-draft-");
        const [writer, reader] = [await openPeer(nodes[0]!), await openPeer(nodes[0]!)];
        const joiner = await openPeer(nodes.at(-1)!);
        try {
          await subscribe(writer, name);
          await subscribe(reader, name);
          writer.client.send({ event: "client-draft", channel: name, data: { text: "hi" } });
          const frame = `{"event":"client-draft","channel":"${name}","data":{"text":"hi"}}`;
          assert.equal((await reader.client.next()).raw, JSON.stringify({ event: "pusher:cache_miss", channel: name }));
          assert.equal((await reader.client.next()).raw, frame);
          await cachedOn(joiner.node, name, JSON.parse(frame));
          await subscribe(joiner, name);
          assert.equal((await joiner.client.next()).raw, frame);
        } finally {
          await closePeers(writer, reader, joiner);
        }
      });

      it("terminate_connections closes the user's connections on every node (4009) and the others see one member_removed", async () => {
        const name = unique("presence-term-");
        const doomed = await Promise.all(nodes.map((node) => openPeer(node)));
        const bystander = await openPeer(nodes[0]!);
        try {
          await subscribe(bystander, name, "bystander");
          for (const peer of doomed) await subscribe(peer, name, "doomed");
          assert.equal((await bystander.client.next()).event, "pusher_internal:member_added");
          const response = await nodes.at(-1)!.sdk.terminateUserConnections("doomed");
          assert.equal(response.status, 200);
          assert.deepEqual(await response.json(), {});
          for (const peer of doomed) {
            const frames: string[] = [];
            for (;;) {
              const message = await peer.client.next().catch(() => undefined);
              if (!message) break;
              frames.push(message.raw);
            }
            assert.equal(frames.at(-1), TERMINATED, `terminated on the ${peer.node.runtime} node`);
            assert.deepEqual(await peer.client.closed, { code: 4009, reason: "Connection terminated by the app" });
          }
          assert.equal((await bystander.client.next()).raw, memberRemoved(name, "doomed"));
          assert.ok(await bystander.client.silentFor(300), "member_removed only once");
        } finally {
          await closePeers(bystander, ...doomed);
        }
      });
    });
  }
});
