/** @module Cluster-wide presence on in-process nodes: every member visible everywhere, member events once per user. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_A } from "../support/fixtures.ts";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { createCluster, user } from "../support/cluster-harness.ts";

const CHANNEL = "presence-room";
const events = (frames: Array<{ event: string; data?: unknown }>, name: string) =>
  frames.filter((frame) => frame.event === name).map((frame) => frame.data);

describe("cluster presence", () => {
  it("shows a joiner every member on every node, with each user once", () => {
    const { nodes: [a, b, c] } = createCluster(3);
    a!.connect().subscribe(CHANNEL, { channelData: user(1) });
    b!.connect().subscribe(CHANNEL, { channelData: user(2) });
    b!.connect().subscribe(CHANNEL, { channelData: user(1, "second tab") });
    const joiner = c!.connect().subscribe(CHANNEL, { channelData: user(3) });
    const succeeded = joiner.find((frame) => frame.event === "pusher_internal:subscription_succeeded")!;
    const presence = (succeeded.data as { presence: { count: number; ids: unknown[]; hash: Record<string, unknown> } }).presence;
    assert.equal(presence.count, 3);
    assert.deepEqual(new Set(presence.ids), new Set([1, 2, 3]));
    assert.deepEqual(presence.hash["1"], { name: "user 1" });
  });

  it("sends member_added once per user to clients on every node, however many tabs the user opens", () => {
    const { nodes: [a, b] } = createCluster(2);
    const watcherA = a!.connect();
    watcherA.subscribe(CHANNEL, { channelData: user("w1") });
    const watcherB = b!.connect();
    watcherB.subscribe(CHANNEL, { channelData: user("w2") });
    watcherA.take();
    watcherB.take();
    a!.connect().subscribe(CHANNEL, { channelData: user(7) });
    b!.connect().subscribe(CHANNEL, { channelData: user(7) });
    a!.connect().subscribe(CHANNEL, { channelData: user(7) });
    assert.deepEqual(events(watcherA.take(), "pusher_internal:member_added"), [user(7)]);
    assert.deepEqual(events(watcherB.take(), "pusher_internal:member_added"), [user(7)]);
  });

  it("sends member_removed only when the user's last tab on any node closes", () => {
    const { nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe(CHANNEL, { channelData: user("w") });
    const tabOnA = a!.connect();
    tabOnA.subscribe(CHANNEL, { channelData: user(9) });
    const tabOnB = b!.connect();
    tabOnB.subscribe(CHANNEL, { channelData: user(9) });
    watcher.take();
    tabOnA.disconnect();
    assert.deepEqual(events(watcher.take(), "pusher_internal:member_removed"), []);
    tabOnB.disconnect();
    assert.deepEqual(events(watcher.take(), "pusher_internal:member_removed"), [{ user_id: 9 }]);
  });

  it("counts users and lists them over all nodes through the API broker", async () => {
    const { nodes: [a, b] } = createCluster(2);
    a!.connect().subscribe(CHANNEL, { channelData: user(1) });
    b!.connect().subscribe(CHANNEL, { channelData: user(2) });
    b!.connect().subscribe(CHANNEL, { channelData: user(1) });
    assert.deepEqual((await a!.broker.users(APP_A, CHANNEL))?.sort(), [1, 2]);
    assert.equal((await b!.broker.channel(APP_A, CHANNEL))?.userCount, 2);
    assert.equal(await a!.broker.users(APP_A, "presence-empty"), undefined);
  });

  it("gives later joiners on every node the data a member re-subscribed with, announcing nothing", () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2);
    const tab = a!.connect();
    tab.subscribe(CHANNEL, { channelData: user(1, "old name") });
    const watcher = b!.connect();
    watcher.subscribe(CHANNEL, { channelData: user(2) });
    watcher.take();
    tab.subscribe(CHANNEL, { channelData: user(1, "new name") });
    assert.deepEqual(watcher.take(), [], "no member_added or member_removed for a refresh");
    for (const node of [a!, b!]) {
      const joiner = node.connect();
      const succeeded = joiner.subscribe(CHANNEL, { channelData: user(3) }).find((frame) => frame.event === "pusher_internal:subscription_succeeded")!;
      const presence = (succeeded.data as { presence: { count: number; hash: Record<string, unknown> } }).presence;
      assert.deepEqual(presence.hash["1"], { name: "new name" }, `joiner on node ${node.id}`);
      joiner.disconnect();
    }
    const sent = bus.log.length;
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 2);
    assert.ok(!bus.log.slice(sent).some((message) => message.includes('"type":"sync"')), "the replicas' digests still agree");
  });

  it("when a user's earliest tab closes, joiners on every node see the next tab's id and data", () => {
    const { nodes: [a, b] } = createCluster(2);
    const first = a!.connect();
    first.subscribe(CHANNEL, { channelData: user(1, "first") });
    a!.connect().subscribe(CHANNEL, { channelData: user("1", "second") });
    first.disconnect();
    for (const node of [a!, b!]) {
      const succeeded = node.connect().subscribe(CHANNEL, { channelData: user(`joiner-${node.id}`) }).find((frame) => frame.event === "pusher_internal:subscription_succeeded")!;
      const presence = (succeeded.data as { presence: { ids: unknown[]; hash: Record<string, unknown> } }).presence;
      assert.deepEqual(presence.hash["1"], { name: "second" }, `joiner on node ${node.id}`);
      assert.ok(presence.ids.includes("1"), `joiner on node ${node.id}: ${JSON.stringify(presence.ids)}`);
    }
  });

  it("a presence subscription without user_id on one node empties the member list for joiners on every node (Reverb's rule)", () => {
    const { nodes: [a, b] } = createCluster(2);
    a!.connect().subscribe(CHANNEL, { channelData: { user_info: { name: "no id" } } });
    a!.connect().subscribe(CHANNEL, { channelData: user(1) });
    for (const node of [a!, b!]) {
      const succeeded = node.connect().subscribe(CHANNEL, { channelData: user(2) }).find((frame) => frame.event === "pusher_internal:subscription_succeeded")!;
      assert.deepEqual((succeeded.data as { presence: unknown }).presence, { count: 0, ids: [], hash: [] }, `joiner on node ${node.id}`);
    }
  });
});
