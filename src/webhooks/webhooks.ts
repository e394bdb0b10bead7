/**
 * @module Pusher webhooks of every app, fed by lifecycle events. Cluster-wide changes (channel_occupied,
 * channel_vacated, member_added, member_removed, subscription_count) are what every node sees of the cluster's
 * state, so only one node sends them: the cluster's leader (the live node with the lowest id); when a node dies,
 * the others see its channels and members go and the leader reports it. client_event and cache_miss happen on one
 * node and are sent by it. https://pusher.com/docs/channels/server_api/webhooks/
 */

import type { App } from "../apps/app.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Clock } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import { type Webhook, type WebhookEventType, wantsEvent } from "./webhook.ts";
import { WEBHOOK_DEFAULTS, type WebhookContext, WebhookQueue, type WebhookQueueOptions } from "./webhook-queue.ts";

/** The webhooks of every app that has some. */
export class Webhooks {
  private readonly hub: Hub;
  private readonly queues = new Map<Webhook, WebhookQueue>();
  private readonly context: WebhookContext;
  private readonly stops: Array<() => void>;

  constructor(hub: Hub, clock: Clock, logger: Logger, options: Partial<WebhookQueueOptions> = {}) {
    this.hub = hub;
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
    // Users' own channels (#server-to-user-…) are the server's plumbing: no webhooks about them.
    const leader = (channel: string) => !channel.startsWith("#") && this.hub.cluster.isLeader();
    return [
      events.on("channelOccupied", ({ app, channel }) => leader(channel) && this.send(app, "channel_occupied", channel, {})),
      events.on("channelVacated", ({ app, channel }) => leader(channel) && this.send(app, "channel_vacated", channel, {})),
      events.on("presenceJoined", ({ app, channel, userId }) => leader(channel) && this.send(app, "member_added", channel, { user_id: String(userId) })),
      events.on("presenceLeft", ({ app, channel, userId }) => leader(channel) && this.send(app, "member_removed", channel, { user_id: String(userId) })),
      events.on("subscriptionCount", ({ app, channel, count }) => leader(channel) && this.send(app, "subscription_count", channel, { subscription_count: count })),
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

  private send(app: App, type: WebhookEventType, channel: string, fields: Record<string, unknown>): void {
    if (app.webhooks.length === 0) return;
    for (const webhook of app.webhooks) {
      if (wantsEvent(webhook, type, channel)) this.queues.get(webhook)?.push({ name: type, channel, ...fields });
    }
  }
}
