/** @module Per-app channel registry on this node: channels exist while they have subscribers; cached events outlive them. */

import type { PublishMeter } from "../limits/backlog.ts";
import { type CacheLimits, CacheStore } from "./cache-store.ts";
import { Channel, type Subscriber, type Topics } from "./channel.ts";

/** The channels of one app on this node, in creation order. */
export class ChannelManager<S extends Subscriber = Subscriber> {
  readonly channels = new Map<string, Channel<S>>();
  /**
   * Cache channels: the last event sent on each, replayed verbatim to new subscribers. Kept for the app's cache_ttl
   * whether or not the channel has subscribers, so it lives beside the channels rather than in them. A cluster
   * versions each entry so every node keeps the same newest one.
   */
  readonly cache: CacheStore;
  private readonly topics: Topics<S> | undefined;
  private readonly topicPrefix: string;
  private readonly meter: PublishMeter | undefined;

  /**
   * `topicPrefix` keeps runtime topics of different apps apart; `meter` counts the app's native publishes; `cache`
   * bounds the cached events (unbounded when left out).
   */
  constructor(topics?: Topics<S>, topicPrefix = "", meter?: PublishMeter, cache?: CacheLimits) {
    this.cache = new CacheStore(cache);
    this.topics = topics;
    this.topicPrefix = topicPrefix;
    this.meter = meter;
  }

  find(name: string): Channel<S> | undefined {
    return this.channels.get(name);
  }

  /** The channel with this name, created (unregistered) if it does not exist; see {@link register}. */
  findOrNew(name: string): Channel<S> {
    return this.channels.get(name) ?? new Channel<S>(name, this.topics, this.topicPrefix, this.meter);
  }

  /**
   * Registers a channel once its first subscription succeeded, so failed subscribes leave nothing behind.
   * Returns true when the channel was not registered before.
   */
  register(channel: Channel<S>): boolean {
    if (this.channels.has(channel.name)) return false;
    this.channels.set(channel.name, channel);
    return true;
  }

  /** Drops the channel when its last subscriber has gone; returns true when it was removed. */
  removeIfEmpty(channel: Channel<S>): boolean {
    if (channel.occupied) return false;
    return this.channels.delete(channel.name);
  }
}
