/**
 * @module The start command: TLS, the development app, the cluster, the server and its metrics listener, the
 * banner, and a graceful stop (4200 to every client, exit 0) on SIGINT/SIGTERM or `resound restart`.
 */

import type { LoadedConfig } from "../config/load-config.ts";
import { metricsFetch } from "../metrics/metrics-endpoint.ts";
import type { Hub } from "../protocol/hub.ts";
import { createServer } from "../server.ts";
import { systemClock } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import { secureRandomInt } from "../support/random.ts";
import type { Flags } from "./args.ts";
import { banner } from "./banner.ts";
import { createConsoleLogger } from "./console-logger.ts";
import { attachDebugLog } from "./debug-log.ts";
import { type DevelopmentApp, developmentApp, developmentAppFile } from "./development-app.ts";
import { FileLimitWatch, isFileLimitError } from "./file-limit.ts";
import { type Host, type Listener, ListenError } from "./host.ts";
import { listenProblem } from "./listen-problem.ts";
import { fail } from "./main.ts";
import { chooseTls, type TlsChoice } from "./tls.ts";
import { ConfigError } from "../config/fields.ts";

/** How long shutdown may take before the process exits anyway (pusher-js clients will already have reconnected). */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Serves until SIGINT/SIGTERM or a restart request. */
export async function start(host: Host, flags: Flags, loaded: LoadedConfig): Promise<void> {
  let config = loaded;
  let tls: TlsChoice;
  try {
    tls = chooseTls(config, host);
  } catch (error) {
    if (error instanceof ConfigError) return fail(host, error.message);
    throw error;
  }
  let development: DevelopmentApp | undefined;
  if (config.apps.length === 0) {
    development = developmentApp(host, developmentAppFile(host.env, host.platform), secureRandomInt, config.developmentSettings);
    config = { ...config, apps: [development.app] };
  }
  const logger = createConsoleLogger((line) => host.print(line), (line) => host.printError(line), config.debug);
  let stop: () => void = () => {};
  let cluster: Awaited<ReturnType<typeof joinCluster>> | undefined;
  if (config.server.scalingEnabled) {
    try {
      cluster = await joinCluster(config, host, logger, () => stop());
    } catch (error) {
      return fail(host, error instanceof Error ? error.message : String(error));
    }
  }
  // The development app comes with a dashboard, opened by a fresh random token each start; production only with one set.
  const dashboardToken = config.server.dashboardToken ?? (development ? randomToken() : null);
  const core = createServer({
    apps: config.apps,
    path: config.server.path,
    maxRequestSize: config.server.maxRequestSize,
    logger,
    metrics: config.server.metricsPort !== null,
    ...(host.processStats && { processStats: host.processStats }),
    ...(dashboardToken !== null && { dashboardToken }),
    ...(host.topics && { topics: host.topics }),
    ...(cluster && { createBroker: cluster.createBroker }),
  });
  if (config.debug) attachDebugLog(core.hub.events, logger);
  const fileLimit = new FileLimitWatch(systemClock, logger, core.hub.events);
  const onAcceptFailure = (message: string) => {
    if (isFileLimitError(message)) fileLimit.report();
    else logger.error(`Accepting a connection failed: ${message}`);
  };

  const listeners: Listener[] = [];
  try {
    listeners.push(await host.listen(core, { host: config.server.host, port: config.server.port, tls: tls.material, onAcceptFailure }));
  } catch (error) {
    await core.shutdown();
    if (error instanceof ListenError) return fail(host, listenProblem(error, config, tls.material));
    throw error;
  }
  const port = listeners[0]!.port;
  let metricsUrl: string | undefined;
  if (config.server.metricsPort !== null) {
    const { metricsHost, metricsPort } = config.server;
    try {
      const metricsListener = await host.listenHttp(metricsFetch(core.metrics!), { host: metricsHost, port: metricsPort });
      listeners.push(metricsListener);
      metricsUrl = `http://${metricsHost}:${metricsListener.port}/metrics`;
    } catch (error) {
      await Promise.all([core.shutdown(), ...listeners.map((listener) => listener.close())]);
      const problem = error instanceof ListenError ? error : new ListenError("other", error instanceof Error ? error.message : String(error));
      return fail(host, listenProblem(problem, config, null, "metrics"));
    }
  }
  if (host.canOpenFile) fileLimit.start(() => host.canOpenFile!());
  const unregister = host.servers?.register({
    pid: host.pid ?? 0,
    host: config.server.host,
    port,
    runtime: host.runtime.name,
    startedAt: new Date().toISOString(),
  });
  if (!flags["quiet"]) {
    const dashboard = dashboardToken === null ? undefined : { token: dashboardToken, generated: config.server.dashboardToken === null };
    host.print(banner({ host, config, port, tls, cluster: cluster?.description, development: development?.note, metrics: metricsUrl, dashboard }));
  }

  let stopping = false;
  stop = () => {
    if (stopping) return;
    stopping = true;
    if (!flags["quiet"]) host.print("Gracefully terminating connections.");
    unregister?.();
    const deadline = setTimeout(() => host.exit(0), SHUTDOWN_GRACE_MS);
    void core.shutdown()
      .then(() => Promise.all(listeners.map((listener) => listener.close())))
      .catch((error: unknown) => logger.error(`Shutdown: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        clearTimeout(deadline);
        host.exit(0);
      });
  };
  host.onShutdownSignal(stop);
}

/** A dashboard token for the development app: 32 hex characters from the platform's secure random source. */
function randomToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Connects to the scaling broker (loading its client only now) and returns how to build the cluster broker. */
async function joinCluster(config: LoadedConfig, host: Host, logger: Logger, onRestart: () => void) {
  const { connectScaling } = await import("../scaling/connect-scaling.ts");
  const { ClusterBroker, newNodeId } = await import("../scaling/cluster-broker.ts");
  const channel = config.server.scalingChannel;
  const pubsub = await connectScaling(config.server, { readTextFile: (path) => host.readTextFile(path), warn: (line) => logger.warn(line) });
  const nodeId = newNodeId();
  logger.debug("Scaling", `node ${nodeId} on ${pubsub.topic} of ${pubsub.target}: ${pubsub.details}`);
  return {
    description: `${pubsub.topic} on ${pubsub.target}, node ${nodeId}`,
    createBroker: (hub: Hub) => new ClusterBroker(hub, pubsub, { channel, nodeId, clock: systemClock, logger, onRestart }),
  };
}
