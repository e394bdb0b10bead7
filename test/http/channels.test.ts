/** @module GET /apps/{id}/channels and GET /apps/{id}/channels/{name}: occupied channels and their info attributes. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_B } from "../support/fixtures.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

function setup() {
  const harness = createTestCore();
  return { ...harness, api: apiFor(harness) };
}

function subscriber(connect: () => TestClient, ...channels: string[]): TestClient {
  const client = connect();
  for (const channel of channels) client.subscribe(channel);
  client.take();
  return client;
}

describe("GET /channels", () => {
  it('answers {"channels":{}} when no channel is occupied', async () => {
    const { core, api } = setup();
    try {
      const response = await api("GET", "/channels");
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"channels":{}}');
    } finally {
      await core.shutdown();
    }
  });

  it("lists occupied channels in creation order, each {} without info", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel-one");
      subscriber(connect, "test-channel-two", "test-channel-one");
      const response = await api("GET", "/channels");
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"channels":{"test-channel-one":{},"test-channel-two":{}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("info=user_count adds user_count to presence channels only", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel-one");
      subscriber(connect, "presence-test-channel-two");
      const response = await api("GET", "/channels", undefined, { info: "user_count" });
      assert.equal(response.text, '{"channels":{"test-channel-one":{},"presence-test-channel-two":{"user_count":1}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("info=subscription_count adds subscription_count to non-presence channels", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel-one");
      subscriber(connect, "test-channel-one");
      subscriber(connect, "presence-test-channel-two");
      const response = await api("GET", "/channels", undefined, { info: "subscription_count" });
      assert.equal(response.text, '{"channels":{"test-channel-one":{"subscription_count":2},"presence-test-channel-two":{}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("filter_by_prefix keeps only names starting with the prefix; an empty prefix keeps all", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel", "presence-room", "private-room", "presence-lobby");
      const presence = await api("GET", "/channels", undefined, { filter_by_prefix: "presence-", info: "user_count" });
      assert.equal(presence.text, '{"channels":{"presence-room":{"user_count":1},"presence-lobby":{"user_count":1}}}');
      const none = await api("GET", "/channels", undefined, { filter_by_prefix: "cache-" });
      assert.equal(none.text, '{"channels":{}}');
      const all = await api("GET", "/channels", undefined, { filter_by_prefix: "" });
      assert.deepEqual(Object.keys((all.json as { channels: object }).channels), [
        "test-channel",
        "presence-room",
        "private-room",
        "presence-lobby",
      ]);
    } finally {
      await core.shutdown();
    }
  });

  it("drops channels emptied by a disconnect or an unsubscribe", async () => {
    const { core, connect, api } = setup();
    try {
      const leaving = subscriber(connect, "test-channel-one");
      subscriber(connect, "test-channel-two");
      const unsubscribing = subscriber(connect, "test-channel-three");
      leaving.disconnect();
      unsubscribing.send({ event: "pusher:unsubscribe", data: { channel: "test-channel-three" } });
      const response = await api("GET", "/channels");
      assert.equal(response.text, '{"channels":{"test-channel-two":{}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("does not list another app's channels", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(() => connect(APP_B), "foreign-channel");
      assert.equal((await api("GET", "/channels")).text, '{"channels":{}}');
    } finally {
      await core.shutdown();
    }
  });
});

describe("GET /channels/{name}", () => {
  it("two subscribers, info=user_count,subscription_count,cache on a public channel", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel");
      subscriber(connect, "test-channel");
      const response = await api("GET", "/channels/test-channel", undefined, { info: "user_count,subscription_count,cache" });
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"occupied":true,"subscription_count":2}');
    } finally {
      await core.shutdown();
    }
  });

  it('answers {"occupied":false} for a channel without subscribers, whatever info asks', async () => {
    const { core, connect, api } = setup();
    try {
      assert.equal((await api("GET", "/channels/test-channel")).text, '{"occupied":false}');
      const withInfo = await api("GET", "/channels/test-channel", undefined, { info: "subscription_count,user_count,cache" });
      assert.equal(withInfo.status, 200);
      assert.equal(withInfo.text, '{"occupied":false}');
      const gone = subscriber(connect, "test-channel");
      gone.disconnect();
      assert.equal((await api("GET", "/channels/test-channel")).text, '{"occupied":false}');
    } finally {
      await core.shutdown();
    }
  });

  it('answers {"occupied":true} without info', async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel");
      assert.equal((await api("GET", "/channels/test-channel")).text, '{"occupied":true}');
    } finally {
      await core.shutdown();
    }
  });

  it("includes the stored payload of a cache channel for info=cache", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "cache-test-channel");
      const before = await api("GET", "/channels/cache-test-channel", undefined, { info: "subscription_count,cache" });
      assert.equal(before.text, '{"occupied":true,"subscription_count":1}');
      await api("POST", "/events", { name: "App\\Events\\TestEvent", data: '{"some":"data"}', channel: "cache-test-channel" });
      const after = await api("GET", "/channels/cache-test-channel", undefined, { info: "subscription_count,cache" });
      assert.equal(
        after.text,
        '{"occupied":true,"subscription_count":1,"cache":{"event":"App\\\\Events\\\\TestEvent","data":"{\\"some\\":\\"data\\"}","channel":"cache-test-channel"}}',
      );
    } finally {
      await core.shutdown();
    }
  });

  it("counts presence subscriptions without user_id as one user", async () => {
    const { core, connect, api } = setup();
    try {
      for (let i = 0; i < 2; i++) {
        const client = connect();
        client.subscribe("presence-test-channel", { channelData: { id: 123 } });
      }
      const response = await api("GET", "/channels/presence-test-channel", undefined, { info: "user_count,subscription_count" });
      assert.equal(response.text, '{"occupied":true,"user_count":1}');
    } finally {
      await core.shutdown();
    }
  });

  it("counts distinct presence users, not sockets", async () => {
    const { core, connect, api } = setup();
    try {
      for (const userId of [1, 2, 2, "1"]) connect().subscribe("presence-room", { channelData: { user_id: userId } });
      const response = await api("GET", "/channels/presence-room", undefined, { info: "user_count" });
      assert.equal(response.text, '{"occupied":true,"user_count":2}');
    } finally {
      await core.shutdown();
    }
  });

  it("returns only attributes that apply to the channel", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel");
      const cache = await api("GET", "/channels/test-channel", undefined, { info: "cache" });
      assert.equal(cache.text, '{"occupied":true}');
      const counts = await api("GET", "/channels/test-channel", undefined, { info: "subscription_count,user_count" });
      assert.equal(counts.text, '{"occupied":true,"subscription_count":1}');
      const unknown = await api("GET", "/channels/test-channel", undefined, { info: "bogus,occupied" });
      assert.equal(unknown.text, '{"occupied":true}');
    } finally {
      await core.shutdown();
    }
  });

  it("reads a percent-encoded channel name in the path", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "private-room=1@a,b;c");
      const response = await api("GET", `/channels/${encodeURIComponent("private-room=1@a,b;c")}`);
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"occupied":true}');
    } finally {
      await core.shutdown();
    }
  });
});
