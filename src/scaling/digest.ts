/** @module An order-independent digest of a node's channels and members, so peers can detect a drifted replica cheaply. */

/** Two independent 32-bit FNV-1a hashes, XOR-accumulated: adding and removing an entry are the same operation. */
export class Digest {
  private a = 0;
  private b = 0;

  /** Adds the entry if absent from the set, removes it if present (XOR). */
  toggle(entry: string): void {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < entry.length; i++) {
      const c = entry.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    this.a ^= a;
    this.b ^= b;
  }

  reset(): void {
    this.a = 0;
    this.b = 0;
  }

  /** The digest as text, compared as a whole. */
  get value(): string {
    return `${(this.a >>> 0).toString(36)}.${(this.b >>> 0).toString(36)}`;
  }
}

/** The digest entry of an occupied channel. */
export const channelEntry = (appId: string, channel: string) => `c\n${appId}\n${channel}`;
/** The digest entry of a presence member. */
export const memberEntry = (appId: string, channel: string, userKey: string) => `m\n${appId}\n${channel}\n${userKey}`;
/** The digest entry of "has presence subscriptions without user_id". */
export const anonymousEntry = (appId: string, channel: string) => `a\n${appId}\n${channel}`;
/** The digest entry of a node's reported subscription count on a channel. */
export const countEntry = (appId: string, channel: string, count: number) => `n\n${appId}\n${channel}\n${count}`;
