/** @module Routes one inbound message to its handler (Reverb's EventHandler). Throws PusherError; never sends errors itself. */

import * as v from "valibot";
import type { App } from "../apps/app.ts";
import { PusherError } from "../errors.ts";
import { handleClientEvent } from "./client-events.ts";
import type { Connection } from "./connection.ts";
import { connectionEstablished, InboundFrame, PONG_FRAME } from "./frames.ts";
import type { AppState } from "./hub.ts";
import { signin } from "./signin.ts";
import { subscribe, unsubscribe } from "./subscriptions.ts";

const WithChannel = v.object({ channel: v.string() });

/** Handles one complete text message from `connection`. */
export function handleMessage(connection: Connection, app: App, state: AppState, text: string): void {
  const parsed = parseJson(text);
  const frame = v.safeParse(InboundFrame, parsed);
  if (!frame.success) throw new PusherError("invalidMessage");
  const { event, data } = frame.output;

  if (event.startsWith("pusher:")) return handleProtocolEvent(connection, app, state, event, decodeData(data));
  if (event.startsWith("client-")) return handleClientEvent(connection, app, state, event, parsed, text);
  // Any other event is ignored, as Reverb does, but it must still name a channel.
  if (!v.is(WithChannel, parsed)) throw new PusherError("invalidMessage");
}

// https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#events
function handleProtocolEvent(connection: Connection, app: App, state: AppState, event: string, data: unknown): void {
  switch (event) {
    case "pusher:ping":
      return connection.send(PONG_FRAME);
    case "pusher:pong":
      return; // the message already counted as activity
    case "pusher:subscribe":
      return subscribe(connection, app, state, data);
    case "pusher:unsubscribe":
      return unsubscribe(connection, data);
    case "pusher:connection_established":
      return connection.send(connectionEstablished(connection.socketId, app.activityTimeout));
    case "pusher:signin":
      return signin(connection, app, state, data);
    default:
      throw new PusherError("invalidMessage");
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PusherError("invalidMessage");
  }
}

/** Protocol events may carry `data` as an object or as a JSON string of one (pusher-js sends objects, other clients strings). */
function decodeData(data: unknown): unknown {
  if (data === undefined || data === null || data === "") return {};
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
