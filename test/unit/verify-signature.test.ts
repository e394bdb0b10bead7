/**
 * @module The signature check reads a query sent in canonical order as it stands, and builds the signed string
 * otherwise; both must accept exactly the same requests.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlainQuery, queryParameters, verifySignature } from "../../src/http/verify-signature.ts";
import { hmacSha256Hex, md5Hex } from "../../src/support/hashes.ts";
import { APP_A } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const TS = String(NOW / 1000);
const BODY = new TextEncoder().encode('{"name":"e","channel":"news","data":"{}"}');
const MD5 = md5Hex(BODY);
const PATH = `/apps/${APP_A.id}/events`;

/** `query` (without auth_signature) signed over `signed` (by default the query itself) and sent with the signature last. */
function sent(query: string, signed = query, path = PATH): string {
  return `${query}&auth_signature=${hmacSha256Hex(APP_A.secret, `POST\n${path}\n${signed}`)}`;
}

/** The check's verdict with the query read as sent (when plain) and with the signed string always built. */
function verdicts(query: string, body = BODY, prefix = "", path = PATH) {
  const params = queryParameters(query);
  assert.ok(!("repeated" in params), query);
  const request = { method: "POST", path, params, body };
  return {
    asSent: verifySignature(APP_A, { ...request, plainQuery: isPlainQuery(query) ? query : undefined }, prefix, NOW),
    built: verifySignature(APP_A, request, prefix, NOW),
  };
}

describe("verifySignature on a query read as sent", () => {
  const base = `auth_key=${APP_A.key}&auth_timestamp=${TS}&auth_version=1.0`;
  const canonical = `${base}&body_md5=${MD5}`;

  it("accepts what Pusher SDKs send, and the same with extra sorted parameters", () => {
    for (const query of [sent(canonical), sent(`${base}&body_md5=${MD5}&info=user_count`), sent(`a=1&${canonical}`)]) {
      assert.deepEqual(verdicts(query), { asSent: undefined, built: undefined }, query);
    }
    assert.deepEqual(verdicts(sent(base), new Uint8Array(0)), { asSent: undefined, built: undefined });
  });

  it("signs the canonical string, never the text, when they differ", () => {
    const variants = [
      `auth_timestamp=${TS}&auth_key=${APP_A.key}&auth_version=1.0&body_md5=${MD5}`, // another order
      `${base}&&body_md5=${MD5}`, // an empty pair
      `flag&${canonical}`, // a pair without "="
      `flag&&${canonical}`, // both: the text is as long as the canonical string
      base, // body_md5 left out although the body is not empty
    ];
    for (const query of variants) {
      const params = queryParameters(query) as Map<string, string>;
      const keys = [...params.keys(), ...(params.has("body_md5") ? [] : ["body_md5"])].sort();
      const built = keys.map((key) => `${key}=${key === "body_md5" ? MD5 : params.get(key)}`).join("&");
      assert.notEqual(built, query);
      // Signed over the canonical string: accepted both ways. Signed over the text as sent: refused both ways.
      assert.deepEqual(verdicts(sent(query, built)), { asSent: undefined, built: undefined }, query);
      const refused = { asSent: "auth_signature does not match", built: "auth_signature does not match" };
      assert.deepEqual(verdicts(sent(query, query)), refused, query);
    }
  });

  it("refuses body_md5 sent for an empty body, as the built string leaves it out", () => {
    const query = sent(`${base}&body_md5=${md5Hex(new Uint8Array(0))}`);
    const refused = { asSent: "auth_signature does not match", built: "auth_signature does not match" };
    assert.deepEqual(verdicts(query, new Uint8Array(0)), refused);
  });

  it("takes auth_signature only as the last parameter, and a path with or without the prefix", () => {
    const signature = hmacSha256Hex(APP_A.secret, `POST\n${PATH}\n${canonical}`);
    const first = `auth_signature=${signature}&${canonical}`;
    assert.deepEqual(verdicts(first), { asSent: undefined, built: undefined });
    const prefixed = `/ws${PATH}`;
    assert.deepEqual(verdicts(sent(canonical), BODY, "/ws", prefixed), { asSent: undefined, built: undefined });
    assert.deepEqual(verdicts(sent(canonical, canonical, prefixed), BODY, "/ws", prefixed), { asSent: undefined, built: undefined });
    const wrong = { asSent: "auth_signature does not match", built: "auth_signature does not match" };
    assert.deepEqual(verdicts(sent(canonical, canonical, "/other"), BODY, "/ws", prefixed), wrong);
  });
});
