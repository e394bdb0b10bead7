/**
 * @module The channels one connection is subscribed to: a Map's interface with the first channel held inline, so
 * the usual connection (one channel) costs no hash table (a Map with one entry costs ~300 bytes on Bun).
 */

/** Name → channel, O(1) like a Map; only a second channel allocates one. */
export class ConnectionChannels<C> {
  private firstName: string | undefined;
  private first: C | undefined;
  private rest: Map<string, C> | undefined;

  get size(): number {
    return (this.firstName === undefined ? 0 : 1) + (this.rest?.size ?? 0);
  }

  get(name: string): C | undefined {
    return name === this.firstName ? this.first : this.rest?.get(name);
  }

  has(name: string): boolean {
    return name === this.firstName || (this.rest?.has(name) ?? false);
  }

  set(name: string, channel: C): this {
    if (name === this.firstName || (this.firstName === undefined && !this.rest?.has(name))) {
      this.firstName = name;
      this.first = channel;
    } else {
      (this.rest ??= new Map()).set(name, channel);
    }
    return this;
  }

  delete(name: string): boolean {
    if (name === this.firstName) {
      this.firstName = this.first = undefined;
      return true;
    }
    return this.rest?.delete(name) ?? false;
  }

  /** Every channel (a copy: callers may leave channels while iterating). */
  values(): C[] {
    const all: C[] = this.firstName === undefined ? [] : [this.first!];
    if (this.rest) for (const channel of this.rest.values()) all.push(channel);
    return all;
  }
}
