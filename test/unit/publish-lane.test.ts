/**
 * @module The publish lane answers exactly as the Hono routes do (status, body, headers, deliveries, lifecycle
 * events) for good and bad publishes alike, and takes only the requests whose path needs no decoding.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { queryParameters, signQuery, verifySignature } from "../../src/http/verify-signature.ts";
import { requestTarget } from "../../src/http/lane-target.ts";
import { hmacSha256Hex, md5Hex, nobleHmacSha256Hex, nobleMd5Hex, useNativeHashes } from "../../src/support/hashes.ts";
import { NATIVE_HASHES, NODE_HASHES } from "../../runtimes/native-hashes.ts";
import { APP_A, APP_B } from "../support/fixtures.ts";
import { createTestCore } from "../support/harness.ts";
import { ORIGIN } from "../support/signed-request.ts";

const NOW = 1_700_000_000_000; // the harness clock's start

/** A signed publish (optionally spoiled afterwards). */
function publish(options: {
  path?: string;
  signPath?: string;
  body?: unknown;
  app?: App;
  endpoint?: string;
  query?: Record<string, string>;
  spoil?: (query: string) => string;
  headers?: Record<string, string>;
  time?: number;
}): () => Request {
  const app = options.app ?? APP_A;
  const path = options.path ?? `/apps/${app.id}/${options.endpoint ?? "events"}`;
  const body = typeof options.body === "string" ? options.body : JSON.stringify(options.body ?? { name: "hello", channel: "news", data: '{"n":1}' });
  const query = signQuery(app, "POST", options.signPath ?? path, body, options.time ?? NOW, options.query);
  return () => new Request(`${ORIGIN}${path}?${options.spoil ? options.spoil(query) : query}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...options.headers },
  });
}

const CASES: Record<string, { request: () => Request; prefix?: string; maxRequestSize?: number; shuttingDown?: boolean }> = {
  "an event": { request: publish({}) },
  "an event to several channels, with info": {
    request: publish({ body: { name: "e", channels: ["news", "presence-room", "private-x"], data: "{}" }, query: { info: "subscription_count,user_count" } }),
  },
  "an event with info in the body": { request: publish({ body: { name: "e", channel: "presence-room", data: "{}", info: "user_count" } }) },
  "an event except its sender": { request: publish({ body: { name: "e", channel: "news", data: "{}", socket_id: "1.1" } }) },
  "a batch": { request: publish({ endpoint: "batch_events", body: { batch: [{ name: "a", channel: "news", data: "1" }, { name: "b", channel: "presence-room", data: "2", info: "user_count" }] } }) },
  "another app's event": { request: publish({ app: APP_B, body: { name: "e", channel: "news", data: "{}" } }) },
  "an unknown app": { request: publish({ app: { ...APP_A, id: "999" } }) },
  "a repeated parameter": { request: publish({ spoil: (query) => `${query}&auth_version=1.0` }) },
  "no signature": { request: publish({ spoil: (query) => query.replace(/&?auth_signature=[0-9a-f]+/, "") }) },
  "a wrong signature": { request: publish({ spoil: (query) => query.replace(/auth_signature=[0-9a-f]/, "auth_signature=g") }) },
  "another app's key": { request: publish({ spoil: (query) => query.replace(`auth_key=${APP_A.key}`, `auth_key=${APP_B.key}`) }) },
  "an old timestamp": { request: publish({ time: NOW - 601_000 }) },
  "a body that does not match body_md5": { request: publish({ spoil: (query) => query.replace(/body_md5=[0-9a-f]/, "body_md5=0") }) },
  "JSON that is not an object": { request: publish({ body: "[1,2]" }) },
  "broken JSON": { request: publish({ body: "{nope" }) },
  "a missing field": { request: publish({ body: { name: "e", channel: "news" } }) },
  "a bad channel name": { request: publish({ body: { name: "e", channel: "bad channel", data: "{}" } }) },
  "a batch with a bad item": { request: publish({ endpoint: "batch_events", body: { batch: [{ name: "a", channel: "news" }] } }) },
  "a body over max_request_size": { request: publish({ body: { name: "e", channel: "news", data: "x".repeat(2_000) } }), maxRequestSize: 1_000 },
  "a malformed Host header": { request: publish({ headers: { host: "a/app/other#" } }) },
  "a prefixed path signed with the prefix": { request: publish({ path: `/ws/apps/${APP_A.id}/events` }), prefix: "/ws" },
  "a prefixed path signed without it": { request: publish({ path: `/ws/apps/${APP_A.id}/events`, signPath: `/apps/${APP_A.id}/events` }), prefix: "/ws" },
  "an unprefixed path on a prefixed server": { request: publish({}), prefix: "/ws" },
  "an event once shutdown began": { request: publish({}), shuttingDown: true },
  "an unknown app's event once shutdown began": { request: publish({ app: { ...APP_A, id: "999" } }), shuttingDown: true },
};

/** Runs one request against a fresh core, through `fetch` (the lane) or the Hono app, and records everything seen. */
async function observe(via: "lane" | "hono", request: Request, prefix?: string, maxRequestSize?: number, shuttingDown = false) {
  const { core, connect } = createTestCore({ ...(prefix && { path: prefix }), ...(maxRequestSize && { maxRequestSize }) });
  const client = connect(APP_A);
  client.subscribe("news");
  client.subscribe("presence-room", { channelData: { user_id: "u1" } });
  client.take();
  const events: unknown[] = [];
  core.events.on("httpRequest", (event) => void events.push({ ...event, app: event.app?.id }));
  core.events.on("apiEvent", (event) => void events.push({ type: "apiEvent", app: event.app.id, name: event.name, channels: event.channels }));
  if (shuttingDown) core.hub.shutdown();
  const response = await (via === "lane" ? core.fetch(request) : core.http.fetch(request));
  const answer = { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
  const delivered = client.take().map(({ event, channel, data }) => ({ event, channel, data }));
  await core.shutdown();
  return { answer, delivered, events };
}

describe("publish lane", () => {
  for (const [name, { request, prefix, maxRequestSize, shuttingDown }] of Object.entries(CASES)) {
    it(`answers ${name} as the Hono routes do`, async () => {
      const lane = await observe("lane", request(), prefix, maxRequestSize, shuttingDown);
      const hono = await observe("hono", request(), prefix, maxRequestSize, shuttingDown);
      assert.deepEqual(lane, hono);
    });
  }

  it("really answers the good publishes and refuses the bad ones (the comparison above is not vacuous)", async () => {
    const ok = await observe("lane", CASES["an event"]!.request());
    assert.equal(ok.answer.status, 200);
    assert.deepEqual(ok.delivered, [{ event: "hello", channel: "news", data: { n: 1 } }]);
    assert.equal((await observe("lane", CASES["a wrong signature"]!.request())).answer.status, 401);
    assert.equal((await observe("lane", CASES["a body over max_request_size"]!.request(), undefined, 1_000)).answer.status, 413);
    assert.deepEqual((await observe("lane", CASES["a malformed Host header"]!.request())).answer.body, '{"error":"Malformed Host header."}');
    // Once shutdown began every client is being told to reconnect elsewhere: an accepted event would reach nobody.
    const late = await observe("lane", CASES["an event once shutdown began"]!.request(), undefined, undefined, true);
    assert.equal(late.answer.status, 503);
    assert.deepEqual(JSON.parse(late.answer.body), { error: "Server is shutting down; send the request to another server or try again." });
    assert.equal(late.events.some((event) => (event as { type?: string }).type === "apiEvent"), false, "nothing published");
  });

  it("takes only POSTs to paths that need no decoding; the Hono routes answer the rest", () => {
    const { core } = createTestCore({ path: "/ws" });
    const match = (target: string) => core.lane.match(target);
    assert.deepEqual(match("/ws/apps/123/events?a=1"), { endpoint: "events", appId: "123", path: "/ws/apps/123/events", query: "a=1" });
    assert.deepEqual(match("/ws/apps/my.app_1/batch_events"), { endpoint: "batch_events", appId: "my.app_1", path: "/ws/apps/my.app_1/batch_events", query: "" });
    for (const target of ["/apps/123/events", "/ws/apps/123/events/", "/ws/apps/%31/events", "/ws/apps/./events", "/ws/apps/../events",
      "/ws/apps//events", "/ws/apps/1/2/events", "/ws/apps/123/channels", "/wsx/apps/1/events", "http://h/ws/apps/1/events"]) {
      assert.equal(match(target), undefined, target);
    }
    assert.equal(requestTarget("http://127.0.0.1:8080/ws/apps/1/events?x=1"), "/ws/apps/1/events?x=1");
    assert.equal(requestTarget("https://[::1]:443"), "/");
  });
});

describe("native hashes", () => {
  it("give what @noble/hashes gives, for every runtime adapter that installs them", () => {
    // ASCII (copied as it is), at and past the scratch space's 2,048 bytes, and the first non-ASCII character.
    const messages = ["", "POST\n/apps/1/events\nauth_key=k&auth_timestamp=1", "ünïcødé ✓ 🚀", "x".repeat(10_000), "y".repeat(2_048), "z".repeat(2_049), "a\x7f", "a\x80"];
    try {
      for (const hashes of [NATIVE_HASHES, NODE_HASHES]) {
        useNativeHashes(hashes);
        for (const secret of ["secret", "", "ключ", "k".repeat(200)]) {
          for (const message of messages) assert.equal(hmacSha256Hex(secret, message), nobleHmacSha256Hex(secret, message));
        }
        for (const message of messages) {
          const bytes = new TextEncoder().encode(message);
          assert.equal(md5Hex(bytes), nobleMd5Hex(bytes));
        }
        assert.equal(md5Hex(new TextEncoder().encode("abc")), "900150983cd24fb0d6963f7d28e17f72");
      }
    } finally {
      useNativeHashes({});
    }
  });
});

describe("the Bun and Deno adapters' hashes", () => {
  const root = join(import.meta.dirname, "..", "..");
  const inputs = [["secret", ""], ["", "POST\n/apps/1/events\nauth_key=k&auth_timestamp=1"], ["ключ", "ünïcødé ✓ 🚀"], ["k".repeat(200), "x".repeat(10_000)]];
  // Importing an adapter installs its hashes; the script prints what they make of each input.
  const script = (adapter: string) => `import "./runtimes/${adapter}.ts"; import { hmacSha256Hex, md5Hex } from "./src/support/hashes.ts";
    const inputs = JSON.parse(process.env.HASH_INPUTS);
    console.log(JSON.stringify(inputs.map(([secret, message]) => [hmacSha256Hex(secret, message), md5Hex(new TextEncoder().encode(message))])));`;
  const expected = inputs.map(([secret, message]) => [nobleHmacSha256Hex(secret!, message!), nobleMd5Hex(new TextEncoder().encode(message))]);
  const run = (command: string, args: string[]) =>
    JSON.parse(execFileSync(join(root, "node_modules", ".bin", command), args, { cwd: root, env: { ...process.env, HASH_INPUTS: JSON.stringify(inputs) } }).toString());

  it("Bun's CryptoHasher, run in Bun, gives what @noble/hashes gives", () => {
    assert.deepEqual(run("bun", ["-e", script("bun")]), expected);
  });

  it("Deno's hash-wasm MD5 (and noble HMAC), run in Deno, give what @noble/hashes gives", () => {
    assert.deepEqual(run("deno", ["eval", "--ext=ts", script("deno").replace("process.env.HASH_INPUTS", 'Deno.env.get("HASH_INPUTS")')]), expected);
  });
});

describe("queryParameters", () => {
  /** What URLSearchParams makes of the query, with the same repeated-name rule. */
  const reference = (query: string) => {
    const params = new Map<string, string>();
    for (const [key, value] of new URLSearchParams(query)) {
      if (params.has(key)) return { repeated: key };
      params.set(key, value);
    }
    return params;
  };

  it("reads every query exactly as URLSearchParams does, split directly when there is nothing to decode", () => {
    const queries = [
      "", "&", "&&a=1&&", "a", "a=", "=", "=x", "a=1&b=2", "a=1=2&b", "auth_key=k&auth_timestamp=1&auth_version=1.0&body_md5=0f&auth_signature=ab",
      "a=1&a=2", "a&a", "a=%41&b=x+y", "%61=1&a=2", "a=%zz&b=%", "a=%E2%82%AC", "a=\u00e9&b=\u20ac", "a=\ud800", "k=v;w&x=?/:@",
      "info=user_count,subscription_count&auth_key=k",
    ];
    const asMap = (params: ReturnType<typeof queryParameters>) =>
      "repeated" in params ? params : new Map(params.names.map((name, i) => [name, params.values[i]!]));
    for (const query of queries) assert.deepEqual(asMap(queryParameters(query)), reference(query), JSON.stringify(query));
  });

  it("finds a repeated name among many (past the scan, by a Set) and keeps every value in order", () => {
    const many = Array.from({ length: 40 }, (_, i) => `p${i}=${i}`);
    const params = queryParameters(many.join("&"));
    assert.ok(!("repeated" in params));
    assert.deepEqual(params.names, many.map((_, i) => `p${i}`));
    assert.deepEqual(params.values, many.map((_, i) => String(i)));
    for (const at of [3, 15, 16, 17, 39]) {
      assert.deepEqual(queryParameters([...many, `p${at}=again`].join("&")), { repeated: `p${at}` }, String(at));
      assert.deepEqual(queryParameters([...many, `p${at}=%41`].join("&")), { repeated: `p${at}` }, `${at} decoded`);
    }
  });
});

describe("verifySignature", () => {
  const path = `/apps/${APP_A.id}/events`;
  const body = '{"name":"e","channel":"news","data":"{}"}';
  const verify = (query: string) => {
    const params = queryParameters(query);
    assert.ok(!("repeated" in params));
    return verifySignature(APP_A, { method: "POST", path, params, body: new TextEncoder().encode(body) }, "", NOW);
  };

  it("signs parameters in name order, also where a name is another's prefix ('a' before 'a-b', though '-' < '=')", () => {
    assert.equal(verify(signQuery(APP_A, "POST", path, body, NOW, { "a-b": "2", a: "1", "a.c": "3" })), undefined);
  });

  it("checks a query of thousands of parameters (each value paired with its name, not looked up again)", () => {
    const extra = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`p${i}`, String(i)]));
    const query = signQuery(APP_A, "POST", path, body, NOW, extra);
    assert.equal(verify(query), undefined);
    assert.equal(verify(query.replace("p2999=2999", "p2999=0")), "auth_signature does not match");
  });
});
