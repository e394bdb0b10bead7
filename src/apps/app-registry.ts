/** @module AppRegistry: looks up apps by key (WebSocket) and id (HTTP API); config-backed implementation. */

import type { App } from "./app.ts";

/** Where apps come from. Synchronous, so a connection's first frame is never delayed by a lookup. */
export interface AppRegistry {
  findByKey(key: string): App | undefined;
  findById(id: string): App | undefined;
  all(): readonly App[];
}

/** An AppRegistry over a fixed list (config file or environment). */
export function createConfigAppRegistry(apps: readonly App[]): AppRegistry {
  const byKey = new Map(apps.map((app) => [app.key, app]));
  const byId = new Map(apps.map((app) => [app.id, app]));
  return {
    findByKey: (key) => byKey.get(key),
    findById: (id) => byId.get(id),
    all: () => apps,
  };
}
