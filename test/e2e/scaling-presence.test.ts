/** @module Scaling over Redis: presence is cluster-wide (members, member_added/removed once per user) and the HTTP API aggregates every node promptly. */

import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type AppEntry, credentials, serverSdk } from "../support/e2e-server.ts";
import { APP_A } from "../support/fixtures.ts";
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
import { RUNTIMES, type RuntimeName } from "../support/spawn.ts";

/** Two nodes per runtime, and one cluster mixing every runtime. */
const CLUSTERS: Array<{ title: string; runtimes: RuntimeName[] }> = [
  ...RUNTIMES.map((runtime) => ({ title: `${runtime} cluster of 2`, runtimes: [runtime, runtime] })),
  ...(RUNTIMES.length > 1 ? [{ title: `mixed cluster ${RUNTIMES.join("+")}`, runtimes: RUNTIMES }] : []),
];

/** An app only the connection-count test uses, so other tests' sockets cannot skew it. */
const COUNTED: AppEntry = { app_id: "555002", key: "counted-scaling-key", secret: "counted-scaling-secret" };

/** A query of a healthy cluster answers well within the 2 s gather limit. */
const PROMPT_MS = 1_500;

let counter = 0;
const unique = (prefix: string) => `${prefix}pres-${++counter}-${randomBytes(3).toString("hex")}`;

const member = (userId: string | number) => ({ user_id: userId, user_info: { name: `User ${userId}` } });
const memberAdded = (channel: string, userId: string | number) =>
  JSON.stringify({ event: "pusher_internal:member_added", data: JSON.stringify(member(userId)), channel });
const memberRemoved = (channel: string, userId: string | number) =>
  JSON.stringify({ event: "pusher_internal:member_removed", data: JSON.stringify({ user_id: userId }), channel });

/** The user ids of a `/users` body, sorted. */
const userIds = (body: unknown) => ((body as { users?: Array<{ id: string | number }> }).users ?? []).map((user) => user.id).sort();

/** Asserts that none of `peers` receives anything more within `ms`. */
async function allSilent(peers: Peer[], ms = 300): Promise<void> {
  const silent = await Promise.all(peers.map((peer) => peer.client.silentFor(ms)));
  silent.forEach((quiet, index) => assert.ok(quiet, `peer ${index} (on the ${peers[index]!.node.runtime} node) got an extra message`));
}

// Clusters are independent (own nodes, own Redis channel), so they run side by side; tests within one run in order.
describe("scaling presence and queries", { concurrency: true }, () => {
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
        nodes = await startNodes(runtimes, redis, channel, [COUNTED]);
      });
      after(async () => {
        await stopNodes(nodes);
      });

      /** Waits until `node` lists exactly `ids` as the channel's users (replication travels through Redis). */
      const usersOn = (node: ScalingNode, name: string, ids: Array<string | number>) =>
        eventually(() => apiGet(node, `/channels/${name}/users`), ({ status, body }) => {
          assert.equal(status, ids.length === 0 ? 404 : 200);
          if (ids.length > 0) assert.deepEqual(userIds(body), [...ids].sort());
        }, 3000, 20);

      it("gives a joiner on any node every member of the cluster, and each other member one member_added", async () => {
        const name = unique("presence-room-");
        const peers: Peer[] = [];
        try {
          for (let index = 0; index <= nodes.length; index++) {
            const node = nodes[index % nodes.length]!;
            const earlier = peers.map((_, i) => `u${i}`);
            if (earlier.length > 0) await usersOn(node, name, earlier);
            const peer = await openPeer(node);
            const succeeded = await subscribe(peer, name, `u${index}`);
            const ids = [...earlier, `u${index}`];
            const { presence } = succeeded.data as { presence: { count: number; ids: string[]; hash: Record<string, unknown> } };
            assert.equal(presence.count, ids.length);
            assert.deepEqual([...presence.ids].sort(), ids.sort());
            assert.deepEqual(presence.hash, Object.fromEntries(ids.map((id) => [id, { name: `User ${id}` }])));
            for (const other of peers) assert.equal((await other.client.next()).raw, memberAdded(name, `u${index}`));
            peers.push(peer);
          }
          await allSilent(peers);
        } finally {
          await closePeers(...peers);
        }
      });

      it("announces a user with tabs on several nodes once on joining and once when the last tab closes", async () => {
        const name = unique("presence-tabs-");
        const watchers = [await openPeer(nodes[0]!), await openPeer(nodes.at(-1)!)];
        const tabs = await Promise.all([...nodes].reverse().map((node) => openPeer(node)));
        try {
          await subscribe(watchers[0]!, name, "watcher-0");
          await usersOn(watchers[1]!.node, name, ["watcher-0"]);
          await subscribe(watchers[1]!, name, "watcher-1");
          assert.equal((await watchers[0]!.client.next()).raw, memberAdded(name, "watcher-1"));

          for (const [index, tab] of tabs.entries()) {
            if (index > 0) await usersOn(tab.node, name, ["watcher-0", "watcher-1", "multi"]);
            const succeeded = await subscribe(tab, name, "multi");
            assert.equal((succeeded.data as { presence: { count: number } }).presence.count, 3, `tab ${index} sees 3 users`);
            if (index === 0) for (const watcher of watchers) assert.equal((await watcher.client.next()).raw, memberAdded(name, "multi"));
            await allSilent(watchers, index === 0 ? 200 : 300);
          }
          for (const tab of tabs.slice(0, -1)) {
            await tab.client.close();
            await allSilent(watchers);
          }
          await tabs.at(-1)!.client.close();
          for (const watcher of watchers) assert.equal((await watcher.client.next()).raw, memberRemoved(name, "multi"));
          await allSilent(watchers);
          for (const node of nodes) await usersOn(node, name, ["watcher-0", "watcher-1"]);
        } finally {
          await closePeers(...watchers, ...tabs);
        }
      });

      it("aggregates /users, user_count, subscription_count and /channels over every node, promptly", async () => {
        const base = unique("agg-");
        const [presence, open, lonely] = [`presence-${base}`, `${base}-open`, `private-${base}-lonely`];
        const peers: Peer[] = [];
        const join = async (node: ScalingNode, name: string, user?: string | number) => {
          const peer = await openPeer(node);
          peers.push(peer);
          await subscribe(peer, name, user);
        };
        try {
          // presence: "alice" with a tab on the first and the last node, 7 (a number) on the last node.
          await join(nodes[0]!, presence, "alice");
          await join(nodes.at(-1)!, presence, "alice");
          await join(nodes.at(-1)!, presence, 7);
          // open: two subscriptions on the first node, one on each other node; lonely: one, on the last node only.
          await join(nodes[0]!, open);
          for (const node of nodes) await join(node, open);
          await join(nodes.at(-1)!, lonely);
          const openCount = nodes.length + 1;

          for (const node of nodes) {
            const where = `on the ${node.runtime} node ${nodes.indexOf(node)}`;
            const checks: Array<[string, Record<string, string>, unknown]> = [
              [`/channels/${presence}/users`, {}, { users: [{ id: 7 }, { id: "alice" }] }],
              [`/channels/${presence}`, { info: "user_count,subscription_count" }, { occupied: true, user_count: 2 }],
              [`/channels/${open}`, { info: "user_count,subscription_count" }, { occupied: true, subscription_count: openCount }],
              [`/channels/${lonely}`, { info: "subscription_count" }, { occupied: true, subscription_count: 1 }],
              ["/channels", { filter_by_prefix: presence, info: "user_count" }, { channels: { [presence]: { user_count: 2 } } }],
            ];
            for (const [path, params, expected] of checks) {
              await eventually(() => apiGet(node, path, params), ({ status, body, ms }) => {
                assert.equal(status, 200, `${path} ${where}`);
                const sorted = path.endsWith("/users") ? { users: (body as { users: Array<{ id: unknown }> }).users.sort((a, b) => String(a.id).localeCompare(String(b.id))) } : body;
                assert.deepEqual(sorted, expected, `${path} ${where}`);
                assert.ok(ms < PROMPT_MS, `${path} ${where} took ${ms} ms`);
              }, 3000, 20);
            }
            const { body, ms } = await apiGet(node, "/channels", { info: "subscription_count" });
            const channels = (body as { channels: Record<string, unknown> }).channels;
            assert.deepEqual(channels[open], { subscription_count: openCount }, `/channels ${where}`);
            assert.deepEqual(channels[lonely], { subscription_count: 1 }, `/channels ${where}`);
            assert.deepEqual(channels[presence], {}, `/channels ${where}`);
            assert.ok(ms < PROMPT_MS, `/channels ${where} took ${ms} ms`);

            const started = Date.now();
            const triggered = await node.sdk.trigger([open, presence], "counted", {}, { info: "user_count,subscription_count" });
            assert.deepEqual(await triggered.json(), {
              channels: { [open]: { subscription_count: openCount }, [presence]: { user_count: 2 } },
            }, `/events with info ${where}`);
            assert.ok(Date.now() - started < PROMPT_MS, `/events with info ${where} took ${Date.now() - started} ms`);
          }
        } finally {
          await closePeers(...peers);
        }
      });

      it("lets a node started later learn the members and cached events already in the cluster", async () => {
        const [room, cache] = [unique("presence-late-"), unique("cache-late-")];
        const early = await openPeer(nodes[0]!);
        let late: ScalingNode | undefined;
        let newcomer: Peer | undefined;
        try {
          await subscribe(early, room, "early");
          await subscribe(early, cache);
          await early.client.next(); // cache_miss
          await nodes[0]!.sdk.trigger(cache, "kept", "for later");
          assert.equal((await early.client.next()).raw, JSON.stringify({ event: "kept", data: "for later", channel: cache }));

          [late] = await startNodes([runtimes[0]!], redis, channel);
          const node = late!;
          await usersOn(node, room, ["early"]);
          await eventually(() => apiGet(node, `/channels/${cache}`, { info: "cache" }), ({ body }) => {
            assert.deepEqual(body, { occupied: true, cache: { event: "kept", data: "for later", channel: cache } });
          }, 3000, 20);
          newcomer = await openPeer(node);
          const succeeded = await subscribe(newcomer, room, "newcomer");
          assert.deepEqual(succeeded.data, { presence: { count: 2, ids: ["newcomer", "early"], hash: { newcomer: { name: "User newcomer" }, early: { name: "User early" } } } });
          assert.equal((await early.client.next()).raw, memberAdded(room, "newcomer"));
          await subscribe(newcomer, cache);
          assert.equal((await newcomer.client.next()).raw, JSON.stringify({ event: "kept", data: "for later", channel: cache }));
        } finally {
          await closePeers(early, newcomer);
          await late?.stop();
        }
      });

      it("counts presence subscriptions without user_id as one user in user_count on every node", async () => {
        const name = unique("presence-anon-");
        const anonymous = await openPeer(nodes[0]!);
        try {
          // Signed channel_data without user_id (accepted, as Reverb does).
          const channelData = "{}";
          const signature = createHmac("sha256", APP_A.secret).update(`${anonymous.socketId}:${name}:${channelData}`).digest("hex");
          anonymous.client.send({ event: "pusher:subscribe", data: { channel: name, auth: `${APP_A.key}:${signature}`, channel_data: channelData } });
          assert.equal((await anonymous.client.next()).event, "pusher_internal:subscription_succeeded");
          for (const node of nodes) {
            await eventually(() => apiGet(node, `/channels/${name}`, { info: "user_count" }), ({ body }) => {
              assert.deepEqual(body, { occupied: true, user_count: 1 }, `on the ${node.runtime} node ${nodes.indexOf(node)}`);
            }, 3000, 20);
          }
        } finally {
          await closePeers(anonymous);
        }
      });

      it("counts the open connections of every node in /connections, promptly", async () => {
        const sockets: Peer[] = [];
        try {
          sockets.push(await openPeer(nodes[0]!, COUNTED.key));
          for (const node of nodes) sockets.push(await openPeer(node, COUNTED.key));
          await subscribe(sockets[1]!, unique("counted-"));
          for (const node of nodes) {
            const sdk = serverSdk(node.port, credentials(COUNTED));
            const { body, ms } = await apiGet(node, "/connections", {}, sdk);
            assert.deepEqual(body, { connections: nodes.length + 1 }, `on the ${node.runtime} node ${nodes.indexOf(node)}`);
            assert.ok(ms < PROMPT_MS, `/connections took ${ms} ms`);
          }
          await sockets.at(-1)!.client.close();
          for (const node of nodes) {
            const sdk = serverSdk(node.port, credentials(COUNTED));
            await eventually(() => apiGet(node, "/connections", {}, sdk), ({ body }) => assert.deepEqual(body, { connections: nodes.length }), 3000, 20);
          }
        } finally {
          await closePeers(...sockets);
        }
      });
    });
  }
});
