/** @module Channel authorization: the `key:signature` a subscriber presents for private and presence channels. */

import type { App } from "../apps/app.ts";
import { hmacSha256Hex } from "../support/hashes.ts";
import { timingSafeEqual } from "../support/timing-safe-equal.ts";

/** The signature an app server computes for this subscription (Pusher "channel authorization"). */
export function channelSignature(app: App, socketId: string, channel: string, channelData?: string | null): string {
  const toSign = channelData ? `${socketId}:${channel}:${channelData}` : `${socketId}:${channel}`;
  return hmacSha256Hex(app.secret, toSign);
}

/** True when `auth` is `<this app's key>:<valid signature>`. */
export function isChannelAuthValid(
  app: App,
  socketId: string,
  channel: string,
  auth: string | null | undefined,
  channelData: string | null | undefined,
): boolean {
  if (!auth) return false;
  const colon = auth.indexOf(":");
  if (colon < 0 || auth.slice(0, colon) !== app.key) return false;
  return timingSafeEqual(auth.slice(colon + 1), channelSignature(app, socketId, channel, channelData));
}
