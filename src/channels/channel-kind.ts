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

const VALID_NAME = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;

/** Pusher's rule: 1–164 characters of `A-Za-z0-9_-=@,.;`. */
export function isValidChannelName(name: string): boolean {
  return VALID_NAME.test(name);
}
