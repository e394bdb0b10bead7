/** @module Cluster delivery on in-process nodes: API events, client events, exclusion, cache, terminate, gathered counts. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_A } from "../support/fixtures.ts";
import { createCluster, user } from "../support/cluster-harness.ts";

describe("cluster delivery", () => {
  it("delivers an API event once to subscribers on every node", async () => {
    const { nodes: [a, b, c] } = createCluster(3);
    const clients = [a!.connect(), b!.connect(), c!.connect(), c!.connect()];
    for (const client of clients) client.subscribe("news");
    await b!.broker.publish(APP_A, { name: "update", data: '{"n":1}', channels: ["news"] });
    for (const client of clients) {
      assert.deepEqual(client.takeRaw(), ['{"event":"update","data":"{\\"n\\":1}","channel":"news"}']);
    }
  });

  it("excludes the socket_id's connection even when it lives on another node", async () => {
    const { nodes: [a, b] } = createCluster(2);
    const publisher = b!.connect();
    const other = b!.connect();
    const local = a!.connect();
    for (const client of [publisher, other, local]) client.subscribe("chat");
    await a!.broker.publish(APP_A, { name: "said", data: "{}", channels: ["chat"], socketId: publisher.socketId });
    assert.equal(publisher.take().length, 0);
    assert.equal(other.take().length, 1);
    assert.equal(local.take().length, 1);
  });

  it("relays client events to members on other nodes, not back to the sender", () => {
    const { nodes: [a, b] } = createCluster(2);
    const sender = a!.connect();
    const receiver = b!.connect();
    sender.subscribe("presence-chat", { channelData: user(1) });
    receiver.subscribe("presence-chat", { channelData: user(2) });
    sender.take();
    receiver.take();
    sender.send('{"event":"client-typing","channel":"presence-chat","data":{"id": 12345678901234567890}}');
    assert.deepEqual(receiver.takeRaw(), ['{"event":"client-typing","channel":"presence-chat","data":{"id": 12345678901234567890},"user_id":1}']);
    assert.deepEqual(sender.take(), []);
  });

  it("replays a cache channel's last event to a subscriber on another node", async () => {
    const { nodes: [a, b] } = createCluster(2);
    a!.connect().subscribe("cache-prices");
    await a!.broker.publish(APP_A, { name: "price", data: '{"p":1}', channels: ["cache-prices"] });
    const late = b!.connect().subscribe("cache-prices");
    assert.equal(late.at(-1)?.raw, '{"event":"price","data":"{\\"p\\":1}","channel":"cache-prices"}');
  });

  it("keeps a cache channel's event on every node for cache_ttl, subscribers or not; a node started later has it too", async () => {
    const app = { ...APP_A, cacheTtl: 60 };
    const { clock, nodes: [a, b], add } = createCluster(2, [app]);
    const only = a!.connect(app);
    only.subscribe("cache-x");
    await a!.broker.publish(app, { name: "e", data: "{}", channels: ["cache-x", "cache-nobody"] });
    only.disconnect();
    clock.advance(30_000);
    const late = b!.connect(app);
    assert.equal(late.subscribe("cache-x").at(-1)?.event, "e", "kept after its last subscriber left");
    assert.equal(late.subscribe("cache-nobody").at(-1)?.event, "e", "kept though nobody ever subscribed");
    late.disconnect(); // nobody subscribed anywhere again: the newcomer can only learn it from the retained events
    const c = add("C");
    assert.equal(c.connect(app).subscribe("cache-nobody").at(-1)?.event, "e", "a newcomer learns it from the others");
    clock.advance(30_000);
    for (const node of [a!, b!, c]) {
      assert.equal(node.connect(app).subscribe("cache-nobody").at(-1)?.event, "pusher:cache_miss", `${node.id}: forgotten at cache_ttl`);
    }
    add("D");
    clock.advance(2_000);
    assert.equal(c.connect(app).subscribe("cache-x").at(-1)?.event, "pusher:cache_miss", "nothing expired is handed on");
  });

  it("terminates a user's connections on every node", async () => {
    const { nodes: [a, b] } = createCluster(2);
    const onA = a!.connect();
    const onB = b!.connect();
    const bystander = b!.connect();
    onA.subscribe("presence-x", { channelData: user("456") });
    onB.subscribe("private-y", { channelData: user(456) });
    bystander.subscribe("presence-x", { channelData: user("789") });
    await a!.broker.terminateUser(APP_A, "456");
    assert.equal(onA.socket.closedWith?.code, 4009);
    assert.equal(onB.socket.closedWith?.code, 4009);
    assert.equal(bystander.socket.closedWith, undefined);
  });

  it("sums connections and subscriptions over the nodes, and lists channels of every node", async () => {
    const { nodes: [a, b] } = createCluster(2);
    a!.connect().subscribe("shared");
    b!.connect().subscribe("shared");
    b!.connect();
    b!.connect().subscribe("only-b");
    assert.equal(await a!.broker.connectionCount(APP_A), 4);
    assert.equal((await a!.broker.channel(APP_A, "shared", true))?.subscriptionCount, 2);
    assert.deepEqual((await a!.broker.channels(APP_A)).map((facts) => facts.name).sort(), ["only-b", "shared"]);
    assert.equal((await a!.broker.channel(APP_A, "only-b"))?.name, "only-b");
  });
});
