/** @module POST /apps/{id}/events rejects bad bodies: Laravel-style 422 field messages, 400 for JSON that is not an object. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestCore } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

const CHANNEL_RULE = "(1-164 characters of A-Z a-z 0-9 _ - = @ , . ;)";

/** Posts `body` with a subscriber on test-channel; asserts the status and exact body, and that nothing was delivered. */
async function expectRejected(body: unknown, status: number, expected?: string): Promise<string> {
  const harness = createTestCore();
  try {
    const client = harness.connect();
    client.subscribe("test-channel");
    client.take();
    const response = await apiFor(harness)("POST", "/events", body);
    assert.equal(response.status, status, response.text);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    if (expected !== undefined) assert.equal(response.text, expected);
    assert.deepEqual(client.takeRaw(), [], "nothing is delivered");
    return response.text;
  } finally {
    await harness.core.shutdown();
  }
}

describe("POST /events validation (422)", () => {
  it("requires data with a channel", async () => {
    await expectRejected({ name: "event", channel: "test-channel" }, 422, '{"data":["The data field is required."]}');
  });

  it("requires data with channels", async () => {
    await expectRejected({ name: "event", channels: ["test-channel"] }, 422, '{"data":["The data field is required."]}');
  });

  it("treats an empty data string as missing", async () => {
    await expectRejected({ name: "event", data: "", channel: "test-channel" }, 422, '{"data":["The data field is required."]}');
  });

  it("rejects an integer socket_id", async () => {
    await expectRejected(
      { name: "event", data: "{}", channel: "test-channel", socket_id: 1234 },
      422,
      '{"socket_id":["The socket id field must be a string."]}',
    );
  });

  it("rejects an integer info", async () => {
    await expectRejected(
      { name: "event", data: "{}", channel: "test-channel", info: 1234 },
      422,
      '{"info":["The info field must be a string."]}',
    );
  });

  it("requires name", async () => {
    await expectRejected({ data: "{}", channel: "test-channel" }, 422, '{"name":["The name field is required."]}');
  });

  it("rejects data given as an object", async () => {
    await expectRejected(
      { name: "event", data: { foo: "bar" }, channel: "test-channel" },
      422,
      '{"data":["The data field must be a string."]}',
    );
  });

  it("rejects an empty channels array", async () => {
    await expectRejected(
      { name: "event", data: "{}", channels: [] },
      422,
      '{"channels":["The channels field is required when channel is not present."]}',
    );
  });

  it("requires channels when neither channel nor channels is given", async () => {
    await expectRejected(
      { name: "event", data: "{}" },
      422,
      '{"channels":["The channels field is required when channel is not present."]}',
    );
  });

  it("rejects channels that is not an array", async () => {
    await expectRejected(
      { name: "event", data: "{}", channels: "test-channel" },
      422,
      '{"channels":["The channels field must be an array."]}',
    );
  });

  it("rejects an invalid channel name (rule 4)", async () => {
    await expectRejected(
      { name: "event", data: "{}", channel: "test channel" },
      422,
      `{"channel":["The channel field must be a valid channel name ${CHANNEL_RULE}."]}`,
    );
  });

  it("rejects an invalid name inside channels, reporting its index, and delivers to none of them", async () => {
    await expectRejected(
      { name: "event", data: "{}", channels: ["test-channel", "x".repeat(165)] },
      422,
      `{"channels.1":["The channels.1 field must be a valid channel name ${CHANNEL_RULE}."]}`,
    );
  });

  it("reports every failing field at once", async () => {
    const text = await expectRejected({ channel: "test-channel", socket_id: 1 }, 422);
    assert.deepEqual(JSON.parse(text), {
      name: ["The name field is required."],
      data: ["The data field is required."],
      socket_id: ["The socket id field must be a string."],
    });
  });
});

describe("POST /events bad JSON (400)", () => {
  for (const [label, body] of [
    ["invalid JSON", "{name: 'event'"],
    ["an empty body", ""],
    ["a number", "123"],
    ["an array", "[1]"],
    ["null", "null"],
    ["a string", '"event"'],
  ] as const) {
    it(`answers 400 with a JSON error for ${label}`, async () => {
      const text = await expectRejected(body, 400);
      const json = JSON.parse(text) as { error?: unknown };
      assert.equal(typeof json.error, "string");
      assert.deepEqual(Object.keys(json), ["error"]);
    });
  }
});
