/**
 * @module What POST /events and POST /batch_events do once a request is authenticated: validate the body, publish,
 * and answer (with channel attributes when `info` asks). Shared by the Hono routes and the publish lane.
 */

import type { App } from "../apps/app.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import type { ApiEvent } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import { emptyRecord } from "../support/keyed-record.ts";
import { BatchBody, parseBody, parseEventBody } from "./api-schemas.ts";
import { channelAttributes, parseInfo } from "./channel-info.ts";

/** The JSON answer of each, as an object; Hono and the lane serialise it. */
export type PublishAnswer = Record<string, unknown>;

/**
 * POST /events. Synchronous unless `info` asks for channel attributes (those may need the other nodes): most
 * publishes cost no promise and no microtask.
 */
export function publishEvent(broker: Broker, events: Lifecycle, app: App, body: Uint8Array): PublishAnswer | Promise<PublishAnswer> {
  const event = parseEventBody(body);
  const apiEvent = { name: event.name, data: event.data, channels: event.channels, socketId: event.socket_id };
  broker.publish(app, apiEvent);
  announce(events, app, apiEvent);
  return event.info === undefined ? {} : eventAttributes(broker, app, event.channels, event.info);
}

async function eventAttributes(broker: Broker, app: App, names: readonly string[], info: string): Promise<PublishAnswer> {
  const requested = parseInfo(info);
  const channels = emptyRecord<unknown>(); // channel names are the client's: `__proto__` too
  const counts = requested.has("subscription_count");
  for (const name of names) {
    channels[name] = channelAttributes(name, await broker.channel(app, name, counts), requested);
  }
  return { channels };
}

/** POST /batch_events; synchronous unless an item's `info` asks for channel attributes. */
export function publishBatch(broker: Broker, events: Lifecycle, app: App, body: Uint8Array): PublishAnswer | Promise<PublishAnswer> {
  const { batch } = parseBody(BatchBody, body);
  for (const item of batch) {
    const apiEvent = { name: item.name, data: item.data, channels: [item.channel], socketId: item.socket_id };
    broker.publish(app, apiEvent);
    announce(events, app, apiEvent);
  }
  return batch.some((item) => item.info !== undefined) ? batchAttributes(broker, app, batch) : { batch: [] };
}

async function batchAttributes(broker: Broker, app: App, batch: ReadonlyArray<{ readonly channel: string; readonly info?: string | undefined }>): Promise<PublishAnswer> {
  const results = [];
  for (const item of batch) {
    const requested = parseInfo(item.info);
    const facts = item.info === undefined ? undefined : await broker.channel(app, item.channel, requested.has("subscription_count"));
    results.push(channelAttributes(item.channel, facts, requested));
  }
  return { batch: results };
}

function announce(events: Lifecycle, app: App, event: ApiEvent): void {
  if (events.wants("apiEvent")) events.emit("apiEvent", { app, name: event.name, channels: event.channels, data: event.data, socketId: event.socketId });
}
