/** @module A channel on this node: its subscribers and presence roster; behaviour by kind, no subclass tree. */

import type { BacklogSubject, PublishMeter } from "../limits/backlog.ts";
import { channelKind, type ChannelKind } from "./channel-kind.ts";
import { type Member, PresenceRoster } from "./presence.ts";

/** What a channel needs from a subscriber: a way to receive frames, and a check of its unsent data. */
export interface Subscriber extends BacklogSubject {
  /** Queues a frame of a broadcast (the channel reports the broadcast as a whole). */
  deliver(frame: string): void;
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
  /**
   * Sends `frame` to every subscriber of `topic` except `except`. Returns false when some subscriber was left with
   * unsent data (the frame is queued for it, never dropped), true when every one took it at once.
   */
  publish(topic: string, frame: string, except: S | undefined): boolean;
}

/** A channel and everything the node knows about it. */
export class Channel<S extends Subscriber = Subscriber> {
  readonly name: string;
  readonly kind: ChannelKind;
  readonly subscribers = new Map<S, Subscription>();
  readonly presence: PresenceRoster | undefined;
  private readonly topics: Topics<S> | undefined;
  /** The runtime topic of this channel; unique across apps. */
  private readonly topic: string;
  /** With topics: the app's published-bytes meter, and its value when every subscriber was last known in bounds. */
  private readonly meter: PublishMeter | undefined;
  private checkedAt: number;

  constructor(name: string, topics?: Topics<S>, topicPrefix = "", meter?: PublishMeter) {
    this.name = name;
    this.kind = channelKind(name);
    this.presence = this.kind.presence ? new PresenceRoster() : undefined;
    this.topics = topics;
    this.topic = topicPrefix + name;
    this.meter = topics ? meter : undefined;
    this.checkedAt = this.meter?.bytes ?? 0;
  }

  /**
   * Sends one already-encoded frame to every subscriber but `except`; never awaits. Each subscriber's delivery
   * checks its own backlog; native topic fan-out is checked in bulk (see PublishMeter). Returns how many
   * subscribers the frame was sent to.
   */
  broadcast(frame: string, except?: S): number {
    const recipients = this.subscribers.size - (except !== undefined && this.subscribers.has(except) ? 1 : 0);
    const topics = this.topics;
    if (!topics) {
      for (const subscriber of this.subscribers.keys()) {
        if (subscriber !== except) subscriber.deliver(frame);
      }
      return recipients;
    }
    if (recipients === 0) return 0;
    const meter = this.meter!;
    meter.bytes += frame.length;
    if (topics.publish(this.topic, frame, except)) {
      // Every recipient took the frame at once, so none has unsent data; `except` got nothing, so it is unknown.
      if (except === undefined) this.checkedAt = meter.bytes;
    } else if (meter.bytes - this.checkedAt > meter.slack) {
      this.checkSubscribers();
    }
    return recipients;
  }

  /** Checks every subscriber's unsent data (those past the limit go to SlowClients) and restarts the meter span. */
  private checkSubscribers(): void {
    const behind: S[] = [];
    for (const subscriber of this.subscribers.keys()) if (!subscriber.withinBacklog()) behind.push(subscriber);
    this.checkedAt = this.meter!.bytes;
    // Reported after the scan: a subscriber cut off at once leaves this channel, which must not change under the loop.
    for (const subscriber of behind) subscriber.checkBacklog();
  }

  /**
   * Adds or replaces `subscriber`'s subscription. Returns what the other subscribers must be told:
   * `joined` (send member_added with the new data) and `left` (send member_removed for that user id).
   * A re-subscribe by the same user only refreshes the stored data (`refreshed`: the member, when what others see of
   * it changed), which nobody is told of.
   */
  add(subscriber: S, subscription: Subscription): { joined: boolean; left: string | number | undefined; refreshed: Member | undefined } {
    const previous = this.subscribers.get(subscriber);
    this.subscribers.set(subscriber, subscription);
    // A joiner needs no scan from an earlier mark: the subscription_succeeded it is sent next checks it directly.
    if (!previous) this.topics?.subscribe(subscriber, this.topic);
    const roster = this.presence;
    if (!roster) return { joined: false, left: undefined, refreshed: undefined };
    if (previous && previous.userId !== undefined && String(previous.userId) === String(subscription.userId)) {
      return { joined: false, left: undefined, refreshed: roster.update(previous, subscription) };
    }
    const joined = roster.join(subscription);
    const gone = previous ? roster.leave(previous) : {};
    return { joined, left: gone.left, refreshed: gone.refreshed };
  }

  /**
   * Removes `subscriber`; `left` is the user id to announce when that was the user's last socket here, `refreshed`
   * the member when it stays but now shows another subscription's data.
   */
  remove(subscriber: S): { removed: boolean; left: string | number | undefined; refreshed: Member | undefined } {
    const subscription = this.subscribers.get(subscriber);
    if (!subscription) return { removed: false, left: undefined, refreshed: undefined };
    this.subscribers.delete(subscriber);
    this.topics?.unsubscribe(subscriber, this.topic);
    const gone = this.presence?.leave(subscription) ?? {};
    return { removed: true, left: gone.left, refreshed: gone.refreshed };
  }

  get occupied(): boolean {
    return this.subscribers.size > 0;
  }
}
