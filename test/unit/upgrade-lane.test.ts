/**
 * @module The upgrade lane answers WebSocket handshakes exactly as the Hono route does (status, body, headers, the
 * session handed to the runtime, lifecycle events), and takes only GETs whose key needs no decoding.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Connection } from "../../src/protocol/connection.ts";
import type { Upgrade } from "../../src/protocol/socket.ts";
import { APP_A, APP_C } from "../support/fixtures.ts";
import { createTestCore, TestClient } from "../support/harness.ts";
import { ORIGIN } from "../support/signed-request.ts";

const HANDSHAKE = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

function handshake(path: string, headers: Record<string, string | undefined> = {}, method = "GET"): () => Request {
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...HANDSHAKE, ...headers })) if (value !== undefined) all[name] = value;
  return () => new Request(`${ORIGIN}${path}`, { method, headers: all });
}

/** How the runtime's upgrade answers: accepted (101 to come), or refused with its own response. */
type Binding = "accepts" | "refuses" | "none";

const CASES: Record<string, { request: () => Request; prefix?: string; binding?: Binding }> = {
  "a handshake": { request: handshake(`/app/${APP_A.key}?protocol=7&client=js&version=8.4.0`) },
  "a handshake with an allowed Origin": { request: handshake(`/app/${APP_C.key}`, { origin: "https://laravel.com" }) },
  "a handshake with a refused Origin": { request: handshake(`/app/${APP_C.key}`, { origin: "https://evil.example" }) },
  "an unknown app key": { request: handshake("/app/no-such-key") },
  "Upgrade in capitals": { request: handshake(`/app/${APP_A.key}`, { upgrade: "WebSocket" }) },
  "no Upgrade header": { request: handshake(`/app/${APP_A.key}`, { upgrade: undefined }) },
  "a Connection header without Upgrade": { request: handshake(`/app/${APP_A.key}`, { connection: "keep-alive" }) },
  "a short Sec-WebSocket-Key": { request: handshake(`/app/${APP_A.key}`, { "sec-websocket-key": "abc" }) },
  "Sec-WebSocket-Version 8": { request: handshake(`/app/${APP_A.key}`, { "sec-websocket-version": "8" }) },
  "a malformed Host header": { request: handshake(`/app/${APP_A.key}`, { host: "a/app/other#" }) },
  "a runtime that cannot upgrade": { request: handshake(`/app/${APP_A.key}`), binding: "none" },
  "a runtime whose upgrade fails": { request: handshake(`/app/${APP_A.key}`), binding: "refuses" },
  "a prefixed path": { request: handshake(`/ws/app/${APP_A.key}`), prefix: "/ws" },
  "an unprefixed path on a prefixed server": { request: handshake(`/app/${APP_A.key}`), prefix: "/ws" },
};

/** Runs one handshake against a fresh core, through `fetch` (the lane) or the Hono app, and records everything seen. */
async function observe(via: "lane" | "hono", request: Request, prefix?: string, binding: Binding = "accepts") {
  const { core } = createTestCore(prefix ? { path: prefix } : {});
  const events: unknown[] = [];
  core.events.on("httpRequest", (event) => void events.push({ ...event, app: event.app?.id }));
  const upgrades: unknown[] = [];
  let session: Connection | undefined;
  const upgrade: Upgrade = (given, headers) => {
    session = given as Connection;
    upgrades.push({ headers, maxMessageSize: given.maxMessageSize, app: session.app?.id });
    return binding === "accepts" ? new Response(null, { status: 200 }) : Response.json({ error: "WebSocket upgrade failed." }, { status: 400 });
  };
  const bindings = binding === "none" ? {} : { upgrade };
  const response = await (via === "lane" ? core.fetch(request, bindings) : core.http.fetch(request, bindings));
  const answer = {
    status: response.status,
    type: response.headers.get("content-type"),
    upgradeHeader: response.headers.get("upgrade"),
    body: await response.text(),
  };
  // What the client then sees once the socket opens (the Origin check, the unknown key, the socket id).
  const frames = session ? new TestClient(session).take().map(({ event, data }) => ({ event, data })) : [];
  await core.shutdown();
  return { answer, upgrades, frames, events };
}

describe("upgrade lane", () => {
  for (const [name, { request, prefix, binding }] of Object.entries(CASES)) {
    it(`answers ${name} as the Hono route does`, async () => {
      const lane = await observe("lane", request(), prefix, binding);
      const hono = await observe("hono", request(), prefix, binding);
      assert.deepEqual(lane, hono);
    });
  }

  it("really upgrades the good handshakes and refuses the bad ones (the comparison above is not vacuous)", async () => {
    const ok = await observe("lane", CASES["a handshake"]!.request());
    assert.deepEqual(ok.upgrades, [{ headers: { "X-Powered-By": "Laravel Reverb" }, maxMessageSize: APP_A.maxMessageSize, app: APP_A.id }]);
    assert.equal(ok.frames[0]?.event, "pusher:connection_established");
    assert.deepEqual(ok.events, [{ app: APP_A.id, method: "GET", route: "/app/:appKey", status: 101 }]);
    const refused = await observe("lane", CASES["a handshake with a refused Origin"]!.request());
    assert.deepEqual(refused.frames.map((frame) => frame.event), ["pusher:error"]);
    const unknown = await observe("lane", CASES["an unknown app key"]!.request());
    assert.deepEqual(unknown.upgrades, [{ headers: { "X-Powered-By": "Laravel Reverb" }, maxMessageSize: 1, app: undefined }]);
    const plain = await observe("lane", CASES["no Upgrade header"]!.request());
    assert.deepEqual(plain.answer, { status: 426, type: "application/json", upgradeHeader: "websocket", body: '{"error":"This endpoint only accepts WebSocket connections."}' });
    assert.equal((await observe("lane", CASES["Sec-WebSocket-Version 8"]!.request())).answer.status, 400);
    assert.equal((await observe("lane", CASES["a malformed Host header"]!.request())).answer.body, '{"error":"Malformed Host header."}');
    assert.equal((await observe("lane", CASES["an unprefixed path on a prefixed server"]!.request(), "/ws")).answer.status, 404);
  });

  it("takes only GETs to keys that need no decoding; the Hono route answers the rest", async () => {
    const { core } = createTestCore({ path: "/ws" });
    const match = (target: string) => core.upgrades.match(target);
    assert.equal(match("/ws/app/my-key?protocol=7"), "my-key");
    assert.equal(match("/ws/app/k.1_~"), "k.1_~");
    for (const target of ["/app/key", "/ws/app/key/", "/ws/app/%6Bey", "/ws/app/.", "/ws/app/..", "/ws/app/", "/ws/app/a/b", "/wsx/app/key"]) {
      assert.equal(match(target), undefined, target);
    }
    // A key that needs decoding still reaches its app, through the Hono route.
    const encoded = await observe("lane", handshake(`/ws/app/${encodeURIComponent(APP_A.key).replace("a", "%61")}`)(), "/ws");
    assert.equal(encoded.upgrades.length, 1);
    assert.equal(encoded.frames[0]?.event, "pusher:connection_established");
    // HEAD is not a handshake: the Hono route answers it as it answers GET without a binding.
    const head = await observe("lane", handshake(`/app/${APP_A.key}`, {}, "HEAD")(), undefined, "none");
    assert.equal(head.answer.status, 426);
    await core.shutdown();
  });
});
