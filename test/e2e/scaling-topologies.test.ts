/** @module Scaling past one Redis: Sentinel (with a master failover mid-traffic), Redis Cluster, Redis over TLS and NATS, two nodes per runtime each. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  apiGet,
  type Broker,
  closePeers,
  eventually,
  nextMatching,
  openPeer,
  type Peer,
  type ScalingNode,
  startNodes,
  stopNodes,
  subscribe,
} from "../support/redis-server.ts";
import { makeCertificates, type NatsServer, type SentinelSetup, startNats, startRedisCluster, startSentinelSetup, startTlsRedis } from "../support/redis-topologies.ts";
import { writeConfig } from "../support/e2e-server.ts";
import { freePort, restartCommand, runCommand, RUNTIMES, type RuntimeName, runToExit, tempDir } from "../support/spawn.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}topo-${++counter}-${randomBytes(3).toString("hex")}`;
const event = (name: string, channel: string, data: string) => JSON.stringify({ event: name, data, channel });
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** One broker shape: how to start it, what the nodes are told, and what their banner and --debug must say. */
interface Topology {
  readonly title: string;
  start(): Promise<{ broker: Broker; banner: (channel: string) => RegExp; debug: RegExp; stop(): Promise<void>; sentinel?: SentinelSetup; nats?: NatsServer }>;
}

const list = (endpoints: Array<{ host: string; port: number }>) => endpoints.map(({ host, port }) => `${host}:${port}`).join(",");

const TOPOLOGIES: Topology[] = [
  {
    title: "Redis Sentinel (master, replica, 3 sentinels)",
    async start() {
      const sentinel = await startSentinelSetup();
      return {
        broker: { env: { REDIS_SENTINELS: list(sentinel.sentinels), REDIS_SENTINEL_MASTER: sentinel.masterName } },
        banner: (channel) => new RegExp(`on \\(channel "${escape(channel)}" on Redis master "${sentinel.masterName}" via sentinels ${escape(list(sentinel.sentinels))}, node [0-9a-z]+\\)$`, "m"),
        debug: new RegExp(`Redis \\d+\\.\\d+\\.\\d+, master at 127\\.0\\.0\\.1:${sentinel.masterPort}`),
        stop: () => sentinel.stop(),
        sentinel,
      };
    },
  },
  {
    title: "Redis Cluster (3 masters)",
    async start() {
      const cluster = await startRedisCluster();
      // Any one node is enough to find the others; give two, as a user would.
      const seeds = cluster.nodes.slice(0, 2);
      return {
        broker: { env: { REDIS_CLUSTER: list(seeds) } },
        banner: (channel) => new RegExp(`on \\(sharded channel "${escape(channel)}" on Redis Cluster at ${escape(list(seeds))}, node [0-9a-z]+\\)$`, "m"),
        debug: /Redis 7\.\d+\.\d+, sharded pub\/sub \(SPUBLISH\/SSUBSCRIBE\)/,
        stop: () => cluster.stop(),
      };
    },
  },
  {
    title: "Redis over TLS (private CA)",
    async start() {
      const redis = await startTlsRedis();
      return {
        broker: { env: { REDIS_URL: redis.url, REDIS_TLS_CA: redis.caFile } },
        banner: (channel) => new RegExp(`on \\(channel "${escape(channel)}" on Redis at ${escape(redis.url)}, node [0-9a-z]+\\)$`, "m"),
        debug: /Redis \d+\.\d+\.\d+$/m,
        stop: () => redis.stop(),
      };
    },
  },
  {
    title: "NATS",
    async start() {
      const nats = await startNats();
      return {
        broker: { env: { RESOUND_SCALING_DRIVER: "nats", NATS_URL: nats.url } },
        banner: (channel) => new RegExp(`on \\(subject "${escape(channel)}" on NATS at ${escape(nats.url)}, node [0-9a-z]+\\)$`, "m"),
        debug: /NATS server \d+\.\d+\.\d+ at 127\.0\.0\.1:\d+, max_payload \d+ bytes/,
        stop: () => nats.remove(),
        nats,
      };
    },
  },
];

/** One peer per node, each subscribed to `name` (as `user-<index>` on presence channels). */
async function onEveryNode(nodes: ScalingNode[], name: string, users: string[] = []): Promise<Peer[]> {
  const peers = await Promise.all(nodes.map((node) => openPeer(node)));
  await Promise.all(peers.map((peer, index) => subscribe(peer, name, users[index] ?? `user-${index}`)));
  return peers;
}

/** Publishes on each node in turn and checks both peers (the publisher's own socket excluded by socket_id). */
async function crossNodeDelivery(nodes: ScalingNode[]): Promise<void> {
  const name = unique("news-");
  const peers = await onEveryNode(nodes, name);
  try {
    for (const [index, node] of nodes.entries()) {
      const other = peers[(index + 1) % peers.length]!;
      const self = peers[index]!;
      const data = JSON.stringify({ from: index });
      assert.equal((await node.sdk.trigger(name, "to-all", { from: index })).status, 200);
      for (const peer of peers) assert.equal((await peer.client.next(5000)).raw, event("to-all", name, data));
      // socket_id: the publisher's own client (on this node) is left out; the other node's gets it.
      assert.equal((await node.sdk.trigger(name, "not-me", { from: index }, { socket_id: self.socketId })).status, 200);
      assert.equal((await other.client.next(5000)).raw, event("not-me", name, data));
      assert.ok(await self.client.silentFor(300), "the excluded socket got the event");
    }
  } finally {
    await closePeers(...peers);
  }
}

/** Presence across the two nodes: members, member_added/removed and the users API agree cluster-wide. */
async function crossNodePresence(nodes: ScalingNode[]): Promise<void> {
  const name = unique("presence-room-");
  const first = await openPeer(nodes[0]!);
  const second = await openPeer(nodes[1]!);
  try {
    await subscribe(first, name, "alice");
    // Eventually consistent: the join on node 0 reaches node 1 through the broker.
    await eventually(() => apiGet(nodes[1]!, `/channels/${name}/users`), ({ body }) => assert.deepEqual(body, { users: [{ id: "alice" }] }), 5000, 50);
    const joined = await subscribe(second, name, "bob");
    assert.deepEqual((joined.data as { presence: { ids: string[] } }).presence.ids.sort(), ["alice", "bob"]);
    const added = await nextMatching(first, (message) => message.event === "pusher_internal:member_added");
    assert.deepEqual(added.message.data, { user_id: "bob", user_info: { name: "User bob" } });
    for (const node of nodes) {
      await eventually(() => apiGet(node, `/channels/${name}/users`), ({ body }) => {
        assert.deepEqual((body as { users: Array<{ id: string }> }).users.map((user) => user.id).sort(), ["alice", "bob"]);
      }, 5000, 50);
    }
    await second.client.close();
    const removed = await nextMatching(first, (message) => message.event === "pusher_internal:member_removed", 5000);
    assert.deepEqual(removed.message.data, { user_id: "bob" });
  } finally {
    await closePeers(first, second);
  }
}

/** Starts a node on `runtime` with `env` and expects it to exit 1 with one line matching `pattern` (and none of `secret`). */
async function refusesToStart(runtime: RuntimeName, env: Record<string, string>, pattern: RegExp, secret?: string): Promise<void> {
  const args = ["--host", "127.0.0.1", "--port", String(await freePort()), "--config", writeConfig()];
  const { code, output } = await runToExit(runtime, args, { env: { REVERB_SCALING_ENABLED: "true", ...env } });
  assert.equal(code, 1, output);
  assert.equal(output.trim().split("\n").length, 1, `exactly one line:\n${output}`);
  assert.match(output.trim(), pattern);
  if (secret) assert.ok(!output.includes(secret), `the password is never printed:\n${output}`);
}

describe("scaling setups that cannot work stop startup with one line naming the settings", { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime}: unreachable sentinels, cluster or NATS; both a cluster and sentinels; an unreadable CA file`, async () => {
      const [a, b] = [await freePort(), await freePort()];
      await refusesToStart(runtime, { REDIS_SENTINELS: `127.0.0.1:${a},127.0.0.1:${b}`, REDIS_SENTINEL_MASTER: "main", REDIS_SENTINEL_PASSWORD: "s3ntinel-pw" },
        new RegExp(`^Error: Cannot connect to Redis master "main" via sentinels 127\\.0\\.0\\.1:${a},127\\.0\\.0\\.1:${b} for scaling: .+\\. Check REDIS_SENTINELS, REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD`), "s3ntinel-pw");
      await refusesToStart(runtime, { REDIS_CLUSTER: `127.0.0.1:${a}` },
        new RegExp(`^Error: Cannot connect to Redis Cluster at 127\\.0\\.0\\.1:${a} for scaling: .+\\. Check REDIS_CLUSTER`));
      await refusesToStart(runtime, { RESOUND_SCALING_DRIVER: "nats", NATS_URL: `nats://app:n4ts-pw@127.0.0.1:${a}` },
        new RegExp(`^Error: Cannot connect to NATS at nats://app:\\*\\*\\*@127\\.0\\.0\\.1:${a} for scaling: .+\\. Check NATS_URL`), "n4ts-pw");
      await refusesToStart(runtime, { REDIS_CLUSTER: `127.0.0.1:${a}`, REDIS_SENTINELS: `127.0.0.1:${b}` }, /^Error: Both REDIS_CLUSTER .* and REDIS_SENTINELS .* are set/);
      await refusesToStart(runtime, { REDIS_TLS_CA: "/nowhere/ca.pem" }, /^Error: REDIS_TLS_CA \(server\.scaling\.server\.tls_ca\) is "\/nowhere\/ca\.pem", which cannot be read/);
      await refusesToStart(runtime, { RESOUND_SCALING_DRIVER: "nats", REVERB_SCALING_CHANNEL: "events.*" }, /^Error: REVERB_SCALING_CHANNEL \(server\.scaling\.channel\) is "events\.\*", which is no NATS subject/);
    });
  }
});

describe("NATS max_payload", { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime}: a cluster message over the server's max_payload is logged, not sent, and the node keeps serving`, async () => {
      const nats = await startNats({ maxPayload: 2048 });
      const channel = unique(`${runtime}-payload-`);
      const nodes = await startNodes([runtime, runtime], { env: { RESOUND_SCALING_DRIVER: "nats", NATS_URL: nats.url } }, channel);
      const name = unique("big-");
      const peers = await onEveryNode(nodes, name);
      try {
        const data = "x".repeat(4000);
        assert.equal((await nodes[0]!.sdk.trigger(name, "big", data)).status, 200);
        // This node's subscriber has it; the other node's cannot: the message would not fit the server's limit.
        assert.equal((await peers[0]!.client.next(5000)).raw, event("big", name, data));
        await nodes[0]!.server.waitFor(/Warning: A cluster message of \d+ characters was not sent over NATS at nats:\/\/127\.0\.0\.1:\d+: .*raise max_payload/, 5000);
        assert.ok(await peers[1]!.client.silentFor(300), "the other node's subscriber got an event NATS could not carry");
        // Small events still cross.
        assert.equal((await nodes[0]!.sdk.trigger(name, "small", "s")).status, 200);
        for (const peer of peers) assert.equal((await peer.client.next(5000)).raw, event("small", name, "s"));
      } finally {
        await closePeers(...peers);
        await stopNodes(nodes);
        await nats.remove();
      }
    });
  }
});

describe("scaling topologies", { concurrency: true }, () => {
  for (const topology of TOPOLOGIES) {
    describe(topology.title, { concurrency: false }, () => {
      let started: Awaited<ReturnType<Topology["start"]>>;
      const pairs: Array<{ runtime: RuntimeName; channel: string; nodes: ScalingNode[] }> = [];
      before(async () => {
        started = await topology.start();
        for (const runtime of RUNTIMES) {
          const channel = unique(`${runtime}-`).replace(/-/g, "_");
          // --debug on the second node only: it says which shape is in use; the first stays quiet.
          const nodes = [
            ...(await startNodes([runtime], started.broker, channel)),
            ...(await startNodes([runtime], started.broker, channel, [], ["--debug"])),
          ];
          pairs.push({ runtime, channel, nodes });
        }
      });
      after(async () => {
        await Promise.all(pairs.map((pair) => stopNodes(pair.nodes)));
        await started?.stop();
      });

      for (const runtime of RUNTIMES) {
        const pair = () => pairs.find((candidate) => candidate.runtime === runtime)!;
        it(`${runtime}: the banner and --debug name the shape`, () => {
          for (const node of pair().nodes) assert.match(node.server.output(), started.banner(pair().channel));
          assert.match(pair().nodes[1]!.server.output(), started.debug);
        });
        it(`${runtime}: events cross nodes both ways, socket_id excluded`, () => crossNodeDelivery(pair().nodes));
        it(`${runtime}: presence is cluster-wide`, () => crossNodePresence(pair().nodes));
      }

      if (topology.title.startsWith("Redis Sentinel")) {
        it("fails over mid-traffic: delivery and presence resume by themselves on every runtime, no node exits", async () => {
          const sentinel = started.sentinel!;
          const watched = await Promise.all(pairs.map(async ({ nodes }) => {
            const name = unique("traffic-");
            return { nodes, name, peers: await onEveryNode(nodes, name) };
          }));
          let publishing = true;
          let sequence = 0;
          // Traffic throughout: node 0 of every pair publishes every 50 ms (errors while Redis is away are expected).
          const traffic = (async () => {
            while (publishing) {
              sequence++;
              await Promise.all(watched.map(({ nodes, name }) => nodes[0]!.sdk.trigger(name, "tick", { sequence }).catch(() => undefined)));
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          })();
          try {
            const killed = await sentinel.killMaster();
            const promoted = await sentinel.waitForFailover();
            assert.notEqual(promoted, killed);
            const after = sequence;
            for (const { nodes, peers } of watched) {
              for (const peer of peers) {
                await nextMatching(peer, (message) => message.event === "tick" && (message.data as { sequence: number }).sequence > after + 2, 20_000)
                  .catch((error: Error) => assert.fail(`${peer.node.runtime} node ${nodes.indexOf(peer.node)}: ${error.message}\n${sentinel.logs()}`));
              }
            }
          } finally {
            publishing = false;
            await traffic;
            await Promise.all(watched.map(({ peers }) => closePeers(...peers)));
          }
          for (const { nodes } of pairs) {
            for (const node of nodes) assert.equal(node.server.process.exitCode, null, `${node.runtime} node exited:\n${node.server.output()}`);
            assert.match(nodes[0]!.server.output(), /Lost the connection to Redis master/);
            assert.match(nodes[0]!.server.output(), /Reconnected to Redis master/);
            // After the failover, events and presence work across nodes as before.
            await crossNodeDelivery(nodes);
            await crossNodePresence(nodes);
          }
        });
      }

      if (topology.title.startsWith("Redis over TLS")) {
        it("refuses a Redis whose certificate the CA given did not sign (or with no CA given), in one line", async () => {
          const url = (started.broker as { env: Record<string, string> }).env["REDIS_URL"]!;
          const { caFile: otherCa } = await makeCertificates(tempDir("resound-other-ca-"));
          for (const runtime of RUNTIMES) {
            await refusesToStart(runtime, { REDIS_URL: url }, new RegExp(`^Error: Cannot connect to Redis at ${escape(url)} for scaling: .+ Check REDIS_URL .* and REDIS_TLS_CA`));
            await refusesToStart(runtime, { REDIS_URL: url, REDIS_TLS_CA: otherCa }, new RegExp(`^Error: Cannot connect to Redis at ${escape(url)} for scaling: .+ Check REDIS_URL .* and REDIS_TLS_CA`));
          }
        });
      }

      if (topology.title === "NATS") {
        it("rides out a NATS outage: delivery resumes by itself once the server is back", async () => {
          const nats = started.nats!;
          await nats.stop();
          for (const { nodes } of pairs) await Promise.all(nodes.map((node) => node.server.waitFor(/Lost the connection to NATS at/, 10_000)));
          await nats.restart();
          for (const { nodes } of pairs) {
            await Promise.all(nodes.map((node) => node.server.waitFor(/Reconnected to NATS at/, 15_000)));
            for (const node of nodes) assert.equal(node.server.process.exitCode, null);
            await crossNodeDelivery(nodes);
            await crossNodePresence(nodes);
          }
        });

        it("`resound restart` reaches every node over NATS: each stops gracefully (exit 0)", async () => {
          const { env } = started.broker as { env: Record<string, string> };
          for (const { runtime, channel, nodes } of pairs) {
            // Its own, empty registry of local servers: only NATS can reach the nodes.
            const { command, args } = restartCommand(runtime);
            const run = runCommand(command, args, { env: { ...env, REVERB_SCALING_ENABLED: "true", REVERB_SCALING_CHANNEL: channel, XDG_RUNTIME_DIR: tempDir("resound-run-") } });
            const code = await new Promise<number | null>((resolve) => run.process.once("exit", resolve));
            assert.equal(code, 0, run.output());
            assert.match(run.output(), new RegExp(`Broadcasting the restart signal to the cluster on subject "${escape(channel)}" on NATS at nats://127\\.0\\.0\\.1:\\d+\\.`));
            for (const node of nodes) {
              const exit = await new Promise<number | null>((resolve) => node.server.process.exitCode !== null ? resolve(node.server.process.exitCode) : node.server.process.once("exit", resolve));
              assert.equal(exit, 0, node.server.output());
              assert.match(node.server.output(), /Restart requested over NATS at nats:\/\/127\.0\.0\.1:\d+/);
            }
          }
        });
      }
    });
  }
});
