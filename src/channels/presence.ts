/** @module Presence member bookkeeping: one member per user_id however many sockets that user has open. */

import type { PresenceSnapshot } from "../protocol/frames.ts";

/** One presence user on this node. */
export interface Member {
  readonly userId: string | number;
  /** The member's decoded channel_data (`user_id`, `user_info`, anything else the app signed). */
  data: Record<string, unknown>;
  /** How many of this node's subscriptions belong to the user. */
  sockets: number;
}

/** A member as another node reported it. */
export interface OtherMember {
  readonly userId: string | number;
  readonly data: Record<string, unknown>;
}

/** Members of one presence channel, keyed by user_id compared as a string (1 and "1" are one user). */
export class PresenceRoster {
  readonly members = new Map<string, Member>();
  /** Subscriptions whose channel_data has no user_id (Reverb accepts them; they count as one user). */
  anonymous = 0;

  /**
   * Records a subscription; returns true when the others must be told (`member_added`): the user was not
   * present before. Subscriptions without a user_id are always announced, as Reverb does.
   */
  join(userId: string | number | undefined, data: Record<string, unknown>): boolean {
    if (userId === undefined) {
      this.anonymous++;
      return true;
    }
    const existing = this.members.get(String(userId));
    if (existing) {
      existing.sockets++;
      return false;
    }
    this.members.set(String(userId), { userId, data, sockets: 1 });
    return true;
  }

  /** Replaces a present user's data (a socket re-subscribed as the same user). */
  update(userId: string | number, data: Record<string, unknown>): void {
    const member = this.members.get(String(userId));
    if (member) member.data = data;
  }

  /**
   * Forgets a subscription. When it was the user's last, returns the user id to announce in `member_removed`: the
   * leaving subscription's own, as Reverb sends it (1 and "1" are one user; pusher-js keys members by string).
   */
  leave(userId: string | number | undefined): string | number | undefined {
    if (userId === undefined) {
      this.anonymous = Math.max(0, this.anonymous - 1);
      return undefined;
    }
    const key = String(userId);
    const member = this.members.get(key);
    if (!member || --member.sockets > 0) return undefined;
    this.members.delete(key);
    return userId;
  }

  /**
   * Distinct users, here and in `elsewhere` (members on other nodes, by user key); subscriptions without
   * user_id, here or on another node, together count as one (Reverb's `user_count`).
   */
  userCount(elsewhere?: ReadonlyMap<string, OtherMember>, anonymousElsewhere = false): number {
    let count = this.members.size + (this.anonymous > 0 || anonymousElsewhere ? 1 : 0);
    for (const key of elsewhere?.keys() ?? []) if (!this.members.has(key)) count++;
    return count;
  }

  /** The member list for `subscription_succeeded`: this node's members, then those only on other nodes. */
  snapshot(elsewhere?: ReadonlyMap<string, OtherMember>): PresenceSnapshot {
    if (this.anonymous > 0) return { count: 0, ids: [], hash: [] };
    const ids: Array<string | number> = [];
    const hash: Record<string, unknown> = Object.create(null);
    const add = (key: string, member: OtherMember) => {
      ids.push(member.userId);
      hash[key] = member.data["user_info"] ?? null;
    };
    for (const [key, member] of this.members) add(key, member);
    for (const [key, member] of elsewhere ?? []) if (!this.members.has(key)) add(key, member);
    return { count: ids.length, ids, hash };
  }
}
