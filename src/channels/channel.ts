/** @module A channel on this node: its subscribers, presence roster and cached event; behaviour by kind, no subclass tree. */

import { channelKind, type ChannelKind } from "./channel-kind.ts";
import { type Member, PresenceRoster } from "./presence.ts";

/** What a channel needs from a subscriber: a way to receive frames. */
export interface Subscriber {
  send(frame: string): void;
}

/** One socket's membership of a channel. */
export interface Subscription {
  /** The verified user_id from signed channel_data, if any. */
  readonly userId: string | number | undefined;
  /** The decoded channel_data (empty when none was sent). */
  readonly data: Record<string, unknown>;
}

/**
 * Native topic pub/sub a runtime may offer (Bun's ws.subscribe / server.publish): one call reaches every
 * subscriber and the frame is copied once in native code. Without it, channels loop over their subscribers.
 */
export interface Topics<S> {
  subscribe(subscriber: S, topic: string): void;
  unsubscribe(subscriber: S, topic: string): void;
  /** Sends `frame` to every subscriber of `topic` except `except`. */
  publish(topic: string, frame: string, except: S | undefined): void;
}

/** A channel and everything the node knows about it. */
export class Channel<S extends Subscriber = Subscriber> {
  readonly name: string;
  readonly kind: ChannelKind;
  readonly subscribers = new Map<S, Subscription>();
  readonly presence: PresenceRoster | undefined;
  /** Cache channels: the last event frame sent on the channel, replayed verbatim to new subscribers. */
  cachedFrame: string | undefined;
  private readonly topics: Topics<S> | undefined;
  /** The runtime topic of this channel; unique across apps. */
  private readonly topic: string;

  constructor(name: string, topics?: Topics<S>, topicPrefix = "") {
    this.name = name;
    this.kind = channelKind(name);
    this.presence = this.kind.presence ? new PresenceRoster() : undefined;
    this.topics = topics;
    this.topic = topicPrefix + name;
  }

  /** Delivers an event frame (API or client event) to every subscriber but `except`; cache channels keep it. */
  publish(frame: string, except?: S): void {
    if (this.kind.cache) this.cachedFrame = frame;
    this.broadcast(frame, except);
  }

  /** Sends one already-encoded frame to every subscriber but `except`; never awaits. */
  broadcast(frame: string, except?: S): void {
    if (this.topics) return this.topics.publish(this.topic, frame, except);
    for (const subscriber of this.subscribers.keys()) {
      if (subscriber !== except) subscriber.send(frame);
    }
  }

  /**
   * Adds or replaces `subscriber`'s subscription and returns the presence member who joined, if this
   * made a new user present. The new subscription is counted before the old one is dropped, so a
   * re-subscribe by the same user never looks like a leave and a join.
   */
  add(subscriber: S, subscription: Subscription): { joined?: Member; left?: Member } {
    const previous = this.subscribers.get(subscriber);
    this.subscribers.set(subscriber, subscription);
    if (!previous) this.topics?.subscribe(subscriber, this.topic);
    if (!this.presence) return {};
    const joined = this.presence.join(subscription.userId, subscription.data);
    const left = previous ? this.presence.leave(previous.userId) : undefined;
    return { ...(joined && { joined }), ...(left && { left }) };
  }

  /** Removes `subscriber`; returns the presence member who left, if that was the user's last socket here. */
  remove(subscriber: S): { removed: boolean; left?: Member } {
    const subscription = this.subscribers.get(subscriber);
    if (!subscription) return { removed: false };
    this.subscribers.delete(subscriber);
    this.topics?.unsubscribe(subscriber, this.topic);
    const left = this.presence?.leave(subscription.userId);
    return left ? { removed: true, left } : { removed: true };
  }

  get occupied(): boolean {
    return this.subscribers.size > 0;
  }
}
