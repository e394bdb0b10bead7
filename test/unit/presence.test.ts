/** @module Presence channels: member lists, member_added / member_removed, user_id rules, re-subscribe. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestCore, type TestClient, validAuth } from "../support/harness.ts";
import { APP_A } from "../support/fixtures.ts";

const CHANNEL = "presence-test-channel";
const INVALID = '{"event":"pusher:error","data":"{\\"code\\":4200,\\"message\\":\\"Invalid message format\\"}"}';

/** The exact subscription_succeeded for a presence channel with this member list. */
const succeeded = (presence: unknown, channel = CHANNEL) =>
  JSON.stringify({ event: "pusher_internal:subscription_succeeded", data: JSON.stringify({ presence }), channel });
const added = (member: unknown, channel = CHANNEL) =>
  JSON.stringify({ event: "pusher_internal:member_added", data: JSON.stringify(member), channel });
const removed = (userId: unknown, channel = CHANNEL) =>
  JSON.stringify({ event: "pusher_internal:member_removed", data: JSON.stringify({ user_id: userId }), channel });

const user = (id: unknown, name = `Test User ${String(id)}`) => ({ user_id: id, user_info: { name } });

function setup() {
  const env = createTestCore();
  const client = (): TestClient => {
    const c = env.connect(APP_A);
    c.take();
    return c;
  };
  /** A client already in CHANNEL as `member`, with its replies consumed. */
  const member = (data: unknown, channel = CHANNEL): TestClient => {
    const c = client();
    c.subscribe(channel, { channelData: data });
    return c;
  };
  return { ...env, client, member };
}

describe("presence member list", () => {
  it("lists count, ids and hash for one user", () => {
    const { client } = setup();
    assert.deepEqual(client().subscribe(CHANNEL, { channelData: user(1, "Test User") }).map((f) => f.raw), [
      '{"event":"pusher_internal:subscription_succeeded","data":"{\\"presence\\":{\\"count\\":1,\\"ids\\":[1],\\"hash\\":{\\"1\\":{\\"name\\":\\"Test User\\"}}}}","channel":"presence-test-channel"}',
    ]);
  });

  it("lists two users in join order", () => {
    const { client, member } = setup();
    member({ user_id: 1, user_info: { name: "Joe" } });
    assert.deepEqual(client().subscribe(CHANNEL, { channelData: { user_id: 2, user_info: { name: "Joe" } } })[0]?.raw,
      succeeded({ count: 2, ids: [1, 2], hash: { "1": { name: "Joe" }, "2": { name: "Joe" } } }));
  });

  it("lists a user with two sockets once", () => {
    const { client, member } = setup();
    member(user(1, "Test User"));
    assert.deepEqual(client().subscribe(CHANNEL, { channelData: user(1, "Test User") })[0]?.raw,
      succeeded({ count: 1, ids: [1], hash: { "1": { name: "Test User" } } }));
  });

  it("treats 1 and \"1\" as the same user", () => {
    const { client, member } = setup();
    const first = member(user(1));
    const frames = client().subscribe(CHANNEL, { channelData: user("1") });
    assert.deepEqual(frames.map((f) => f.raw), [succeeded({ count: 1, ids: [1], hash: { "1": { name: "Test User 1" } } })]);
    assert.deepEqual(first.takeRaw(), []);
  });

  it("keeps string user ids as strings", () => {
    const { client } = setup();
    assert.equal(client().subscribe(CHANNEL, { channelData: user("abc") })[0]?.raw,
      succeeded({ count: 1, ids: ["abc"], hash: { abc: { name: "Test User abc" } } }));
  });

  it("gives hash value null when user_info is absent", () => {
    const { client } = setup();
    assert.equal(client().subscribe(CHANNEL, { channelData: { user_id: 7 } })[0]?.raw,
      succeeded({ count: 1, ids: [7], hash: { "7": null } }));
  });

  it("reports {count:0, ids:[], hash:[]} for a subscription without user_id", () => {
    const { client } = setup();
    const expected = '{"event":"pusher_internal:subscription_succeeded","data":"{\\"presence\\":{\\"count\\":0,\\"ids\\":[],\\"hash\\":[]}}","channel":"presence-test-channel"}';
    assert.deepEqual(client().subscribe(CHANNEL).map((f) => f.raw), [expected]);
    assert.deepEqual(client().subscribe(CHANNEL, { channelData: { user_info: { name: "x" } } }).map((f) => f.raw), [expected]);
  });

  it("reports count 0 to everyone while a member without user_id is present", () => {
    const { client, member } = setup();
    member(user(1));
    member({ name: "anonymous" });
    assert.equal(client().subscribe(CHANNEL, { channelData: user(2) })[0]?.raw, succeeded({ count: 0, ids: [], hash: [] }));
  });

  it("counts subscriptions without user_id as one user in user_count", () => {
    const { core, member } = setup();
    member(user(1));
    member(user(1));
    member({ name: "a" });
    member({ name: "b" });
    assert.equal(core.hub.state(APP_A).channels.find(CHANNEL)?.presence?.userCount(), 2);
  });

  it("keeps each presence channel's members separate", () => {
    const { client, member } = setup();
    member(user(1), "presence-other");
    assert.equal(client().subscribe(CHANNEL, { channelData: user(2) })[0]?.raw,
      succeeded({ count: 1, ids: [2], hash: { "2": { name: "Test User 2" } } }));
  });
});

describe("user_id validation", () => {
  for (const [label, id] of [["an object", { a: 1 }], ["a boolean", true], ["an empty string", ""], ["an array", [1]]] as const) {
    it(`rejects ${label} user_id with 4200 and creates nothing`, () => {
      const { core, client } = setup();
      const c = client();
      assert.deepEqual(c.subscribe(CHANNEL, { channelData: { user_id: id } }).map((f) => f.raw), [INVALID]);
      assert.deepEqual(c.subscribe(CHANNEL, { channelData: { user_id: id, user_info: {} } }).map((f) => f.raw), [INVALID]);
      assert.equal(core.hub.state(APP_A).channels.channels.size, 0);
    });
  }

  it("rejects correctly signed channel_data that is not a JSON object with 4200", () => {
    const { core, client } = setup();
    const c = client();
    for (const data of ["Hello", "5", '"str"', "[]", '[{"user_id":1}]']) {
      const auth = validAuth(APP_A, c.socketId, CHANNEL, data);
      c.send({ event: "pusher:subscribe", data: { channel: CHANNEL, auth, channel_data: data } });
      assert.deepEqual(c.takeRaw(), [INVALID], data);
    }
    assert.equal(core.hub.state(APP_A).channels.channels.size, 0);
  });
});

describe("member_added", () => {
  it("reaches the others with the joiner's whole channel_data, not the joiner", () => {
    const { client, member } = setup();
    const one = member(user(1));
    const two = member({ ...user(2), extra: [true, null] });
    assert.deepEqual(one.takeRaw(), [added({ ...user(2), extra: [true, null] })]);
    const joiner = client();
    const frames = joiner.subscribe(CHANNEL, { channelData: user(3) });
    assert.deepEqual(frames.map((f) => f.event), ["pusher_internal:subscription_succeeded"]);
    assert.deepEqual(one.takeRaw(), [added(user(3))]);
    assert.deepEqual(two.takeRaw(), [
      '{"event":"pusher_internal:member_added","data":"{\\"user_id\\":3,\\"user_info\\":{\\"name\\":\\"Test User 3\\"}}","channel":"presence-test-channel"}',
    ]);
  });

  it("reaches the others before the joiner's subscription_succeeded", () => {
    const { client, member } = setup();
    const order: string[] = [];
    const one = member(user(1));
    const send = one.socket.send.bind(one.socket);
    one.socket.send = (frame) => (order.push(`one ${JSON.parse(frame).event}`), send(frame));
    const joiner = client();
    const joinerSend = joiner.socket.send.bind(joiner.socket);
    joiner.socket.send = (frame) => (order.push(`joiner ${JSON.parse(frame).event}`), joinerSend(frame));
    joiner.subscribe(CHANNEL, { channelData: user(2) });
    assert.deepEqual(order, ["one pusher_internal:member_added", "joiner pusher_internal:subscription_succeeded"]);
  });

  it("is sent once per user, not for the user's second socket", () => {
    const { member } = setup();
    const one = member(user(1));
    member(user(2));
    assert.equal(one.takeRaw().length, 1);
    member(user(2));
    assert.deepEqual(one.takeRaw(), []);
  });

  it("is not sent to members of another channel or to non-presence subscribers elsewhere", () => {
    const { client, member } = setup();
    const elsewhere = member(user(1), "presence-other");
    const publicOnly = client();
    publicOnly.subscribe("test-channel");
    member(user(2));
    assert.deepEqual(elsewhere.takeRaw(), []);
    assert.deepEqual(publicOnly.takeRaw(), []);
  });
});

describe("member_removed", () => {
  it("tells the others exactly when a member unsubscribes", () => {
    const { member } = setup();
    const one = member(user(1));
    const two = member(user(2));
    one.take();
    two.send({ event: "pusher:unsubscribe", data: { channel: CHANNEL } });
    assert.deepEqual(one.takeRaw(), [
      '{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":2}","channel":"presence-test-channel"}',
    ]);
    assert.deepEqual(two.takeRaw(), []);
  });

  it("tells every remaining member when a member disconnects", () => {
    const { member } = setup();
    const one = member(user(1));
    const two = member(user(2));
    const three = member(user(3));
    one.take();
    two.take();
    three.disconnect();
    assert.deepEqual(one.takeRaw(), [removed(3)]);
    assert.deepEqual(two.takeRaw(), [removed(3)]);
  });

  it("is sent only when the user's last socket leaves, with that subscription's user_id type (as Reverb)", () => {
    const { member } = setup();
    const watcher = member(user(2));
    const a = member(user("9"));
    const b = member(user(9));
    watcher.take();
    a.disconnect();
    assert.deepEqual(watcher.takeRaw(), []);
    b.send({ event: "pusher:unsubscribe", data: { channel: CHANNEL } });
    assert.deepEqual(watcher.takeRaw(), [removed(9)]);
    const c = member(user(7));
    const d = member(user("7"));
    watcher.take();
    c.disconnect();
    d.disconnect();
    assert.deepEqual(watcher.takeRaw(), [removed("7")]);
  });

  it("is not cached on presence-cache channels", () => {
    const { client, member } = setup();
    const channel = "presence-cache-room";
    member(user(1), channel);
    member(user(2), channel).disconnect();
    const frames = client().subscribe(channel, { channelData: user(3) });
    assert.deepEqual(frames.map((f) => f.raw).slice(1), ['{"event":"pusher:cache_miss","channel":"presence-cache-room"}']);
  });
});

describe("re-subscribing", () => {
  it("with the same user sends no member events and replaces the stored user_info", () => {
    const { member } = setup();
    const watcher = member(user(1));
    const c = member(user(2, "Old"));
    watcher.take();
    const frames = c.subscribe(CHANNEL, { channelData: user(2, "New") });
    assert.deepEqual(frames.map((f) => f.raw), [
      succeeded({ count: 2, ids: [1, 2], hash: { "1": { name: "Test User 1" }, "2": { name: "New" } } }),
    ]);
    assert.deepEqual(watcher.takeRaw(), []);
    c.disconnect();
    assert.deepEqual(watcher.takeRaw(), [removed(2)]);
  });

  it("with a different user tells the others: member_added for the new, member_removed for the old", () => {
    const { member } = setup();
    const watcher = member(user(1));
    const c = member(user(2));
    watcher.take();
    const frames = c.subscribe(CHANNEL, { channelData: user(3) });
    assert.deepEqual(watcher.takeRaw(), [added(user(3)), removed(2)]);
    assert.equal(frames[0]?.raw, succeeded({ count: 2, ids: [1, 3], hash: { "1": { name: "Test User 1" }, "3": { name: "Test User 3" } } }));
    c.disconnect();
    assert.deepEqual(watcher.takeRaw(), [removed(3)]);
  });
});

describe("a user on several sockets", () => {
  const presenceOf = (frames: Array<{ raw: string }>) => JSON.parse(JSON.parse(frames[0]!.raw).data).presence;

  it("shows the earliest open subscription's id and user_info: when the first tab leaves, the next one's (as Reverb)", () => {
    const { member, client, core } = setup();
    const first = member(user(1, "first"));
    const second = member(user("1", "second"));
    assert.deepEqual(presenceOf(client().subscribe(CHANNEL, { channelData: user(2) })), { count: 2, ids: [1, 2], hash: { 1: { name: "first" }, 2: { name: "Test User 2" } } });
    first.disconnect();
    assert.deepEqual(presenceOf(client().subscribe(CHANNEL, { channelData: user(3) })), { count: 3, ids: ["1", 2, 3], hash: { 1: { name: "second" }, 2: { name: "Test User 2" }, 3: { name: "Test User 3" } } });
    assert.deepEqual(core.hub.state(APP_A).channels.find(CHANNEL)?.presence?.members.get("1")?.userId, "1");
    second.disconnect();
    assert.equal(core.hub.state(APP_A).channels.find(CHANNEL)?.presence?.members.has("1"), false);
  });

  it("a later tab re-subscribing with new data changes nothing others see; the earliest one re-subscribing does", () => {
    const { member, client } = setup();
    const first = member(user(1, "first"));
    const second = member(user(1, "second"));
    second.subscribe(CHANNEL, { channelData: user(1, "second, renamed") });
    assert.deepEqual(presenceOf(client().subscribe(CHANNEL, { channelData: user(2) })).hash[1], { name: "first" });
    first.subscribe(CHANNEL, { channelData: user(1, "first, renamed") });
    assert.deepEqual(presenceOf(client().subscribe(CHANNEL, { channelData: user(3) })).hash[1], { name: "first, renamed" });
  });
});
