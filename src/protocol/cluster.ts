/** @module The cluster as the protocol sees it: other nodes' channels and presence members, and where to report ours. */

/** A presence member seen on another node. */
export interface RemoteMember {
  readonly userId: string | number;
  readonly data: Record<string, unknown>;
}

/**
 * What the hub needs from the rest of the cluster. Reads come from replicated state (no round trip), so
 * subscribing stays synchronous; reports are fire-and-forget. A single node uses {@link SINGLE_NODE}.
 */
export interface ClusterPort {
  /** Whether another node has subscribers on the channel. */
  occupiedElsewhere(appId: string, channel: string): boolean;
  /** Presence members of the channel on other nodes, each user once. */
  remoteMembers(appId: string, channel: string): ReadonlyMap<string, RemoteMember> | undefined;
  /** Whether another node has presence subscriptions without a user_id on the channel. */
  anonymousElsewhere(appId: string, channel: string): boolean;

  /** This node's first subscriber arrived on a channel / its last one left. */
  occupied(appId: string, channel: string): void;
  vacated(appId: string, channel: string): void;
  /** A presence user's first socket on this node joined / last one left (`data` is its channel_data). */
  joined(appId: string, channel: string, userId: string | number, data: Record<string, unknown>): void;
  left(appId: string, channel: string, userId: string | number): void;
  /** A present user's data changed here (a socket re-subscribed as that user with new channel_data). */
  refreshed(appId: string, channel: string, userId: string | number, data: Record<string, unknown>): void;
  /** This node's first presence subscription without user_id arrived on the channel (true) / its last one left (false). */
  anonymous(appId: string, channel: string, present: boolean): void;
  /** A client event this node relayed locally; other nodes relay it to their subscribers except `socketId`. */
  clientEvent(appId: string, channel: string, frame: string, socketId: string): void;
  /** This node's subscription count on a channel changed (reported to the others at the next heartbeat). */
  countChanged(appId: string, channel: string): void;
  /** Subscriptions to the channel on other nodes. */
  remoteSubscriptions(appId: string, channel: string): number;
  /** Channels of the app with subscribers on other nodes. */
  remoteChannels(appId: string): Iterable<string>;
  /**
   * Whether this node speaks for the cluster about cluster-wide changes (webhooks): the settled live node with the
   * lowest id, and a node alone. A node that just started, or is shutting down, leaves it to the others.
   */
  isLeader(): boolean;
}

/** The cluster of one node: nothing elsewhere, nothing to report. */
export const SINGLE_NODE: ClusterPort = {
  occupiedElsewhere: () => false,
  remoteMembers: () => undefined,
  anonymousElsewhere: () => false,
  occupied() {},
  vacated() {},
  joined() {},
  left() {},
  refreshed() {},
  anonymous() {},
  clientEvent() {},
  countChanged() {},
  remoteSubscriptions: () => 0,
  remoteChannels: () => [],
  isLeader: () => true,
};
