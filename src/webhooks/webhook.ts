/** @module A webhook as configured: where to POST which of Pusher's webhook events, with extra headers and a channel filter. */

/** Pusher's webhook event types. https://pusher.com/docs/channels/server_api/webhooks/ */
export const WEBHOOK_EVENT_TYPES = [
  "channel_occupied",
  "channel_vacated",
  "member_added",
  "member_removed",
  "client_event",
  "cache_miss",
  "subscription_count",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One webhook endpoint of an app. */
export interface Webhook {
  readonly url: string;
  readonly eventTypes: readonly WebhookEventType[];
  /** Extra request headers (an auth token of the receiver, say). */
  readonly headers: Readonly<Record<string, string>>;
  /** Only channels whose names start and/or end like this; unset parts match every channel. */
  readonly channelNameStartsWith: string | null;
  readonly channelNameEndsWith: string | null;
}

/** Whether `webhook` takes events of this type about this channel. */
export function wantsEvent(webhook: Webhook, type: WebhookEventType, channel: string): boolean {
  return webhook.eventTypes.includes(type) &&
    (webhook.channelNameStartsWith === null || channel.startsWith(webhook.channelNameStartsWith)) &&
    (webhook.channelNameEndsWith === null || channel.endsWith(webhook.channelNameEndsWith));
}
