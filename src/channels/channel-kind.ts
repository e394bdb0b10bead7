/** @module Channel kinds from names (hyphenated Pusher prefixes) and the Pusher channel-name rule. */

/** What a channel's name makes it. Private and presence channels need a signed `auth`. */
export interface ChannelKind {
  readonly authenticated: boolean;
  readonly presence: boolean;
  readonly cache: boolean;
  readonly encrypted: boolean;
}

const kind = (authenticated: boolean, presence: boolean, cache: boolean, encrypted: boolean): ChannelKind =>
  Object.freeze({ authenticated, presence, cache, encrypted });

// Longest prefixes first: "private-encrypted-cache-x" must not be read as "private-".
const PREFIXES: ReadonlyArray<readonly [string, ChannelKind]> = [
  ["private-encrypted-cache-", kind(true, false, true, true)],
  ["private-encrypted-", kind(true, false, false, true)],
  ["private-cache-", kind(true, false, true, false)],
  ["presence-cache-", kind(true, true, true, false)],
  ["cache-", kind(false, false, true, false)],
  ["private-", kind(true, false, false, false)],
  ["presence-", kind(true, true, false, false)],
];

const PUBLIC = kind(false, false, false, false);

/** The kind of the channel with this name. */
export function channelKind(name: string): ChannelKind {
  for (const [prefix, channelKind] of PREFIXES) if (name.startsWith(prefix)) return channelKind;
  return PUBLIC;
}

/** The type operators see (metrics label, dashboard): encrypted, cache, presence, private or public, in that order. */
export type ChannelType = "public" | "private" | "presence" | "cache" | "encrypted";

/** The type of a channel of this kind (`private-cache-`/`presence-cache-` count as cache). */
export function channelType(kind: ChannelKind): ChannelType {
  if (kind.encrypted) return "encrypted";
  if (kind.cache) return "cache";
  if (kind.presence) return "presence";
  return kind.authenticated ? "private" : "public";
}

const VALID_NAME = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;

/** Pusher's rule: 1–164 characters of `A-Za-z0-9_-=@,.;`. */
export function isValidChannelName(name: string): boolean {
  return VALID_NAME.test(name);
}

/** The channel of a signed-in user's sockets, which `sendToUser` publishes to (`#server-to-user-{id}`). */
export const SERVER_TO_USER_PREFIX = "#server-to-user-";

/** The user id of a `#server-to-user-{id}` channel name, or undefined for any other name. */
export function serverToUserId(name: string): string | undefined {
  if (!name.startsWith(SERVER_TO_USER_PREFIX)) return undefined;
  const id = name.slice(SERVER_TO_USER_PREFIX.length);
  return isValidUserId(id) ? id : undefined;
}

/** A signed-in user's id: the channel-name characters, so `#server-to-user-{id}` is a well-formed name. */
export function isValidUserId(id: string): boolean {
  return VALID_NAME.test(id);
}

/** Names clients and the HTTP API may use: Pusher's rule, or a server-to-user channel. */
export function isValidEventChannel(name: string): boolean {
  return VALID_NAME.test(name) || serverToUserId(name) !== undefined;
}
