/** @module POST /apps/{id}/events: delivery, socket_id exclusion, info attributes, validation (422) and bad JSON (400). */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_A, APP_B } from "../support/fixtures.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

const EVENT = "App\\Events\\TestEvent";
const DATA = '{"foo":"bar"}';

function setup() {
  const harness = createTestCore();
  return { ...harness, api: apiFor(harness) };
}

/** A connected client subscribed to `channels`, with the handshake frames already read. */
function subscriber(connect: () => TestClient, ...channels: string[]): TestClient {
  const client = connect();
  for (const channel of channels) client.subscribe(channel);
  client.take();
  return client;
}

const frame = (channel: string, event = EVENT, data = DATA) =>
  `{"event":${JSON.stringify(event)},"data":${JSON.stringify(data)},"channel":"${channel}"}`;

describe("POST /events delivery", () => {
  it("answers {} for a single channel and delivers the exact frame (event, data, channel)", async () => {
    const { core, connect, api } = setup();
    try {
      const client = subscriber(connect, "test-channel");
      const response = await api("POST", "/events", { name: EVENT, data: DATA, channel: "test-channel" });
      assert.equal(response.status, 200);
      assert.equal(response.text, "{}");
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(client.takeRaw(), [
        '{"event":"App\\\\Events\\\\TestEvent","data":"{\\"foo\\":\\"bar\\"}","channel":"test-channel"}',
      ]);
    } finally {
      await core.shutdown();
    }
  });

  it("answers {} for a channels array and sends each channel its own copy", async () => {
    const { core, connect, api } = setup();
    try {
      const one = subscriber(connect, "test-channel-one");
      const two = subscriber(connect, "test-channel-two");
      const both = subscriber(connect, "test-channel-one", "test-channel-two");
      const response = await api("POST", "/events", {
        name: EVENT,
        data: DATA,
        channels: ["test-channel-one", "test-channel-two"],
      });
      assert.equal(response.status, 200);
      assert.equal(response.text, "{}");
      assert.deepEqual(one.takeRaw(), [frame("test-channel-one")]);
      assert.deepEqual(two.takeRaw(), [frame("test-channel-two")]);
      assert.deepEqual(both.takeRaw(), [frame("test-channel-one"), frame("test-channel-two")]);
    } finally {
      await core.shutdown();
    }
  });

  it("relays the data string exactly as given, whatever characters it holds", async () => {
    const { core, connect, api } = setup();
    try {
      const client = subscriber(connect, "test-channel");
      const data = `{"html":"<a href='/x?a=1&b=2'>\\"é\\" ☃ 😀</a>"}`;
      await api("POST", "/events", { name: "odd-event", data, channel: "test-channel" });
      const [received] = client.take();
      assert.equal(JSON.parse(received!.raw).data, data);
    } finally {
      await core.shutdown();
    }
  });

  it("excludes the subscriber named by socket_id: it receives only the second of two events", async () => {
    const { core, connect, api } = setup();
    try {
      const excluded = subscriber(connect, "test-channel");
      const other = subscriber(connect, "test-channel");
      await api("POST", "/events", { name: "first", data: "1", channel: "test-channel", socket_id: excluded.socketId });
      await api("POST", "/events", { name: "second", data: "2", channel: "test-channel" });
      assert.deepEqual(excluded.takeRaw(), [frame("test-channel", "second", "2")]);
      assert.deepEqual(other.takeRaw(), [frame("test-channel", "first", "1"), frame("test-channel", "second", "2")]);
    } finally {
      await core.shutdown();
    }
  });

  it("excludes the socket_id on every target channel", async () => {
    const { core, connect, api } = setup();
    try {
      const excluded = subscriber(connect, "test-channel-one", "test-channel-two");
      const other = subscriber(connect, "test-channel-one", "test-channel-two");
      const body = { name: EVENT, data: DATA, channels: ["test-channel-one", "test-channel-two"], socket_id: excluded.socketId };
      assert.equal((await api("POST", "/events", body)).status, 200);
      assert.deepEqual(excluded.takeRaw(), []);
      assert.equal(other.takeRaw().length, 2);
    } finally {
      await core.shutdown();
    }
  });

  for (const socketId of ["invalid-socket-id", "1234.5678", ""]) {
    it(`ignores an unknown or invalid socket_id (${JSON.stringify(socketId)}): both events delivered`, async () => {
      const { core, connect, api } = setup();
      try {
        const client = subscriber(connect, "test-channel");
        const first = await api("POST", "/events", { name: "first", data: "1", channel: "test-channel", socket_id: socketId });
        await api("POST", "/events", { name: "second", data: "2", channel: "test-channel" });
        assert.equal(first.status, 200);
        assert.deepEqual(client.takeRaw(), [frame("test-channel", "first", "1"), frame("test-channel", "second", "2")]);
      } finally {
        await core.shutdown();
      }
    });
  }

  it("does not deliver to another app's subscribers of the same channel name", async () => {
    const { core, connect, api } = setup();
    try {
      const foreign = subscriber(() => connect(APP_B), "test-channel");
      assert.equal((await api("POST", "/events", { name: EVENT, data: DATA, channel: "test-channel" })).status, 200);
      assert.deepEqual(foreign.takeRaw(), []);
    } finally {
      await core.shutdown();
    }
  });

  it("accepts events for channels without subscribers, and caches them on cache channels (as Pusher does)", async () => {
    const { core, connect, api } = setup();
    try {
      const response = await api("POST", "/events", { name: EVENT, data: DATA, channels: ["nobody-here", "cache-test-channel"] });
      assert.equal(response.status, 200);
      assert.equal(response.text, "{}");
      const late = connect();
      late.take();
      assert.deepEqual(late.subscribe("cache-test-channel").map((f) => f.raw), [
        '{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"cache-test-channel"}',
        `{"event":${JSON.stringify(EVENT)},"data":${JSON.stringify(DATA)},"channel":"cache-test-channel"}`,
      ]);
      assert.deepEqual([...core.hub.state(core.hub.apps.findById("123456")!).channels.cache.keys()], ["cache-test-channel"]);
    } finally {
      await core.shutdown();
    }
  });

  it("caches an event sent to an occupied cache channel and replays the exact frame to a new subscriber", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "cache-test-channel");
      await api("POST", "/events", { name: EVENT, data: DATA, channel: "cache-test-channel" });
      const late = connect();
      late.take();
      assert.deepEqual(late.subscribe("cache-test-channel").map((f) => f.raw).slice(1), [frame("cache-test-channel")]);
    } finally {
      await core.shutdown();
    }
  });
});

describe("POST /events info", () => {
  function presenceAndPublic(connect: () => TestClient) {
    subscriber(connect, "presence-test-channel-one"); // no channel_data: counts as one user
    subscriber(connect, "test-channel-two");
  }

  it("info=user_count reports user_count for presence channels and {} for others", async () => {
    const { core, connect, api } = setup();
    try {
      presenceAndPublic(connect);
      const response = await api("POST", "/events", {
        name: EVENT,
        data: DATA,
        channels: ["presence-test-channel-one", "test-channel-two"],
        info: "user_count",
      });
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"channels":{"presence-test-channel-one":{"user_count":1},"test-channel-two":{}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("info=subscription_count reports subscription_count for non-presence channels and {} for presence", async () => {
    const { core, connect, api } = setup();
    try {
      presenceAndPublic(connect);
      const response = await api("POST", "/events", {
        name: EVENT,
        data: DATA,
        channels: ["presence-test-channel-one", "test-channel-two"],
        info: "subscription_count",
      });
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"channels":{"presence-test-channel-one":{},"test-channel-two":{"subscription_count":1}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("info on a single channel and on a channel without subscribers", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel");
      subscriber(connect, "test-channel");
      const one = await api("POST", "/events", { name: EVENT, data: DATA, channel: "test-channel", info: "subscription_count" });
      assert.equal(one.text, '{"channels":{"test-channel":{"subscription_count":2}}}');
      const none = await api("POST", "/events", { name: EVENT, data: DATA, channel: "empty-channel", info: "subscription_count" });
      assert.equal(none.text, '{"channels":{"empty-channel":{}}}');
    } finally {
      await core.shutdown();
    }
  });
});
