/** @module Heartbeat: ping connections silent for ping_interval, close those still silent another ping_interval later. */

import { PING_FRAME } from "./frames.ts";
import type { Hub } from "./hub.ts";

/** One sweep over every connection at time `now` (ms). Cheap enough to run every second for tens of thousands. */
export function sweepHeartbeats(hub: Hub, now: number): void {
  for (const state of hub.activeStates()) {
    const interval = state.app.pingInterval * 1000;
    const signinDeadline = state.app.userAuthenticationTimeout === null ? Infinity : state.app.userAuthenticationTimeout * 1000;
    for (const connection of state.connections.values()) {
      if (connection.user === undefined && now - connection.openedAt >= signinDeadline) {
        connection.fail("signinTimeout");
        continue;
      }
      if (connection.pingedAt !== 0) {
        if (now - connection.pingedAt >= interval) {
          if (hub.events.wants("connectionPruned")) hub.events.emit("connectionPruned", { app: state.app, socketId: connection.socketId });
          connection.fail("pongTimeout");
        }
      } else if (now - connection.lastSeenAt >= interval) {
        connection.pingedAt = now;
        if (connection.usesControlFrames) connection.socket?.ping();
        else connection.send(PING_FRAME);
      }
    }
  }
}
