/** @module Cluster resilience on in-process nodes: dead nodes expire, outages heal, lost messages resync, junk is dropped. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { APP_A } from "../support/fixtures.ts";
import { createCluster, user } from "../support/cluster-harness.ts";

const removed = (frames: Array<{ event: string; data?: unknown }>) =>
  frames.filter((frame) => frame.event === "pusher_internal:member_removed").map((frame) => frame.data);
const added = (frames: Array<{ event: string; data?: unknown }>) =>
  frames.filter((frame) => frame.event === "pusher_internal:member_added").map((frame) => frame.data);

describe("cluster resilience", () => {
  it("drops a node that falls silent, with its members, after the expiry time and not before", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    b!.connect().subscribe("presence-room", { channelData: user(2) });
    watcher.take();
    b!.link.closed = true; // the process died: no bye, no more heartbeats
    clock.advance(CLUSTER_DEFAULTS.expiryMs - 1000);
    assert.deepEqual(removed(watcher.take()), []);
    clock.advance(2000);
    assert.deepEqual(removed(watcher.take()), [{ user_id: 2 }]);
    assert.deepEqual(await a!.broker.users(APP_A, "presence-room"), [1]);
    assert.match(a!.log.join("\n"), /Cluster node B has been silent/);
  });

  it("answers gathered counts within the gather timeout when a node does not answer", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    a!.connect();
    b!.connect();
    b!.link.closed = true;
    let count: number | undefined;
    void a!.broker.connectionCount(APP_A).then((value) => (count = value));
    clock.advance(CLUSTER_DEFAULTS.gatherTimeoutMs - 1);
    await Promise.resolve();
    assert.equal(count, undefined);
    clock.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(count, 1);
  });

  it("forgets a node that says goodbye at once", async () => {
    const { nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    b!.connect().subscribe("presence-room", { channelData: user(2) });
    watcher.take();
    await b!.core.shutdown();
    assert.deepEqual(removed(watcher.take()), [{ user_id: 2 }]);
  });

  it("keeps serving local clients through an outage, keeps peers, logs once, and converges after reconnecting", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    const peer = b!.connect();
    peer.subscribe("presence-room", { channelData: user(2) });
    watcher.take();
    peer.take();

    a!.link.setConnected(false);
    const local = a!.connect();
    local.subscribe("news");
    await a!.broker.publish(APP_A, { name: "local", data: "{}", channels: ["news"] });
    assert.equal(local.take().length, 1, "local delivery works without Redis");
    b!.connect().subscribe("presence-room", { channelData: user(3) }); // joins while A cannot hear
    clock.advance(CLUSTER_DEFAULTS.expiryMs * 3);
    assert.deepEqual(removed(watcher.take()), [], "peers are not expired while this node is the one cut off");
    assert.equal(a!.log.filter((line) => line.includes("Lost the connection to the memory bus")).length, 1);

    a!.link.setConnected(true);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 2);
    assert.deepEqual(added(watcher.take()), [user(3)], "the member who joined during the outage appears");
    assert.match(a!.log.join("\n"), /Reconnected to the memory bus/);
    await b!.broker.publish(APP_A, { name: "again", data: "{}", channels: ["presence-room"] });
    assert.deepEqual(watcher.take().map((frame) => frame.event), ["again"]);
  });

  it("repairs a replica that missed a message, through the heartbeat digest", () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    watcher.take();
    // A misses B's join (as if the message were lost) without noticing an outage.
    a!.link.closed = true;
    b!.connect().subscribe("presence-room", { channelData: user(5) });
    a!.link.closed = false;
    assert.deepEqual(added(watcher.take()), []);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs);
    assert.deepEqual(added(watcher.take()), [user(5)]);
    assert.ok(bus.log.some((message) => message.includes('"type":"sync"')));
  });

  it("logs and drops malformed or foreign messages and keeps working", async () => {
    const { bus, nodes: [a, b] } = createCluster(2);
    const listener = b!.connect();
    listener.subscribe("news");
    for (const junk of ["garbage", "{}", '{"v":99,"node":"X","type":"event"}', '{"v":1,"node":"X","type":"event","app":"123456"}', "[1,2]"]) {
      bus.inject(junk);
    }
    assert.equal(b!.log.filter((line) => line.startsWith("warn: Dropped a cluster message")).length, 1, "logged, at most once a minute");
    await a!.broker.publish(APP_A, { name: "still", data: "{}", channels: ["news"] });
    assert.equal(listener.take().length, 1);
  });

  it("ignores messages for apps it does not serve", () => {
    const { bus, nodes: [a] } = createCluster(1);
    bus.inject(JSON.stringify({ v: 1, node: "Z", type: "terminate", app: "unknown-app", user: "1" }));
    assert.match(a!.log.join("\n"), /unknown app id unknown-app/);
  });
});

describe("cluster state keyed by client-chosen names", () => {
  it("replicates channels named like object members (__proto__, constructor) through snapshots and counts", async () => {
    const { clock, nodes: [a], add } = createCluster(1);
    const names = ["__proto__", "constructor", "toString"];
    const client = a!.connect();
    for (const name of names) client.subscribe(name);
    // A node that joins later learns A's channels from a full snapshot, then gathers counts from A.
    const b = add("B");
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 2);
    const facts = await b.broker.channels(APP_A, true);
    assert.deepEqual(facts.map((fact) => [fact.name, fact.subscriptionCount]).sort(), names.map((name) => [name, 1]).sort());
    for (const name of names) assert.equal((await b.broker.channel(APP_A, name, true))?.subscriptionCount, 1, name);
  });
});
