/** @module GET /apps/{id}/channels/{name}/users: presence members only, unique, in subscription order; 400 and 404. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestCore } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

function setup() {
  const harness = createTestCore();
  const join = (channel: string, userId?: string | number) =>
    harness.connect().subscribe(channel, { channelData: userId === undefined ? { id: 123 } : { user_id: userId } });
  return { ...harness, api: apiFor(harness), join };
}

function assertJsonError(response: { text: string; headers: Headers }): void {
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(typeof (JSON.parse(response.text) as { error?: unknown }).error, "string");
}

describe("GET /channels/{name}/users", () => {
  it("answers 400 for a public channel, even one with subscribers", async () => {
    const { core, connect, api } = setup();
    try {
      connect().subscribe("test-channel");
      const response = await api("GET", "/channels/test-channel/users");
      assert.equal(response.status, 400);
      assertJsonError(response);
    } finally {
      await core.shutdown();
    }
  });

  it("answers 400 for private and cache channels", async () => {
    const { core, api } = setup();
    try {
      for (const name of ["private-room", "cache-room", "private-cache-room", "presencefoo"]) {
        assert.equal((await api("GET", `/channels/${name}/users`)).status, 400, name);
      }
    } finally {
      await core.shutdown();
    }
  });

  it("answers 404 for an unknown presence channel", async () => {
    const { core, api } = setup();
    try {
      const response = await api("GET", "/channels/presence-test-channel/users");
      assert.equal(response.status, 404);
      assertJsonError(response);
    } finally {
      await core.shutdown();
    }
  });

  it("answers 404 once the presence channel has emptied", async () => {
    const { core, connect, api } = setup();
    try {
      const client = connect();
      client.subscribe("presence-test-channel", { channelData: { user_id: 1 } });
      client.disconnect();
      assert.equal((await api("GET", "/channels/presence-test-channel/users")).status, 404);
    } finally {
      await core.shutdown();
    }
  });

  it("lists users 1, 2, 3 with their JSON type kept", async () => {
    const { core, api, join } = setup();
    try {
      for (const id of [1, 2, 3]) join("presence-test-channel", id);
      const response = await api("GET", "/channels/presence-test-channel/users");
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"users":[{"id":1},{"id":2},{"id":3}]}');
    } finally {
      await core.shutdown();
    }
  });

  it("lists each user once, at its first subscription (3, 2, 3 → 3, 2)", async () => {
    const { core, api, join } = setup();
    try {
      for (const id of [3, 2, 3]) join("presence-test-channel", id);
      assert.equal((await api("GET", "/channels/presence-test-channel/users")).text, '{"users":[{"id":3},{"id":2}]}');
    } finally {
      await core.shutdown();
    }
  });

  it("keeps string ids as strings and treats 7 and \"7\" as one user", async () => {
    const { core, api, join } = setup();
    try {
      join("presence-test-channel", "alice");
      join("presence-test-channel", 7);
      join("presence-test-channel", "7");
      assert.equal(
        (await api("GET", "/channels/presence-test-channel/users")).text,
        '{"users":[{"id":"alice"},{"id":7}]}',
      );
    } finally {
      await core.shutdown();
    }
  });

  it("drops a user when their last socket leaves", async () => {
    const { core, connect, api } = setup();
    try {
      const first = connect();
      first.subscribe("presence-test-channel", { channelData: { user_id: 1 } });
      const second = connect();
      second.subscribe("presence-test-channel", { channelData: { user_id: 1 } });
      connect().subscribe("presence-test-channel", { channelData: { user_id: 2 } });
      first.disconnect();
      assert.equal((await api("GET", "/channels/presence-test-channel/users")).text, '{"users":[{"id":1},{"id":2}]}');
      second.send({ event: "pusher:unsubscribe", data: { channel: "presence-test-channel" } });
      assert.equal((await api("GET", "/channels/presence-test-channel/users")).text, '{"users":[{"id":2}]}');
    } finally {
      await core.shutdown();
    }
  });

  it("works for presence-cache channels", async () => {
    const { core, api, join } = setup();
    try {
      join("presence-cache-room", 5);
      assert.equal((await api("GET", "/channels/presence-cache-room/users")).text, '{"users":[{"id":5}]}');
    } finally {
      await core.shutdown();
    }
  });

  it("does not fail when some subscriptions have no user_id: only signed users are listed", async () => {
    const { core, api, join } = setup();
    try {
      join("presence-test-channel");
      join("presence-test-channel", 1);
      const response = await api("GET", "/channels/presence-test-channel/users");
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"users":[{"id":1}]}');
    } finally {
      await core.shutdown();
    }
  });
});
