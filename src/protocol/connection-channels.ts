/**
 * @module The channels one connection is subscribed to, in a single field: nothing, the one channel itself (the usual
 * connection, so no table and no holder object: a Map with one entry costs ~300 bytes on Bun, a holder 48), or a Map
 * by name from the second channel on. Operations return the new value to store back.
 */

/** None, one channel, or a Map of channels by name. */
export type ChannelSet<C extends { readonly name: string }> = C | Map<string, C> | undefined;

/** The channel named `name`, if the set has it. */
export function findChannel<C extends { readonly name: string }>(set: ChannelSet<C>, name: string): C | undefined {
  if (set === undefined) return undefined;
  if (set instanceof Map) return set.get(name);
  return set.name === name ? set : undefined;
}

/** How many channels the set holds. */
export function channelCount<C extends { readonly name: string }>(set: ChannelSet<C>): number {
  return set === undefined ? 0 : set instanceof Map ? set.size : 1;
}

/** The set with `channel` added under its name (replacing one of the same name). */
export function withChannel<C extends { readonly name: string }>(set: ChannelSet<C>, channel: C): ChannelSet<C> {
  if (set === undefined || (!(set instanceof Map) && set.name === channel.name)) return channel;
  if (set instanceof Map) return set.set(channel.name, channel);
  return new Map([[set.name, set], [channel.name, channel]]);
}

/** The set without the channel named `name`. */
export function withoutChannel<C extends { readonly name: string }>(set: ChannelSet<C>, name: string): ChannelSet<C> {
  if (set instanceof Map) {
    set.delete(name);
    return set.size === 0 ? undefined : set;
  }
  return set !== undefined && set.name === name ? undefined : set;
}

/** Every channel of the set (a copy: callers may leave channels while iterating). */
export function channelList<C extends { readonly name: string }>(set: ChannelSet<C>): C[] {
  if (set === undefined) return [];
  return set instanceof Map ? [...set.values()] : [set];
}
