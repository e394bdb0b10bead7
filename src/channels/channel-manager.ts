/** @module Per-app channel registry on this node: channels exist while they have subscribers. */

import { Channel, type Subscriber, type Topics } from "./channel.ts";

/** The channels of one app on this node, in creation order. */
export class ChannelManager<S extends Subscriber = Subscriber> {
  readonly channels = new Map<string, Channel<S>>();
  private readonly topics: Topics<S> | undefined;
  private readonly topicPrefix: string;

  /** `topicPrefix` keeps runtime topics of different apps apart. */
  constructor(topics?: Topics<S>, topicPrefix = "") {
    this.topics = topics;
    this.topicPrefix = topicPrefix;
  }

  find(name: string): Channel<S> | undefined {
    return this.channels.get(name);
  }

  /** The channel with this name, created (unregistered) if it does not exist; see {@link register}. */
  findOrNew(name: string): Channel<S> {
    return this.channels.get(name) ?? new Channel<S>(name, this.topics, this.topicPrefix);
  }

  /** Registers a channel once its first subscription succeeded, so failed subscribes leave nothing behind. */
  register(channel: Channel<S>): void {
    if (!this.channels.has(channel.name)) this.channels.set(channel.name, channel);
  }

  /** Drops the channel when its last subscriber has gone; returns true when it was removed. */
  removeIfEmpty(channel: Channel<S>): boolean {
    if (channel.occupied) return false;
    return this.channels.delete(channel.name);
  }
}
