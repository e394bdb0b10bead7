/** @module client-* events ("whispers"): who may send them, where, and how they are relayed. */

import * as v from "valibot";
import type { App } from "../apps/app.ts";
import { channelKind } from "../channels/channel-kind.ts";
import { PusherError } from "../errors.ts";
import type { Connection } from "./connection.ts";
import { findChannel } from "./connection-channels.ts";
import { ClientEventFrame, clientEvent } from "./frames.ts";
import type { AppState } from "./hub.ts";
import { rawMember } from "./raw-json.ts";

// https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#channel-client-events
/**
 * Relays a client event to the channel's other subscribers. Only private and presence channels (not
 * encrypted ones) take client events; `accept_client_events_from` decides whether the sender must be
 * subscribed. The sender's `data` is relayed byte-for-byte and its presence `user_id` is added.
 */
export function handleClientEvent(
  connection: Connection,
  app: App,
  state: AppState,
  event: string,
  parsed: unknown,
  text: string,
): void {
  const frame = v.safeParse(ClientEventFrame, parsed);
  if (!frame.success) throw new PusherError("invalidMessage");
  const name = frame.output.channel;

  if (app.acceptClientEventsFrom === "none") throw new PusherError("clientEventsDisabled");
  const kind = channelKind(name);
  if (!kind.authenticated) throw new PusherError("clientEventWrongChannel");
  if (kind.encrypted) throw new PusherError("clientEventEncrypted");
  const membership = findChannel(connection.channels, name)?.subscribers.get(connection);
  if (app.acceptClientEventsFrom === "members" && !membership) throw new PusherError("notAMember");

  const data = rawMember(text, "data");
  const relayed = clientEvent(event, name, data, membership?.userId);
  const hub = connection.hub;
  hub.deliver(state, name, relayed, connection);
  hub.cluster.clientEvent(app.id, name, relayed, connection.socketId);
  if (hub.events.wants("clientEvent")) {
    hub.events.emit("clientEvent", { app, socketId: connection.socketId, channel: name, event, data, userId: membership?.userId });
  }
}
