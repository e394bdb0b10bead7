/** @module What this node knows of its peers: their occupied channels and presence members, kept in step by messages. */

import type { RemoteMember } from "../protocol/cluster.ts";
import { anonymousEntry, channelEntry, countEntry, Digest, memberEntry } from "./digest.ts";
import type { NodeStats, Snapshot } from "./envelope.ts";

/** Transitions of the peers' combined state (this node's own state is not part of it). */
export interface ReplicaEvents {
  /** No peer had the user on the channel; now one has. */
  memberAppeared(appId: string, channel: string, member: RemoteMember): void;
  /** The last peer that had the user on the channel dropped it. */
  memberDisappeared(appId: string, channel: string, userId: string | number): void;
  /** The last peer with subscribers on the channel has none left. */
  channelVacated(appId: string, channel: string): void;
  /** A peer has subscribers on a channel no other peer had. */
  channelOccupied(appId: string, channel: string): void;
  /** The peers' subscription count on the channel changed. */
  countChanged(appId: string, channel: string): void;
}

/** One peer's channels (app → channel → members by user key). */
class NodeReplica {
  readonly id: string;
  lastSeen: number;
  /** The newest message counter (`seq`) heard from the node; 0 until one is. */
  seq = 0;
  /** 0 settled, 1 warming (just started), 2 leaving: the lowest standing, then the lowest id, leads the cluster. */
  standing: Standing = 0;
  readonly digest = new Digest();
  readonly apps = new Map<string, Map<string, Map<string, StoredMember>>>();
  /** Channels (`app\nchannel`) where the node has presence subscriptions without user_id. */
  readonly anonymous = new Set<string>();
  /** The node's reported subscription count per channel (`app\nchannel`); unreported channels count as 1. */
  readonly counts = new Map<string, number>();
  /** Set while the node is being forgotten: its channels are going, and it no longer speaks for the cluster. */
  gone = false;
  /** The node's load as its last heartbeat told it (nodes that serve a dashboard send it). */
  stats: NodeStats | undefined;

  constructor(id: string, now: number) {
    this.id = id;
    this.lastSeen = now;
  }
}

/** 0 settled, 1 warming (just started, still learning the others' state), 2 leaving (shutting down). */
export type Standing = 0 | 1 | 2;

/** A member as kept here: its data changes when its node refreshes it. */
interface StoredMember extends RemoteMember {
  userId: string | number;
  data: Record<string, unknown>;
}

interface AggregateMember extends StoredMember {
  /** How many peers have this user on the channel. */
  nodes: number;
}

interface AggregateChannel {
  /** How many peers have subscribers on the channel. */
  nodes: number;
  /** The sum of the peers' reported subscription counts, and how many peers reported one. */
  countSum: number;
  countedNodes: number;
  /** How many peers have presence subscriptions without user_id on it. */
  anonymousNodes: number;
  readonly members: Map<string, AggregateMember>;
}

/** Replicas of every live peer plus their union, maintained incrementally. */
export class Replicas {
  readonly nodes = new Map<string, NodeReplica>();
  private readonly aggregate = new Map<string, Map<string, AggregateChannel>>();
  private readonly events: ReplicaEvents;

  constructor(events: ReplicaEvents) {
    this.events = events;
  }

  /** The replica of a peer, created when first heard of. */
  node(id: string, now: number): NodeReplica {
    let node = this.nodes.get(id);
    if (!node) {
      node = new NodeReplica(id, now);
      this.nodes.set(id, node);
    }
    return node;
  }

  occupiedElsewhere(appId: string, channel: string): boolean {
    return (this.aggregate.get(appId)?.get(channel)?.nodes ?? 0) > 0;
  }

  remoteMembers(appId: string, channel: string): ReadonlyMap<string, RemoteMember> | undefined {
    return this.aggregate.get(appId)?.get(channel)?.members;
  }

  anonymousElsewhere(appId: string, channel: string): boolean {
    return (this.aggregate.get(appId)?.get(channel)?.anonymousNodes ?? 0) > 0;
  }

  /** Subscriptions to the channel on the peers (a peer that has not reported its count yet has at least one). */
  subscriptions(appId: string, channel: string): number {
    const combined = this.aggregate.get(appId)?.get(channel);
    return combined ? combined.countSum + (combined.nodes - combined.countedNodes) : 0;
  }

  /** A peer's subscription count on a channel (0: it has none left, as its vacated message also says). */
  setCount(nodeId: string, appId: string, channel: string, count: number, now: number): void {
    if (count === 0) return; // the channel's vacated message does the work
    const node = this.node(nodeId, now);
    this.channelOf(node, appId, channel);
    const key = `${appId}\n${channel}`;
    const previous = node.counts.get(key);
    if (previous === count) return;
    const combined = this.aggregate.get(appId)!.get(channel)!;
    if (previous === undefined) combined.countedNodes++;
    else node.digest.toggle(countEntry(appId, channel, previous));
    combined.countSum += count - (previous ?? 0);
    node.counts.set(key, count);
    node.digest.toggle(countEntry(appId, channel, count));
    this.events.countChanged(appId, channel);
  }

  /** Channels of the app with subscribers on some peer. */
  remoteChannels(appId: string): Iterable<string> {
    return this.aggregate.get(appId)?.keys() ?? [];
  }

  occupied(nodeId: string, appId: string, channel: string, now: number): void {
    this.channelOf(this.node(nodeId, now), appId, channel);
  }

  vacated(nodeId: string, appId: string, channel: string): void {
    const node = this.nodes.get(nodeId);
    const members = node?.apps.get(appId)?.get(channel);
    if (!node || !members) return;
    for (const key of [...members.keys()]) this.left(nodeId, appId, channel, key);
    this.setAnonymous(nodeId, appId, channel, false, node.lastSeen);
    node.apps.get(appId)!.delete(channel);
    node.digest.toggle(channelEntry(appId, channel));
    const combined = this.aggregate.get(appId)!.get(channel)!;
    const countKey = `${appId}\n${channel}`;
    const count = node.counts.get(countKey);
    if (count !== undefined) {
      node.counts.delete(countKey);
      node.digest.toggle(countEntry(appId, channel, count));
      combined.countSum -= count;
      combined.countedNodes--;
    }
    if (--combined.nodes === 0) {
      this.aggregate.get(appId)!.delete(channel);
      this.events.channelVacated(appId, channel);
    }
    this.events.countChanged(appId, channel);
  }

  joined(nodeId: string, appId: string, channel: string, userId: string | number, data: Record<string, unknown>, now: number): void {
    const node = this.node(nodeId, now);
    const members = this.channelOf(node, appId, channel);
    const key = String(userId);
    const known = members.get(key);
    if (known) {
      // The member's data was refreshed (a re-subscribe, its earliest socket gone, or a snapshot): the latest id
      // (1 or "1") and data win cluster-wide.
      known.userId = userId;
      known.data = data;
      const combined = this.aggregate.get(appId)!.get(channel)!.members.get(key)!;
      combined.userId = userId;
      combined.data = data;
      return;
    }
    const member = { userId, data };
    members.set(key, member);
    node.digest.toggle(memberEntry(appId, channel, key));
    const combined = this.aggregate.get(appId)!.get(channel)!;
    const existing = combined.members.get(key);
    if (existing) {
      existing.nodes++;
      return;
    }
    combined.members.set(key, { ...member, nodes: 1 });
    this.events.memberAppeared(appId, channel, member);
  }

  /** `user` is the user id or its key (string form). */
  left(nodeId: string, appId: string, channel: string, user: string | number): void {
    const node = this.nodes.get(nodeId);
    const members = node?.apps.get(appId)?.get(channel);
    const key = String(user);
    if (!node || !members?.delete(key)) return;
    node.digest.toggle(memberEntry(appId, channel, key));
    const combined = this.aggregate.get(appId)!.get(channel)!;
    const member = combined.members.get(key)!;
    if (--member.nodes > 0) return;
    combined.members.delete(key);
    this.events.memberDisappeared(appId, channel, member.userId);
  }

  /** Records whether a peer has presence subscriptions without user_id on the channel. */
  setAnonymous(nodeId: string, appId: string, channel: string, present: boolean, now: number): void {
    const node = present ? this.node(nodeId, now) : this.nodes.get(nodeId);
    const key = `${appId}\n${channel}`;
    if (!node || node.anonymous.has(key) === present) return;
    if (present) {
      this.channelOf(node, appId, channel);
      node.anonymous.add(key);
    } else {
      node.anonymous.delete(key);
    }
    node.digest.toggle(anonymousEntry(appId, channel));
    this.aggregate.get(appId)!.get(channel)!.anonymousNodes += present ? 1 : -1;
  }

  /** Forgets a peer that left or went silent, with everything it had. */
  drop(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    node.gone = true;
    for (const [appId, channels] of node.apps) for (const channel of [...channels.keys()]) this.vacated(nodeId, appId, channel);
    this.nodes.delete(nodeId);
  }

  /** Makes a peer's replica equal to its snapshot, announcing only what actually changed. */
  replace(nodeId: string, snapshot: Snapshot, now: number): void {
    const node = this.node(nodeId, now);
    for (const [appId, channels] of [...node.apps]) {
      for (const [channel, members] of [...channels]) {
        const next = snapshot[appId]?.[channel];
        if (!next) {
          this.vacated(nodeId, appId, channel);
          continue;
        }
        const keep = new Set((next.members ?? []).map(([userId]) => String(userId)));
        for (const key of [...members.keys()]) if (!keep.has(key)) this.left(nodeId, appId, channel, key);
        if (!next.anonymous) this.setAnonymous(nodeId, appId, channel, false, now);
        if (next.count === undefined) this.forgetCount(node, appId, channel);
      }
    }
    for (const [appId, channels] of Object.entries(snapshot)) {
      for (const [channel, state] of Object.entries(channels)) {
        this.occupied(nodeId, appId, channel, now);
        for (const [userId, data] of state.members ?? []) this.joined(nodeId, appId, channel, userId, data, now);
        if (state.anonymous) this.setAnonymous(nodeId, appId, channel, true, now);
        if (state.count !== undefined) this.setCount(nodeId, appId, channel, state.count, now);
      }
    }
  }

  /** Drops a peer's reported count on a channel it still has (it counts as 1 again). */
  private forgetCount(node: NodeReplica, appId: string, channel: string): void {
    const key = `${appId}\n${channel}`;
    const count = node.counts.get(key);
    if (count === undefined) return;
    node.counts.delete(key);
    node.digest.toggle(countEntry(appId, channel, count));
    const combined = this.aggregate.get(appId)!.get(channel)!;
    combined.countSum -= count;
    combined.countedNodes--;
    this.events.countChanged(appId, channel);
  }

  private channelOf(node: NodeReplica, appId: string, channel: string): Map<string, StoredMember> {
    let channels = node.apps.get(appId);
    if (!channels) node.apps.set(appId, (channels = new Map()));
    let members = channels.get(channel);
    if (members) return members;
    channels.set(channel, (members = new Map()));
    node.digest.toggle(channelEntry(appId, channel));
    let combinedApp = this.aggregate.get(appId);
    if (!combinedApp) this.aggregate.set(appId, (combinedApp = new Map()));
    const combined = combinedApp.get(channel);
    if (combined) combined.nodes++;
    else {
      combinedApp.set(channel, { nodes: 1, anonymousNodes: 0, countSum: 0, countedNodes: 0, members: new Map() });
      this.events.channelOccupied(appId, channel);
    }
    this.events.countChanged(appId, channel);
    return members;
  }
}
