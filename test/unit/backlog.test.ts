/** @module Slow subscribers: a connection that stays past max_backlog_bytes, or passes 4× it, is cut with 4100, for looped and native topic fan-out. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { BACKLOG_GRACE_MS, BACKLOG_HARD_AFTER_MS, BACKLOG_HARD_FACTOR } from "../../src/limits/backlog.ts";
import { createTestCore, FakeTopics, type TestClient } from "../support/harness.ts";
import { APP_A } from "../support/fixtures.ts";

const OVER_CAPACITY = JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code: 4100, message: "Over capacity" }) });
const LIMIT = 10_000;
const HARD = BACKLOG_HARD_FACTOR * LIMIT;
const SMALL: App = { ...APP_A, maxBacklogBytes: LIMIT };

/** An event whose frame is about `size` characters, carrying its sequence number. */
function event(seq: number, size = 1_000) {
  return { name: "big", data: JSON.stringify({ seq, pad: "x".repeat(size) }), channels: ["news"] };
}

function sequenceOf(raw: string): number | undefined {
  const frame = JSON.parse(raw) as { event: string; data: string };
  return frame.event === "big" ? (JSON.parse(frame.data) as { seq: number }).seq : undefined;
}

function setup(options: { topics?: FakeTopics; app?: App } = {}) {
  const app = options.app ?? SMALL;
  const env = createTestCore({ apps: [app], ...(options.topics && { topics: options.topics }) });
  const join = (channel = "news"): TestClient => {
    const client = env.connect(app);
    client.subscribe(channel);
    client.take();
    return client;
  };
  const publish = (seq: number, size?: number) => env.core.hub.publish(app, event(seq, size));
  return { ...env, app, join, publish };
}

for (const mode of ["per-write check (Node, Deno)", "native topics (Bun)"] as const) {
  const topics = () => (mode === "native topics (Bun)" ? { topics: new FakeTopics() } : {});

  describe(`slow subscribers, ${mode}`, () => {
    it("closes a client that stopped reading with 4100 after a gap-free prefix; readers get everything", () => {
      const { core, clock, join, publish } = setup(topics());
      const cutOff: string[] = [];
      core.hub.events.on("overCapacity", (event) => void cutOff.push(event.socketId));
      const readers = [join(), join()];
      const slow = join();
      slow.socket.stalled = true;
      for (let seq = 0; seq < 200; seq++) {
        publish(seq);
        clock.advance(2); // steady publishing, 400 ms in all: no sweep yet
      }

      for (const reader of readers) {
        assert.deepEqual(reader.takeRaw().map(sequenceOf), Array.from({ length: 200 }, (_, i) => i));
        assert.equal(reader.socket.closedWith, undefined);
      }
      const got = slow.takeRaw();
      assert.equal(got.at(-1), OVER_CAPACITY);
      const seqs = got.slice(0, -1).map(sequenceOf);
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), "a prefix with no gap");
      // Past the limit it was watched; it was cut once it passed the hard bound (4× the limit) 100 ms on, no sweep yet.
      assert.ok(seqs.length >= HARD / 1_100 && seqs.length < 200, `cut after ${seqs.length} events`);
      assert.deepEqual(slow.socket.closedWith, { code: 4100, reason: "Over capacity" });
      assert.deepEqual(cutOff, [slow.socketId]);
      // Gone from the hub and the channel: nothing more is queued for it.
      assert.equal(slow.connection.isClosed, true);
      assert.equal(core.hub.state(SMALL).channels.find("news")?.subscribers.has(slow.connection), false);
      assert.equal(core.hub.state(SMALL).connections.has(slow.socketId), false);
    });

    it("cuts off a client that stays past the limit for the grace period, even well under the hard bound", () => {
      const { core, clock, join, publish } = setup(topics());
      const reader = join();
      const slow = join();
      slow.socket.stalled = true;
      let seq = 0;
      while (slow.socket.unsent <= LIMIT + 2_000) publish(seq++); // past the limit, far under 4×
      const watchedAt = clock.now();
      assert.equal(slow.socket.closedWith, undefined, "not cut at once");
      assert.equal(core.hub.slowClients.size, 1);
      clock.advance(BACKLOG_GRACE_MS - 1);
      // A sweep may have run already, but not one a full grace period after it was first seen behind.
      if (clock.now() - watchedAt < BACKLOG_GRACE_MS) assert.equal(slow.socket.closedWith, undefined);
      clock.advance(1_000); // the next sweep
      assert.deepEqual(slow.socket.closedWith, { code: 4100, reason: "Over capacity" });
      const got = slow.takeRaw();
      assert.equal(got.at(-1), OVER_CAPACITY);
      assert.deepEqual(got.slice(0, -1).map(sequenceOf), Array.from({ length: seq }, (_, i) => i), "every event sent before the cut, no gap");
      assert.equal(core.hub.slowClients.size, 0);
      assert.equal(reader.socket.closedWith, undefined);
    });

    it("keeps a client that takes a burst larger than the limit and reads it within the grace period", () => {
      const { core, clock, join, publish } = setup(topics());
      const burst = join();
      burst.socket.stalled = true; // what the runtime has not handed to the kernel yet counts as unsent
      for (let seq = 0; seq < 3 * (LIMIT / 1_000); seq++) publish(seq); // 3× the limit in one turn
      assert.equal(burst.socket.closedWith, undefined);
      burst.socket.stalled = false;
      burst.socket.drain(); // the runtime flushed it and the client read it
      clock.advance(2 * BACKLOG_GRACE_MS);
      assert.equal(burst.socket.closedWith, undefined);
      assert.equal(core.hub.slowClients.size, 0, "forgotten once caught up");
      // A later backlog starts a new grace period.
      burst.socket.stalled = true;
      for (let seq = 0; seq < 2 * (LIMIT / 1_000); seq++) publish(seq);
      assert.equal(burst.socket.closedWith, undefined);
      clock.advance(2 * BACKLOG_GRACE_MS);
      assert.deepEqual(burst.socket.closedWith as unknown, { code: 4100, reason: "Over capacity" });
    });

    it("never cuts a client for one turn's burst past the hard bound (several big batches at once), if it reads it", () => {
      const { clock, join, publish } = setup(topics());
      const client = join();
      client.socket.stalled = true; // the turn's writes are all unsent until the turn is over
      for (let seq = 0; seq < 6 * (LIMIT / 1_000); seq++) publish(seq); // 6× the limit at one instant
      assert.equal(client.socket.closedWith, undefined);
      client.socket.drain();
      clock.advance(BACKLOG_HARD_AFTER_MS + 2 * BACKLOG_GRACE_MS);
      assert.equal(client.socket.closedWith, undefined);
      assert.equal(client.takeRaw().length, 6 * (LIMIT / 1_000));
    });

    it("never cuts a client for one frame larger than the hard bound (a big presence roster), if it reads it", () => {
      const { clock, join, publish } = setup(topics());
      const client = join();
      client.socket.stalled = true;
      publish(0, 5 * LIMIT);
      assert.equal(client.socket.closedWith, undefined);
      client.socket.drain();
      clock.advance(2 * BACKLOG_GRACE_MS);
      assert.equal(client.socket.closedWith, undefined);
      assert.equal(client.takeRaw().length, 1);
    });

    it("keeps a client that is behind but within the limit, and one that catches up", () => {
      const { join, publish } = setup(topics());
      const lagging = join();
      lagging.socket.stalled = true;
      for (let seq = 0; seq < 5; seq++) publish(seq); // about 5 KB behind, under 10 KB
      lagging.socket.drain();
      for (let seq = 5; seq < 100; seq++) {
        publish(seq);
        if (seq % 4 === 0) lagging.socket.drain(); // reads now and then
      }
      assert.equal(lagging.socket.closedWith, undefined);
      assert.equal(lagging.takeRaw().length, 100);
    });

    it("bounds the unsent bytes of every connection, whatever the mix of channels, joins and stalls", () => {
      const env = setup(topics());
      let seed = 7;
      const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
      const channels = ["a", "b", "c"];
      const clients: TestClient[] = [];
      for (let i = 0; i < 8; i++) {
        const client = env.connect(env.app);
        client.socket.stalled = i % 3 === 0;
        client.subscribe(channels[i % 3]!);
        clients.push(client);
      }
      const maxFrame = 3_200;
      for (let step = 0; step < 3_000; step++) {
        const choice = random(10);
        const client = clients[random(clients.length)]!;
        if (choice === 0) client.subscribe(channels[random(3)]!);
        else if (choice === 1) client.socket.drain();
        else if (choice === 2) env.clock.advance(300); // sweeps now and then
        else env.core.hub.publish(env.app, { name: "big", data: "y".repeat(random(3_000)), channels: [channels[random(3)]!] });
        for (const c of clients) {
          if (c.connection.isClosed) continue;
          assert.ok(c.socket.unsent <= HARD + LIMIT / 4 + maxFrame, `step ${step}: ${c.socket.unsent} unsent`);
        }
      }
      assert.ok(clients.some((c) => c.socket.closedWith?.code === 4100), "some stalled client was cut off");
    });
  });
}

describe("slow subscribers, native topics: joining a channel", () => {
  it("a client already past the limit is cut off when it joins a channel scanned more recently", () => {
    const topics = new FakeTopics();
    const env = setup({ topics });
    const { connect, core, app } = env;
    const readerA = connect(app);
    readerA.subscribe("a");
    const readerB = connect(app);
    readerB.subscribe("b");
    const slow = connect(app);
    slow.subscribe("a");
    slow.socket.stalled = true;
    const send = (channel: string, size: number) => {
      core.hub.publish(app, { name: "e", data: "x".repeat(size), channels: [channel] });
      env.clock.advance(5); // steady publishing
    };
    // On "a" the slow client passes the limit between two scans (scans every quarter of the limit)...
    while (slow.socket.unsent <= HARD) send("a", 950);
    assert.equal(slow.socket.closedWith, undefined, "not scanned yet");
    // ...then joins "b", whose last scan is more recent than the slow client's last check.
    send("b", 10);
    slow.subscribe("b");
    send("b", 2_300);
    const largestFrame = Math.max(...slow.socket.sent.map((frame) => frame.length));
    assert.deepEqual(slow.socket.closedWith, { code: 4100, reason: "Over capacity" });
    assert.ok(slow.socket.unsent <= HARD + LIMIT / 4 + largestFrame, `${slow.socket.unsent} unsent`);
  });
});

describe("slow subscribers, cost of the check", () => {
  it("per write: one O(1) read of the unsent count per frame sent", () => {
    const { join, publish } = setup();
    const client = join();
    const before = client.socket.checks;
    for (let seq = 0; seq < 50; seq++) publish(seq);
    assert.equal(client.socket.checks - before, 50);
  });

  it("native topics: no per-subscriber check while every client keeps up", () => {
    const topics = new FakeTopics();
    const { join, publish } = setup({ topics });
    const clients = Array.from({ length: 20 }, () => join());
    const before = clients.map((c) => c.socket.checks);
    for (let seq = 0; seq < 500; seq++) publish(seq);
    assert.equal(topics.publishes, 500);
    assert.deepEqual(clients.map((c, i) => c.socket.checks - before[i]!), clients.map(() => 0));
  });

  it("native topics: with a lagging client, a scan per slack's worth of published bytes, not per publish", () => {
    const topics = new FakeTopics();
    const { join, publish } = setup({ topics, app: { ...APP_A, maxBacklogBytes: 1_000_000 } });
    const clients = Array.from({ length: 20 }, () => join());
    clients[0]!.socket.stalled = true; // behind, but never past 1 MB here
    const before = clients[1]!.socket.checks;
    for (let seq = 0; seq < 500; seq++) publish(seq); // about 510 KB in all
    const scans = clients[1]!.socket.checks - before;
    // slack is a quarter of the limit: about 510 KB / 250 KB, plus the first publish that reported a backlog.
    assert.ok(scans >= 1 && scans <= 3, `${scans} scans for 500 publishes`);
    assert.equal(clients[0]!.socket.closedWith, undefined);
  });
});

describe("slow subscribers, presence", () => {
  it("a member cut off for being slow leaves: the others get member_removed", () => {
    const app = SMALL;
    const env = createTestCore({ apps: [app] });
    const alice = env.connect(app);
    alice.subscribe("presence-room", { channelData: { user_id: "alice" } });
    const bob = env.connect(app);
    bob.subscribe("presence-room", { channelData: { user_id: "bob" } });
    alice.take();
    bob.socket.stalled = true;
    for (let seq = 0; seq < 20; seq++) {
      env.core.hub.publish(app, { ...event(seq), channels: ["presence-room"] });
    }
    env.clock.advance(2 * BACKLOG_GRACE_MS);
    assert.equal(bob.socket.closedWith?.code, 4100);
    const removed = alice.take().filter((f) => f.event === "pusher_internal:member_removed");
    assert.deepEqual(removed.map((f) => f.data), [{ user_id: "bob" }]);
  });
});
