/** @module HTTP API request signing: 401 for anything unsigned or tampered, 404 for unknown apps first, sorted params. */

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { APP_A, APP_B } from "../support/fixtures.ts";
import { createTestCore } from "../support/harness.ts";
import { rawRequest, send, signedRequest, tamperedRequest, type Tampering } from "../support/signed-request.ts";

const BASE = `/apps/${APP_A.id}`;
const EVENT_BODY = { name: "App\\Events\\TestEvent", data: '{"foo":"bar"}', channel: "test-channel" };

/** Every API route, with a body that would succeed when signed. */
const ROUTES: Array<[method: string, path: string, body?: unknown]> = [
  ["POST", "/events", EVENT_BODY],
  ["POST", "/batch_events", { batch: [EVENT_BODY] }],
  ["GET", "/channels"],
  ["GET", "/channels/test-channel"],
  ["GET", "/channels/presence-test-channel/users"],
  ["GET", "/connections"],
  ["POST", "/users/456/terminate_connections"],
];

/** A core with user 456 on presence-test-channel and a subscriber on test-channel. */
function setup(options: { path?: string } = {}) {
  const harness = createTestCore(options);
  const member = harness.connect();
  member.subscribe("presence-test-channel", { channelData: { user_id: 456 } });
  member.subscribe("test-channel");
  member.take();
  const tampered = (method: string, path: string, body: unknown, tampering: Tampering, query: Record<string, string> = {}) =>
    send(harness.core, tamperedRequest(APP_A, harness.clock, method, path, body, query, tampering));
  return { ...harness, member, tampered };
}

function assertUnauthorized(response: { status: number; text: string; headers: Headers }, label = ""): void {
  assert.equal(response.status, 401, `${label} ${response.text}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(typeof (JSON.parse(response.text) as { error?: unknown }).error, "string");
}

describe("API authentication", () => {
  it("answers 401 with a JSON error on every route when unsigned, and does nothing", async () => {
    const { core, member } = setup();
    try {
      for (const [method, path, body] of ROUTES) {
        assertUnauthorized(await send(core, rawRequest(method, BASE + path, body)), `${method} ${path}`);
        assertUnauthorized(
          await send(core, rawRequest(method, `${BASE}${path}?auth_key=${APP_A.key}&auth_timestamp=1&auth_version=1.0`, body)),
          `${method} ${path} (no signature)`,
        );
      }
      assert.deepEqual(member.takeRaw(), []);
      assert.equal(member.socket.closedWith, undefined);
    } finally {
      await core.shutdown();
    }
  });

  it("accepts every route when signed (control for the 401 cases)", async () => {
    const { core, clock } = setup();
    try {
      for (const [method, path, body] of ROUTES) {
        const response = await send(core, signedRequest(APP_A, clock, method, BASE + path, body));
        assert.equal(response.status, 200, `${method} ${path} ${response.text}`);
      }
    } finally {
      await core.shutdown();
    }
  });

  it("accepts a signature computed independently per the Pusher spec", async () => {
    const { core, clock, member } = setup();
    try {
      const body = JSON.stringify(EVENT_BODY);
      const md5 = createHash("md5").update(body).digest("hex");
      const query = `auth_key=${APP_A.key}&auth_timestamp=${Math.floor(clock.now() / 1000)}&auth_version=1.0&body_md5=${md5}`;
      const signature = createHmac("sha256", APP_A.secret).update(`POST\n${BASE}/events\n${query}`).digest("hex");
      const response = await send(core, rawRequest("POST", `${BASE}/events?${query}&auth_signature=${signature}`, body));
      assert.equal(response.status, 200, response.text);
      assert.equal(member.takeRaw().length, 1);
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a wrong auth_key, even when the signature covers it", async () => {
    const { core, tampered } = setup();
    try {
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { authKey: "not-the-key" }));
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { set: { auth_key: "not-the-key" } }));
    } finally {
      await core.shutdown();
    }
  });

  it("accepts auth_timestamp up to 600 s old and rejects 601 s", async () => {
    const { core, clock, tampered } = setup();
    try {
      const now = clock.now();
      assert.equal((await tampered("GET", `${BASE}/connections`, undefined, { timestampMs: now - 600_000 })).status, 200);
      assertUnauthorized(await tampered("GET", `${BASE}/connections`, undefined, { timestampMs: now - 601_000 }));
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a request replayed after the server clock moved on more than 600 s", async () => {
    const { core, clock } = setup();
    try {
      const request = () => signedRequest(APP_A, { now: () => 1_700_000_000_000 }, "GET", `${BASE}/connections`);
      assert.equal((await send(core, request())).status, 200);
      clock.advance(600_000);
      assert.equal((await send(core, request())).status, 200);
      clock.advance(1_000);
      assertUnauthorized(await send(core, request()));
    } finally {
      await core.shutdown();
    }
  });

  it("accepts auth_timestamp up to 600 s in the future and rejects more", async () => {
    const { core, clock, tampered } = setup();
    try {
      const now = clock.now();
      assert.equal((await tampered("GET", `${BASE}/connections`, undefined, { timestampMs: now + 600_000 })).status, 200);
      assertUnauthorized(await tampered("GET", `${BASE}/connections`, undefined, { timestampMs: now + 601_000 }));
      assertUnauthorized(await tampered("GET", `${BASE}/connections`, undefined, { set: { auth_timestamp: "soon" } }));
      assertUnauthorized(await tampered("GET", `${BASE}/connections`, undefined, { drop: ["auth_timestamp"] }));
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a body that differs from the signed body_md5, and delivers nothing", async () => {
    const { core, member, tampered } = setup();
    try {
      const signed = JSON.stringify(EVENT_BODY);
      const sent = { ...EVENT_BODY, data: '{"foo":"evil"}' };
      assertUnauthorized(await tampered("POST", `${BASE}/events`, sent, { signBody: signed }));
      assertUnauthorized(await tampered("POST", `${BASE}/events`, sent, { signBody: signed, drop: ["body_md5"] }));
      assert.deepEqual(member.takeRaw(), []);
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a wrong client-sent body_md5 even though the signature matches the real body", async () => {
    const { core, tampered } = setup();
    try {
      assertUnauthorized(await tampered("POST", `${BASE}/events`, EVENT_BODY, { set: { body_md5: "0".repeat(32) } }));
    } finally {
      await core.shutdown();
    }
  });

  it("accepts an omitted body_md5 when the signature was made with the body's md5", async () => {
    const { core, member, tampered } = setup();
    try {
      const response = await tampered("POST", `${BASE}/events`, EVENT_BODY, { drop: ["body_md5"] });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.text, "{}");
      assert.equal(member.takeRaw().length, 1);
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a signature over another method, path or extra params", async () => {
    const { core, tampered } = setup();
    try {
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { signMethod: "POST" }));
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { signPath: `${BASE}/connections` }));
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { set: { info: "user_count" } }));
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { set: { auth_signature: "f".repeat(64) } }));
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { set: { auth_signature: "" } }));
    } finally {
      await core.shutdown();
    }
  });

  it("sorts params before verifying, whatever order they are sent in", async () => {
    const { core, tampered } = setup();
    try {
      const query = { info: "user_count", filter_by_prefix: "presence-" };
      const response = await tampered("GET", `${BASE}/channels`, undefined, { reverseQuery: true }, query);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.text, '{"channels":{"presence-test-channel":{"user_count":1}}}');
    } finally {
      await core.shutdown();
    }
  });

  it("answers 404 for an unknown app id before looking at the signature", async () => {
    const { core, clock } = setup();
    try {
      for (const request of [
        rawRequest("POST", "/apps/999999/events", EVENT_BODY),
        signedRequest({ ...APP_A, id: "999999" }, clock, "POST", "/apps/999999/events", EVENT_BODY),
      ]) {
        const response = await send(core, request);
        assert.equal(response.status, 404);
        assert.equal(typeof (JSON.parse(response.text) as { error?: unknown }).error, "string");
      }
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a request for app A signed for app B", async () => {
    const { core, tampered } = setup();
    try {
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { signApp: APP_B }));
      assertUnauthorized(await tampered("GET", `${BASE}/channels`, undefined, { signApp: APP_B, authKey: APP_A.key }));
    } finally {
      await core.shutdown();
    }
  });

  it("treats HEAD like GET: signed → 200 with no body, unsigned → 401", async () => {
    const { core, clock } = setup();
    try {
      const signed = await send(core, signedRequest(APP_A, clock, "HEAD", `${BASE}/channels`));
      assert.equal(signed.status, 200);
      assert.equal(signed.text, "");
      assert.equal((await send(core, rawRequest("HEAD", `${BASE}/channels`))).status, 401);
    } finally {
      await core.shutdown();
    }
  });
});

describe("API authentication under a path prefix", () => {
  it("serves the API only under the prefix", async () => {
    const { core, clock } = setup({ path: "/ws" });
    try {
      assert.equal((await send(core, signedRequest(APP_A, clock, "GET", `${BASE}/connections`))).status, 404);
      const prefixed = await send(core, signedRequest(APP_A, clock, "GET", `/ws${BASE}/connections`));
      assert.equal(prefixed.status, 200);
      assert.equal(prefixed.text, '{"connections":1}');
    } finally {
      await core.shutdown();
    }
  });

  it("accepts a signature over the path with the prefix and without it", async () => {
    const { core, member, tampered } = setup({ path: "/ws" });
    try {
      const withPrefix = await tampered("POST", `/ws${BASE}/events`, EVENT_BODY, {});
      assert.equal(withPrefix.status, 200, withPrefix.text);
      const withoutPrefix = await tampered("POST", `/ws${BASE}/events`, EVENT_BODY, { signPath: `${BASE}/events` });
      assert.equal(withoutPrefix.status, 200, withoutPrefix.text);
      assert.equal(withoutPrefix.text, "{}");
      assert.equal(member.takeRaw().length, 2);
    } finally {
      await core.shutdown();
    }
  });

  it("rejects a signature over some other prefix", async () => {
    const { core, tampered } = setup({ path: "/ws" });
    try {
      assertUnauthorized(await tampered("GET", `/ws${BASE}/channels`, undefined, { signPath: `/other${BASE}/channels` }));
      assertUnauthorized(await tampered("GET", `/ws${BASE}/channels`, undefined, { signPath: `/ws/ws${BASE}/channels` }));
    } finally {
      await core.shutdown();
    }
  });
});
