/** @module Lifecycle events: what the core reports, with which payloads, and that listeners cannot break it. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Lifecycle, type LifecycleEventName, type LifecycleEvents, utf8Length } from "../../src/events/lifecycle.ts";
import { APP_A } from "../support/fixtures.ts";
import { createTestCore, FakeTopics } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";
import { channelCount } from "../../src/protocol/connection-channels.ts";

const ALL: LifecycleEventName[] = [
  "connectionOpened", "connectionClosed", "connectionPruned", "overCapacity", "rateLimited", "errorSent", "channelCreated",
  "channelRemoved", "subscribed", "unsubscribed", "memberAdded", "memberRemoved", "messageReceived", "messageSent",
  "clientEvent", "apiEvent", "httpRequest", "fileLimitReached",
];

/** Records every event as [name, a few payload fields]. */
function record(events: Lifecycle) {
  const seen: Array<[LifecycleEventName, Record<string, unknown>]> = [];
  for (const name of ALL) {
    events.on(name, (event: LifecycleEvents[typeof name]) => {
      const { app, frame, text, ...rest } = event as Record<string, unknown>;
      seen.push([name, { ...rest, ...(app ? { app: (app as { id: string }).id } : {}) }]);
    });
  }
  return seen;
}

describe("lifecycle events", () => {
  it("reports a connection's life: opened, subscribed (channel created), member added, messages, left, closed", () => {
    const { core, connect } = createTestCore();
    const seen = record(core.hub.events);
    const alice = connect(APP_A, "https://example.com");
    const socketId = alice.socketId;
    alice.subscribe("presence-room", { channelData: { user_id: "alice" } });
    alice.disconnect();
    const names = seen.map(([name]) => name);
    assert.deepEqual(names, [
      "messageSent", "connectionOpened", // connection_established is sent before the connection is announced
      "messageReceived", "channelCreated", "subscribed", "memberAdded", "messageSent",
      "unsubscribed", "memberRemoved", "channelRemoved", "connectionClosed",
    ]);
    assert.deepEqual(seen[1]![1], { socketId, origin: "https://example.com", app: APP_A.id });
    assert.deepEqual(seen[5]![1], { channel: "presence-room", userId: "alice", app: APP_A.id });
    assert.deepEqual(seen.at(-1)![1], { socketId, code: undefined, app: APP_A.id });
    const received = seen[2]![1];
    assert.equal(received["socketId"], socketId);
    assert.ok((received["bytes"] as number) > 50);
  });

  it("reports a broadcast once, with the number of recipients, on looped and native fan-out", async () => {
    for (const topics of [undefined, new FakeTopics()]) {
      const harness = createTestCore(topics ? { topics } : {});
      const clients = [harness.connect(), harness.connect(), harness.connect()];
      for (const client of clients) client.subscribe("news");
      const sent: Array<LifecycleEvents["messageSent"]> = [];
      harness.core.hub.events.on("messageSent", (event) => void sent.push(event));
      const response = await apiFor(harness)("POST", "/events", { name: "hello", data: "{\"é\":1}", channel: "news", socket_id: clients[0]!.socketId });
      assert.equal(response.status, 200);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.count, 2);
      assert.equal(sent[0]!.channel, "news");
      assert.equal(sent[0]!.bytes, new TextEncoder().encode(sent[0]!.frame).length);
    }
  });

  it("reports API events, client events, HTTP requests with their route pattern, errors and rate limits", async () => {
    const harness = createTestCore({ apps: [{ ...APP_A, rateLimiting: { maxAttempts: 3, decaySeconds: 60, terminateOnLimit: false } }] });
    const seen = record(harness.core.hub.events);
    const api = apiFor(harness);
    await api("POST", "/events", { name: "shipped", data: "{}", channels: ["a", "b"] });
    await api("GET", "/channels/a");
    await harness.core.fetch(new Request("http://localhost/nope"));
    const client = harness.connect();
    client.subscribe("private-chat");
    client.send({ event: "client-typing", channel: "private-chat", data: {} });
    client.send({ event: "pusher:subscribe", data: { channel: "x y" } });
    client.send({ event: "pusher:ping" });
    const pick = (name: LifecycleEventName) => seen.filter(([n]) => n === name).map(([, event]) => event);
    assert.deepEqual(pick("apiEvent"), [{ name: "shipped", channels: ["a", "b"], data: "{}", socketId: undefined, app: APP_A.id }]);
    assert.deepEqual(pick("httpRequest"), [
      { method: "POST", route: "/apps/:appId/events", status: 200, app: APP_A.id },
      { method: "GET", route: "/apps/:appId/channels/:channelName", status: 200, app: APP_A.id },
      { method: "GET", route: "unmatched", status: 404 },
    ]);
    assert.deepEqual(pick("clientEvent"), [{ socketId: client.socketId, channel: "private-chat", event: "client-typing", data: "{}", userId: undefined, app: APP_A.id }]);
    assert.deepEqual(pick("errorSent").map((e) => e["code"]), [4300, 4301]);
    assert.deepEqual(pick("rateLimited"), [{ socketId: client.socketId, app: APP_A.id }]);
  });

  it("reports a pruned connection, with the close code in connectionClosed", () => {
    const { core, clock, connect } = createTestCore();
    const seen = record(core.hub.events);
    const client = connect();
    clock.advance(120_000);
    assert.ok(client.connection.isClosed);
    const pruned = seen.findIndex(([name]) => name === "connectionPruned");
    assert.ok(pruned >= 0);
    assert.deepEqual(seen.find(([name]) => name === "connectionClosed")![1], { socketId: client.socketId, code: 4201, app: APP_A.id });
  });

  it("keeps the close code when the runtime reports the close back from inside socket.close (as Bun does)", () => {
    const { core, clock, connect } = createTestCore();
    const seen = record(core.hub.events);
    const client = connect();
    const close = client.socket.close.bind(client.socket);
    client.socket.close = (code, reason) => {
      close(code, reason);
      client.connection.closed(); // Bun calls the close handler before ws.close returns
    };
    clock.advance(120_000);
    assert.deepEqual(seen.filter(([name]) => name === "connectionClosed").map(([, event]) => event), [{ socketId: client.socketId, code: 4201, app: APP_A.id }]);
  });

  it("keeps serving when a listener throws, and reports the failure once a minute", () => {
    const errors: string[] = [];
    const { core, connect } = createTestCore();
    (core.hub.logger as { error: (line: string) => void }).error = (line) => void errors.push(line);
    const events = new Lifecycle((name) => errors.push(name));
    events.on("messageSent", () => {
      throw new Error("listener bug");
    });
    events.emit("messageSent", {} as LifecycleEvents["messageSent"]);
    assert.deepEqual(errors, ["messageSent"]);
    core.hub.events.on("messageReceived", () => {
      throw new Error("listener bug");
    });
    const client = connect();
    client.subscribe("news");
    client.subscribe("more");
    assert.equal(channelCount(client.connection.channels), 2, "messages are still handled");
  });

  it("wants() is false until someone listens and again after they stop", () => {
    const events = new Lifecycle();
    assert.equal(events.wants("messageSent"), false);
    const off = events.on("messageSent", () => {});
    assert.equal(events.wants("messageSent"), true);
    off();
    assert.equal(events.wants("messageSent"), false);
  });

  it("utf8Length agrees with TextEncoder, surrogate pairs and lone surrogates included", () => {
    const samples = ["", "abc", "é", "€", "中文", "😀", "a😀b", "\ud800", "\udc00x", "\ud800\ud800\udc00", "x".repeat(1000) + "ß"];
    for (const text of samples) assert.equal(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  });
});
