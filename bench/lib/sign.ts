/** @module Pusher signatures: HTTP API query signing (as src/http/verify-signature.ts `signQuery`) and channel auth. */

import { createHash, createHmac } from "node:crypto";

export interface Credentials {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
}

const hmac = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("hex");

/** `path?query` with auth_key, auth_timestamp, auth_version, body_md5 and auth_signature. */
export function signedPath(creds: Credentials, method: string, path: string, body: string, nowMs = Date.now()): string {
  const params: Record<string, string> = {
    auth_key: creds.key,
    auth_timestamp: String(Math.floor(nowMs / 1000)),
    auth_version: "1.0",
  };
  if (body) params["body_md5"] = createHash("md5").update(body).digest("hex");
  const query = Object.keys(params).sort().map((key) => `${key}=${params[key]}`).join("&");
  return `${path}?${query}&auth_signature=${hmac(creds.secret, `${method}\n${path}\n${query}`)}`;
}

/** The `auth` value of a private or presence subscription (what a Laravel app's /broadcasting/auth returns). */
export function channelAuth(creds: Credentials, socketId: string, channel: string, channelData?: string): string {
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${creds.key}:${hmac(creds.secret, text)}`;
}
