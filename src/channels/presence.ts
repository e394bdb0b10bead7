/** @module Presence member bookkeeping: one member per user_id however many sockets that user has open. */

import type { PresenceSnapshot } from "../protocol/frames.ts";
import type { Subscription } from "./channel.ts";

/**
 * One presence user on this node. Its id and data are those of its earliest subscription still open, as Reverb
 * computes the member list over the channel's subscriptions in order (first occurrence of a user_id kept).
 */
export interface Member {
  userId: string | number;
  /** The member's decoded channel_data (`user_id`, `user_info`, anything else the app signed). */
  data: Record<string, unknown>;
  /** This node's subscriptions of the user, oldest first (the channel's own records, compared by identity). */
  readonly held: Subscription[];
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
  join(subscription: Subscription): boolean {
    const { userId, data } = subscription;
    if (userId === undefined) {
      this.anonymous++;
      return true;
    }
    const existing = this.members.get(String(userId));
    if (existing) {
      existing.held.push(subscription);
      return false;
    }
    this.members.set(String(userId), { userId, data, held: [subscription] });
    return true;
  }

  /**
   * A socket re-subscribed as the same user: its subscription is replaced where it stands. Returns the member when
   * its data changed (it was the user's earliest subscription), for the other nodes' copies.
   */
  update(previous: Subscription, next: Subscription): Member | undefined {
    const member = this.members.get(String(previous.userId));
    const index = member?.held.indexOf(previous) ?? -1;
    if (index < 0) return undefined;
    member!.held[index] = next;
    return index === 0 ? this.follow(member!) : undefined;
  }

  /**
   * Forgets a subscription. `left`: when it was the user's last, the user id to announce in `member_removed` (the
   * leaving subscription's own, as Reverb sends it: 1 and "1" are one user; pusher-js keys members by string).
   * `refreshed`: the member when it stays but now shows its next subscription's id and data.
   */
  leave(subscription: Subscription): { left?: string | number; refreshed?: Member } {
    const { userId } = subscription;
    if (userId === undefined) {
      this.anonymous = Math.max(0, this.anonymous - 1);
      return {};
    }
    const key = String(userId);
    const member = this.members.get(key);
    const index = member?.held.indexOf(subscription) ?? -1;
    if (index < 0) return {};
    member!.held.splice(index, 1);
    if (member!.held.length === 0) {
      this.members.delete(key);
      return { left: userId };
    }
    return index === 0 ? { refreshed: this.follow(member!) } : {};
  }

  /** The member takes its earliest subscription's id and data. */
  private follow(member: Member): Member {
    member.userId = member.held[0]!.userId!;
    member.data = member.held[0]!.data;
    return member;
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

  /**
   * The member list for `subscription_succeeded`: this node's members, then those only on other nodes. A
   * subscription without user_id, here or on another node, empties it (Reverb's rule, made cluster-wide).
   */
  snapshot(elsewhere?: ReadonlyMap<string, OtherMember>, anonymousElsewhere = false): PresenceSnapshot {
    if (this.anonymous > 0 || anonymousElsewhere) return { count: 0, ids: [], hash: [] };
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
