/** @module GET /apps/{id}/connections counts every open connection of the app, subscribed or not. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_B } from "../support/fixtures.ts";
import { createTestCore } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

function setup() {
  const harness = createTestCore();
  return { ...harness, api: apiFor(harness) };
}

describe("GET /connections", () => {
  it("answers {\"connections\":0} with no clients", async () => {
    const { core, api } = setup();
    try {
      const response = await api("GET", "/connections");
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"connections":0}');
    } finally {
      await core.shutdown();
    }
  });

  it("counts two connections in different channels as 2", async () => {
    const { core, connect, api } = setup();
    try {
      connect().subscribe("test-channel-one");
      connect().subscribe("test-channel-two");
      assert.equal((await api("GET", "/connections")).text, '{"connections":2}');
    } finally {
      await core.shutdown();
    }
  });

  it("counts one connection in two channels once", async () => {
    const { core, connect, api } = setup();
    try {
      const client = connect();
      client.subscribe("test-channel-one");
      client.subscribe("presence-test-channel-two", { channelData: { user_id: 1 } });
      assert.equal((await api("GET", "/connections")).text, '{"connections":1}');
    } finally {
      await core.shutdown();
    }
  });

  it("counts connections that never subscribed", async () => {
    const { core, connect, api } = setup();
    try {
      connect();
      connect();
      connect().subscribe("test-channel");
      assert.equal((await api("GET", "/connections")).text, '{"connections":3}');
    } finally {
      await core.shutdown();
    }
  });

  it("stops counting closed connections and ignores other apps", async () => {
    const { core, connect, api } = setup();
    try {
      const leaving = connect();
      connect();
      connect(APP_B);
      leaving.disconnect();
      assert.equal((await api("GET", "/connections")).text, '{"connections":1}');
    } finally {
      await core.shutdown();
    }
  });

  it("does not count a connection refused for an unknown app key", async () => {
    const { core, connect, api } = setup();
    try {
      connect("no-such-key");
      connect();
      assert.equal((await api("GET", "/connections")).text, '{"connections":1}');
    } finally {
      await core.shutdown();
    }
  });
});
