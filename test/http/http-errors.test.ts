/** @module HTTP surface outside the API logic: /up, 404/405/413/426 as JSON, prefixes, and no 500 for garbage input. */

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { APP_A } from "../support/fixtures.ts";
import { createTestCore } from "../support/harness.ts";
import { apiFor, ORIGIN, rawRequest, send, signedRequest, tamperedRequest, type ReadResponse } from "../support/signed-request.ts";

const BASE = `/apps/${APP_A.id}`;

function assertJsonError(response: ReadResponse, status: number): void {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(typeof (JSON.parse(response.text) as { error?: unknown }).error, "string", response.text);
}

describe("health check", () => {
  it('GET /up answers {"health":"OK"} without authentication', async () => {
    const { core } = createTestCore();
    try {
      const response = await send(core, rawRequest("GET", "/up"));
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"health":"OK"}');
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    } finally {
      await core.shutdown();
    }
  });

  it("lives under the prefix when one is set, and only there", async () => {
    const { core } = createTestCore({ path: "/ws" });
    try {
      assert.equal((await send(core, rawRequest("GET", "/ws/up"))).text, '{"health":"OK"}');
      assertJsonError(await send(core, rawRequest("GET", "/up")), 404);
    } finally {
      await core.shutdown();
    }
  });

  it("POST /up answers 405 with Allow: GET", async () => {
    const { core } = createTestCore();
    try {
      const response = await send(core, rawRequest("POST", "/up", "{}"));
      assertJsonError(response, 405);
      assert.equal(response.headers.get("allow"), "GET");
    } finally {
      await core.shutdown();
    }
  });
});

describe("routing errors", () => {
  it("a known API path with the wrong method answers 405 with the allowed method", async () => {
    const { core } = createTestCore();
    try {
      for (const [method, path, allow] of [
        ["GET", "/events", "POST"],
        ["PUT", "/batch_events", "POST"],
        ["POST", "/channels", "GET"],
        ["DELETE", "/channels/test-channel", "GET"],
        ["OPTIONS", "/connections", "GET"],
        ["GET", "/users/1/terminate_connections", "POST"],
      ] as const) {
        const response = await send(core, rawRequest(method, BASE + path));
        assertJsonError(response, 405);
        assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
      }
    } finally {
      await core.shutdown();
    }
  });

  it("unknown paths and trailing slashes answer 404 JSON", async () => {
    const { core } = createTestCore();
    try {
      for (const path of ["/", "/nope", "/up/", "/apps", `${BASE}`, `${BASE}/events/`, `${BASE}/channels/`, `${BASE}/unknown`, "/app/"]) {
        assertJsonError(await send(core, rawRequest("GET", path)), 404);
      }
      assertJsonError(await send(core, signedRequest(APP_A, { now: () => 1_700_000_000_000 }, "POST", `${BASE}/events/`, {})), 404);
    } finally {
      await core.shutdown();
    }
  });

  it("GET /app/{key} without an Upgrade header answers 426 JSON; other methods 405", async () => {
    const { core } = createTestCore();
    try {
      assertJsonError(await send(core, rawRequest("GET", `/app/${APP_A.key}`)), 426);
      const post = await send(core, rawRequest("POST", `/app/${APP_A.key}`));
      assertJsonError(post, 405);
      assert.equal(post.headers.get("allow"), "GET");
    } finally {
      await core.shutdown();
    }
  });

  it("with a prefix, the WebSocket route answers 426 under it and 404 without it", async () => {
    const { core } = createTestCore({ path: "/ws" });
    try {
      assertJsonError(await send(core, rawRequest("GET", `/ws/app/${APP_A.key}`)), 426);
      assertJsonError(await send(core, rawRequest("GET", `/app/${APP_A.key}`)), 404);
    } finally {
      await core.shutdown();
    }
  });
});

describe("max_request_size", () => {
  const event = (size: number) => ({ name: "big", channel: "test-channel", data: "x".repeat(size) });

  it("answers 413 JSON for a body over max_request_size and delivers nothing", async () => {
    const harness = createTestCore({ maxRequestSize: 10_000 });
    try {
      const client = harness.connect();
      client.subscribe("test-channel");
      client.take();
      assertJsonError(await apiFor(harness)("POST", "/events", event(10_100)), 413);
      assert.deepEqual(client.takeRaw(), []);
    } finally {
      await harness.core.shutdown();
    }
  });

  it("accepts the same body with max_request_size 20000", async () => {
    const harness = createTestCore({ maxRequestSize: 20_000 });
    try {
      const response = await apiFor(harness)("POST", "/events", event(10_100));
      assert.equal(response.status, 200, response.text);
      assert.equal(response.text, "{}");
    } finally {
      await harness.core.shutdown();
    }
  });

  it("counts the request line and headers too", async () => {
    const harness = createTestCore({ maxRequestSize: 10_000 });
    try {
      const body = JSON.stringify(event(9_900));
      assert.ok(body.length < 10_000);
      assertJsonError(await apiFor(harness)("POST", "/events", body), 413);
      const longQuery = await apiFor(harness)("GET", "/channels", undefined, { filter_by_prefix: "p".repeat(10_000) });
      assertJsonError(longQuery, 413);
      const header = await send(harness.core, rawRequest("GET", `${BASE}/connections`, undefined, { "x-junk": "j".repeat(10_000) }));
      assertJsonError(header, 413);
    } finally {
      await harness.core.shutdown();
    }
  });

  it("delivers a 150 000-byte body intact with max_request_size 200000", async () => {
    const harness = createTestCore({ maxRequestSize: 200_000 });
    try {
      const client = harness.connect();
      client.subscribe("test-channel");
      client.take();
      const body = event(150_000);
      const response = await apiFor(harness)("POST", "/events", body);
      assert.equal(response.status, 200, response.text);
      const [frame] = client.takeRaw();
      assert.equal((JSON.parse(frame!) as { data: string }).data, body.data);
    } finally {
      await harness.core.shutdown();
    }
  });
});

describe("no 500 for garbage", () => {
  it("answers every garbage body with a JSON 4xx", async () => {
    const harness = createTestCore();
    try {
      const api = apiFor(harness);
      const bodies: unknown[] = [
        "\u0000\u0001\u0002",
        "{".repeat(5_000),
        "[".repeat(4_000) + "]".repeat(4_000),
        '{"name":"x","data":"d","channel":"c","__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{}},"name":"x","data":"d","channel":"c","toString":1}',
        { name: ["a"], data: 1, channels: [1, null, {}], socket_id: {}, info: [] },
        { name: "x", data: "d", channels: { 0: "a" } },
        { name: "x", data: "d", channel: null, channels: null },
        { batch: [null, {}, [], "x"] },
        { batch: null },
        "\"\\ud800\"",
        '{"name":"x","data":"d","channel":"c","info":"user_count,,,,cache,,"}',
      ];
      for (const body of bodies) {
        for (const path of ["/events", "/batch_events"]) {
          const response = await api("POST", path, body);
          assert.ok(response.status >= 200 && response.status < 500, `${path} ${String(body).slice(0, 40)} → ${response.status}`);
          assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
          assert.doesNotThrow(() => JSON.parse(response.text));
        }
      }
      assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    } finally {
      await harness.core.shutdown();
    }
  });

  it("answers a correctly signed invalid UTF-8 body with 400", async () => {
    const harness = createTestCore();
    try {
      const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]);
      const query = [
        `auth_key=${APP_A.key}`,
        `auth_timestamp=${Math.floor(harness.clock.now() / 1000)}`,
        "auth_version=1.0",
        `body_md5=${createHash("md5").update(bytes).digest("hex")}`,
      ].join("&");
      const signature = createHmac("sha256", APP_A.secret).update(`POST\n${BASE}/events\n${query}`).digest("hex");
      const request = new Request(`${ORIGIN}${BASE}/events?${query}&auth_signature=${signature}`, { method: "POST", body: bytes });
      assertJsonError(await send(harness.core, request), 400);
    } finally {
      await harness.core.shutdown();
    }
  });

  it("answers malformed paths and queries with a JSON 4xx or 200", async () => {
    const harness = createTestCore();
    const { core, clock } = harness;
    try {
      const requests: Request[] = [
        tamperedRequest(APP_A, clock, "GET", `${BASE}/channels`, undefined, { info: "%ZZ" }, { rawQuery: (q) => q.replace("%25ZZ", "%ZZ") }),
        tamperedRequest(APP_A, clock, "GET", `${BASE}/channels`, undefined, { filter_by_prefix: "%" }, { rawQuery: (q) => q.replace("%25", "%") }),
        tamperedRequest(APP_A, clock, "GET", `${BASE}/channels`, undefined, {}, { rawQuery: (q) => `${q}&info[]=user_count&info[]=cache` }),
        tamperedRequest(APP_A, clock, "GET", `${BASE}/channels`, undefined, {}, { rawQuery: (q) => `${q}&auth_signature=x` }),
        tamperedRequest(APP_A, clock, "GET", `${BASE}/channels`, undefined, {}, { rawQuery: (q) => `${q}&&=&%=%` }),
        signedRequest(APP_A, clock, "GET", `${BASE}/channels/%E0%A4%A`),
        signedRequest(APP_A, clock, "GET", `${BASE}/channels/%00`),
        signedRequest(APP_A, clock, "GET", `${BASE}/channels/%ZZ/users`),
        signedRequest(APP_A, clock, "GET", `${BASE}/channels/${"a".repeat(2_000)}`),
        signedRequest(APP_A, clock, "POST", `${BASE}/users/%E0%A4%A/terminate_connections`),
        rawRequest("GET", "/apps/%ZZ/connections"),
        rawRequest("GET", "/apps//connections"),
        rawRequest("GET", "/apps/0/connections"),
        rawRequest("GET", "/%2e%2e/%2e%2e/etc/passwd"),
        rawRequest("GET", "/app/%ZZ"),
      ];
      for (const request of requests) {
        const response = await send(core, request);
        const label = `${request.method} ${request.url} → ${response.status} ${response.text}`;
        assert.ok(response.status < 500, label);
        assert.match(response.headers.get("content-type") ?? "", /^application\/json/, label);
      }
    } finally {
      await core.shutdown();
    }
  });
});
