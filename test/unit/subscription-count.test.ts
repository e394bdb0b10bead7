/** @module pusher_internal:subscription_count: cluster-wide counts, once a second, for apps that enable it. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { createCluster } from "../support/cluster-harness.ts";
import { APP_A } from "../support/fixtures.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";

const COUNTING: App = { ...APP_A, subscriptionCount: true };
const counts = (client: TestClient, channel = "news") =>
  client.take().filter((f) => f.event === "pusher_internal:subscription_count" && f.channel === channel).map((f) => (f.data as { subscription_count: number }).subscription_count);

describe("subscription counts, one node", () => {
  it("announces the count once a second, after any number of changes, to every subscriber", () => {
    const { connect, clock } = createTestCore({ apps: [COUNTING] });
    const clients = [connect(COUNTING), connect(COUNTING), connect(COUNTING)];
    for (const client of clients) client.subscribe("news");
    assert.deepEqual(counts(clients[0]!), [], "not before the next second");
    clock.advance(1_000);
    for (const client of clients) assert.deepEqual(counts(client), [3]);
    clients[2]!.send({ event: "pusher:unsubscribe", data: { channel: "news" } });
    connect(COUNTING).subscribe("other");
    clock.advance(1_000);
    assert.deepEqual(counts(clients[0]!), [2]);
    assert.deepEqual(counts(clients[2]!), [], "no longer subscribed");
    clock.advance(5_000);
    assert.deepEqual(counts(clients[0]!), [], "nothing when nothing changed");
  });

  it("is off unless the app enables it, and never for presence channels", () => {
    const { connect, clock } = createTestCore({ apps: [APP_A, { ...COUNTING, id: "2", key: "counting" }] });
    const plain = connect(APP_A);
    plain.subscribe("news");
    const member = connect("counting");
    member.subscribe("presence-room", { channelData: { user_id: "1" } });
    clock.advance(2_000);
    assert.deepEqual(counts(plain), []);
    assert.deepEqual(counts(member, "presence-room"), []);
  });

  it("emits subscriptionCount lifecycle events (for webhooks) even when clients are not told", () => {
    const { connect, clock, core } = createTestCore();
    const seen: Array<[string, number]> = [];
    core.events.on("subscriptionCount", (event) => void seen.push([event.channel, event.count]));
    const client = connect();
    client.subscribe("news");
    clock.advance(1_000);
    client.disconnect();
    clock.advance(1_000);
    assert.deepEqual(seen, [["news", 1], ["news", 0]]);
  });
});

describe("subscription counts, cluster", () => {
  it("counts subscriptions on every node, and forgets a node that dies", () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2, [COUNTING]);
    const onA = a!.connect(COUNTING);
    onA.subscribe("news");
    for (let i = 0; i < 3; i++) b!.connect(COUNTING).subscribe("news");
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 2);
    assert.equal(counts(onA).at(-1), 4);
    const syncsBefore = bus.log.filter((message) => message.includes('"type":"sync"')).length;
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 5);
    assert.equal(bus.log.filter((message) => message.includes('"type":"sync"')).length, syncsBefore, "the digests agree: no resync");
    b!.link.closed = true;
    clock.advance(CLUSTER_DEFAULTS.expiryMs * 2);
    assert.equal(counts(onA).at(-1), 1);
  });
});
