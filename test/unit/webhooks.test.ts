/** @module Webhooks in process: Pusher's payloads and signature, filters, batching, retries, the bounded queue, the cluster's leader. */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { createServer, type ResoundServer } from "../../src/server.ts";
import { systemClock } from "../../src/support/clock.ts";
import type { Logger } from "../../src/support/logger.ts";
import { WEBHOOK_EVENT_TYPES, type Webhook, type WebhookEventType } from "../../src/webhooks/webhook.ts";
import type { WebhookQueueOptions } from "../../src/webhooks/webhook-queue.ts";
import { createCluster } from "../support/cluster-harness.ts";
import { APP_A } from "../support/fixtures.ts";
import { TestClient } from "../support/harness.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";

const FAST = { batchDelayMs: 10, firstRetryMs: 50, maxRetryMs: 100, timeoutMs: 500 };
const hook = (url: string, overrides: Partial<Webhook> = {}): Webhook => ({
  url,
  eventTypes: WEBHOOK_EVENT_TYPES,
  headers: {},
  channelNameStartsWith: null,
  channelNameEndsWith: null,
  ...overrides,
});
const credentials = { appId: APP_A.id, key: APP_A.key, secret: APP_A.secret };

describe("webhooks, one node", () => {
  let receiver: WebhookReceiver;
  let core: ResoundServer;
  const errors: string[] = [];
  const logger: Logger = { info() {}, warn() {}, error: (line) => void errors.push(line), debug() {}, debugEnabled: false };
  const start = (webhooks: Webhook[], options: Partial<WebhookQueueOptions> = FAST) => {
    const app: App = { ...APP_A, webhooks };
    core = createServer({ apps: [app], clock: systemClock, logger, webhookOptions: options });
    return { app, connect: () => new TestClient(core.hub.session(app.key, null)) };
  };
  before(async () => {
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  it("sends Pusher's events, signed so the pusher SDK's webhook() accepts them", async () => {
    const { connect } = start([hook(receiver.url, { headers: { Authorization: "Bearer secret-token" } })]);
    try {
      const alice = connect();
      alice.subscribe("presence-room", { channelData: { user_id: 7, user_info: { name: "Alice" } } });
      alice.send('{"event":"client-typing","channel":"presence-room","data":{"typing":true}}');
      alice.subscribe("cache-prices");
      alice.disconnect();
      const events = await receiver.waitFor((all) => all.some((e) => e.name === "channel_vacated" && e.channel === "presence-room"));
      const shapes = events.map(({ name, ...rest }) => [name, rest]);
      assert.deepEqual(shapes.filter(([name]) => name !== "subscription_count"), [
        ["channel_occupied", { channel: "presence-room" }],
        ["member_added", { channel: "presence-room", user_id: "7" }],
        ["client_event", { channel: "presence-room", event: "client-typing", data: '{"typing":true}', socket_id: alice.socketId, user_id: "7" }],
        ["channel_occupied", { channel: "cache-prices" }],
        ["cache_miss", { channel: "cache-prices" }],
        ["member_removed", { channel: "presence-room", user_id: "7" }],
        ["channel_vacated", { channel: "presence-room" }],
        ["channel_vacated", { channel: "cache-prices" }],
      ]);
      assert.ok(receiver.allValid(credentials));
      const first = receiver.received[0]!;
      assert.equal(first.headers["x-pusher-key"], APP_A.key);
      assert.equal(first.headers["authorization"], "Bearer secret-token");
      assert.equal(typeof (JSON.parse(first.body) as { time_ms: unknown }).time_ms, "number");
    } finally {
      await core.shutdown();
    }
  });

  it("batches events that come together into one request", async () => {
    const before = receiver.received.length;
    const { connect } = start([hook(receiver.url, { eventTypes: ["channel_occupied"] })], { ...FAST, batchDelayMs: 100 });
    try {
      const client = connect();
      for (let i = 0; i < 20; i++) client.subscribe(`room-${i}`);
      await receiver.waitFor((all) => all.filter((e) => e.name === "channel_occupied" && e.channel.startsWith("room-")).length === 20);
      assert.equal(receiver.received.length - before, 1);
    } finally {
      await core.shutdown();
    }
  });

  it("retries a failed delivery with the same body until the endpoint takes it", async () => {
    const before = receiver.received.length;
    receiver.fail(2, 503);
    const { connect } = start([hook(receiver.url, { eventTypes: ["channel_occupied"] })]);
    try {
      connect().subscribe("retried");
      await receiver.waitFor((all) => all.some((e) => e.channel === "retried"));
      const attempts = receiver.received.slice(before);
      assert.deepEqual(attempts.map((a) => a.status), [503, 503, 200]);
      assert.equal(new Set(attempts.map((a) => a.body)).size, 1, "the same signed body each time");
    } finally {
      await core.shutdown();
    }
  });

  it("filters by event type and channel name", async () => {
    const { connect } = start([hook(receiver.url, { eventTypes: ["channel_occupied"], channelNameStartsWith: "private-", channelNameEndsWith: "-x" })]);
    try {
      const client = connect();
      for (const name of ["public-x", "private-y", "private-filtered-x"]) client.subscribe(name, { auth: `${APP_A.key}:none` });
      client.subscribe("private-filtered-x");
      client.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const mine = receiver.events().filter((e) => /-x$|-y$/.test(e.channel));
      assert.deepEqual(mine.map((e) => [e.name, e.channel]), [["channel_occupied", "private-filtered-x"]]);
    } finally {
      await core.shutdown();
    }
  });

  it("keeps at most maxQueue events for an endpoint that does not answer, and says what it dropped", async () => {
    errors.length = 0;
    receiver.fail(1_000, "hang");
    const { connect } = start([hook(receiver.url, { eventTypes: ["channel_occupied"] })], { ...FAST, maxQueue: 5, retryForMs: 600, timeoutMs: 200 });
    const dropped: number[] = [];
    core.events.on("webhookDropped", (event) => void dropped.push(event.events));
    try {
      const client = connect();
      for (let i = 0; i < 30; i++) client.subscribe(`q-${i}`);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const total = dropped.reduce((a, b) => a + b, 0);
      assert.ok(total >= 25, `dropped ${total} of 30`);
      assert.match(errors[0] ?? "", /Webhook http:\/\/127\.0\.0\.1:\d+\/pusher\/webhook of app 123456: dropped/);
      assert.ok(errors.length <= 2, "logged at most once a minute per endpoint (plus the first)");
    } finally {
      receiver.fail(0);
      await core.shutdown();
    }
  });
});

describe("webhooks, cluster", () => {
  /** `count` in-process nodes of an app whose webhooks go to a fresh receiver, on the cluster's fake clock. */
  async function hookedCluster(count: number, eventTypes: WebhookEventType[] = ["channel_occupied", "channel_vacated", "member_added", "member_removed"]) {
    const receiver = await startWebhookReceiver();
    const app: App = { ...APP_A, webhooks: [hook(receiver.url, { eventTypes })] };
    const cluster = createCluster(count, [app]);
    /** Moves the fake clock (by the batching delay unless told) and lets the receiver take what was sent. */
    const settle = async (ms = 200) => {
      cluster.clock.advance(ms);
      await new Promise((resolve) => setTimeout(resolve, 100));
    };
    const seen = () => receiver.events().map((e) => `${e.name}:${(e as { user_id?: string }).user_id ?? e.channel}`);
    return { ...cluster, receiver, app, settle, seen };
  }

  it("sends cluster-wide events once, from the leader, and reports a dead node's channels and members", async () => {
    const { receiver, app, settle, clock, nodes: [a, b, c] } = await hookedCluster(3);
    try {
      for (const node of [a!, b!, c!]) node.connect(app).subscribe("presence-room", { channelData: { user_id: "u1" } });
      await settle();
      assert.deepEqual(receiver.events().map((e) => e.name), ["channel_occupied", "member_added"]);
      a!.link.closed = true; // node A, the leader (lowest id), dies: B takes over
      clock.advance(10_000);
      await settle();
      assert.deepEqual(receiver.events().map((e) => e.name), ["channel_occupied", "member_added"], "B and C still have the user");
      for (const connection of c!.core.hub.state(app).connections.values()) connection.closed();
      await settle();
      assert.deepEqual(receiver.events().map((e) => e.name), ["channel_occupied", "member_added"], "the user is still on B");
      b!.link.closed = true; // B, now the leader, dies with the user's last socket: C reports it
      clock.advance(10_000);
      await settle();
      assert.deepEqual(receiver.events().map((e) => e.name), ["channel_occupied", "member_added", "member_removed", "channel_vacated"]);
    } finally {
      await receiver.close();
    }
  });

  it("a node that joins or restarts repeats no member_added or channel_occupied, whatever its id; it leads once settled", async () => {
    const { receiver, app, settle, seen, bus, nodes: [a, b], add } = await hookedCluster(2);
    try {
      a!.connect(app).subscribe("presence-room", { channelData: { user_id: "u1" } });
      b!.connect(app).subscribe("presence-room", { channelData: { user_id: "u2" } });
      await settle(3_000);
      assert.deepEqual(seen(), ["channel_occupied:presence-room", "member_added:u1", "member_added:u2"]);
      bus.freeze(); // the others' answers arrive once the new nodes are running, as over a network
      const first = add("0"); // a lower id than A's: the leader-to-be, learning the cluster's state
      const last = add("Z");
      bus.thaw();
      await settle(3_000);
      assert.deepEqual(seen(), ["channel_occupied:presence-room", "member_added:u1", "member_added:u2"], "nothing repeated");
      first.connect(app).subscribe("presence-room", { channelData: { user_id: "u3" } });
      last.connect(app).subscribe("presence-room", { channelData: { user_id: "u4" } });
      await settle();
      assert.deepEqual(seen().slice(3), ["member_added:u3", "member_added:u4"], "once each, from the new leader");
    } finally {
      await receiver.close();
    }
  });

  it("the leader shutting down hands over first: its members' member_removed and its channels' channel_vacated are sent", async () => {
    const { receiver, app, settle, seen, nodes: [a, b] } = await hookedCluster(2);
    try {
      a!.connect(app).subscribe("presence-room", { channelData: { user_id: "x" } });
      a!.connect(app).subscribe("only-on-a");
      b!.connect(app).subscribe("presence-room", { channelData: { user_id: "y" } });
      await settle(3_000);
      assert.equal(seen().length, 4);
      const stopped = a!.core.shutdown(); // A, the leader (lowest id), stops gracefully
      for (const connection of [...a!.core.hub.state(app).connections.values()]) connection.closed();
      await settle(600); // A stays on the channel for a moment after closing its clients
      await stopped;
      await settle();
      assert.deepEqual(seen().slice(4).sort(), ["channel_vacated:only-on-a", "member_removed:x"]);
    } finally {
      await receiver.close();
    }
  });

  it("nodes that all stop at once each report their own members: every member_removed once", async () => {
    const { receiver, app, settle, nodes } = await hookedCluster(3, ["member_added", "member_removed"]);
    try {
      nodes.forEach((node, i) => node.connect(app).subscribe("presence-room", { channelData: { user_id: `u${i}` } }));
      await settle(3_000);
      assert.equal(receiver.events().length, 3);
      const stopped = Promise.all(nodes.map((node) => node.core.shutdown())); // resound restart: every node at once
      await settle(600);
      await stopped;
      await settle();
      for (const user of ["u0", "u1", "u2"]) {
        const removals = receiver.events().filter((e) => e.name === "member_removed" && e["user_id"] === user).length;
        assert.equal(removals, 1, `${user}: ${removals} member_removed`);
      }
    } finally {
      await receiver.close();
    }
  });

  it("when the leader dies, its successor sends what happened after it was last heard", async () => {
    const { receiver, app, settle, seen, nodes: [a, b, c] } = await hookedCluster(3);
    try {
      const leaving = c!.connect(app);
      leaving.subscribe("presence-room", { channelData: { user_id: "leaves" } });
      b!.connect(app).subscribe("presence-room", { channelData: { user_id: "stays" } });
      await settle(3_000);
      assert.equal(seen().length, 3);
      a!.link.closed = true; // A, the leader, dies silently (kill -9)
      await settle(1_500);
      b!.connect(app).subscribe("presence-room", { channelData: { user_id: "joins" } }); // while A is not yet expired
      b!.connect(app).subscribe("presence-new");
      leaving.disconnect();
      await settle(1_000);
      assert.equal(seen().length, 3, "nobody leads until A is expired");
      await settle(6_000);
      assert.deepEqual(seen().slice(3).sort(), ["channel_occupied:presence-new", "member_added:joins", "member_removed:leaves"]);
    } finally {
      await receiver.close();
    }
  });

  it("nodes starting together: one learning the others' members from their snapshots repeats nothing", async () => {
    const { receiver, app, settle, bus, nodes: [a], add } = await hookedCluster(2, ["channel_occupied", "member_added"]);
    try {
      a!.connect(app).subscribe("presence-room", { channelData: { user_id: "early" } }); // all nodes still warming
      bus.freeze();
      add("0"); // the lowest id, also warming: it leads the warming nodes, but what snapshots teach it is not news
      bus.thaw();
      await settle(3_000);
      assert.deepEqual(receiver.events().map((e) => e.name), ["channel_occupied", "member_added"]);
    } finally {
      await receiver.close();
    }
  });

  it("the last subscribers on two nodes leaving at the same moment: channel_vacated and member_removed once", async () => {
    const { receiver, app, settle, bus, nodes: [a, b] } = await hookedCluster(2, ["channel_vacated", "member_removed"]);
    try {
      const onA = a!.connect(app);
      const onB = b!.connect(app);
      onA.subscribe("presence-room", { channelData: { user_id: "same" } });
      onB.subscribe("presence-room", { channelData: { user_id: "same" } }); // one user, a tab on each node
      await settle(3_000);
      bus.freeze(); // each node closes its tab before hearing the other's
      onA.disconnect();
      onB.disconnect();
      bus.thaw();
      await settle();
      assert.deepEqual(receiver.events().map((e) => e.name).sort(), ["channel_vacated", "member_removed"]);
    } finally {
      await receiver.close();
    }
  });
});
