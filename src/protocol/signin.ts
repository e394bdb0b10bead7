/**
 * @module pusher:signin (Pusher user authentication): the app server's signature over `socket_id::user::user_data`
 * is checked, the connection remembers its user and joins the user's `#server-to-user-{id}` channel, so events
 * sent to the user (`sendToUser`) reach every socket the user has, on every node.
 * https://pusher.com/docs/channels/library_auth_reference/auth-signatures/#user-authentication
 */

import * as v from "valibot";
import type { App } from "../apps/app.ts";
import { isValidUserId, SERVER_TO_USER_PREFIX } from "../channels/channel-kind.ts";
import { PusherError } from "../errors.ts";
import { hmacSha256Hex } from "../support/hashes.ts";
import { timingSafeEqual } from "../support/timing-safe-equal.ts";
import type { Connection } from "./connection.ts";
import { SigninData, signinSuccess, UserData } from "./frames.ts";
import type { AppState } from "./hub.ts";
import { join } from "./subscriptions.ts";

/** The signature an app server computes for a user sign-in. */
export function userSignature(app: App, socketId: string, userData: string): string {
  return hmacSha256Hex(app.secret, `${socketId}::user::${userData}`);
}

/** Signs `connection` in; throws a PusherError (and changes nothing) when the request is malformed or forged. */
export function signin(connection: Connection, app: App, state: AppState, data: unknown): void {
  const request = v.safeParse(SigninData, data);
  if (!request.success) throw new PusherError("invalidMessage");
  const { auth, user_data: userData } = request.output;
  const colon = auth.indexOf(":");
  const valid = colon > 0 && auth.slice(0, colon) === app.key &&
    timingSafeEqual(auth.slice(colon + 1), userSignature(app, connection.socketId, userData));
  if (!valid) throw new PusherError("signinInvalid");
  let decoded: unknown;
  try {
    decoded = JSON.parse(userData);
  } catch {
    throw new PusherError("signinUserData");
  }
  const user = v.safeParse(UserData, decoded);
  if (!user.success || !isValidUserId(user.output.id)) throw new PusherError("signinUserData");
  const { id, watchlist = [] } = user.output;
  if (connection.user && connection.user.id !== id) throw new PusherError("signinOtherUser");

  const previous = connection.user;
  connection.user = { id, watchlist, userData };
  join(connection, app, state, `${SERVER_TO_USER_PREFIX}${id}`);
  connection.send(signinSuccess(userData));
  // A repeated sign-in as the same user replaces the watchlist.
  if (previous) connection.hub.watchlists.unwatch(connection, app, previous.watchlist);
  if (watchlist.length > 0) connection.hub.watchlists.watch(connection, app, watchlist);
  const events = connection.hub.events;
  if (events.wants("signedIn")) events.emit("signedIn", { app, socketId: connection.socketId, userId: id });
}
