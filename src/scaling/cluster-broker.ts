/**
 * @module The broker of a cluster of nodes over one pub/sub channel (Redis or NATS). Local clients are always served at
 * once; other nodes get events, client events and node-level channel/presence changes, keep replicas of each other,
 * resynchronise when a heartbeat digest disagrees, and forget nodes that fall silent.
 */

import type { App } from "../apps/app.ts";
import type { NodeStats } from "./envelope.ts";
import type { ClusterStatus } from "./broker.ts";
import { PresenceRoster } from "../channels/presence.ts";
import type { ClusterPort } from "../protocol/cluster.ts";
import type { ApiEvent, AppState, Hub } from "../protocol/hub.ts";
import type { Clock, StopTimer } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import type { Broker, ChannelFacts } from "./broker.ts";
import { anonymousEntry, channelEntry, countEntry, Digest, memberEntry } from "./digest.ts";
import { emptyRecord } from "../support/keyed-record.ts";
import { decodeEnvelope, encodeEnvelope, type Envelope, type Outgoing, type CachedSnapshot, type Snapshot } from "./envelope.ts";
import type { PubSub } from "./pubsub.ts";
import { Leadership, standingOf } from "./leadership.ts";
import { Replicas } from "./replicas.ts";
import { EchoWatch } from "./echo-watch.ts";
import { HybridClock } from "./hybrid-clock.ts";
import { type CacheStore, type CacheVersion, isNewer } from "../channels/cache-store.ts";

export interface ClusterOptions {
  /** The pub/sub channel all nodes of the cluster share (REVERB_SCALING_CHANNEL). */
  readonly channel: string;
  readonly nodeId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a node announces itself and its digest. */
  readonly heartbeatMs?: number;
  /** Silence after which a node is considered dead and its channels and members are dropped. */
  readonly expiryMs?: number;
  /** The longest a query waits for other nodes' counts before answering with what it has. */
  readonly gatherTimeoutMs?: number;
  /**
   * How late this node's own heartbeat (or its own timer) may be before the link counts as stalled: messages are then
   * neither sent nor taken to or from other nodes, and nobody is expired, until the heartbeats come back.
   */
  readonly lateMs?: number;
  /** Called when `resound restart` asks every node of the cluster to stop gracefully. */
  readonly onRestart?: () => void;
}

/** A short random id for this node (it only has to be unique within the cluster). */
export function newNodeId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export const CLUSTER_DEFAULTS = { heartbeatMs: 1000, expiryMs: 5000, gatherTimeoutMs: 2000, lateMs: 2000 } as const;

/**
 * How long a stopping node stays on the channel after closing its clients: their departures reach the others, and
 * departures of nodes stopping at the same moment reach it, while someone still listens to report them.
 */
const HANDOVER_MS = 500;

/** How often a stalled link is asked to re-establish its subscription again, while it stays stalled. */
const RENEW_EVERY_MS = 5000;

/** What may still be sent while the link is stalled: whatever is sent then arrives late, if ever. */
const SENT_WHILE_STALLED = new Set<Outgoing["type"]>(["heartbeat", "bye"]);
/** What is still taken from others while stalled: it cannot be stale in a harmful way. */
const TAKEN_WHILE_STALLED = new Set<Envelope["type"]>(["bye", "restart"]);
/**
 * A node's state as it describes it: one of these arriving after a newer message of the same node (out of order) may
 * undo what the newer said, so it is dropped and the node's state asked for afresh. (A late heartbeat is dropped too:
 * its counts and digest are old; events are delivered whatever their order, never lost.)
 */
const STATE = new Set<Envelope["type"]>(["channel", "member", "anonymous", "snapshot", "heartbeat"]);
/** What makes its sender a peer (replicated, waited for by queries, part of choosing the leader). */
const PEER_TYPES = new Set<Envelope["type"]>(["channel", "member", "anonymous", "snapshot", "heartbeat", "hello"]);

interface Gathering {
  readonly waiting: Set<string>;
  connections: number;
  readonly subscriptions: Map<string, number>;
  readonly done: () => void;
}

const EMPTY_ROSTER = new PresenceRoster();

/** A Broker and ClusterPort over `pubsub`; installs itself as the hub's cluster. */
export class ClusterBroker implements Broker, ClusterPort {
  readonly nodeId: string;
  readonly replicas: Replicas;
  private readonly hub: Hub;
  private readonly pubsub: PubSub;
  private readonly options: Required<Omit<ClusterOptions, "onRestart">> & Pick<ClusterOptions, "onRestart">;
  private readonly digest = new Digest();
  private readonly syncRequested = new Map<string, number>();
  /** Channels (app id → names) whose local subscription count changed since the last heartbeat. */
  private readonly dirtyCounts = new Map<string, Set<string>>();
  /** The subscription counts last reported to the others (`app\nchannel` → count). */
  private readonly reportedCounts = new Map<string, number>();
  private readonly gatherings = new Map<string, Gathering>();
  private readonly stopHeartbeat: StopTimer;
  private readonly echo: EchoWatch;
  /** Versions this node's events, so every node keeps the same newest one on a cache channel. */
  private readonly hlc: HybridClock;
  private renewedAt = -Infinity;
  private queries = 0;
  /** Messages sent so far: each carries its number, so the others can tell one that arrives out of order. */
  private sequence = 0;
  private readonly leadership: Leadership;
  private lastMalformedLog = -Infinity;

  constructor(hub: Hub, pubsub: PubSub, options: ClusterOptions) {
    this.hub = hub;
    this.pubsub = pubsub;
    this.options = { ...CLUSTER_DEFAULTS, ...options };
    this.nodeId = options.nodeId;
    this.echo = new EchoWatch(this.options.heartbeatMs, this.options.lateMs, options.clock.now());
    this.hlc = new HybridClock(() => options.clock.now());
    this.replicas = new Replicas({
      memberAppeared: (appId, channel, member) => {
        const app = hub.apps.findById(appId);
        if (app && !hub.hasLocalMember(app, channel, String(member.userId))) hub.memberAppeared(app, channel, member.data);
      },
      memberDisappeared: (appId, channel, userId) => {
        const app = hub.apps.findById(appId);
        if (app && !hub.hasLocalMember(app, channel, String(userId))) hub.memberDisappeared(app, channel, userId);
      },
      channelVacated: (appId, channel) => {
        const app = hub.apps.findById(appId);
        if (app && !hub.hasLocalChannel(app, channel)) hub.channelVacatedEverywhere(app, channel);
      },
      channelOccupied: (appId, channel) => {
        const app = hub.apps.findById(appId);
        if (app && !hub.hasLocalChannel(app, channel)) hub.channelOccupiedSomewhere(app, channel);
      },
      countChanged: (appId, channel) => {
        const app = hub.apps.findById(appId);
        if (app) hub.subscriptionCounts.changed(app, channel);
      },
    });
    this.leadership = new Leadership(this.nodeId, this.replicas, () => options.clock.now(), 2 * this.options.heartbeatMs);
    hub.cluster = this;
    pubsub.onMessage((text) => this.receive(text));
    pubsub.onStatusChange((connected) => this.statusChanged(connected));
    this.stopHeartbeat = options.clock.every(this.options.heartbeatMs, () => this.beat());
    this.send({ type: "hello" });
  }

  // --- Broker: what the HTTP API asks ---

  publish(app: App, event: ApiEvent): void {
    const at = this.hlc.tick();
    this.cacheOf(app).writing({ at, by: this.nodeId }, () => this.hub.publish(app, event));
    this.send({ type: "event", app: app.id, name: event.name, data: event.data, channels: [...event.channels], ...(event.socketId !== undefined && { socket: event.socketId }), at });
  }

  async channel(app: App, name: string, counts = false): Promise<ChannelFacts | undefined> {
    const state = this.hub.state(app);
    if (!state.channels.find(name)?.occupied && !this.replicas.occupiedElsewhere(app.id, name)) return undefined;
    const subscriptions = counts ? (await this.gather(app, [name])).subscriptions : undefined;
    return this.facts(state, name, subscriptions);
  }

  async channels(app: App, counts = false): Promise<ChannelFacts[]> {
    const state = this.hub.state(app);
    const names = new Set([...state.channels.channels.keys(), ...this.replicas.remoteChannels(app.id)]);
    const subscriptions = counts ? (await this.gather(app, [...names])).subscriptions : undefined;
    return [...names].map((name) => this.facts(state, name, subscriptions));
  }

  async users(app: App, name: string): Promise<Array<string | number> | undefined> {
    const local = this.hub.state(app).channels.find(name);
    if (!local?.occupied && !this.replicas.occupiedElsewhere(app.id, name)) return undefined;
    const here = local?.presence?.members ?? new Map<string, { userId: string | number }>();
    const ids = [...here.values()].map((member) => member.userId);
    for (const [key, member] of this.replicas.remoteMembers(app.id, name) ?? []) if (!here.has(key)) ids.push(member.userId);
    return ids;
  }

  async connectionCount(app: App): Promise<number> {
    return (await this.gather(app, [])).connections;
  }

  async terminateUser(app: App, userId: string): Promise<void> {
    this.hub.terminateUser(app, userId);
    this.send({ type: "terminate", app: app.id, user: userId });
  }

  async close(): Promise<void> {
    this.stopHeartbeat();
    this.send({ type: "bye" });
    for (const gathering of this.gatherings.values()) gathering.done();
    await this.pubsub.close();
  }

  // --- ClusterPort: what the hub reads and reports ---

  occupiedElsewhere(appId: string, channel: string): boolean {
    return this.replicas.occupiedElsewhere(appId, channel);
  }

  remoteMembers(appId: string, channel: string) {
    return this.replicas.remoteMembers(appId, channel);
  }

  anonymousElsewhere(appId: string, channel: string): boolean {
    return this.replicas.anonymousElsewhere(appId, channel);
  }

  anonymous(appId: string, channel: string, present: boolean): void {
    this.digest.toggle(anonymousEntry(appId, channel));
    this.send({ type: "anonymous", app: appId, channel, present });
  }

  occupied(appId: string, channel: string): void {
    this.digest.toggle(channelEntry(appId, channel));
    this.send({ type: "channel", app: appId, channel, op: "occupied", ...this.leadership.lead(!this.replicas.occupiedElsewhere(appId, channel)) });
  }

  vacated(appId: string, channel: string): void {
    this.digest.toggle(channelEntry(appId, channel));
    // Peers drop the channel's count along with it.
    const key = `${appId}\n${channel}`;
    const reported = this.reportedCounts.get(key);
    if (reported !== undefined) {
      this.digest.toggle(countEntry(appId, channel, reported));
      this.reportedCounts.delete(key);
    }
    this.send({ type: "channel", app: appId, channel, op: "vacated", ...this.leadership.lead(!this.replicas.occupiedElsewhere(appId, channel)) });
  }

  countChanged(appId: string, channel: string): void {
    let channels = this.dirtyCounts.get(appId);
    if (!channels) this.dirtyCounts.set(appId, (channels = new Set()));
    channels.add(channel);
  }

  remoteSubscriptions(appId: string, channel: string): number {
    return this.replicas.subscriptions(appId, channel);
  }

  remoteChannels(appId: string): Iterable<string> {
    return this.replicas.remoteChannels(appId);
  }

  /** Whether this node speaks for the cluster (sends its webhooks; see Leadership). */
  isLeader(): boolean {
    return this.leadership.isLeader();
  }

  handOver(): Promise<void> {
    if (this.replicas.nodes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.options.clock.after(HANDOVER_MS, resolve));
  }

  /**
   * This node is about to shut down: the others speak for the cluster from now on (they see its channels go). Told
   * at once, before the clients are closed, so that the members and channels they take away are reported by the next
   * leader rather than by nobody.
   */
  beginShutdown(): void {
    this.leadership.leaving = true;
    if (this.pubsub.connected) this.heartbeat(this.options.clock.now());
  }

  joined(appId: string, channel: string, userId: string | number, data: Record<string, unknown>): void {
    this.digest.toggle(memberEntry(appId, channel, String(userId)));
    this.send({ type: "member", app: appId, channel, op: "joined", user: userId, data, ...this.leadership.lead(!this.replicas.remoteMembers(appId, channel)?.has(String(userId))) });
  }

  left(appId: string, channel: string, userId: string | number): void {
    this.digest.toggle(memberEntry(appId, channel, String(userId)));
    this.send({ type: "member", app: appId, channel, op: "left", user: userId, ...this.leadership.lead(!this.replicas.remoteMembers(appId, channel)?.has(String(userId))) });
  }

  /** Sent as another "joined": a peer that already has the member takes the new data (the digest is unchanged). */
  refreshed(appId: string, channel: string, userId: string | number, data: Record<string, unknown>): void {
    this.send({ type: "member", app: appId, channel, op: "joined", user: userId, data });
  }

  clientEvent(appId: string, channel: string, frame: string, socketId: string): void {
    const at = this.hlc.tick();
    // The hub has just cached it (on a cache channel) without a version: it gets the one the others get.
    const app = this.hub.apps.findById(appId);
    if (app) this.cacheOf(app).stamp(channel, frame, { at, by: this.nodeId });
    this.send({ type: "client", app: appId, channel, frame, socket: socketId, at });
  }

  // --- messages from other nodes ---

  private receive(text: string): void {
    const decoded = decodeEnvelope(text);
    if (!decoded.ok) return this.malformed(decoded.problem);
    const message = decoded.message;
    const now = this.options.clock.now();
    if (message.node === this.nodeId) {
      if (message.type === "heartbeat" && message.sent !== undefined) this.echoed(message.sent, now);
      return;
    }
    // Any message proves a known peer alive; only accepted state-bearing messages make a node a peer (and a
    // node whose replies gathers wait for), so junk on the channel cannot slow queries down.
    const known = this.replicas.nodes.get(message.node);
    if (known) known.lastSeen = now;
    const late = known !== undefined && message.seq !== undefined && message.seq <= known.seq;
    if (known && !late) {
      if (message.seq !== undefined) known.seq = message.seq;
      known.standing = standingOf(message);
    } else if (known && message.leaving) known.standing = 2; // leaving is for good, however late it is heard
    // Stalled: this may be a backlog the broker releases late; the resynchronisation afterwards stands in for it.
    if (this.echo.stalled && !TAKEN_WHILE_STALLED.has(message.type)) return;
    if ("to" in message && message.to !== this.nodeId) return;
    if ("app" in message && !this.hub.apps.findById(message.app)) {
      return this.malformed(`unknown app id ${message.app} (are all nodes configured alike?)`);
    }
    if (late && STATE.has(message.type)) {
      if (message.type !== "heartbeat") this.requestSync(message.node, now);
      return;
    }
    if (!known && PEER_TYPES.has(message.type)) {
      // Made here rather than in handle, so that what handling sets off already sees how the node stands.
      const peer = this.replicas.node(message.node, now);
      if (message.seq !== undefined) peer.seq = message.seq;
      peer.standing = standingOf(message);
    }
    this.leadership.receiving = message;
    try {
      this.handle(message, now);
    } finally {
      this.leadership.receiving = undefined;
    }
  }

  private handle(message: Envelope, now: number): void {
    const app = "app" in message ? this.hub.apps.findById(message.app) : undefined;
    switch (message.type) {
      case "event":
        return this.cacheOf(app!).writing(this.versionOf(message), () =>
          this.hub.publish(app!, { name: message.name, data: message.data, channels: message.channels, socketId: message.socket }));
      case "client":
        return this.cacheOf(app!).writing(this.versionOf(message), () => this.hub.relay(app!, message.channel, message.frame, message.socket));
      case "channel":
        if (message.op === "occupied") return this.replicas.occupied(message.node, message.app, message.channel, now);
        return this.replicas.vacated(message.node, message.app, message.channel);
      case "member":
        if (message.op === "left") return this.replicas.left(message.node, message.app, message.channel, message.user);
        return this.replicas.joined(message.node, message.app, message.channel, message.user, message.data ?? {}, now);
      case "anonymous":
        return this.replicas.setAnonymous(message.node, message.app, message.channel, message.present, now);
      case "heartbeat":
        for (const [appId, channels] of Object.entries(message.counts ?? {})) {
          for (const [channel, count] of Object.entries(channels)) this.replicas.setCount(message.node, appId, channel, count, now);
        }
        const peer = this.replicas.node(message.node, now);
        if (message.stats) peer.stats = message.stats;
        if (peer.digest.value !== message.digest) this.requestSync(message.node, now);
        return;
      case "hello":
        // A new node is a peer at once (queries wait for it), and leads once it has settled (see isLeader).
        this.replicas.node(message.node, now);
        return this.send({ type: "snapshot", to: message.node, ...this.snapshot(true) });
      case "bye":
        return this.replicas.drop(message.node);
      case "sync":
        // Asked for because presence or channels disagree: cached events, which every node already took as they
        // were published, need not travel again.
        return this.send({ type: "snapshot", to: message.node, ...this.snapshot(false) });
      case "snapshot":
        this.syncRequested.delete(message.node);
        this.replicas.replace(message.node, message.apps, now);
        // A node that missed events (an outage) learns them here; one that has newer ones than the sender answers
        // with its own snapshot, since the sender may never ask (its hello went out before this node could hear it).
        if (this.adoptCaches(message)) this.send({ type: "snapshot", to: message.node, ...this.snapshot(true) });
        return;
      case "query":
        return this.send({ type: "reply", to: message.node, id: message.id, ...this.localCounts(app!, message.channels) });
      case "reply":
        return this.collect(message);
      case "terminate":
        this.hub.terminateUser(app!, message.user);
        return;
      case "restart":
        this.options.logger.info(`Restart requested over ${this.pubsub.target} (by ${message.node}).`);
        this.options.onRestart?.();
        return;
    }
  }

  private send(message: Outgoing): void {
    if (this.echo.stalled && !SENT_WHILE_STALLED.has(message.type)) return; // it would be delivered late, if at all
    this.pubsub.publish(this.options.channel, encodeEnvelope(this.nodeId, message, { seq: ++this.sequence, ...this.leadership.flags() }));
  }

  private malformed(problem: string): void {
    const now = this.options.clock.now();
    // A foreign publisher on the channel must not flood the log: at most one line per minute.
    if (now - this.lastMalformedLog < 60_000) return;
    this.lastMalformedLog = now;
    this.options.logger.warn(`Dropped a cluster message on ${this.pubsub.topic} of ${this.pubsub.target}: ${problem}`);
  }

  // --- liveness and resynchronisation ---

  private beat(): void {
    const now = this.options.clock.now();
    const stall = this.echo.tick(now);
    if (stall) this.stalled(stall, now);
    if (!this.pubsub.connected) return; // peers cannot be heard either; expiring them now would be wrong
    this.heartbeat(now);
    if (this.echo.stalled) {
      // Keep asking for a fresh subscription while nothing comes back (a failover may still have been in progress).
      if (now - this.renewedAt >= RENEW_EVERY_MS) this.renew(now);
      return; // this node is the one not hearing: its silence says nothing about the others
    }
    for (const node of [...this.replicas.nodes.values()]) {
      if (now - node.lastSeen > this.options.expiryMs) {
        this.options.logger.warn(`Cluster node ${node.id} has been silent for ${this.options.expiryMs / 1000} s; dropping its channels and members`);
        const led = this.isLeader();
        this.replicas.drop(node.id);
        this.syncRequested.delete(node.id);
        const events = this.hub.events;
        if (events.wants("clusterNodeLost")) events.emit("clusterNodeLost", { node: node.id, since: node.lastSeen, succeeded: !led && this.isLeader() });
      }
    }
  }

  private heartbeat(now: number): void {
    const counts = this.changedCounts();
    const stats = this.statsProvider?.();
    this.send({ type: "heartbeat", digest: this.digest.value, sent: now, ...(counts && { counts }), ...(stats && { stats }) });
    this.echo.sent(now);
    this.leadership.heartbeatSent(now);
  }

  /** The link just stalled: say so once, and for a silent broker ask for a fresh subscription. */
  private stalled(why: "paused" | "silent", now: number): void {
    const { logger, lateMs } = this.options;
    if (why === "paused") {
      logger.warn(`This node's timers ran over ${lateMs / 1000} s late (the process was paused or starved); dropping the cluster messages queued for it meanwhile and resynchronising`);
      return;
    }
    logger.warn(`No message has come back over ${this.pubsub.target} for ${lateMs / 1000} s although the connection is open; serving local clients only, with no messages to or from other nodes, until it answers again`);
    this.renew(now);
  }

  private renew(now: number): void {
    this.renewedAt = now;
    this.pubsub.renew?.();
  }

  /** This node's own heartbeat came back. */
  private echoed(sent: number, now: number): void {
    this.leadership.heartbeatEchoed(sent);
    const outcome = this.echo.echoed(sent, now);
    if (outcome === "probe") return this.heartbeat(now);
    if (outcome !== "recovered") return;
    this.options.logger.info(`Messages flow again over ${this.pubsub.target}; resynchronising with the other nodes`);
    this.resynchronise(now);
  }

  /** Heard again after a gap: nobody is blamed for the gap, and every peer sends its state afresh. */
  private resynchronise(now: number): void {
    for (const node of this.replicas.nodes.values()) node.lastSeen = now;
    this.send({ type: "hello" });
  }

  private statusChanged(connected: boolean): void {
    const { logger } = this.options;
    this.echo.reset();
    if (!connected) {
      logger.warn(`Lost the connection to ${this.pubsub.target}; serving local clients only while reconnecting`);
      return;
    }
    logger.info(`Reconnected to ${this.pubsub.target}; resynchronising with the other nodes`);
    this.resynchronise(this.options.clock.now());
  }

  clusterStatus(): ClusterStatus {
    const peers = [...this.replicas.nodes.values()].map((node) => ({ id: node.id, stats: node.stats }));
    return { connected: this.flowing, nodes: peers.length + 1, nodeId: this.nodeId, peers };
  }

  /** Messages make the round trip: connected, and this node's own heartbeats come back on time. */
  private get flowing(): boolean {
    return this.pubsub.connected && !this.echo.stalled;
  }

  /** Set by a dashboard: this node's load, sent with every heartbeat for the other nodes' dashboards. */
  statsProvider: (() => NodeStats) | undefined;

  private requestSync(nodeId: string, now: number): void {
    const last = this.syncRequested.get(nodeId);
    if (last !== undefined && now - last < 2 * this.options.heartbeatMs) return;
    this.syncRequested.set(nodeId, now);
    this.send({ type: "sync", to: nodeId });
  }

  /** The local subscription counts that changed since they were last reported (and now count as reported). */
  private changedCounts(): Record<string, Record<string, number>> | undefined {
    if (this.dirtyCounts.size === 0) return undefined;
    let counts: Record<string, Record<string, number>> | undefined;
    for (const [appId, channels] of this.dirtyCounts) {
      const app = this.hub.apps.findById(appId);
      for (const channel of channels) {
        const local = app ? this.hub.state(app).channels.find(channel)?.subscribers.size ?? 0 : 0;
        const key = `${appId}\n${channel}`;
        const reported = this.reportedCounts.get(key);
        if (local === 0 || local === reported) continue; // a vacated channel was reported as such
        if (reported !== undefined) this.digest.toggle(countEntry(appId, channel, reported));
        this.digest.toggle(countEntry(appId, channel, local));
        this.reportedCounts.set(key, local);
        ((counts ??= emptyRecord())[appId] ??= emptyRecord())[channel] = local;
      }
    }
    this.dirtyCounts.clear();
    return counts;
  }

  /**
   * This node's channels and members, and its cached events with their versions (`cached`, with `retained`: those of
   * channels it has no subscribers on); also re-derives the digest from the channels and members, so it never drifts.
   */
  private snapshot(retained: boolean): { apps: Snapshot; cached?: CachedSnapshot } {
    const snapshot: Snapshot = emptyRecord();
    let cached: CachedSnapshot | undefined;
    this.digest.reset();
    for (const state of this.hub.activeStates()) {
      const appId = state.app.id;
      if (retained) state.channels.cache.sweep(); // nothing expired travels
      for (const [name, frame] of retained ? state.channels.cache : []) {
        const version = state.channels.cache.version(name);
        if (version && !state.channels.channels.has(name)) ((cached ??= emptyRecord())[appId] ??= emptyRecord())[name] = { frame, ...version };
      }
      for (const [name, channel] of state.channels.channels) {
        this.digest.toggle(channelEntry(appId, name));
        const members = channel.presence
          ? [...channel.presence.members].map(([key, member]) => {
            this.digest.toggle(memberEntry(appId, name, key));
            return [member.userId, member.data] as [string | number, Record<string, unknown>];
          })
          : undefined;
        const cache = state.channels.cache.get(name);
        const version = state.channels.cache.version(name);
        const anonymous = (channel.presence?.anonymous ?? 0) > 0;
        if (anonymous) this.digest.toggle(anonymousEntry(appId, name));
        const count = this.reportedCounts.get(`${appId}\n${name}`);
        if (count !== undefined) this.digest.toggle(countEntry(appId, name, count));
        (snapshot[appId] ??= emptyRecord())[name] = {
          ...(members && { members }),
          ...(anonymous && { anonymous }),
          ...(cache !== undefined && { cache }),
          ...(version && { cacheAt: version.at, cacheBy: version.by }),
          ...(count !== undefined && { count }),
        };
      }
    }
    return { apps: snapshot, ...(cached && { cached }) };
  }

  /**
   * Takes the sender's cached events that are newer than this node's (or that it lacks). Returns whether this node
   * holds a newer one than the sender for a channel the sender keeps an event for or has subscribers on.
   */
  private adoptCaches(message: Extract<Envelope, { type: "snapshot" }>): boolean {
    let senderBehind = false;
    const consider = (cache: CacheStore, name: string, frame: string | undefined, theirs: CacheVersion | undefined) => {
      if (theirs) this.hlc.observe(theirs.at);
      if (frame !== undefined) cache.offer(name, frame, theirs);
      const ours = cache.version(name);
      // An unversioned event comes from a node of the previous release, which would not take ours anyway.
      if (ours && (frame === undefined || (theirs !== undefined && isNewer(ours, theirs)))) senderBehind = true;
    };
    for (const [appId, channels] of Object.entries(message.apps)) {
      const app = this.hub.apps.findById(appId);
      if (!app) continue;
      const cache = this.cacheOf(app);
      for (const [name, state] of Object.entries(channels)) {
        const theirs = state.cacheAt !== undefined && state.cacheBy !== undefined ? { at: state.cacheAt, by: state.cacheBy } : undefined;
        consider(cache, name, state.cache, theirs);
      }
    }
    for (const [appId, channels] of Object.entries(message.cached ?? {})) {
      const app = this.hub.apps.findById(appId);
      if (!app) continue;
      const cache = this.cacheOf(app);
      for (const [name, { frame, at, by }] of Object.entries(channels)) consider(cache, name, frame, { at, by });
    }
    return senderBehind;
  }

  private cacheOf(app: App): CacheStore {
    return this.hub.state(app).channels.cache;
  }

  /** The version of another node's event: its own, or (from a node of the previous release) the moment it arrived. */
  private versionOf(message: { readonly node: string; readonly at?: number | undefined }): CacheVersion {
    if (message.at === undefined) return { at: this.hlc.tick(), by: message.node };
    this.hlc.observe(message.at);
    return { at: message.at, by: message.node };
  }

  // --- counts only each node knows ---

  private localCounts(app: App, channels: readonly string[]) {
    const state = this.hub.state(app);
    const subscriptions = emptyRecord<number>();
    for (const name of channels) subscriptions[name] = state.channels.find(name)?.subscribers.size ?? 0;
    return { connections: state.connections.size, subscriptions };
  }

  /** Sums counts from every live node, waiting at most gatherTimeoutMs for the others. */
  private gather(app: App, channels: readonly string[]): Promise<{ connections: number; subscriptions: Map<string, number> }> {
    const local = this.localCounts(app, channels);
    const result = { connections: local.connections, subscriptions: new Map(Object.entries(local.subscriptions)) };
    const peers = [...this.replicas.nodes.keys()];
    if (!this.flowing || peers.length === 0) return Promise.resolve(result);
    const id = `${this.nodeId}-${++this.queries}`;
    return new Promise((resolve) => {
      const stop = this.options.clock.after(this.options.gatherTimeoutMs, () => done());
      const done = () => {
        stop();
        this.gatherings.delete(id);
        resolve({ connections: gathering.connections, subscriptions: gathering.subscriptions });
      };
      const gathering: Gathering = { waiting: new Set(peers), ...result, done };
      this.gatherings.set(id, gathering);
      this.send({ type: "query", id, app: app.id, channels: [...channels] });
    });
  }

  private collect(reply: Extract<Envelope, { type: "reply" }>): void {
    const gathering = this.gatherings.get(reply.id);
    if (!gathering?.waiting.delete(reply.node)) return;
    gathering.connections += reply.connections;
    for (const [name, count] of Object.entries(reply.subscriptions)) {
      gathering.subscriptions.set(name, (gathering.subscriptions.get(name) ?? 0) + count);
    }
    if (gathering.waiting.size === 0) gathering.done();
  }

  private facts(state: AppState, name: string, subscriptions: Map<string, number> | undefined): ChannelFacts {
    const local = state.channels.find(name);
    const remote = this.replicas.remoteMembers(state.app.id, name);
    const cachedFrame = state.channels.cache.get(name);
    const isPresence = local?.presence !== undefined || name.startsWith("presence-");
    return {
      name,
      subscriptionCount: subscriptions?.get(name) ?? local?.subscribers.size ?? 0,
      ...(isPresence && {
        userCount: (local?.presence ?? EMPTY_ROSTER).userCount(remote, this.replicas.anonymousElsewhere(state.app.id, name)),
      }),
      ...(cachedFrame !== undefined && { cachedFrame }),
    };
  }
}
