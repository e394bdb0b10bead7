/** @module Client events (client-*): where they are allowed, who may send them, and the exact relayed frame. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App, ClientEventsFrom } from "../../src/apps/app.ts";
import { PUSHER_ERRORS } from "../../src/errors.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { APP_A, APP_B, APP_C } from "../support/fixtures.ts";

function errorRaw(code: number, message: string): string {
  return JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) });
}

const DISABLED = errorRaw(4301, "The app does not have client messaging enabled.");
const WRONG_CHANNEL = errorRaw(4301, PUSHER_ERRORS.clientEventWrongChannel.message);
const ENCRYPTED = errorRaw(4301, PUSHER_ERRORS.clientEventEncrypted.message);
const NOT_A_MEMBER = errorRaw(4009, "The client is not a member of the specified channel.");
const INVALID = errorRaw(4200, "Invalid message format");

/**
 * A core with one app of the given mode (a fixture app's own limits on origin, connections and message size are
 * lifted so several clients can talk); `client(channels)` connects and subscribes (replies consumed).
 */
function setup(mode: ClientEventsFrom = "members", base: App = APP_A) {
  const app: App = { ...base, acceptClientEventsFrom: mode, allowedOrigins: ["*"], maxConnections: null, maxMessageSize: 10_000 };
  const env = createTestCore({ apps: [app] });
  const client = (...subscriptions: Array<[string, unknown?]>): TestClient => {
    const c = env.connect(app);
    for (const [channel, channelData] of subscriptions) c.subscribe(channel, channelData === undefined ? {} : { channelData });
    c.take();
    return c;
  };
  return { ...env, app, client };
}

describe("relaying client events", () => {
  it("relays to the other member of a private channel, with the exact frame and not to the sender", () => {
    const { client } = setup();
    const sender = client(["private-test-channel"]);
    const other = client(["private-test-channel"]);
    sender.send({ event: "client-test-message", channel: "private-test-channel", data: { foo: "bar" } });
    assert.deepEqual(other.takeRaw(), ['{"event":"client-test-message","channel":"private-test-channel","data":{"foo":"bar"}}']);
    assert.deepEqual(sender.takeRaw(), []);
  });

  it("adds the sender's presence user_id", () => {
    const { client } = setup();
    const sender = client(["presence-room", { user_id: "1", user_info: { name: "A" } }]);
    const other = client(["presence-room", { user_id: 2 }]);
    sender.take();
    sender.send({ event: "client-test-message", channel: "presence-room", data: { foo: "bar" } });
    assert.deepEqual(other.takeRaw(), ['{"event":"client-test-message","channel":"presence-room","data":{"foo":"bar"},"user_id":"1"}']);
    other.send({ event: "client-x", channel: "presence-room", data: [] });
    assert.deepEqual(sender.takeRaw(), ['{"event":"client-x","channel":"presence-room","data":[],"user_id":2}']);
  });

  it("adds user_id from signed channel_data on a private channel", () => {
    const { client } = setup();
    const sender = client(["private-chat", { user_id: 42 }]);
    const other = client(["private-chat"]);
    sender.send({ event: "client-x", channel: "private-chat", data: {} });
    assert.deepEqual(other.takeRaw(), ['{"event":"client-x","channel":"private-chat","data":{},"user_id":42}']);
  });

  it("relays data byte for byte: big integers, whitespace, unicode escapes, key order", () => {
    const { client } = setup();
    const sender = client(["private-chat"]);
    const other = client(["private-chat"]);
    const data = '{ "id" : 12345678901234567890,\n\t"b":1.50, "a":"\\u00e9\\"]}", "z": {} }';
    sender.send(`{"event":"client-x","channel":"private-chat","data":${data}}`);
    assert.deepEqual(other.takeRaw(), [`{"event":"client-x","channel":"private-chat","data":${data}}`]);
  });

  it("relays data that comes before event and channel, and string or scalar data, unchanged", () => {
    const { client } = setup();
    const sender = client(["private-chat"]);
    const other = client(["private-chat"]);
    for (const data of ['"{\\"a\\":1}"', '"hello"', "5", "null", "[1, 2]"]) {
      sender.send(`{"data": ${data}, "channel":"private-chat","event":"client-x"}`);
      assert.deepEqual(other.takeRaw(), [`{"event":"client-x","channel":"private-chat","data":${data}}`]);
    }
  });

  it("has no data key when the sender sent none", () => {
    const { client } = setup();
    const sender = client(["private-chat"]);
    const other = client(["private-chat"]);
    sender.send({ event: "client-x", channel: "private-chat" });
    assert.deepEqual(other.takeRaw(), ['{"event":"client-x","channel":"private-chat"}']);
    assert.deepEqual(sender.takeRaw(), []);
  });

  it("drops extra keys and ignores a client-supplied user_id", () => {
    const { client } = setup();
    const sender = client(["presence-room", { user_id: 1 }]);
    const other = client(["presence-room", { user_id: 2 }]);
    sender.take();
    sender.send({ event: "client-x", channel: "presence-room", data: {}, user_id: 99, extra: true });
    assert.deepEqual(other.takeRaw(), ['{"event":"client-x","channel":"presence-room","data":{},"user_id":1}']);
  });

  it("sends nothing back to a sole subscriber", () => {
    const { client } = setup();
    const sender = client(["private-chat"]);
    sender.send({ event: "client-x", channel: "private-chat", data: {} });
    assert.deepEqual(sender.takeRaw(), []);
  });

  it("reaches only the named channel's subscribers", () => {
    const { client } = setup();
    const sender = client(["private-a"], ["private-b"]);
    const inB = client(["private-b"]);
    const inA = client(["private-a"]);
    sender.send({ event: "client-x", channel: "private-a" });
    assert.deepEqual(inB.takeRaw(), []);
    assert.equal(inA.takeRaw().length, 1);
  });

  for (const channel of ["private-cache-chat", "presence-cache-chat"]) {
    it(`is allowed on ${channel}`, () => {
      const { client } = setup();
      const data = channel.startsWith("presence") ? { user_id: 5 } : undefined;
      const sender = client([channel, data]);
      const other = client([channel, data === undefined ? undefined : { user_id: 6 }]);
      sender.take();
      sender.send({ event: "client-x", channel });
      const suffix = data ? ',"user_id":5' : "";
      assert.deepEqual(other.takeRaw(), [`{"event":"client-x","channel":"${channel}"${suffix}}`]);
    });
  }
});

describe("rejected client events", () => {
  for (const channel of ["test-channel", "cache-test-channel", "privatefoo"]) {
    it(`rejects client events on ${channel} with 4301 and relays nothing`, () => {
      const { client } = setup();
      const sender = client([channel]);
      const other = client([channel]);
      sender.send({ event: "client-start-typing", channel, data: { id: 123, name: "Joe Dixon" } });
      assert.deepEqual(sender.takeRaw(), [WRONG_CHANNEL]);
      assert.deepEqual(other.takeRaw(), []);
    });
  }

  for (const channel of ["private-encrypted-chat", "private-encrypted-cache-chat"]) {
    it(`rejects client events on ${channel} with 4301`, () => {
      const { client } = setup();
      const sender = client([channel]);
      const other = client([channel]);
      sender.send({ event: "client-x", channel, data: { ciphertext: "x", nonce: "y" } });
      assert.deepEqual(sender.takeRaw(), [ENCRYPTED]);
      assert.deepEqual(other.takeRaw(), []);
    });
  }

  it("rejects a sender that is not subscribed (members mode) with 4009", () => {
    const { client } = setup();
    const outsider = client();
    const member = client(["private-chat"]);
    outsider.send({ event: "client-x", channel: "private-chat", data: {} });
    assert.deepEqual(outsider.takeRaw(), [NOT_A_MEMBER]);
    assert.deepEqual(member.takeRaw(), []);
  });

  it("rejects a sender whose subscription failed", () => {
    const { client } = setup();
    const member = client(["private-chat"]);
    const intruder = client();
    intruder.subscribe("private-chat", { auth: "invalid-signature" });
    intruder.send({ event: "client-x", channel: "private-chat" });
    assert.deepEqual(intruder.takeRaw(), [NOT_A_MEMBER]);
    assert.deepEqual(member.takeRaw(), []);
  });

  it("rejects a sender that has unsubscribed", () => {
    const { client } = setup();
    const sender = client(["private-chat"]);
    client(["private-chat"]);
    sender.send({ event: "pusher:unsubscribe", data: { channel: "private-chat" } });
    sender.send({ event: "client-x", channel: "private-chat" });
    assert.deepEqual(sender.takeRaw(), [NOT_A_MEMBER]);
  });

  it("checks the channel kind before membership", () => {
    const { client } = setup();
    const outsider = client();
    outsider.send({ event: "client-x", channel: "test-channel" });
    outsider.send({ event: "client-x", channel: "private-encrypted-x" });
    assert.deepEqual(outsider.takeRaw(), [WRONG_CHANNEL, ENCRYPTED]);
  });

  it("rejects a missing or array channel with 4200", () => {
    const { client } = setup("all");
    const sender = client(["private-chat"]);
    for (const message of [{ event: "client-x" }, { event: "client-x", channel: [] }, { event: "client-x", channel: null }]) {
      sender.send(message);
      assert.deepEqual(sender.takeRaw(), [INVALID]);
    }
  });
});

describe("accept_client_events_from", () => {
  it("none: rejects every client event with 4301 before any other check", () => {
    const { client } = setup("none");
    const sender = client(["private-chat"]);
    const other = client(["private-chat"]);
    sender.send({ event: "client-x", channel: "private-chat", data: {} });
    sender.send({ event: "client-x", channel: "test-channel" });
    sender.send({ event: "client-x", channel: "private-encrypted-x" });
    sender.send({ event: "client-x", channel: "private-other" });
    assert.deepEqual(sender.takeRaw(), [DISABLED, DISABLED, DISABLED, DISABLED]);
    assert.deepEqual(other.takeRaw(), []);
  });

  for (const [label, base] of [["app B", APP_B], ["app C", APP_C]] as const) {
    it(`all (${label}): relays from a sender that is not subscribed, without user_id`, () => {
      assert.equal(base.acceptClientEventsFrom, "all");
      const { client } = setup(base.acceptClientEventsFrom, base);
      const outsider = client();
      const member = client(["presence-room", { user_id: 1 }]);
      outsider.send({ event: "client-x", channel: "presence-room", data: { a: 1 } });
      assert.deepEqual(outsider.takeRaw(), []);
      assert.deepEqual(member.takeRaw(), ['{"event":"client-x","channel":"presence-room","data":{"a":1}}']);
    });
  }

  it("all: still refuses public and encrypted channels", () => {
    const { client } = setup("all");
    const sender = client(["test-channel"]);
    sender.send({ event: "client-x", channel: "test-channel" });
    sender.send({ event: "client-x", channel: "private-encrypted-x" });
    assert.deepEqual(sender.takeRaw(), [WRONG_CHANNEL, ENCRYPTED]);
  });

  it("all: ignores a `channels` array and a spoofed user_id, adding the signed one when subscribed", () => {
    const { client } = setup("all");
    const sender = client(["private-a", { user_id: "u1" }]);
    const inA = client(["private-a"]);
    const inB = client(["private-b"]);
    sender.send({ event: "client-x", channel: "private-a", channels: ["private-b"], user_id: "spoof", data: {} });
    assert.deepEqual(inA.takeRaw(), ['{"event":"client-x","channel":"private-a","data":{},"user_id":"u1"}']);
    assert.deepEqual(inB.takeRaw(), []);
  });

  it("all: an event for a channel nobody is in goes nowhere and is not an error", () => {
    const { core, client, app } = setup("all");
    const sender = client();
    sender.send({ event: "client-x", channel: "private-empty" });
    assert.deepEqual(sender.takeRaw(), []);
    assert.equal(core.hub.state(app).channels.channels.size, 0);
  });
});

describe("other events", () => {
  it("ignores a non-client event with a channel", () => {
    const { client } = setup();
    const sender = client(["private-chat"]);
    const other = client(["private-chat"]);
    sender.send({ event: "foo", channel: "private-chat", data: {} });
    sender.send({ event: "App\\Events\\Spoofed", channel: "private-chat" });
    assert.deepEqual(sender.takeRaw(), []);
    assert.deepEqual(other.takeRaw(), []);
  });

  it("rejects a non-client event without a string channel with 4200", () => {
    const { client } = setup();
    const sender = client();
    for (const message of [{ event: "foo" }, { event: "foo", channel: 1 }, { event: "pusher_internal:x" }]) {
      sender.send(message);
      assert.deepEqual(sender.takeRaw(), [INVALID]);
    }
  });

  it("ignores pusher_internal:* events sent by a client", () => {
    const { client } = setup();
    const sender = client(["presence-room", { user_id: 1 }]);
    const other = client(["presence-room", { user_id: 2 }]);
    sender.take();
    sender.send({ event: "pusher_internal:member_added", channel: "presence-room", data: '{"user_id":3}' });
    sender.send({ event: "pusher_internal:subscription_succeeded", channel: "presence-room", data: "{}" });
    assert.deepEqual(sender.takeRaw(), []);
    assert.deepEqual(other.takeRaw(), []);
  });

  it("rejects pusher:signin and unknown pusher:* events with 4200", () => {
    const { client } = setup();
    const sender = client();
    for (const event of ["pusher:signin", "pusher:whatever", "pusher:subscription_count", "pusher:cache_miss"]) {
      sender.send({ event, data: {} });
      assert.deepEqual(sender.takeRaw(), [INVALID], event);
    }
  });
});
