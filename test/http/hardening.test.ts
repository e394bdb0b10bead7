/** @module Security hardening of the HTTP surface: repeated parameters, truncated signatures, odd channel names, handshakes. */

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import type { WebSocketSession } from "../../src/protocol/socket.ts";
import { APP_A } from "../support/fixtures.ts";
import { createTestCore } from "../support/harness.ts";
import { apiFor, rawRequest, send, signedRequest } from "../support/signed-request.ts";

const BASE = `/apps/${APP_A.id}`;

function setup() {
  const harness = createTestCore();
  return { ...harness, api: apiFor(harness) };
}

/** The query string of a request signed for `path` with `query`. */
function signedQuery(clock: { now(): number }, method: string, path: string, query: Record<string, string> = {}): string {
  return new URL(signedRequest(APP_A, clock, method, path, undefined, query).url).search.slice(1);
}

describe("repeated query parameters", () => {
  it("refuses a captured signed URL with a parameter prepended (the handler would read another value than the signature)", async () => {
    const { core, clock, connect } = setup();
    try {
      const client = connect();
      client.subscribe("aaa-secret");
      client.subscribe("bbb-public");
      const query = signedQuery(clock, "GET", `${BASE}/channels`, { filter_by_prefix: "bbb", info: "user_count" });
      const honest = await send(core, rawRequest("GET", `${BASE}/channels?${query}`));
      assert.deepEqual(honest.json, { channels: { "bbb-public": {} } });
      // A parameter the signature does not cover is refused by the signature check itself.
      const added = await send(core, rawRequest("GET", `${BASE}/channels?extra=1&${query}`));
      assert.equal(added.status, 401);
      for (const prefix of ["filter_by_prefix=aaa&", "info=subscription_count&", "auth_signature=x&", "auth_key=y&"]) {
        const attacked = await send(core, rawRequest("GET", `${BASE}/channels?${prefix}${query}`));
        assert.equal(attacked.status, 400, `${prefix}: ${attacked.text}`);
        assert.match((attacked.json as { error: string }).error, /is repeated; send each parameter once/);
      }
    } finally {
      await core.shutdown();
    }
  });

  it("refuses a repeated parameter on POST too, before publishing anything", async () => {
    const { core, clock, connect } = setup();
    try {
      const client = connect();
      client.subscribe("news");
      client.take();
      const body = { name: "e", data: "{}", channel: "news" };
      const request = signedRequest(APP_A, clock, "POST", `${BASE}/events`, body);
      const url = new URL(request.url);
      const response = await send(core, rawRequest("POST", `${url.pathname}?${url.search.slice(1)}&auth_version=1.0`, body));
      assert.equal(response.status, 400);
      assert.deepEqual(client.take(), []);
    } finally {
      await core.shutdown();
    }
  });
});

describe("signature checks that must not accept part of a signature", () => {
  it("refuses an empty, one-character or truncated auth_signature", async () => {
    const { core, clock } = setup();
    try {
      const params = new URLSearchParams(signedQuery(clock, "GET", `${BASE}/connections`));
      const signature = params.get("auth_signature")!;
      for (const forged of ["", signature[0]!, signature.slice(0, 32), signature.slice(0, -1), `${signature}0`]) {
        params.set("auth_signature", forged);
        const response = await send(core, rawRequest("GET", `${BASE}/connections?${params}`));
        assert.equal(response.status, 401, JSON.stringify(forged));
      }
    } finally {
      await core.shutdown();
    }
  });

  it("refuses a properly signed auth_timestamp that is not a number", async () => {
    const { core } = setup();
    try {
      for (const timestamp of ["soon", "", "1e3x", "NaN", "Infinity"]) {
        const params: Record<string, string> = { auth_key: APP_A.key, auth_timestamp: timestamp, auth_version: "1.0" };
        const toSign = Object.keys(params).sort().map((key) => `${key}=${params[key]}`).join("&");
        const signature = createHmac("sha256", APP_A.secret).update(`GET\n${BASE}/connections\n${toSign}`).digest("hex");
        const query = new URLSearchParams({ ...params, auth_signature: signature });
        const response = await send(core, rawRequest("GET", `${BASE}/connections?${query}`));
        assert.equal(response.status, 401, `auth_timestamp=${timestamp}: ${response.text}`);
        assert.match(response.text, /auth_timestamp/);
      }
    } finally {
      await core.shutdown();
    }
  });
});

describe("channel names that are also names of object members", () => {
  const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty"];

  it("lists them in GET /channels and in the info of POST /events", async () => {
    const { core, connect, api } = setup();
    try {
      const client = connect();
      for (const name of NAMES) client.subscribe(name);
      const listed = await api("GET", "/channels", undefined, { info: "subscription_count" });
      assert.equal(listed.text, `{"channels":{${NAMES.map((name) => `"${name}":{"subscription_count":1}`).join(",")}}}`);
      const published = await api("POST", "/events", { name: "e", data: "{}", channels: NAMES, info: "subscription_count" });
      assert.equal(published.text, listed.text);
      const one = await api("GET", "/channels/__proto__", undefined, { info: "subscription_count" });
      assert.deepEqual(one.json, { occupied: true, subscription_count: 1 });
    } finally {
      await core.shutdown();
    }
  });
});

describe("WebSocket handshakes", () => {
  const HANDSHAKE = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };

  /** Runs a GET /app/{key} with these headers and an `upgrade` binding that records whether it was called. */
  async function attempt(headers: Record<string, string>) {
    const { core } = createTestCore();
    let upgraded = false;
    const upgrade = (_session: WebSocketSession) => {
      upgraded = true;
      return new Response(null, { status: 200 });
    };
    try {
      const response = await core.fetch(new Request(`http://localhost/app/${APP_A.key}`, { headers }), { upgrade });
      return { status: response.status, body: await response.text(), upgraded };
    } finally {
      await core.shutdown();
    }
  }

  it("upgrades a well-formed handshake", async () => {
    assert.equal((await attempt(HANDSHAKE)).upgraded, true);
  });

  it("answers 400 JSON, on every runtime alike, when a header the handshake needs is wrong or missing", async () => {
    const broken: Array<[string, Record<string, string>]> = [
      ["no Connection: Upgrade", { ...HANDSHAKE, connection: "keep-alive" }],
      ["no Sec-WebSocket-Key", Object.fromEntries(Object.entries(HANDSHAKE).filter(([key]) => key !== "sec-websocket-key"))],
      ["a key that is not 16 bytes", { ...HANDSHAKE, "sec-websocket-key": "c2hvcnQ=" }],
      ["version 8", { ...HANDSHAKE, "sec-websocket-version": "8" }],
    ];
    for (const [label, headers] of broken) {
      const result = await attempt(headers);
      assert.equal(result.status, 400, label);
      assert.equal(result.upgraded, false, label);
      assert.match(JSON.parse(result.body).error, /^Invalid WebSocket handshake: /, label);
    }
  });

  it("accepts Connection: keep-alive, Upgrade (what Firefox sends)", async () => {
    assert.equal((await attempt({ ...HANDSHAKE, connection: "keep-alive, Upgrade" })).upgraded, true);
  });
});
