/** @module Native HMAC-SHA256 and MD5 from node:crypto (on Node, Bun and Deno alike), for the core's hashing port. */

import { createHash, createHmac } from "node:crypto";
import type { NativeHashes } from "../src/support/hashes.ts";

/** HMAC-SHA256 of a UTF-8 message as lowercase hex. */
export const nativeHmacSha256Hex = (secret: string, message: string): string => createHmac("sha256", secret).update(message).digest("hex");

/** MD5 of bytes as lowercase hex. */
export const nativeMd5Hex = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

/** Both, for the runtimes where both beat @noble/hashes (Node, Bun). */
export const NATIVE_HASHES: NativeHashes = { hmacSha256Hex: nativeHmacSha256Hex, md5Hex: nativeMd5Hex };
