/** @module Cache channels' last events: kept for a time whether or not anyone listens, each versioned against other nodes' copies. */

import { wallTimeOf } from "../scaling/hybrid-clock.ts";

/**
 * When and where an event was cached first: a hybrid logical time (see the cluster's HybridClock) and the node that
 * published it. Every node holds the same version for the same event, so they all agree on which one is newest.
 */
export interface CacheVersion {
  readonly at: number;
  readonly by: string;
}

/** Whether `a` orders after `b`: the later time, then (for events published at the same moment) the larger node id. */
export function isNewer(a: CacheVersion, b: CacheVersion): boolean {
  return a.at !== b.at ? a.at > b.at : a.by > b.by;
}

/** How long a cached event is kept, how many an app keeps, and the clock that ages them. */
export interface CacheLimits {
  /** Milliseconds an event stays cached after it was published (Pusher: 30 minutes). */
  readonly ttlMs: number;
  /** Most channels with a cached event; past it the one written longest ago is forgotten. */
  readonly max: number;
  readonly now: () => number;
}

const UNLIMITED: CacheLimits = { ttlMs: Infinity, max: Infinity, now: () => 0 };

/**
 * Channel name → cached frame, as a Map so the protocol reads and writes it as before. An event stays for `ttlMs`
 * after it was published, subscribers or not (as on Pusher), and at most `max` are kept. A single node never
 * versions anything: the last write wins. In a cluster, writes made inside {@link writing} carry a version and are
 * dropped when the frame already cached is newer; a write outside it (a client event relayed here) stays unversioned
 * until the cluster {@link stamp}s it, which it does at once. A versioned event expires `ttlMs` after the moment in its
 * version, so every node forgets it at the same time.
 */
export class CacheStore extends Map<string, string> {
  private readonly versions = new Map<string, CacheVersion>();
  /** When each entry expires, in the order the entries were last written: the front is the next to go. */
  private readonly expiries = new Map<string, number>();
  private readonly limits: CacheLimits;
  private writeVersion: CacheVersion | undefined;

  constructor(limits: CacheLimits = UNLIMITED) {
    super();
    this.limits = limits;
  }

  /** Runs `write`; the frames it caches carry `version` (it is synchronous, so nothing else writes meanwhile). */
  writing<T>(version: CacheVersion, write: () => T): T {
    const outer = this.writeVersion;
    this.writeVersion = version;
    try {
      return write();
    } finally {
      this.writeVersion = outer;
    }
  }

  override set(name: string, frame: string): this {
    const version = this.writeVersion;
    if (version === undefined) this.versions.delete(name);
    else {
      const current = this.versions.get(name);
      // An older event still reaches live subscribers; it just does not replace the newer one for later ones.
      if (current !== undefined && isNewer(current, version)) return this;
      this.versions.set(name, version);
    }
    return this.keep(name, frame, version);
  }

  override get(name: string): string | undefined {
    const expires = this.expiries.get(name);
    if (expires !== undefined && expires <= this.limits.now()) {
      this.delete(name);
      return undefined;
    }
    return super.get(name);
  }

  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  override delete(name: string): boolean {
    this.versions.delete(name);
    this.expiries.delete(name);
    return super.delete(name);
  }

  override clear(): void {
    this.versions.clear();
    this.expiries.clear();
    super.clear();
  }

  /** The cached frame's version; undefined when nothing is cached or it is unversioned. */
  version(name: string): CacheVersion | undefined {
    return this.versions.get(name);
  }

  /** Versions the frame just cached unversioned, if `frame` is still the one cached. */
  stamp(name: string, frame: string, version: CacheVersion): void {
    if (!this.versions.has(name) && super.get(name) === frame) this.versions.set(name, version);
  }

  /**
   * Takes another node's cached frame when it is newer than the one here, or when none is cached here. An
   * unversioned one (from a node of an earlier release) only fills a gap; an expired one is not taken. Returns
   * whether it was taken.
   */
  offer(name: string, frame: string, version: CacheVersion | undefined): boolean {
    const current = this.versions.get(name);
    if (this.has(name) && (version === undefined || (current !== undefined && !isNewer(version, current)))) return false;
    if (version !== undefined && this.expiryOf(version) <= this.limits.now()) return false;
    if (version === undefined) this.versions.delete(name);
    else this.versions.set(name, version);
    this.keep(name, frame, version);
    return true;
  }

  /** Forgets the events whose time is up; costs one look per expired entry, plus one. */
  sweep(): void {
    const now = this.limits.now();
    for (const [name, expires] of this.expiries) {
      // Entries are in write order, which is nearly expiry order (a late versioned write can be a little older);
      // one not yet due ends the sweep, and a straggler behind it is caught when read or by a later sweep.
      if (expires > now) return;
      this.delete(name);
    }
  }

  private keep(name: string, frame: string, version: CacheVersion | undefined): this {
    // Re-inserted, so the entries stay in the order they were last written.
    this.expiries.delete(name);
    this.expiries.set(name, version === undefined ? this.limits.now() + this.limits.ttlMs : this.expiryOf(version));
    super.set(name, frame);
    if (this.expiries.size > this.limits.max) this.delete(this.expiries.keys().next().value!);
    return this;
  }

  private expiryOf(version: CacheVersion): number {
    return wallTimeOf(version.at) + this.limits.ttlMs;
  }
}
