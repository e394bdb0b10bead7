/** @module Several in-process nodes joined by a MemoryBus and one fake clock: the cluster logic without Redis or timing. */

import { ClusterBroker } from "../../src/scaling/cluster-broker.ts";
import { createServer, type ResoundServer } from "../../src/server.ts";
import type { Logger } from "../../src/support/logger.ts";
import type { App } from "../../src/apps/app.ts";
import { FakeClock } from "./fake-clock.ts";
import { APP_A, FIXTURE_APPS } from "./fixtures.ts";
import { TestClient } from "./harness.ts";
import { MemoryBus, type MemoryLink } from "./memory-bus.ts";

/** One node of the test cluster. */
export interface TestNode {
  readonly id: string;
  readonly core: ResoundServer;
  readonly broker: ClusterBroker;
  readonly link: MemoryLink;
  /** Warnings and info lines this node logged. */
  readonly log: string[];
  connect(app?: App): TestClient;
}

/** Builds `count` nodes (ids "A", "B", …) on one bus and one clock. */
export function createCluster(count: number, apps: App[] = FIXTURE_APPS, extra: { dashboardToken?: string } = {}) {
  const bus = new MemoryBus();
  const clock = new FakeClock();
  let next = 1;
  const nodes: TestNode[] = [];
  /** `nodeClock`: a clock of the node's own, to pause one process (FakeClock.jump) while the others run on. */
  const add = (id: string, nodeClock: FakeClock = clock): TestNode => {
    const link = bus.link();
    const log: string[] = [];
    const logger: Logger = {
      info: (line) => log.push(`info: ${line}`),
      warn: (line) => log.push(`warn: ${line}`),
      error: (line) => log.push(`error: ${line}`),
      debug() {},
      debugEnabled: false,
    };
    let broker: ClusterBroker | undefined;
    const core = createServer({
      apps,
      clock: nodeClock,
      logger,
      randomInt: () => next++,
      ...extra,
      createBroker: (hub) => (broker = new ClusterBroker(hub, link, { channel: "reverb", nodeId: id, clock: nodeClock, logger })),
    });
    const node: TestNode = {
      id,
      core,
      broker: broker!,
      link,
      log,
      connect: (app = APP_A) => new TestClient(core.hub.session(app.key, null)),
    };
    nodes.push(node);
    return node;
  };
  for (let i = 0; i < count; i++) add(String.fromCharCode(65 + i));
  return { bus, clock, nodes, add };
}

/** Presence channel_data for a user. */
export const user = (id: string | number, name = `user ${id}`) => ({ user_id: id, user_info: { name } });
