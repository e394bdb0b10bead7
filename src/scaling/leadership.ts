/** @module Which node of a cluster sends its webhooks: each node's standing (warming, settled, leaving), and who leads. */

import type { Envelope } from "./envelope.ts";
import type { Replicas, Standing } from "./replicas.ts";

/**
 * The live node with the lowest standing, then the lowest id, leads. A node that just started is warming for its
 * first heartbeats: what it learns from the others' snapshots then is not news, and a settled node keeps leading
 * meanwhile, so a node joining or restarting repeats no member_added or channel_occupied; it takes over once its first
 * heartbeat saying it has settled came back (so the others have heard it too and stepped back). A leaving node gives
 * way to every other, so the members and channels it takes away are reported by whoever leads next; among nodes that
 * all leave together, the lowest id.
 */
export class Leadership {
  private readonly nodeId: string;
  private readonly replicas: Replicas;
  private readonly now: () => number;
  private readonly warmupMs: number;
  private readonly startedAt: number;
  /** When this node first sent a heartbeat saying it has settled, and whether that one (or a later one) came back. */
  private settledSentAt: number | undefined;
  private settledHeard = false;
  /** Set when this node starts shutting down. */
  leaving = false;
  /** The message being handled: what its changes set off is reported by whoever isLeader says. */
  receiving: Envelope | undefined;

  /** `warmupMs`: how long after `now()` this node says it is warming. */
  constructor(nodeId: string, replicas: Replicas, now: () => number, warmupMs: number) {
    this.nodeId = nodeId;
    this.replicas = replicas;
    this.now = now;
    this.warmupMs = warmupMs;
    this.startedAt = now();
  }

  isLeader(): boolean {
    // A member or channel change of another node: that node says whether it led. If it sent the webhook, nobody else
    // does; if it led but the change was not cluster-wide there, the usual leader does; if it did not lead (it saw
    // another leader, perhaps one that has stopped since), the leader among the others does. So views that differ
    // for a moment (a node settling, nodes stopping together) neither repeat nor lose it.
    const message = this.receiving;
    let origin: string | undefined;
    if (message?.type === "member" || message?.type === "channel") {
      if (message.leader === "sent") return false;
      if (message.leader === undefined) origin = message.node;
    }
    const mine = this.standing;
    // What a warming node learns from a snapshot or a heartbeat's counts was announced before, to the nodes there
    // then: not news.
    if (mine === 1 && (message?.type === "snapshot" || message?.type === "heartbeat")) return false;
    for (const [id, node] of this.replicas.nodes) {
      if (node.gone || id === origin) continue;
      if (node.standing < mine || (node.standing === mine && id < this.nodeId)) return false;
    }
    return true;
  }

  /** What a change this node announces says of its webhook: sent here, none to send here (`fires` false), or neither. */
  lead(fires: boolean): { leader?: "sent" | "idle" } {
    return this.isLeader() ? { leader: fires ? "sent" : "idle" } : {};
  }

  /** What every message of this node says of it: warming for its first heartbeats, then settled, or leaving. */
  flags(): { warming?: true; leaving?: true } {
    const announced = this.announced;
    return announced === 0 ? {} : announced === 1 ? { warming: true } : { leaving: true };
  }

  /** This node sent a heartbeat stamped `at`. */
  heartbeatSent(at: number): void {
    if (this.settledSentAt === undefined && this.announced === 0) this.settledSentAt = at;
  }

  /** This node's heartbeat stamped `at` came back. */
  heartbeatEchoed(at: number): void {
    if (this.settledSentAt !== undefined && at >= this.settledSentAt) this.settledHeard = true;
  }

  /** What this node acts on: warming until the others have heard that it settled. */
  private get standing(): Standing {
    if (this.leaving) return 2;
    return this.settledHeard ? 0 : 1;
  }

  private get announced(): Standing {
    if (this.leaving) return 2;
    return this.now() - this.startedAt < this.warmupMs ? 1 : 0;
  }
}

/** The standing a node's message announces (nodes of older releases announce none: settled). */
export function standingOf(message: { readonly warming?: true | undefined; readonly leaving?: true | undefined }): Standing {
  return message.leaving ? 2 : message.warming ? 1 : 0;
}
