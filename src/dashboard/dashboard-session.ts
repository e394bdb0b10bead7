/**
 * @module Who may see the dashboard: the token opens a session, kept in an HttpOnly, SameSite=Strict cookie that is
 * signed with the token (`expiry.HMAC(token, expiry)`), so sessions need no memory, survive restarts with the same
 * token, and die when the token changes. Every comparison is constant-time.
 */

import { hmacSha256Hex } from "../support/hashes.ts";
import { timingSafeEqual } from "../support/timing-safe-equal.ts";

export const SESSION_COOKIE = "resound_dashboard";
/** How long a session lasts. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

/** Whether `given` is the token. */
export function isToken(token: string, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(given, token);
}

/** A new session cookie value, valid until `now + SESSION_MS`. */
export function newSession(token: string, now: number): string {
  const expires = String(now + SESSION_MS);
  return `${expires}.${hmacSha256Hex(token, `resound-dashboard:${expires}`)}`;
}

/** Whether a cookie value is a live session signed with `token`. */
export function isSession(token: string, value: string | undefined, now: number): boolean {
  if (!value) return false;
  const dot = value.indexOf(".");
  const expires = value.slice(0, dot);
  if (dot < 1 || !/^\d{1,16}$/.test(expires) || Number(expires) <= now) return false;
  return timingSafeEqual(value.slice(dot + 1), hmacSha256Hex(token, `resound-dashboard:${expires}`));
}
