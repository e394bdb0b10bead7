/** @module Presence member bookkeeping: one member per user_id however many sockets that user has open. */

import type { PresenceSnapshot } from "../protocol/frames.ts";

/** One presence user on this node. */
export interface Member {
  readonly userId: string | number;
  /** The member's decoded channel_data (`user_id`, `user_info`, anything else the app signed). */
  readonly data: Record<string, unknown>;
  /** How many of this node's subscriptions belong to the user. */
  sockets: number;
}

/** Members of one presence channel, keyed by user_id compared as a string (1 and "1" are one user). */
export class PresenceRoster {
  readonly members = new Map<string, Member>();
  /** Subscriptions whose channel_data has no user_id (Reverb accepts them; they count as one user). */
  anonymous = 0;

  /** Records a subscription; returns the member when this user was not present before. */
  join(userId: string | number | undefined, data: Record<string, unknown>): Member | undefined {
    if (userId === undefined) {
      this.anonymous++;
      return undefined;
    }
    const key = String(userId);
    const existing = this.members.get(key);
    if (existing) {
      existing.sockets++;
      return undefined;
    }
    const member: Member = { userId, data, sockets: 1 };
    this.members.set(key, member);
    return member;
  }

  /** Forgets a subscription; returns the member when this was the user's last one. */
  leave(userId: string | number | undefined): Member | undefined {
    if (userId === undefined) {
      this.anonymous = Math.max(0, this.anonymous - 1);
      return undefined;
    }
    const key = String(userId);
    const member = this.members.get(key);
    if (!member || --member.sockets > 0) return undefined;
    this.members.delete(key);
    return member;
  }

  /** Distinct users; subscriptions without user_id together count as one (Reverb's `user_count`). */
  userCount(): number {
    return this.members.size + (this.anonymous > 0 ? 1 : 0);
  }

  /** The member list for `subscription_succeeded`. */
  snapshot(): PresenceSnapshot {
    if (this.anonymous > 0) return { count: 0, ids: [], hash: [] };
    const ids: Array<string | number> = [];
    const hash: Record<string, unknown> = Object.create(null);
    for (const [key, member] of this.members) {
      ids.push(member.userId);
      hash[key] = member.data["user_info"] ?? null;
    }
    return { count: ids.length, ids, hash };
  }
}
