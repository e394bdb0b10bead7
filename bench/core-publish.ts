/**
 * @module The core's own cost of one signed POST /events, in process and without a network: µs per request through
 * the publish lane (signature, body checks, publish to one subscriber, the JSON answer), through `core.fetch` (plus
 * the Request and Response objects), and the parts alone; with the hashing each runtime adapter installs.
 * `node --import tsx bench/core-publish.ts`, `bun bench/core-publish.ts`, `deno run -A bench/core-publish.ts`
 */

import { type QueryParameters, queryParameters, signQuery, verifySignature } from "../src/http/verify-signature.ts";
import { parseEventBody } from "../src/http/api-schemas.ts";
import { createServer } from "../src/server.ts";
import { hmacSha256Hex, md5Hex } from "../src/support/hashes.ts";
import { APP_A } from "../test/support/fixtures.ts";

const REQUESTS = 20_000;
// The hashing each runtime adapter installs (importing runtimes/{node,bun,deno}.ts installs it).
await import("Deno" in globalThis ? "../runtimes/deno.ts" : "Bun" in globalThis ? "../runtimes/bun.ts" : "../runtimes/node.ts");
const core = createServer({ apps: [APP_A] });
const socket = { send() {}, close() {}, ping() {}, getBufferedAmount: () => 0 };
const subscriber = core.hub.session(APP_A.key, null);
subscriber.open(socket);
subscriber.message(JSON.stringify({ event: "pusher:subscribe", data: { channel: "news" } }));

const path = `/apps/${APP_A.id}/events`;
const bodies = Array.from({ length: REQUESTS }, (_, i) => JSON.stringify({ name: "bench-event", channel: "news", data: JSON.stringify({ seq: i, ts: Date.now(), pad: "x".repeat(60) }) }));
const urls = bodies.map((body) => `http://127.0.0.1:8080${path}?${signQuery(APP_A, "POST", path, body, Date.now())}`);

const usPer = async (count: number, task: (i: number) => unknown) => {
  const started = performance.now();
  for (let i = 0; i < count; i++) await task(i);
  return Number((((performance.now() - started) * 1000) / count).toFixed(2));
};

const fetchOne = async (i: number) => {
  const response = await core.fetch(new Request(urls[i]!, { method: "POST", body: bodies[i]!, headers: { "content-type": "application/json", host: "127.0.0.1:8080" } }));
  if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
  await response.text();
};
await usPer(5_000, (i) => fetchOne(i % REQUESTS)); // warm-up
const encoder = new TextEncoder();
const laneOne = async (i: number) => {
  const target = urls[i]!.slice("http://127.0.0.1:8080".length);
  const body = encoder.encode(bodies[i]!);
  const answer = await new Promise<{ status: number; body: string }>((resolve) => {
    core.lane.handle(core.lane.match(target)!, { target, host: "127.0.0.1:8080", headerBytes: 200, readBody: (_limit, done) => done(body) }, resolve);
  });
  if (answer.status !== 200) throw new Error(answer.body);
};
await usPer(5_000, (i) => laneOne(i % REQUESTS));
const results = {
  laneUs: await usPer(REQUESTS, laneOne),
  fetchUs: await usPer(REQUESTS, fetchOne),
  requestObjectUs: await usPer(REQUESTS, (i) => new Request(urls[i]!, { method: "POST", body: bodies[i]!, headers: { "content-type": "application/json" } })),
  verifyUs: await usPer(REQUESTS, (i) => {
    const url = new URL(urls[i]!);
    return verifySignature(APP_A, { method: "POST", path, params: queryParameters(url.search.slice(1)) as QueryParameters, body: encoder.encode(bodies[i]!) }, "", Date.now());
  }),
  hmacUs: await usPer(REQUESTS, (i) => hmacSha256Hex(APP_A.secret, `POST\n${path}\nauth_key=x&auth_timestamp=${i}&auth_version=1.0&body_md5=0123456789abcdef0123456789abcdef`)),
  md5Us: await usPer(REQUESTS, (i) => md5Hex(encoder.encode(bodies[i]!))),
  parseBodyUs: await usPer(REQUESTS, (i) => parseEventBody(encoder.encode(bodies[i]!))),
};
console.log(JSON.stringify(results));
await core.shutdown();
