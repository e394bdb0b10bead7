/** @module POST /apps/{id}/batch_events: delivery per item, info arrays, socket_id exclusion, 422 per item field, 400. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
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

/** The frames a client received, decoded but with `data` kept as the string that was sent. */
function received(client: TestClient): unknown[] {
  return client.takeRaw().map((raw) => JSON.parse(raw));
}

describe("POST /batch_events delivery", () => {
  it("delivers every item to its channel's subscribers, in order", async () => {
    const { core, connect, api } = setup();
    try {
      const one = subscriber(connect, "test-channel-one");
      const both = subscriber(connect, "test-channel-one", "test-channel-two");
      const response = await api("POST", "/batch_events", {
        batch: [
          { name: "App\\Events\\First", channel: "test-channel-one", data: '{"n":1}' },
          { name: "App\\Events\\Second", channel: "test-channel-two", data: '{"n":2}' },
          { name: "App\\Events\\Third", channel: "test-channel-one", data: "plain text" },
        ],
      });
      assert.equal(response.status, 200);
      assert.deepEqual(received(one), [
        { event: "App\\Events\\First", channel: "test-channel-one", data: '{"n":1}' },
        { event: "App\\Events\\Third", channel: "test-channel-one", data: "plain text" },
      ]);
      assert.deepEqual(received(both), [
        { event: "App\\Events\\First", channel: "test-channel-one", data: '{"n":1}' },
        { event: "App\\Events\\Second", channel: "test-channel-two", data: '{"n":2}' },
        { event: "App\\Events\\Third", channel: "test-channel-one", data: "plain text" },
      ]);
    } finally {
      await core.shutdown();
    }
  });

  it('answers {"batch":[]} when no item asks for info (one item, two items)', async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "test-channel");
      const one = await api("POST", "/batch_events", { batch: [{ name: "e", channel: "test-channel", data: "{}" }] });
      assert.equal(one.status, 200);
      assert.equal(one.text, '{"batch":[]}');
      const two = await api("POST", "/batch_events", {
        batch: [
          { name: "e", channel: "test-channel", data: "{}" },
          { name: "e", channel: "other-channel", data: "{}" },
        ],
      });
      assert.equal(two.text, '{"batch":[]}');
    } finally {
      await core.shutdown();
    }
  });

  it("excludes an item's socket_id from that item only", async () => {
    const { core, connect, api } = setup();
    try {
      const excluded = subscriber(connect, "test-channel");
      const other = subscriber(connect, "test-channel");
      const response = await api("POST", "/batch_events", {
        batch: [
          { name: "first", channel: "test-channel", data: "1", socket_id: excluded.socketId },
          { name: "second", channel: "test-channel", data: "2" },
        ],
      });
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"batch":[]}');
      assert.deepEqual(received(excluded), [{ event: "second", channel: "test-channel", data: "2" }]);
      assert.deepEqual(received(other), [
        { event: "first", channel: "test-channel", data: "1" },
        { event: "second", channel: "test-channel", data: "2" },
      ]);
    } finally {
      await core.shutdown();
    }
  });

  it("ignores an unknown item socket_id", async () => {
    const { core, connect, api } = setup();
    try {
      const client = subscriber(connect, "test-channel");
      await api("POST", "/batch_events", { batch: [{ name: "e", channel: "test-channel", data: "1", socket_id: "1234.5678" }] });
      assert.deepEqual(received(client), [{ event: "e", channel: "test-channel", data: "1" }]);
    } finally {
      await core.shutdown();
    }
  });
});

describe("POST /batch_events info", () => {
  it("returns one object per item with exactly the requested attributes", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "presence-test-channel-one");
      subscriber(connect, "test-channel-two");
      subscriber(connect, "test-channel-three");
      const response = await api("POST", "/batch_events", {
        batch: [
          { name: "e", channel: "presence-test-channel-one", data: "{}", info: "user_count" },
          { name: "e", channel: "test-channel-two", data: "{}", info: "subscription_count" },
          { name: "e", channel: "test-channel-three", data: "{}", info: "subscription_count,user_count" },
        ],
      });
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"batch":[{"user_count":1},{"subscription_count":1},{"subscription_count":1}]}');
    } finally {
      await core.shutdown();
    }
  });

  it("answers {} for items without info once any item has info", async () => {
    const { core, connect, api } = setup();
    try {
      subscriber(connect, "presence-test-channel-one");
      subscriber(connect, "test-channel-two");
      const response = await api("POST", "/batch_events", {
        batch: [
          { name: "e", channel: "presence-test-channel-one", data: "{}", info: "user_count" },
          { name: "e", channel: "test-channel-two", data: "{}" },
        ],
      });
      assert.equal(response.text, '{"batch":[{"user_count":1},{}]}');
    } finally {
      await core.shutdown();
    }
  });

  it("answers {} for an item whose channel has no subscribers", async () => {
    const { core, api } = setup();
    try {
      const response = await api("POST", "/batch_events", {
        batch: [{ name: "e", channel: "test-channel", data: "{}", info: "subscription_count" }],
      });
      assert.equal(response.text, '{"batch":[{}]}');
    } finally {
      await core.shutdown();
    }
  });
});

describe("POST /batch_events rejects bad bodies", () => {
  /** Posts `body` with a subscriber present; returns the response and asserts nothing was delivered. */
  async function reject(body: unknown) {
    const { core, connect, api } = setup();
    try {
      const client = subscriber(connect, "test-channel");
      const response = await api("POST", "/batch_events", body);
      assert.deepEqual(client.takeRaw(), [], "no item of a rejected batch is delivered");
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      return response;
    } finally {
      await core.shutdown();
    }
  }

  it("422 names the item field: batch.0.data required", async () => {
    const response = await reject({ batch: [{ name: "e", channel: "test-channel" }] });
    assert.equal(response.status, 422);
    assert.equal(response.text, '{"batch.0.data":["The batch.0.data field is required."]}');
  });

  it("validates every item before delivering any (a bad second item stops the first)", async () => {
    const response = await reject({
      batch: [
        { name: "e", channel: "test-channel", data: "{}" },
        { name: "e", channel: "test-channel", data: "{}", socket_id: 5 },
      ],
    });
    assert.equal(response.status, 422);
    assert.equal(response.text, '{"batch.1.socket_id":["The batch.1.socket id field must be a string."]}');
  });

  it("422 for item name, channel (items have no channels) and info", async () => {
    const response = await reject({
      batch: [{ data: "{}", channels: ["test-channel"], info: 7 }],
    });
    assert.equal(response.status, 422);
    assert.deepEqual(JSON.parse(response.text), {
      "batch.0.name": ["The batch.0.name field is required."],
      "batch.0.channel": ["The batch.0.channel field is required."],
      "batch.0.info": ["The batch.0.info field must be a string."],
    });
  });

  it("422 for an invalid item channel name", async () => {
    const response = await reject({ batch: [{ name: "e", channel: "bad channel!", data: "{}" }] });
    assert.equal(response.status, 422);
    assert.deepEqual(Object.keys(JSON.parse(response.text)), ["batch.0.channel"]);
  });

  it("422 when batch is not an array, or missing", async () => {
    const notArray = await reject({ batch: { name: "e", channel: "test-channel", data: "{}" } });
    assert.equal(notArray.status, 422);
    assert.equal(notArray.text, '{"batch":["The batch field must be an array."]}');
    const missing = await reject({ name: "e", channel: "test-channel", data: "{}" });
    assert.equal(missing.status, 422);
    assert.equal(missing.text, '{"batch":["The batch field is required."]}');
  });

  it("422 messages for non-object items are grammatical Laravel-style sentences", async () => {
    const response = await reject({ batch: [1] });
    assert.equal(response.status, 422);
    const fields = JSON.parse(response.text) as Record<string, string[]>;
    for (const [field, messages] of Object.entries(fields)) {
      assert.match(field, /^batch\.0/);
      for (const message of messages) assert.doesNotMatch(message, /\ba [AEIOU]/i, message);
    }
  });

  for (const body of ["{batch:[]}", "", "[]", "42"]) {
    it(`400 with a JSON error for ${JSON.stringify(body)}`, async () => {
      const response = await reject(body);
      assert.equal(response.status, 400);
      assert.equal(typeof (JSON.parse(response.text) as { error?: unknown }).error, "string");
    });
  }
});
