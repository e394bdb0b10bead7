/**
 * @module HMAC-SHA256 (signatures) and MD5 (the HTTP API's body_md5): synchronous, so channel auth never reorders a
 * socket's messages (Web Crypto is asynchronous and has no MD5). @noble/hashes (audited, plain JavaScript) by default;
 * a runtime adapter installs its native hashing where that is faster (`useNativeHashes`), 3–7× on Node and Bun.
 */

import { hmac } from "@noble/hashes/hmac.js";
import { md5 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

type Keyed = ReturnType<typeof hmac.create>;

/**
 * Per secret, an HMAC with the key already absorbed, and a scratch HMAC each signature copies it into: that skips
 * hashing the two key blocks again and allocates no hash state per call (signing is synchronous, so one scratch per
 * secret is never in use twice). Secrets are the configured apps', so this stays small; the cap is only a guard.
 */
const keyed = new Map<string, { base: Keyed; scratch: Keyed }>();
const MAX_KEYED = 256;

/** What a runtime may supply natively; each function is optional (Deno's native HMAC is slower than noble's). */
export interface NativeHashes {
  readonly hmacSha256Hex?: (secret: string, message: string) => string;
  readonly md5Hex?: (bytes: Uint8Array) => string;
}

let native: NativeHashes = {};

/** Installs a runtime's native hashing (the adapters do; tests compare it with noble's). */
export function useNativeHashes(hashes: NativeHashes): void {
  native = hashes;
}

/** HMAC-SHA256 of a UTF-8 message as lowercase hex. */
export function hmacSha256Hex(secret: string, message: string): string {
  return native.hmacSha256Hex ? native.hmacSha256Hex(secret, message) : nobleHmacSha256Hex(secret, message);
}

/** MD5 of bytes as lowercase hex. */
export function md5Hex(bytes: Uint8Array): string {
  return native.md5Hex ? native.md5Hex(bytes) : nobleMd5Hex(bytes);
}

/** @noble/hashes' HMAC-SHA256 (exported for the tests that check a native one against it). */
export function nobleHmacSha256Hex(secret: string, message: string): string {
  let entry = keyed.get(secret);
  if (!entry) {
    if (keyed.size >= MAX_KEYED) keyed.clear();
    const key = utf8ToBytes(secret);
    entry = { base: hmac.create(sha256, key), scratch: hmac.create(sha256, key) };
    keyed.set(secret, entry);
  }
  return bytesToHex(entry.base._cloneInto(entry.scratch).update(asciiBytes(message) ?? utf8ToBytes(message)).digest());
}

/** Scratch space for asciiBytes; the hash consumes it before anything else can run (all of this is synchronous). */
const ASCII = new Uint8Array(2_048);

/**
 * A message that is all ASCII (what the signed strings are) as bytes in the scratch space, else undefined. Copying
 * the characters costs a quarter of a TextEncoder call on Deno, where encoding is a call into Rust (0.27 vs 0.70 µs).
 */
function asciiBytes(message: string): Uint8Array | undefined {
  if (message.length > ASCII.length) return undefined;
  for (let i = 0; i < message.length; i++) {
    const code = message.charCodeAt(i);
    if (code > 0x7f) return undefined;
    ASCII[i] = code;
  }
  return ASCII.subarray(0, message.length);
}

/** @noble/hashes' MD5. */
export function nobleMd5Hex(bytes: Uint8Array): string {
  return bytesToHex(md5(bytes));
}
