/** @module A broker that stops answering with its connections open, a silently lost subscription, a paused node: judged by a node's own heartbeats. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { APP_A } from "../support/fixtures.ts";
import { createCluster, user } from "../support/cluster-harness.ts";

type Frame = { event: string; data?: unknown };
const members = (frames: Frame[]) =>
  frames.filter((frame) => frame.event.startsWith("pusher_internal:member_")).map((frame) => `${frame.event.slice(23)}:${(frame.data as { user_id: number }).user_id}`);
const events = (frames: Frame[], name: string) => frames.filter((frame) => frame.event === name);

describe("cluster over a stalled link", () => {
  it("a broker that stops answering but keeps its connections: nobody is expired, nothing arrives late, state converges after", async () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    const peer = b!.connect();
    peer.subscribe("presence-room", { channelData: user(2) });
    watcher.take();
    peer.take();

    bus.freeze(); // SIGSTOP: publishes are accepted and held
    clock.advance(1000);
    await b!.broker.publish(APP_A, { name: "early", data: "{}", channels: ["presence-room"] });
    clock.advance(CLUSTER_DEFAULTS.lateMs + 1000);
    for (const node of [a!, b!]) assert.match(node.log.join("\n"), /No message has come back over the memory bus for 2 s although the connection is open/);
    await b!.broker.publish(APP_A, { name: "meanwhile", data: "{}", channels: ["presence-room"] });
    b!.connect().subscribe("presence-room", { channelData: user(3) }); // joins while the broker is frozen
    clock.advance(8000 - 1000 - CLUSTER_DEFAULTS.lateMs - 1000);
    assert.equal(a!.broker.clusterStatus().connected, false, "the dashboard shows the link down");
    assert.deepEqual(members(watcher.take()), [], "nobody expired while frozen");
    assert.deepEqual(members(peer.take()), ["added:3"], "B's own clients are served at once");

    bus.thaw(); // SIGCONT: the backlog is released at once
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 2);
    const seen = watcher.take();
    assert.deepEqual(events(seen, "meanwhile"), [], "an event published while stalled is never delivered late");
    for (const node of [a!, b!]) assert.match(node.log.join("\n"), /Messages flow again over the memory bus; resynchronising/);
    assert.deepEqual(members(seen), ["added:3"], "the member who joined meanwhile appears, nobody flaps");
    assert.deepEqual(members(peer.take()), []);
    assert.deepEqual(await a!.broker.users(APP_A, "presence-room"), [1, 2, 3]);
    assert.equal(a!.broker.clusterStatus().connected, true);
    await b!.broker.publish(APP_A, { name: "after", data: "{}", channels: ["presence-room"] });
    assert.equal(events(watcher.take(), "after").length, 1, "cross-node delivery resumes");
  });

  it("a freeze shorter than the lateness limit is ridden out without a resync or a log line", async () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("news");
    b!.connect().subscribe("news");
    bus.freeze();
    await b!.broker.publish(APP_A, { name: "held", data: "{}", channels: ["news"] });
    clock.advance(CLUSTER_DEFAULTS.lateMs - 500);
    bus.thaw();
    assert.equal(events(watcher.take(), "held").length, 1, "held for less than lateMs: delivered");
    clock.advance(5000);
    assert.doesNotMatch(a!.log.join("\n"), /No message has come back/);
  });

  it("a subscription lost without a disconnect is renewed and the node catches up (a Redis Cluster shard failover)", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    b!.connect().subscribe("presence-room", { channelData: user(2) });
    watcher.take();
    a!.link.deaf = true; // ioredis still says ready, but A's subscription is gone
    clock.advance(CLUSTER_DEFAULTS.lateMs + 1000);
    assert.equal(a!.link.renewals, 1, "a fresh subscription is asked for");
    assert.match(a!.log.join("\n"), /No message has come back over the memory bus/);
    b!.connect().subscribe("presence-room", { channelData: user(3) });
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 2);
    assert.match(a!.log.join("\n"), /Messages flow again/);
    assert.deepEqual(members(watcher.take()), ["added:3"], "no member_removed for B's user, and the new one appears");
    await b!.broker.publish(APP_A, { name: "after", data: "{}", channels: ["presence-room"] });
    assert.equal(events(watcher.take(), "after").length, 1);
  });

  it("keeps asking for a fresh subscription while its messages still do not come back", () => {
    const { clock, nodes: [a] } = createCluster(2);
    a!.link.deaf = true;
    a!.link.renew = function () {
      this.renewals++; // the failover is not over: the renewed subscription hears nothing either
    };
    clock.advance(CLUSTER_DEFAULTS.lateMs + 1000 + 10_000);
    assert.equal(a!.link.renewals, 3);
    assert.equal(a!.log.filter((line) => line.includes("No message has come back")).length, 1, "logged once");
  });

  it("a node whose own process was paused does not expire the others when it wakes, and drops what was queued for it", async () => {
    const { clock, nodes: [a], add } = createCluster(1);
    const ownClock = new FakeClock(clock.now());
    const sleeper = add("B", ownClock);
    const watcher = a!.connect();
    watcher.subscribe("presence-room", { channelData: user(1) });
    const local = sleeper.connect();
    local.subscribe("presence-room", { channelData: user(2) });
    local.take();

    sleeper.link.holding = true; // SIGSTOP of B: it neither reads its socket nor runs its timers
    clock.advance(8000); // A runs on, and rightly expires B after 5 s
    await a!.broker.publish(APP_A, { name: "while-asleep", data: "{}", channels: ["presence-room"] });
    ownClock.jump(8000); // SIGCONT: B's overdue timers fire first
    sleeper.link.release(); // then B reads what was queued for it
    assert.doesNotMatch(sleeper.log.join("\n"), /has been silent/, "B does not blame A for its own pause");
    assert.match(sleeper.log.join("\n"), /timers ran over 2 s late/);
    assert.deepEqual(members(local.take()), [], "no member_removed for A's user on B");
    assert.deepEqual(events(local.take(), "while-asleep"), []);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      ownClock.advance(1000);
    }
    assert.deepEqual(await sleeper.broker.users(APP_A, "presence-room"), [2, 1]);
    assert.deepEqual(members(local.take()), []);
    await a!.broker.publish(APP_A, { name: "after", data: "{}", channels: ["presence-room"] });
    assert.equal(events(local.take(), "after").length, 1);
  });
});
