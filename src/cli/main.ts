/** @module The `start` command: flags and config, then serve through the runtime's Host; user mistakes exit 1 with one line. */

import { loadConfig, type LoadedConfig } from "../config/load-config.ts";
import { ConfigError } from "../config/fields.ts";
import type { Hub } from "../protocol/hub.ts";
import { createServer } from "../server.ts";
import { systemClock } from "../support/clock.ts";
import type { Logger } from "../support/logger.ts";
import { VERSION } from "../version.ts";
import { type Flags, helpText, parseArgs } from "./args.ts";
import { banner } from "./banner.ts";
import { createConsoleLogger } from "./console-logger.ts";
import { type Host, ListenError, type TlsMaterial } from "./host.ts";
import { chooseTls, type TlsChoice } from "./tls.ts";
import { type DevelopmentApp, developmentApp, developmentAppFile } from "./development-app.ts";
import { secureRandomInt } from "../support/random.ts";
import { FileLimitWatch, isFileLimitError } from "./file-limit.ts";
import { attachDebugLog } from "./debug-log.ts";

/** How long shutdown may take before the process exits anyway (pusher-js clients will already have reconnected). */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Runs the server until a shutdown signal. */
export async function main(host: Host): Promise<void> {
  let flags: Flags;
  let config: LoadedConfig;
  let tls: TlsChoice;
  try {
    flags = parseArgs(host.argv);
    if (flags["help"]) return finish(host, 0, helpText(host.command));
    if (flags["version"]) return finish(host, 0, `Resound ${VERSION}`);
    config = loadConfig({ flags, env: host.env, cwd: host.cwd, readTextFile: (path) => host.readTextFile(path) });
    tls = chooseTls(config, host);
  } catch (error) {
    if (error instanceof ConfigError) return fail(host, error.message);
    throw error;
  }

  let development: DevelopmentApp | undefined;
  if (config.apps.length === 0) {
    development = developmentApp(host, developmentAppFile(host.env, host.platform), secureRandomInt);
    config = { ...config, apps: [development.app] };
  }
  const logger = createConsoleLogger((line) => host.print(line), (line) => host.printError(line), config.debug);
  let cluster: Awaited<ReturnType<typeof joinCluster>> | undefined;
  if (config.server.scalingEnabled) {
    try {
      cluster = await joinCluster(config, logger);
    } catch (error) {
      return fail(host, error instanceof Error ? error.message : String(error));
    }
  }
  const core = createServer({
    apps: config.apps,
    path: config.server.path,
    maxRequestSize: config.server.maxRequestSize,
    logger,
    ...(host.topics && { topics: host.topics }),
    ...(cluster && { createBroker: cluster.createBroker }),
  });
  if (config.debug) attachDebugLog(core.hub.events, logger);
  const fileLimit = new FileLimitWatch(systemClock, logger, core.hub.events);
  const onAcceptFailure = (message: string) => {
    if (isFileLimitError(message)) fileLimit.report();
    else logger.error(`Accepting a connection failed: ${message}`);
  };
  let listener;
  try {
    listener = await host.listen(core, { host: config.server.host, port: config.server.port, tls: tls.material, onAcceptFailure });
  } catch (error) {
    await core.shutdown();
    if (error instanceof ListenError) return fail(host, listenProblem(error, config, tls.material));
    throw error;
  }
  if (host.canOpenFile) fileLimit.start(() => host.canOpenFile!());
  if (!flags["quiet"]) {
    host.print(banner({ host, config, port: listener.port, tls, cluster: cluster?.description, development: development?.note }));
  }

  let stopping = false;
  host.onShutdownSignal(() => {
    if (stopping) return;
    stopping = true;
    if (!flags["quiet"]) host.print("Gracefully terminating connections.");
    const deadline = setTimeout(() => host.exit(0), SHUTDOWN_GRACE_MS);
    void core.shutdown()
      .then(() => listener.close())
      .catch((error: unknown) => logger.error(`Shutdown: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        clearTimeout(deadline);
        host.exit(0);
      });
  });
}

/** Connects to Redis (loading ioredis only now) and returns how to build the cluster broker. */
async function joinCluster(config: LoadedConfig, logger: Logger) {
  const { connectRedis } = await import("../scaling/connect-redis.ts");
  const { ClusterBroker, newNodeId } = await import("../scaling/cluster-broker.ts");
  const channel = config.server.scalingChannel;
  const pubsub = await connectRedis(config.server.redis, channel);
  const nodeId = newNodeId();
  return {
    description: `Redis channel "${channel}" at ${pubsub.address}, node ${nodeId}`,
    createBroker: (hub: Hub) => new ClusterBroker(hub, pubsub, { channel, nodeId, clock: systemClock, logger }),
  };
}

function listenProblem(error: ListenError, config: LoadedConfig, tls: TlsMaterial | null): string {
  const { host, port } = config.server;
  switch (error.reason) {
    case "in-use":
      return `Port ${port} on ${host} is already in use; stop the other server or pick another port with --port or REVERB_SERVER_PORT.`;
    case "permission":
      return `Permission denied listening on ${host}:${port}; ports below 1024 need elevated rights, pick another with --port.`;
    case "address":
      return `Cannot listen on ${host}:${port}: ${error.message}; check --host or REVERB_SERVER_HOST.`;
    case "tls":
      return `The TLS certificate ${tls?.certFile} and key ${tls?.keyFile} cannot be used: ${tlsHint(error.message, tls)}.`;
    case "unsupported":
      return `${error.message}.`;
    default:
      return `Cannot listen on ${host}:${port}: ${error.message}.`;
  }
}

/** Runtimes word TLS failures differently; name the two common mistakes plainly. */
function tlsHint(message: string, tls: TlsMaterial | null): string {
  if (/mismatch|not be consistent/i.test(message)) return `the key does not belong to the certificate (${message})`;
  if (/decrypt|passphrase|bad password/i.test(message)) return `the passphrase is wrong (${message})`;
  // A wrong passphrase usually fails the decryption's padding check ("bad decrypt"), but about one time in 256 the
  // garbage passes it and OpenSSL 3 then reports that no decoder understands the result.
  if (tls?.passphrase !== undefined && /DECODER routines::unsupported/i.test(message)) return `the passphrase is wrong (${message})`;
  return message;
}

function fail(host: Host, message: string): void {
  host.printError(`Error: ${message}`);
  host.exit(1);
}

function finish(host: Host, code: number, output: string): void {
  host.print(output);
  host.exit(code);
}
