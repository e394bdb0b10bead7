/** @module Scaling over Redis when things go wrong: Redis missing at startup, foreign garbage on the channel, a killed node, a node shutting down. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { writeConfig } from "../support/e2e-server.ts";
import {
  apiGet,
  closePeers,
  eventually,
  openPeer,
  type RedisServer,
  type ScalingNode,
  startNodes,
  startRedis,
  stopNodes,
  subscribe,
} from "../support/redis-server.ts";
import { freePort, RUNTIMES, runToExit } from "../support/spawn.ts";

/** An answer that did not wait for a gather (2 s) or for Redis: generous, so a slow CI machine does not flake. */
const PROMPT_MS = 1_500;

let counter = 0;
const unique = (prefix: string) => `${prefix}resil-${++counter}-${randomBytes(3).toString("hex")}`;

const event = (name: string, channel: string, data: string) => JSON.stringify({ event: name, data, channel });
const memberAdded = (channel: string, userId: string) =>
  JSON.stringify({ event: "pusher_internal:member_added", data: JSON.stringify({ user_id: userId, user_info: { name: `User ${userId}` } }), channel });
const memberRemoved = (channel: string, userId: string) =>
  JSON.stringify({ event: "pusher_internal:member_removed", data: JSON.stringify({ user_id: userId }), channel });

/** How long a query may take while a node is dead (the gather gives up after 2 s). */
const DEAD_NODE_QUERY_MS = 3000;
/** A node silent for 5 s is dropped at the next 1 s heartbeat; allow some slack. */
const EXPIRY_MS = 7500;

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

// Runtimes and scenarios are independent (own nodes, own Redis channel), so they run side by side;
// the tests of one scenario run in order.
describe("scaling resilience", { concurrency: true }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  for (const runtime of RUNTIMES) {
    describe(runtime, { concurrency: true }, () => {
      it("exits 1 with one line naming the Redis address when Redis is unreachable at startup", async () => {
        const [redisPort, port] = [await freePort(), await freePort()];
        const args = ["--host", "127.0.0.1", "--port", String(port), "--config", writeConfig()];
        const plain = await runToExit(runtime, args, { env: { REVERB_SCALING_ENABLED: "true", REDIS_PORT: String(redisPort) } });
        assert.equal(plain.code, 1, plain.output);
        assert.equal(plain.output.trim().split("\n").length, 1, `exactly one line:\n${plain.output}`);
        assert.match(plain.output.trim(), new RegExp(`^Error: Cannot connect to Redis at redis://127\\.0\\.0\\.1:${redisPort}\\b`));

        const url = await runToExit(runtime, args, { env: { REVERB_SCALING_ENABLED: "true", REDIS_URL: `redis://app:s3cret-pw@127.0.0.1:${redisPort}/2` } });
        assert.equal(url.code, 1, url.output);
        assert.equal(url.output.trim().split("\n").length, 1, `exactly one line:\n${url.output}`);
        assert.match(url.output, new RegExp(`Cannot connect to Redis at redis://app:\\*\\*\\*@127\\.0\\.0\\.1:${redisPort}/2\\b`));
        assert.doesNotMatch(url.output, /s3cret-pw/, "the password is never printed");
      });

      describe("a cluster of two", { concurrency: false }, () => {
        const channel = unique("cluster-");
        let nodes: ScalingNode[] = [];
        before(async () => {
          nodes = await startNodes([runtime, runtime], redis, channel);
        });
        after(async () => {
          await stopNodes(nodes);
        });

        it("logs and drops malformed messages published on its Redis channel, and keeps working", async () => {
          const garbage = [
            "garbage",
            "",
            "null",
            "[1,2,3]",
            '{"v":99,"node":"intruder","type":"hello"}',
            '{"v":1,"node":"intruder","type":"event"}',
            '{"v":1,"node":"intruder","type":"event","app":"123456","name":"e","data":{"not":"a string"},"channels":["x"]}',
            '{"v":1,"node":"intruder","type":"member","app":"123456","channel":"presence-x","op":"joined","user":""}',
            '{"v":1,"node":"","type":"heartbeat","digest":"0.0"}',
            `{"v":1,"node":"intruder","type":"snapshot","to":"x","apps":{"123456":{"presence-x":{"members":"nope"}}}}`,
            "{".repeat(10_000),
          ];
          for (const message of garbage) assert.match(await redis.command("PUBLISH", channel, message), /^:\d+\r\n$/);
          for (const node of nodes) {
            await eventually(async () => node.server.output(), (output) => assert.match(output, new RegExp(`Warning: Dropped a cluster message on channel "${channel}" of Redis at redis://127\\.0\\.0\\.1:\\d+`)), 3000, 50);
            await assertUp(node);
          }
          // Still a cluster: events cross nodes, presence is shared, queries answer promptly.
          const name = unique("presence-after-garbage-");
          const [first, second] = [await openPeer(nodes[0]!), await openPeer(nodes[1]!)];
          try {
            await subscribe(first, name, "first");
            await usersOn(nodes[1]!, name, ["first"]);
            await subscribe(second, name, "second");
            assert.equal((await first.client.next()).raw, memberAdded(name, "second"));
            await nodes[0]!.sdk.trigger(name, "still-here", "ok");
            assert.equal((await second.client.next()).raw, event("still-here", name, "ok"));
            for (const node of nodes) {
              const { body, ms } = await apiGet(node, "/connections");
              assert.deepEqual(body, { connections: 2 });
              assert.ok(ms < PROMPT_MS, `/connections took ${ms} ms`);
            }
          } finally {
            await closePeers(first, second);
          }
        });

        it("neither hangs queries nor keeps the members of a node killed with SIGKILL", async () => {
          const [survivor, victim] = nodes as [ScalingNode, ScalingNode];
          const name = unique("presence-crash-");
          const watcher = await openPeer(survivor);
          const bothHere = await openPeer(survivor);
          const [doomed, bothThere] = [await openPeer(victim), await openPeer(victim)];
          try {
            await subscribe(watcher, name, "watcher");
            await subscribe(bothHere, name, "both");
            assert.equal((await watcher.client.next()).raw, memberAdded(name, "both"));
            await usersOn(victim, name, ["watcher", "both"]);
            await subscribe(doomed, name, "doomed");
            await subscribe(bothThere, name, "both");
            assert.equal((await watcher.client.next()).raw, memberAdded(name, "doomed"));
            await eventually(() => apiGet(survivor, "/connections"), ({ body }) => assert.deepEqual(body, { connections: 4 }), 3000, 50);

            const killedAt = Date.now();
            await victim.stop("SIGKILL");
            for (const [path, params] of [["/connections", {}], ["/channels", { info: "subscription_count" }], [`/channels/${name}`, { info: "user_count" }], [`/channels/${name}/users`, {}]] as const) {
              const { status, body, ms } = await apiGet(survivor, path, params);
              assert.equal(status, 200, path);
              assert.ok(ms < DEAD_NODE_QUERY_MS, `${path} took ${ms} ms with a dead node`);
              if (path === "/connections") assert.deepEqual(body, { connections: 2 }, "a dead node's connections are not counted");
            }
            const removed = await watcher.client.next(Math.max(1, EXPIRY_MS - (Date.now() - killedAt)));
            assert.equal(removed.raw, memberRemoved(name, "doomed"), `member_removed within ${EXPIRY_MS} ms of the kill`);
            assert.ok(await watcher.client.silentFor(300), "no member_removed for a user still connected to the survivor");
            assert.deepEqual((await apiGet(survivor, `/channels/${name}/users`)).body, { users: [{ id: "watcher" }, { id: "both" }] });
            assert.deepEqual((await apiGet(survivor, `/channels/${name}`, { info: "user_count" })).body, { occupied: true, user_count: 2 });
            const connections = await apiGet(survivor, "/connections");
            assert.deepEqual(connections.body, { connections: 2 });
            assert.ok(connections.ms < PROMPT_MS, `/connections took ${connections.ms} ms once the dead node was dropped`);
            await assertUp(survivor);
          } finally {
            await closePeers(watcher, bothHere, doomed, bothThere);
          }
        });

        it("drops a well-formed message for an unknown app without counting its sender as a node (queries stay prompt)", async () => {
          const foreign = '{"v":1,"node":"phantom","type":"event","app":"999999","name":"e","data":"d","channels":["x"]}';
          assert.match(await redis.command("PUBLISH", channel, foreign), /^:\d+\r\n$/);
          // PUBLISH answered once Redis handed the message to every subscriber; give the nodes a moment to read it.
          await new Promise((resolve) => setTimeout(resolve, 100));
          // Runs last: the other node was killed by the previous test.
          for (const node of nodes.slice(0, 1)) {
            const { body, ms } = await apiGet(node, "/connections");
            assert.equal(typeof (body as { connections: number }).connections, "number");
            assert.ok(ms < PROMPT_MS, `/connections on the ${runtime} node waited ${ms} ms for a node that does not exist`);
            await assertUp(node);
          }
        });
      });

      describe("a node shutting down", { concurrency: false }, () => {
        let nodes: ScalingNode[] = [];
        before(async () => {
          nodes = await startNodes([runtime, runtime], redis, unique("cluster-"));
        });
        after(async () => {
          await stopNodes(nodes);
        });

        it("takes its members with it at once when stopped with SIGTERM (4200 to its clients, member_removed elsewhere)", async () => {
          const [stayer, leaver] = nodes as [ScalingNode, ScalingNode];
          const name = unique("presence-scale-in-");
          const watcher = await openPeer(stayer);
          const departing = await openPeer(leaver);
          try {
            await subscribe(watcher, name, "watcher");
            await usersOn(leaver, name, ["watcher"]);
            await subscribe(departing, name, "departing");
            assert.equal((await watcher.client.next()).raw, memberAdded(name, "departing"));
            const stoppedAt = Date.now();
            const { code, signal } = await leaver.stop("SIGTERM");
            // npm re-raises the SIGTERM it got once the script exited 0; bun and deno pass the exit code through.
            assert.ok(code === 0 || (runtime === "node" && code === null && signal === "SIGTERM"), `clean exit, got ${code} ${signal}`);
            assert.equal((await departing.client.closed).code, 4200);
            assert.equal((await watcher.client.next(2000)).raw, memberRemoved(name, "departing"), "member_removed within 2 s of SIGTERM");
            assert.ok(Date.now() - stoppedAt < 3000);
            const { body, ms } = await apiGet(stayer, "/connections");
            assert.deepEqual(body, { connections: 1 });
            assert.ok(ms < PROMPT_MS, `/connections took ${ms} ms after a node said goodbye`);
          } finally {
            await closePeers(watcher, departing);
          }
        });
      });
    });
  }
});
