/**
 * @module Lifecycle events: the one place where everything that watches the server (metrics, the --debug stream,
 * embedders, later webhooks and the dashboard) learns what happens. Named after Reverb's events (ChannelCreated,
 * ChannelRemoved, ConnectionPruned, MessageReceived, MessageSent). Emitting costs a property check when nobody
 * listens, so the hot paths ask `wants(name)` before they build a payload.
 */

import type { App } from "../apps/app.ts";

/** Every event and its payload. Events describe this node (a cluster's nodes each emit their own). */
export interface LifecycleEvents {
  /** A client connected and got pusher:connection_established. */
  connectionOpened: { readonly app: App; readonly socketId: string; readonly origin: string | null };
  /** A connection went away, whoever closed it; `code` is the close code the server sent, if it closed it. */
  connectionClosed: { readonly app: App; readonly socketId: string; readonly code: number | undefined };
  /** The heartbeat gave up on a silent connection (4201), just before it is closed. */
  connectionPruned: { readonly app: App; readonly socketId: string };
  /** A slow client went past max_backlog_bytes (4100), just before it is closed. */
  overCapacity: { readonly app: App; readonly socketId: string; readonly unsentBytes: number };
  /** A connection was refused messages by the rate limit (4301). */
  rateLimited: { readonly app: App; readonly socketId: string };
  /** A `pusher:error` was sent to a connection. */
  errorSent: { readonly app: App | undefined; readonly socketId: string; readonly code: number; readonly message: string };
  /** A channel got its first subscriber on this node. */
  channelCreated: { readonly app: App; readonly channel: string };
  /** A channel lost its last subscriber on this node. */
  channelRemoved: { readonly app: App; readonly channel: string };
  /** A connection subscribed to a channel (`userId` on presence channels). */
  subscribed: { readonly app: App; readonly socketId: string; readonly channel: string; readonly userId: string | number | undefined };
  /** A connection left a channel (unsubscribe or disconnect). */
  unsubscribed: { readonly app: App; readonly socketId: string; readonly channel: string };
  /** A subscriber of a cache channel found no cached event (it got pusher:cache_miss). */
  cacheMiss: { readonly app: App; readonly channel: string; readonly socketId: string };
  /** A connection signed in as a user (pusher:signin). */
  signedIn: { readonly app: App; readonly socketId: string; readonly userId: string };
  /** The cluster went from no subscriber on the channel to some (the webhook's channel_occupied). */
  channelOccupied: { readonly app: App; readonly channel: string };
  /** The channel's last subscriber in the cluster left, or its node died (the webhook's channel_vacated). */
  channelVacated: { readonly app: App; readonly channel: string };
  /** A user became present on a presence channel somewhere in the cluster (the webhook's member_added). */
  presenceJoined: { readonly app: App; readonly channel: string; readonly userId: string | number };
  /** A user is no longer present on the channel anywhere in the cluster (the webhook's member_removed). */
  presenceLeft: { readonly app: App; readonly channel: string; readonly userId: string | number };
  /** A non-presence channel's subscription count in the cluster changed (announced at most once a second). */
  subscriptionCount: { readonly app: App; readonly channel: string; readonly count: number };
  /** A user's first socket on this node joined a presence channel. */
  memberAdded: { readonly app: App; readonly channel: string; readonly userId: string | number };
  /** A user's last socket on this node left a presence channel. */
  memberRemoved: { readonly app: App; readonly channel: string; readonly userId: string | number };
  /** A data message arrived from a client (`bytes` as received). */
  messageReceived: { readonly app: App; readonly socketId: string; readonly text: string; readonly bytes: number };
  /**
   * A frame was queued for `count` connections (1 for a reply, every recipient for a broadcast); `bytes` is the
   * frame's UTF-8 size, so `count * bytes` went out. `channel` is set for broadcasts, `socketId` for replies.
   */
  messageSent: {
    readonly app: App;
    readonly frame: string;
    readonly count: number;
    readonly bytes: number;
    readonly channel: string | undefined;
    readonly socketId: string | undefined;
  };
  /** A client event was relayed (by a connection of this node). */
  clientEvent: {
    readonly app: App;
    readonly socketId: string;
    readonly channel: string;
    readonly event: string;
    /** The `data` as the client sent it (JSON text), if it sent any. */
    readonly data: string | undefined;
    /** The sender's presence user id, on presence channels. */
    readonly userId: string | number | undefined;
  };
  /** An event was published through the HTTP API of this node. */
  apiEvent: { readonly app: App; readonly name: string; readonly channels: readonly string[]; readonly data: string; readonly socketId: string | undefined };
  /** An HTTP request was answered (`route` is the matched route pattern, or "unmatched"). */
  httpRequest: { readonly app: App | undefined; readonly method: string; readonly route: string; readonly status: number };
  /** A webhook batch was accepted by its endpoint. */
  webhookSent: { readonly app: App; readonly url: string; readonly events: number };
  /** Webhook events were given up on (endpoint down past the retry time, or the queue full). */
  webhookDropped: { readonly app: App; readonly url: string; readonly events: number; readonly reason: string };
  /**
   * Another node of the cluster fell silent past the expiry and was dropped with its channels and members. `since`:
   * when it was last heard; `succeeded`: this node leads the cluster (webhooks) in its place.
   */
  clusterNodeLost: { readonly node: string; readonly since: number; readonly succeeded: boolean };
  /** The process could not open one more file (new connections are refused until some close). */
  fileLimitReached: Record<string, never>;
}

export type LifecycleEventName = keyof LifecycleEvents;
export type LifecycleListener<K extends LifecycleEventName> = (event: LifecycleEvents[K]) => void;

/** A typed event emitter; a listener that throws is reported once (through `onListenerError`), never breaks the server. */
export class Lifecycle {
  private readonly listeners: { [K in LifecycleEventName]?: Array<LifecycleListener<K>> } = {};
  private readonly onListenerError: (name: LifecycleEventName, error: unknown) => void;

  constructor(onListenerError: (name: LifecycleEventName, error: unknown) => void = () => {}) {
    this.onListenerError = onListenerError;
  }

  /** Calls `listener` for every `name` event until the returned function is called. */
  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void {
    const list = (this.listeners[name] ??= []) as Array<LifecycleListener<K>>;
    list.push(listener);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) delete this.listeners[name];
    };
  }

  /** Whether anyone listens to `name` (check it before building a payload on a hot path). */
  wants(name: LifecycleEventName): boolean {
    return this.listeners[name] !== undefined;
  }

  emit<K extends LifecycleEventName>(name: K, event: LifecycleEvents[K]): void {
    const list = this.listeners[name] as Array<LifecycleListener<K>> | undefined;
    if (!list) return;
    for (const listener of list.length === 1 ? list : [...list]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(name, error);
      }
    }
  }
}

/** The UTF-8 size of a string, without encoding it (frames are mostly ASCII). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 4 bytes for its 2 units
      i++;
    } else bytes += 2; // any other unit, a lone surrogate included (encoded as U+FFFD): 3 bytes

  }
  return bytes;
}
