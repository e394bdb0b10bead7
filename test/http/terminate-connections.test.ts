/** @module POST /apps/{id}/users/{userId}/terminate_connections closes that user's connections (4009) and answers {}. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_B } from "../support/fixtures.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

const TERMINATED_FRAME = '{"event":"pusher:error","data":"{\\"code\\":4009,\\"message\\":\\"Connection terminated by the app\\"}"}';
const TERMINATED_CLOSE = { code: 4009, reason: "Connection terminated by the app" };

function setup() {
  const harness = createTestCore();
  /** A client of `app` in `presence` as `userId`, then in each public channel; handshake frames read. */
  const user = (userId: string | number, presence: string, publicChannels: string[] = [], app = harness.connect()) => {
    app.subscribe(presence, { channelData: { user_id: userId } });
    for (const channel of publicChannels) app.subscribe(channel);
    app.take();
    return app;
  };
  return { ...harness, api: apiFor(harness), user };
}

function assertTerminated(client: TestClient): void {
  assert.deepEqual(client.takeRaw(), [TERMINATED_FRAME]);
  assert.deepEqual(client.socket.closedWith, TERMINATED_CLOSE);
}

function assertUntouched(client: TestClient): void {
  assert.equal(client.socket.closedWith, undefined);
  assert.equal(client.connection.isClosed, false);
}

describe("POST /users/{id}/terminate_connections", () => {
  it("terminates user 456 only: {} and each channel keeps one subscriber", async () => {
    const { core, api, user } = setup();
    try {
      const keep = user(123, "presence-test-channel", ["test-channel"]);
      const gone = user(456, "presence-test-channel", ["test-channel"]);
      keep.take();
      const response = await api("POST", "/users/456/terminate_connections", undefined);
      assert.equal(response.status, 200);
      assert.equal(response.text, "{}");
      assertTerminated(gone);
      assertUntouched(keep);
      assert.deepEqual(keep.take().map((f) => f.raw), [
        '{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":456}","channel":"presence-test-channel"}',
      ]);
      const presence = await api("GET", "/channels/presence-test-channel/users");
      assert.equal(presence.text, '{"users":[{"id":123}]}');
      const open = await api("GET", "/channels/test-channel", undefined, { info: "subscription_count" });
      assert.equal(open.text, '{"occupied":true,"subscription_count":1}');
      assert.equal((await api("GET", "/connections")).text, '{"connections":1}');
    } finally {
      await core.shutdown();
    }
  });

  it("matches a user whose public channel was created before the presence channel", async () => {
    const { core, connect, api, user } = setup();
    try {
      const early = connect();
      early.subscribe("test-channel");
      const gone = user(456, "presence-test-channel", [], early);
      const keep = user(123, "presence-test-channel", ["test-channel"]);
      gone.take();
      const response = await api("POST", "/users/456/terminate_connections", undefined);
      assert.equal(response.status, 200);
      assertTerminated(gone);
      assertUntouched(keep);
    } finally {
      await core.shutdown();
    }
  });

  it("closes every connection of the user, in any presence channel", async () => {
    const { core, api, user } = setup();
    try {
      const tabs = [user("456", "presence-one"), user(456, "presence-two"), user(456, "presence-one", ["news"])];
      const other = user(4567, "presence-one");
      for (const tab of tabs) tab.take();
      assert.equal((await api("POST", "/users/456/terminate_connections", undefined)).text, "{}");
      for (const tab of tabs) assertTerminated(tab);
      assertUntouched(other);
      assert.equal((await api("GET", "/connections")).text, '{"connections":1}');
    } finally {
      await core.shutdown();
    }
  });

  it("leaves connections without any user_id alone, even unsubscribed ones", async () => {
    const { core, connect, api } = setup();
    try {
      const idle = connect();
      const anonymous = connect();
      anonymous.subscribe("presence-room", { channelData: { id: 456 } });
      const publicOnly = connect();
      publicOnly.subscribe("test-channel");
      assert.equal((await api("POST", "/users/456/terminate_connections", undefined)).text, "{}");
      for (const client of [idle, anonymous, publicOnly]) assertUntouched(client);
    } finally {
      await core.shutdown();
    }
  });

  it("answers {} for an unknown user and closes nothing", async () => {
    const { core, api, user } = setup();
    try {
      const client = user(123, "presence-room");
      const response = await api("POST", "/users/nobody/terminate_connections", undefined);
      assert.equal(response.status, 200);
      assert.equal(response.text, "{}");
      assertUntouched(client);
    } finally {
      await core.shutdown();
    }
  });

  it("does not touch the same user id in another app", async () => {
    const { core, connect, api, user } = setup();
    try {
      const foreign = user(456, "presence-room", [], connect(APP_B));
      await api("POST", "/users/456/terminate_connections", undefined);
      assertUntouched(foreign);
    } finally {
      await core.shutdown();
    }
  });

  it("decodes a percent-encoded user id in the path", async () => {
    const { core, api, user } = setup();
    try {
      const gone = user("user@example.com", "presence-room");
      const response = await api("POST", `/users/${encodeURIComponent("user@example.com")}/terminate_connections`, undefined);
      assert.equal(response.status, 200);
      assertTerminated(gone);
    } finally {
      await core.shutdown();
    }
  });

  it("answers 404 for the unrouted /channels/users/{id}/terminate_connections", async () => {
    const { core, api, user } = setup();
    try {
      const client = user("not-a-user", "presence-room");
      const response = await api("POST", "/channels/users/not-a-user/terminate_connections", undefined);
      assert.equal(response.status, 404);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assertUntouched(client);
    } finally {
      await core.shutdown();
    }
  });
});
