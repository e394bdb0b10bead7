/** @module A broker that delivers a node's message after later ones of the same node: old state never undoes new. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { APP_A } from "../support/fixtures.ts";
import { createCluster, user } from "../support/cluster-harness.ts";

type Frame = { event: string; data?: unknown };
const members = (frames: Frame[]) =>
  frames.filter((frame) => frame.event.startsWith("pusher_internal:member_")).map((frame) => `${frame.event.slice(23)}:${(frame.data as { user_id: number }).user_id}`);

describe("cluster messages delivered out of order", () => {
  it("a snapshot overtaken by the member who joined after it does not remove that member (a node starting on Redis Cluster)", async () => {
    const { clock, nodes: [a], add } = createCluster(1);
    a!.link.detain = 1; // A's answer to the newcomer's hello is retried by the client library
    const b = add("B");
    const watcher = b.connect();
    watcher.subscribe("presence-room", { channelData: user(2) });
    a!.connect().subscribe("presence-room", { channelData: user(1) });
    assert.deepEqual(members(watcher.take()), ["added:1"]);
    a!.link.overtaken(); // the empty snapshot A sent before its member joined arrives now
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 5);
    assert.deepEqual(members(watcher.take()), [], "no member_removed, and no flap back");
    assert.deepEqual((await b.broker.users(APP_A, "presence-room"))?.sort(), [1, 2]);
  });

  it("a join that arrives after the same member's leave leaves no ghost member", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const watcher = b!.connect();
    watcher.subscribe("presence-room", { channelData: user(2) });
    const leaving = a!.connect();
    a!.link.detain = 2; // the channel's occupied and the member's joined
    leaving.subscribe("presence-room", { channelData: user(1) });
    leaving.disconnect();
    a!.link.overtaken();
    assert.deepEqual(members(watcher.take()), [], "user 1 was never announced: it left before anyone could see it");
    assert.deepEqual(await b!.broker.users(APP_A, "presence-room"), [2]);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 5);
    assert.deepEqual(members(watcher.take()), []);
    assert.deepEqual(await b!.broker.users(APP_A, "presence-room"), [2]);
  });

  it("events are delivered whatever their order: none is dropped for arriving late", async () => {
    const { nodes: [a, b] } = createCluster(2);
    const watcher = b!.connect();
    watcher.subscribe("news");
    a!.connect().subscribe("news");
    a!.link.detain = 1;
    await a!.broker.publish(APP_A, { name: "first", data: "{}", channels: ["news"] });
    await a!.broker.publish(APP_A, { name: "second", data: "{}", channels: ["news"] });
    a!.link.overtaken();
    assert.deepEqual(watcher.take().filter((frame) => !frame.event.startsWith("pusher")).map((frame) => frame.event), ["second", "first"]);
  });
});
