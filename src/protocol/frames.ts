/**
 * @module The Pusher wire format, both directions: valibot schemas for inbound frames and one named builder
 * per outbound frame. Nothing else in the code base writes protocol JSON.
 * https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/
 */

import * as v from "valibot";
import { PUSHER_ERRORS, type PusherErrorName } from "../errors.ts";

// --- inbound -------------------------------------------------------------------------------------------------

/** Every inbound message: a JSON object with a string `event`. */
export const InboundFrame = v.looseObject({ event: v.string(), data: v.optional(v.unknown()) });

/** A channel name as clients send it; Reverb also accepts a number, which is read as its decimal string. */
const ChannelName = v.union([v.string(), v.pipe(v.number(), v.finite(), v.transform(String))]);

/** `pusher:subscribe` data. */
export const SubscribeData = v.object({
  channel: ChannelName,
  auth: v.nullish(v.string()),
  channel_data: v.nullish(v.string()),
});

/** `pusher:signin` data: the app server's signature, and the user_data string it signed. */
export const SigninData = v.object({ auth: v.string(), user_data: v.string() });

/** Most ids a user's watchlist may hold (Pusher's limit). */
export const MAX_WATCHLIST = 100;

/** Signed user_data after JSON decoding: a string `id`, optionally a `watchlist` of user ids. */
export const UserData = v.looseObject({
  id: v.pipe(v.string(), v.nonEmpty()),
  watchlist: v.optional(v.pipe(v.array(v.pipe(v.string(), v.nonEmpty())), v.maxLength(MAX_WATCHLIST))),
});

/** `pusher:unsubscribe` data. */
export const UnsubscribeData = v.object({ channel: ChannelName });

/** A client event (`client-*`); its `data` is relayed as raw text, so only the routing keys are validated. */
export const ClientEventFrame = v.object({ event: v.string(), channel: v.string() });

/** Any JSON object (valibot's object schemas alone would also let arrays through). */
export const JsonObject = v.pipe(
  v.custom<Record<string, unknown>>((input) => typeof input === "object" && input !== null && !Array.isArray(input)),
  v.record(v.string(), v.unknown()),
);

/** Signed `channel_data` after JSON decoding: a JSON object whose optional `user_id` is a non-empty string or a number. */
export const PresenceChannelData = v.pipe(
  JsonObject,
  v.looseObject({
    user_id: v.optional(v.union([v.pipe(v.string(), v.nonEmpty()), v.pipe(v.number(), v.finite())])),
    user_info: v.optional(v.unknown()),
  }),
);

// --- outbound ------------------------------------------------------------------------------------------------

/** Server heartbeat ping and the reply to a client's ping. */
export const PING_FRAME = '{"event":"pusher:ping"}';
export const PONG_FRAME = '{"event":"pusher:pong"}';

/** `pusher:connection_established`, sent once the connection is accepted. */
export function connectionEstablished(socketId: string, activityTimeout: number): string {
  return JSON.stringify({
    event: "pusher:connection_established",
    data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeout }),
  });
}

const ERROR_FRAMES = Object.fromEntries(
  Object.entries(PUSHER_ERRORS).map(([name, { code, message }]) => [
    name,
    JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) }),
  ]),
) as Record<PusherErrorName, string>;

/** `pusher:error` for an entry of the error table (its `data` is a JSON string, as Reverb sends it). */
export function errorFrame(name: PusherErrorName, message?: string): string {
  if (message === undefined) return ERROR_FRAMES[name];
  return JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code: PUSHER_ERRORS[name].code, message }) });
}

/** The member list a presence subscriber receives. `hash` is `[]` when some member has no `user_id` (Reverb). */
export interface PresenceSnapshot {
  readonly count: number;
  readonly ids: ReadonlyArray<string | number>;
  readonly hash: Record<string, unknown> | readonly [];
}

/** `pusher:signin_success`, carrying the user_data string as the app server signed it. */
export function signinSuccess(userData: string): string {
  return JSON.stringify({ event: "pusher:signin_success", data: JSON.stringify({ user_data: userData }) });
}

/** `pusher_internal:watchlist_events`: which watched users came online or went offline. */
export function watchlistEvents(events: ReadonlyArray<{ name: "online" | "offline"; userIds: readonly string[] }>): string {
  const data = { events: events.map(({ name, userIds }) => ({ name, user_ids: userIds })) };
  return JSON.stringify({ event: "pusher_internal:watchlist_events", data: JSON.stringify(data) });
}

/** `pusher_internal:subscription_count`: how many subscriptions the channel has in the whole cluster. */
export function subscriptionCount(channel: string, count: number): string {
  return JSON.stringify({ event: "pusher_internal:subscription_count", data: JSON.stringify({ subscription_count: count }), channel });
}

/** `pusher_internal:subscription_succeeded`; presence channels carry the member list. */
export function subscriptionSucceeded(channel: string, presence?: PresenceSnapshot): string {
  return JSON.stringify({
    event: "pusher_internal:subscription_succeeded",
    data: presence ? JSON.stringify({ presence }) : "{}",
    channel,
  });
}

/** `pusher_internal:member_added`; `member` is the joiner's whole decoded channel_data. */
export function memberAdded(channel: string, member: unknown): string {
  return JSON.stringify({ event: "pusher_internal:member_added", data: JSON.stringify(member), channel });
}

/** `pusher_internal:member_removed`; `userId` keeps its JSON type. */
export function memberRemoved(channel: string, userId: string | number): string {
  return JSON.stringify({
    event: "pusher_internal:member_removed",
    data: JSON.stringify({ user_id: userId }),
    channel,
  });
}

/** `pusher:cache_miss`, sent after subscribing to a cache channel that holds no event yet. */
export function cacheMiss(channel: string): string {
  return JSON.stringify({ event: "pusher:cache_miss", channel });
}

/** An event published through the HTTP API; `data` is the string the API was given, relayed as is. */
export function channelEvent(event: string, channel: string, data: string): string {
  return JSON.stringify({ event, data, channel });
}

/**
 * A client event as relayed to the other subscribers. `rawData` is the exact JSON text the sender used
 * (undefined when it sent none); `userId` is the sender's verified presence id, if any.
 */
export function clientEvent(event: string, channel: string, rawData?: string, userId?: string | number): string {
  let frame = `{"event":${JSON.stringify(event)},"channel":${JSON.stringify(channel)}`;
  if (rawData !== undefined) frame += `,"data":${rawData}`;
  if (userId !== undefined) frame += `,"user_id":${JSON.stringify(userId)}`;
  return frame + "}";
}
