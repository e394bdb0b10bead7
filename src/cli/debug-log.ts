/** @module The --debug stream: one line per lifecycle event, as Reverb prints them (title, then detail), with sizes. */

import type { Lifecycle } from "../events/lifecycle.ts";
import type { Logger } from "../support/logger.ts";

/** Longest message text shown in a line (Reverb truncates to 200 characters too). */
const PREVIEW = 200;

function preview(text: string): string {
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

function bytes(count: number): string {
  return count === 1 ? "1 byte" : `${count} bytes`;
}

/** Writes every lifecycle event to `logger.debug`; returns a function that stops it. */
export function attachDebugLog(events: Lifecycle, logger: Logger): () => void {
  const off = [
    events.on("connectionOpened", (e) => logger.debug("Connection Established", `${e.socketId} (app ${e.app.id}${e.origin ? `, origin ${e.origin}` : ""})`)),
    events.on("connectionClosed", (e) => logger.debug("Connection Closed", `${e.socketId}${e.code === undefined ? "" : ` (close ${e.code})`}`)),
    events.on("connectionPruned", (e) => logger.debug("Connection Pruned", `${e.socketId} did not answer a ping in time`)),
    events.on("overCapacity", (e) => logger.debug("Over Capacity", `${e.socketId} has ${bytes(e.unsentBytes)} unsent (max_backlog_bytes ${e.app.maxBacklogBytes}); closing with 4100`)),
    events.on("rateLimited", (e) => logger.debug("Rate Limited", e.socketId)),
    events.on("errorSent", (e) => logger.debug("Error Sent", `${e.socketId || "(not connected)"} ${e.code} ${e.message}`)),
    events.on("messageReceived", (e) => logger.debug("Message Received", `${e.socketId} ${bytes(e.bytes)} ${preview(e.text)}`)),
    events.on("messageSent", (e) =>
      logger.debug(
        e.channel === undefined ? "Message Sent" : "Broadcasting To",
        e.channel === undefined
          ? `${e.socketId} ${bytes(e.bytes)} ${preview(e.frame)}`
          : `${e.channel}: ${e.count} connection${e.count === 1 ? "" : "s"} × ${bytes(e.bytes)} ${preview(e.frame)}`,
      )),
    events.on("channelCreated", (e) => logger.debug("Channel Created", `${e.channel} (app ${e.app.id})`)),
    events.on("channelRemoved", (e) => logger.debug("Channel Removed", `${e.channel} (app ${e.app.id})`)),
    events.on("subscribed", (e) => logger.debug("Subscribed", `${e.socketId} to ${e.channel}${e.userId === undefined ? "" : ` as user ${e.userId}`}`)),
    events.on("unsubscribed", (e) => logger.debug("Unsubscribed", `${e.socketId} from ${e.channel}`)),
    events.on("memberAdded", (e) => logger.debug("Member Added", `user ${e.userId} to ${e.channel}`)),
    events.on("memberRemoved", (e) => logger.debug("Member Removed", `user ${e.userId} from ${e.channel}`)),
    events.on("clientEvent", (e) => logger.debug("Client Event", `${e.event} on ${e.channel} from ${e.socketId}`)),
    events.on("apiEvent", (e) => logger.debug("API Event", `${e.name} to ${e.channels.join(", ")} (${bytes(e.data.length)})`)),
    events.on("httpRequest", (e) => logger.debug("HTTP Request", `${e.method} ${e.route} ${e.status}`)),
  ];
  return () => {
    for (const stop of off) stop();
  };
}
