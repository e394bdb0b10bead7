/**
 * @module Pusher webhooks of every app, fed by lifecycle events. Cluster-wide changes (channel_occupied,
 * channel_vacated, member_added, member_removed, subscription_count) are what every node sees of the cluster's
 * state, so only one node sends them: the cluster's leader (see ClusterBroker.isLeader); when a node dies, the
 * others see its channels and members go and the leader reports it. The others keep what they did not send for a few
 * seconds: when the leader itself died, its successor sends what happened after it was last heard, which the dead
 * leader may never have sent. client_event and cache_miss happen on one node and are sent by it.
 * https://pusher.com/docs/channels/server_api/webhooks/
 */

import type { App } from "../apps/app.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Clock } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import { type Webhook, type WebhookEventType, wantsEvent } from "./webhook.ts";
import { WEBHOOK_DEFAULTS, type WebhookContext, WebhookQueue, type WebhookQueueOptions } from "./webhook-queue.ts";

/** How long a follower keeps the cluster-wide events it left to the leader: past a dead leader's expiry (5 s). */
const HELD_MS = 10_000;
/** At most this many are kept (the oldest go first): a burst cannot grow memory without bound. */
const HELD_MAX = 10_000;

/** A cluster-wide event this node left to the leader. */
interface Held {
  readonly at: number;
  readonly app: App;
  readonly type: WebhookEventType;
  readonly channel: string;
  readonly fields: Record<string, unknown>;
}

/** The webhooks of every app that has some. */
export class Webhooks {
  private readonly hub: Hub;
  private readonly queues = new Map<Webhook, WebhookQueue>();
  private readonly context: WebhookContext;
  private readonly stops: Array<() => void>;
  private readonly clock: Clock;
  private held: Held[] = [];

  constructor(hub: Hub, clock: Clock, logger: Logger, options: Partial<WebhookQueueOptions> = {}) {
    this.hub = hub;
    this.clock = clock;
    this.context = { clock, logger, events: hub.events, options: { ...WEBHOOK_DEFAULTS, ...options } };
    for (const app of hub.apps.all()) {
      for (const webhook of app.webhooks) this.queues.set(webhook, new WebhookQueue(app, webhook, this.context));
    }
    this.stops = this.listen(hub.events);
  }

  /** Whether any app has a webhook. */
  get active(): boolean {
    return this.queues.size > 0;
  }

  /** Sends what is queued and stops, waiting at most `deadlineMs` (shutdown). */
  async close(deadlineMs = 3_000): Promise<void> {
    for (const stop of this.stops) stop();
    await Promise.all([...this.queues.values()].map((queue) => queue.drain(deadlineMs)));
  }

  private listen(events: Lifecycle): Array<() => void> {
    return [
      events.on("channelOccupied", ({ app, channel }) => this.clusterWide(app, "channel_occupied", channel, {})),
      events.on("channelVacated", ({ app, channel }) => this.clusterWide(app, "channel_vacated", channel, {})),
      events.on("presenceJoined", ({ app, channel, userId }) => this.clusterWide(app, "member_added", channel, { user_id: String(userId) })),
      events.on("presenceLeft", ({ app, channel, userId }) => this.clusterWide(app, "member_removed", channel, { user_id: String(userId) })),
      events.on("subscriptionCount", ({ app, channel, count }) => this.clusterWide(app, "subscription_count", channel, { subscription_count: count })),
      events.on("clusterNodeLost", ({ since, succeeded }) => succeeded && this.succeed(since)),
      events.on("cacheMiss", ({ app, channel }) => this.send(app, "cache_miss", channel, {})),
      events.on("clientEvent", ({ app, channel, event, data, socketId, userId }) =>
        this.send(app, "client_event", channel, {
          event,
          // Pusher sends the data as a string: a string as is, anything else as the JSON the client sent.
          data: data === undefined ? null : data.startsWith('"') ? JSON.parse(data) as string : data,
          socket_id: socketId,
          ...(userId !== undefined && { user_id: String(userId) }),
        })),
    ];
  }

  /** Sent by the leader only; a follower keeps it a while in case the leader is dead. */
  private clusterWide(app: App, type: WebhookEventType, channel: string, fields: Record<string, unknown>): void {
    // Users' own channels (#server-to-user-…) are the server's plumbing: no webhooks about them.
    if (channel.startsWith("#") || app.webhooks.length === 0) return;
    if (this.hub.cluster.isLeader()) return this.send(app, type, channel, fields);
    const now = this.clock.now();
    this.forgetHeldBefore(now - HELD_MS);
    if (this.held.length >= HELD_MAX) this.held.shift();
    this.held.push({ at: now, app, type, channel, fields });
  }

  /** The leader was lost and this node leads in its place: what happened after it was last heard is sent. */
  private succeed(since: number): void {
    const held = this.held;
    this.held = [];
    for (const event of held) if (event.at > since) this.send(event.app, event.type, event.channel, event.fields);
  }

  private forgetHeldBefore(time: number): void {
    let old = 0;
    while (old < this.held.length && this.held[old]!.at < time) old++;
    if (old > 0) this.held.splice(0, old);
  }

  private send(app: App, type: WebhookEventType, channel: string, fields: Record<string, unknown>): void {
    if (app.webhooks.length === 0) return;
    for (const webhook of app.webhooks) {
      if (wantsEvent(webhook, type, channel)) this.queues.get(webhook)?.push({ name: type, channel, ...fields });
    }
  }
}
