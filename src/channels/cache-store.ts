/** @module Cache channels' last events, each with the version that orders it against other nodes' copies. */

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

/**
 * Channel name → cached frame, as a Map so the protocol reads and writes it as before. A single node never versions
 * anything: the last write wins. In a cluster, writes made inside {@link writing} carry a version and are dropped
 * when the frame already cached is newer; a write outside it (a client event relayed here) stays unversioned until
 * the cluster {@link stamp}s it, which it does at once.
 */
export class CacheStore extends Map<string, string> {
  private readonly versions = new Map<string, CacheVersion>();
  private writeVersion: CacheVersion | undefined;

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
    return super.set(name, frame);
  }

  override delete(name: string): boolean {
    this.versions.delete(name);
    return super.delete(name);
  }

  override clear(): void {
    this.versions.clear();
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
   * unversioned one (from a node of an earlier release) only fills a gap. Returns whether it was taken.
   */
  offer(name: string, frame: string, version: CacheVersion | undefined): boolean {
    const current = this.versions.get(name);
    if (super.has(name) && (version === undefined || (current !== undefined && !isNewer(version, current)))) return false;
    if (version === undefined) this.versions.delete(name);
    else this.versions.set(name, version);
    super.set(name, frame);
    return true;
  }
}
