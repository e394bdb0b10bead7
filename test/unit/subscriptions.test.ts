/** @module pusher:subscribe / pusher:unsubscribe: channel kinds, exact replies, auth, channel names (cache replay: cache-channels.test.ts). */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PUSHER_ERRORS } from "../../src/errors.ts";
import { createTestCore, validAuth } from "../support/harness.ts";
import { APP_A, APP_B } from "../support/fixtures.ts";
import { channelCount } from "../../src/protocol/connection-channels.ts";

function errorRaw(code: number, message: string): string {
  return JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) });
}

const succeeded = (channel: string) =>
  `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${channel}"}`;
const cacheMiss = (channel: string) => `{"event":"pusher:cache_miss","channel":"${channel}"}`;
const UNAUTHORIZED = errorRaw(4009, "Connection is unauthorized");
const INVALID = errorRaw(4200, "Invalid message format");
const BAD_NAME = errorRaw(4300, PUSHER_ERRORS.invalidChannelName.message);
const USER_1 = { user_id: 1, user_info: { name: "Test User" } };

function setup() {
  const env = createTestCore();
  const channels = () => env.core.hub.state(APP_A).channels.channels;
  const client = () => {
    const c = env.connect(APP_A);
    c.take();
    return c;
  };
  return { ...env, channels, client };
}

describe("subscribing", () => {
  for (const channel of ["test-channel", "private-test-channel", "cache-test-channel", "private-cache-test-channel"]) {
    it(`subscribes to ${channel} with an exact subscription_succeeded`, () => {
      const { client, channels } = setup();
      const c = client();
      const expected = [succeeded(channel)];
      if (channel.includes("cache-")) expected.push(cacheMiss(channel));
      assert.deepEqual(c.subscribe(channel).map((f) => f.raw), expected);
      assert.equal(channels().get(channel)?.subscribers.size, 1);
    });
  }

  for (const channel of ["presence-test-channel", "presence-cache-test-channel"]) {
    it(`subscribes to ${channel} with the member list`, () => {
      const { client } = setup();
      const expected = [
        `{"event":"pusher_internal:subscription_succeeded","data":"{\\"presence\\":{\\"count\\":1,\\"ids\\":[1],\\"hash\\":{\\"1\\":{\\"name\\":\\"Test User\\"}}}}","channel":"${channel}"}`,
      ];
      if (channel.includes("cache-")) expected.push(cacheMiss(channel));
      assert.deepEqual(client().subscribe(channel, { channelData: USER_1 }).map((f) => f.raw), expected);
    });
  }

  it("ignores auth on public channels", () => {
    const { client } = setup();
    assert.deepEqual(client().subscribe("test-channel", { auth: "123" }).map((f) => f.raw), [succeeded("test-channel")]);
  });

  it("reads `privatefoo` as a public channel", () => {
    const { client } = setup();
    assert.deepEqual(client().subscribe("privatefoo", { auth: null }).map((f) => f.raw), [succeeded("privatefoo")]);
  });

  it("accepts any JSON-object channel_data on a public channel and ignores it", () => {
    const { core, client } = setup();
    const c = client();
    for (const channelData of ['{"user_id":true}', '{"user_id":""}', '{"user_id":{"a":1}}', '{"user_id":"1","user_info":5}']) {
      c.send({ event: "pusher:subscribe", data: { channel: "test-channel", channel_data: channelData } });
      assert.deepEqual(c.takeRaw(), [succeeded("test-channel")], channelData);
    }
    const subscription = core.hub.state(APP_A).channels.find("test-channel")?.subscribers.get(c.connection);
    assert.equal(subscription?.userId, undefined);
  });

  it("accepts subscribe data sent as a JSON string", () => {
    const { client } = setup();
    const c = client();
    c.send({ event: "pusher:subscribe", data: JSON.stringify({ channel: "test-channel" }) });
    assert.deepEqual(c.takeRaw(), [succeeded("test-channel")]);
  });

  it("coerces a numeric channel name to its decimal string", () => {
    const { client, channels } = setup();
    const c = client();
    c.send({ event: "pusher:subscribe", data: { channel: 123 } });
    assert.deepEqual(c.takeRaw(), [succeeded("123")]);
    assert.ok(channels().has("123"));
  });

  it("sends subscription_succeeded again on re-subscribe, with one subscription kept", () => {
    const { client, channels } = setup();
    const c = client();
    c.subscribe("test-channel");
    assert.deepEqual(c.subscribe("test-channel").map((f) => f.raw), [succeeded("test-channel")]);
    assert.equal(channels().get("test-channel")?.subscribers.size, 1);
  });

  it("counts subscriptions per channel across connections", () => {
    const { client, channels } = setup();
    const one = client();
    const two = client();
    one.subscribe("test-channel");
    one.subscribe("test-channel-2");
    one.subscribe("private-test-channel-3", { channelData: { foo: "bar" } });
    one.subscribe("presence-test-channel-4", { channelData: USER_1 });
    two.subscribe("test-channel");
    two.subscribe("private-test-channel-3");
    const counts = [...channels()].map(([name, channel]) => [name, channel.subscribers.size]);
    assert.deepEqual(counts, [
      ["test-channel", 2],
      ["test-channel-2", 1],
      ["private-test-channel-3", 2],
      ["presence-test-channel-4", 1],
    ]);
  });
});

describe("channel authorization", () => {
  const authenticated = ["private-test-channel", "presence-test-channel", "private-cache-test-channel", "presence-cache-test-channel"];
  const badAuths: Array<[string, (socketId: string, channel: string) => string | null | undefined]> = [
    ["an invalid signature", () => "invalid-signature"],
    ["a null auth", () => null],
    ["a missing auth", () => undefined],
    ["another app's key", (socketId, channel) => validAuth(APP_A, socketId, channel).replace(APP_A.key, APP_B.key)],
    ["a bare signature", (socketId, channel) => validAuth(APP_A, socketId, channel).slice(APP_A.key.length + 1)],
    ["an empty key part", (socketId, channel) => validAuth(APP_A, socketId, channel).slice(APP_A.key.length)],
    ["another socket's signature", (_socketId, channel) => validAuth(APP_A, "1.1", channel)],
    ["another app's secret", (socketId, channel) => validAuth({ ...APP_A, secret: "x" }, socketId, channel)],
  ];

  for (const channel of authenticated) {
    for (const [label, auth] of badAuths) {
      it(`rejects ${label} on ${channel} with 4009 and creates nothing`, () => {
        const { client, channels } = setup();
        const c = client();
        const value = auth(c.socketId, channel);
        const data: Record<string, unknown> = { channel };
        if (value !== undefined) data["auth"] = value;
        c.send({ event: "pusher:subscribe", data });
        assert.deepEqual(c.takeRaw(), [UNAUTHORIZED]);
        assert.equal(channels().size, 0);
        assert.equal(channelCount(c.connection.channels), 0);
      });
    }
  }

  it("includes channel_data in a private channel's signature", () => {
    const { client, channels } = setup();
    const c = client();
    const channelData = JSON.stringify({ user_id: "1" });
    const unsigned = validAuth(APP_A, c.socketId, "private-c");
    c.send({ event: "pusher:subscribe", data: { channel: "private-c", auth: unsigned, channel_data: channelData } });
    assert.deepEqual(c.takeRaw(), [UNAUTHORIZED]);
    assert.equal(channels().size, 0);
    const signed = validAuth(APP_A, c.socketId, "private-c", channelData);
    c.send({ event: "pusher:subscribe", data: { channel: "private-c", auth: signed, channel_data: channelData } });
    assert.deepEqual(c.takeRaw(), [succeeded("private-c")]);
  });

  it("leaves an existing channel's members untouched after a failed subscribe", () => {
    const { client, channels } = setup();
    const member = client();
    member.subscribe("presence-room", { channelData: USER_1 });
    const intruder = client();
    intruder.subscribe("presence-room", { channelData: { user_id: 2 }, auth: "invalid-signature" });
    assert.deepEqual(member.takeRaw(), []);
    assert.equal(channels().get("presence-room")?.subscribers.size, 1);
    assert.equal(channelCount(intruder.connection.channels), 0);
  });
});

describe("channel names", () => {
  const invalid: Array<[string, string]> = [
    ["empty", ""],
    ["165 characters", "a".repeat(165)],
    ["a space", "test channel"],
    ["#", "#test"],
    ["unicode", "tést"],
    ["a slash", "a/b"],
    ["private- with a colon", "private-a:b"],
  ];
  for (const [label, name] of invalid) {
    it(`rejects a name with ${label} with 4300 and creates nothing`, () => {
      const { client, channels } = setup();
      const c = client();
      c.send({ event: "pusher:subscribe", data: { channel: name, auth: validAuth(APP_A, c.socketId, name) } });
      assert.deepEqual(c.takeRaw(), [BAD_NAME]);
      assert.equal(channels().size, 0);
    });
  }

  it("accepts 164 characters and every allowed punctuation mark", () => {
    const { client } = setup();
    const c = client();
    for (const name of ["a".repeat(164), "A-z_0=9@a,b.c;d"]) {
      assert.deepEqual(c.subscribe(name).map((f) => f.raw), [succeeded(name)]);
    }
  });
});

describe("malformed subscribe messages → 4200", () => {
  const cases: Array<[string, unknown]> = [
    ["event []", { event: [], data: { channel: "test-channel" } }],
    ['data "sfsfsfs"', { event: "pusher:subscribe", data: "sfsfsfs" }],
    ["channel []", { event: "pusher:subscribe", data: { channel: [] } }],
    ["channel null", { event: "pusher:subscribe", data: { channel: null } }],
    ["no channel", { event: "pusher:subscribe", data: {} }],
    ["no data", { event: "pusher:subscribe" }],
    ["auth []", { event: "pusher:subscribe", data: { channel: "test-channel", auth: [] } }],
    ["channel_data []", { event: "pusher:subscribe", data: { channel: "test-channel", channel_data: [] } }],
    ['channel_data "Hello"', { event: "pusher:subscribe", data: { channel: "test-channel", channel_data: "Hello" } }],
    ['channel_data "5" on a public channel', { event: "pusher:subscribe", data: { channel: "test-channel", channel_data: "5" } }],
    ['channel_data "[]" (not an object) on a public channel', { event: "pusher:subscribe", data: { channel: "test-channel", channel_data: "[]" } }],
    ["raw text Hi", "Hi"],
    ["a JSON array", "[]"],
    ["JSON null", "null"],
  ];
  for (const [label, message] of cases) {
    it(`rejects ${label}`, () => {
      const { client, channels } = setup();
      const c = client();
      c.send(message);
      assert.deepEqual(c.takeRaw(), [INVALID]);
      assert.equal(channels().size, 0);
      assert.equal(c.socket.closedWith, undefined);
    });
  }
});

describe("unsubscribing", () => {
  it("sends nothing and removes the channel when its last subscriber leaves", () => {
    const { client, channels } = setup();
    const one = client();
    const two = client();
    one.subscribe("test-channel");
    two.subscribe("test-channel");
    one.send({ event: "pusher:unsubscribe", data: { channel: "test-channel" } });
    assert.deepEqual(one.takeRaw(), []);
    assert.equal(channels().get("test-channel")?.subscribers.size, 1);
    two.send({ event: "pusher:unsubscribe", data: { channel: "test-channel" } });
    assert.deepEqual(two.takeRaw(), []);
    assert.equal(channels().has("test-channel"), false);
  });

  it("ignores unknown channels and channels the connection is not in", () => {
    const { client, channels } = setup();
    const member = client();
    member.subscribe("test-channel");
    const other = client();
    other.send({ event: "pusher:unsubscribe", data: { channel: "nope" } });
    other.send({ event: "pusher:unsubscribe", data: { channel: "test-channel" } });
    assert.deepEqual(other.takeRaw(), []);
    assert.equal(channels().get("test-channel")?.subscribers.size, 1);
  });

  it("rejects an unsubscribe without a channel with 4200", () => {
    const { client } = setup();
    const c = client();
    c.send({ event: "pusher:unsubscribe", data: {} });
    assert.deepEqual(c.takeRaw(), [INVALID]);
  });

  it("leaves every channel on disconnect", () => {
    const { client, channels } = setup();
    const c = client();
    c.subscribe("a");
    c.subscribe("private-b");
    c.subscribe("presence-c", { channelData: USER_1 });
    c.disconnect();
    assert.equal(channels().size, 0);
  });
});
