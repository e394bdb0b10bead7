/**
 * @module HMAC-SHA256 (signatures) and MD5 (the HTTP API's body_md5) from @noble/hashes: audited, synchronous (so
 * channel auth never reorders a socket's messages) and plain JavaScript on every runtime. Web Crypto is
 * asynchronous and has no MD5.
 */

import { hmac } from "@noble/hashes/hmac.js";
import { md5 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

type Keyed = ReturnType<typeof hmac.create>;

/**
 * An HMAC per secret with the key already absorbed; each signature clones it, which skips hashing the two key
 * blocks again. Secrets are the configured apps', so this stays small; the cap is a guard, not an eviction policy.
 */
const keyed = new Map<string, Keyed>();
const MAX_KEYED = 256;

/** HMAC-SHA256 of a UTF-8 message as lowercase hex. */
export function hmacSha256Hex(secret: string, message: string): string {
  let base = keyed.get(secret);
  if (!base) {
    if (keyed.size >= MAX_KEYED) keyed.clear();
    base = hmac.create(sha256, utf8ToBytes(secret));
    keyed.set(secret, base);
  }
  return bytesToHex(base.clone().update(utf8ToBytes(message)).digest());
}

/** MD5 of bytes as lowercase hex. */
export function md5Hex(bytes: Uint8Array): string {
  return bytesToHex(md5(bytes));
}
