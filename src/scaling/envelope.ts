/** @module Inter-node messages: a versioned JSON envelope, validated with valibot on receipt (never PHP serialize()). */

import * as v from "valibot";
import { keyedRecord } from "../support/keyed-record.ts";

/** Bump when a message shape changes incompatibly; nodes drop versions they do not know. */
export const ENVELOPE_VERSION = 1;

const Id = v.pipe(v.string(), v.nonEmpty(), v.maxLength(200));
const UserId = v.union([v.pipe(v.string(), v.nonEmpty()), v.pipe(v.number(), v.finite())]);
const Data = v.record(v.string(), v.unknown());
/** A hybrid logical time (HybridClock) versioning a cached event; fields carrying it are optional, so nodes of the
 * previous release, which drop unknown fields, still understand the message. */
const Time = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/**
 * The sender's message counter, one more per message it sends. A broker may deliver a message after later ones of the
 * same sender (ioredis retries a Redis Cluster command after a redirect or failover while the next ones go ahead), so a
 * receiver must not let an older message of a node overwrite what a newer one said. Optional: nodes of the previous
 * release neither send nor read it.
 */
const Seq = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
/**
 * How far the sender is from speaking for the cluster (webhooks; see ClusterBroker.isLeader): `warming`, it started
 * moments ago and is still learning the others' state; `leaving`, it is shutting down. Absent on a settled node, and
 * on every message of older releases.
 */
const standing = { warming: v.optional(v.literal(true)), leaving: v.optional(v.literal(true)) };
const base = { v: v.literal(ENVELOPE_VERSION), node: Id, seq: v.optional(Seq), ...standing };
const Lead = v.picklist(["sent", "idle"]);
const addressed = { ...base, to: Id };

/** Snapshot of one node: per app, per occupied channel, its presence members and cached event. */
const ChannelState = v.object({
  members: v.optional(v.array(v.tuple([UserId, Data]))),
  /** The node has presence subscriptions without user_id on the channel. */
  anonymous: v.optional(v.boolean()),
  cache: v.optional(v.string()),
  /** The cached event's version: when, and by which node, it was published (absent from older nodes). */
  cacheAt: v.optional(Time),
  cacheBy: v.optional(Id),
  /** The node's subscription count on the channel, as last reported. */
  count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

/** An event a node keeps for a cache channel it has no subscribers on (another node has). */
const CachedEvent = v.object({ frame: v.string(), at: Time, by: Id });

/** What a node tells the others about its load, for dashboards: connections per app, messages per second. */
const NodeStatsSchema = v.object({
  connections: keyedRecord(v.pipe(v.number(), v.minValue(0))),
  in: v.pipe(v.number(), v.minValue(0)),
  out: v.pipe(v.number(), v.minValue(0)),
});
export type NodeStats = v.InferOutput<typeof NodeStatsSchema>;

/** Subscription counts that changed since the last heartbeat: app id → channel → count (0 once it has none). */
const Counts = keyedRecord(keyedRecord(v.pipe(v.number(), v.integer(), v.minValue(0))));

export const Envelope = v.variant("type", [
  // An HTTP API event: every node delivers it to its own subscribers (except the socket_id, wherever it is).
  // `at` versions it where a cache channel keeps it.
  v.object({ ...base, type: v.literal("event"), app: Id, name: v.string(), data: v.string(), channels: v.array(v.string()), socket: v.optional(v.string()), at: v.optional(Time) }),
  // A client event, already encoded by the sender's node.
  v.object({ ...base, type: v.literal("client"), app: Id, channel: v.string(), frame: v.string(), socket: v.string(), at: v.optional(Time) }),
  // Node-level transitions: first/last subscriber of a channel, first/last socket of a presence user.
  // `leader`: the sender leads the cluster (webhooks) and sent this change's webhook ("sent") or had none to send, the
  // change not being cluster-wide where it stands ("idle"); absent, it left the webhook to the leader among the others.
  v.object({ ...base, type: v.literal("channel"), app: Id, channel: v.string(), op: v.picklist(["occupied", "vacated"]), leader: v.optional(Lead) }),
  v.object({ ...base, type: v.literal("member"), app: Id, channel: v.string(), op: v.picklist(["joined", "left"]), user: UserId, data: v.optional(Data), leader: v.optional(Lead) }),
  // First presence subscription without user_id on a channel (present) / last one gone.
  v.object({ ...base, type: v.literal("anonymous"), app: Id, channel: v.string(), present: v.boolean() }),
  // Liveness and anti-entropy.
  // `sent` is the sender's own clock: only the sender reads it, when its heartbeat comes back (an echo check).
  v.object({ ...base, type: v.literal("heartbeat"), digest: v.string(), counts: v.optional(Counts), stats: v.optional(NodeStatsSchema), sent: v.optional(v.number()) }),
  v.object({ ...base, type: v.literal("hello") }),
  v.object({ ...base, type: v.literal("bye") }),
  v.object({ ...addressed, type: v.literal("sync") }),
  // Keyed by app id, then channel name: any name a client may use, `__proto__` included, must survive.
  // `cached`: events kept for channels with subscribers only elsewhere (`apps` lists the node's own channels).
  v.object({ ...addressed, type: v.literal("snapshot"), apps: keyedRecord(keyedRecord(ChannelState)), cached: v.optional(keyedRecord(keyedRecord(CachedEvent))) }),
  // Counts only each node knows (connections, subscriptions per channel), gathered with a bounded wait.
  v.object({ ...base, type: v.literal("query"), id: Id, app: Id, channels: v.array(v.string()) }),
  v.object({ ...addressed, type: v.literal("reply"), id: Id, connections: v.number(), subscriptions: keyedRecord(v.number()) }),
  v.object({ ...base, type: v.literal("terminate"), app: Id, user: v.string() }),
  // `resound restart`: every node stops gracefully (4200 to its clients) so its supervisor starts the new code.
  v.object({ ...base, type: v.literal("restart") }),
]);

export type Envelope = v.InferOutput<typeof Envelope>;
export type Snapshot = Extract<Envelope, { type: "snapshot" }>["apps"];
export type CachedSnapshot = NonNullable<Extract<Envelope, { type: "snapshot" }>["cached"]>;

/** Distributes `Omit` over the union so each variant keeps its own fields. */
type WithoutBase<T> = T extends unknown ? Omit<T, "v" | "node" | "seq" | "warming" | "leaving"> : never;
/** A message as the broker writes it; the sender's fields (`v`, `node`, `seq`, its standing) are filled in on send. */
export type Outgoing = WithoutBase<Envelope>;

/** What a sender says of itself on every message; a one-off sender (`resound restart`) says nothing. */
export interface Sender {
  readonly seq?: number;
  readonly warming?: true;
  readonly leaving?: true;
}

/** One message as sent by `node`. */
export function encodeEnvelope(node: string, message: Outgoing, sender: Sender = {}): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, ...sender, ...message });
}

/** Parses and validates one message; returns an error description instead of throwing. */
export function decodeEnvelope(text: string): { ok: true; message: Envelope } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  const result = v.safeParse(Envelope, json);
  if (result.success) return { ok: true, message: result.output };
  const issue = result.issues[0];
  return { ok: false, problem: `${v.getDotPath(issue) ?? "message"}: ${issue.message}` };
}
