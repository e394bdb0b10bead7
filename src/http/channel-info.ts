/** @module The `info` attributes of the HTTP API (user_count, subscription_count, cache), as Reverb computes them. */

import { channelKind } from "../channels/channel-kind.ts";
import type { ChannelFacts } from "../scaling/broker.ts";

/** The attributes asked for in an `info` query value (`"user_count,subscription_count"`). */
export function parseInfo(info: string | undefined | null): Set<string> {
  return new Set((info ?? "").split(",").map((attribute) => attribute.trim()).filter(Boolean));
}

/**
 * Requested attributes of a channel, in Reverb's key order. `user_count` only applies to presence channels,
 * `subscription_count` only to others, `cache` only to cache channels holding an event; a channel with no
 * subscribers reports nothing.
 */
export function channelAttributes(name: string, facts: ChannelFacts | undefined, requested: Set<string>): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  if (!facts) return attributes;
  const kind = channelKind(name);
  if (requested.has("user_count") && kind.presence) attributes["user_count"] = facts.userCount ?? 0;
  if (requested.has("subscription_count") && !kind.presence) attributes["subscription_count"] = facts.subscriptionCount;
  if (requested.has("cache") && kind.cache && facts.cachedFrame !== undefined) {
    attributes["cache"] = JSON.parse(facts.cachedFrame);
  }
  return attributes;
}
