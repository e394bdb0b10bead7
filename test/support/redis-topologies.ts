/** @module Real Redis topologies (Sentinel, Cluster, TLS) and a NATS server on free 127.0.0.1 ports, for the scaling suites. */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, tempDir, writeFile } from "./spawn.ts";

const REDIS_BIN = process.env["REDIS_SERVER_BIN"] ?? "redis-server";
const REDIS_CLI_BIN = process.env["REDIS_CLI_BIN"] ?? "redis-cli";
const OPENSSL_BIN = process.env["OPENSSL_BIN"] ?? "openssl";
const NATS_BIN = process.env["NATS_SERVER_BIN"] ?? "nats-server";
const HOST = "127.0.0.1";

const alive = new Set<ChildProcess>();
// The test process must never leave a server behind, whatever happened.
process.once("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a server listens. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------------------------

/** One server process that can be stopped and started again with the same arguments. */
interface Managed {
  readonly name: string;
  readonly running: boolean;
  /** Everything the current process printed. */
  output(): string;
  /** Kills it (SIGKILL by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it (again) and waits until `ready` resolves; rejects naming `name` and with its output otherwise. */
  start(): Promise<void>;
}

function managed(name: string, bin: string, args: string[] | (() => string[]), ready: () => Promise<boolean>, cwd?: string, timeoutMs = 10_000): Managed {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const stop = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (isRunning()) child!.kill(signal);
    await exited;
  };
  return {
    name,
    get running() {
      return isRunning();
    },
    output: () => output,
    stop,
    async start() {
      await stop();
      output = "";
      const started = spawn(bin, typeof args === "function" ? args() : args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
      child = started;
      alive.add(started);
      let spawnError: Error | undefined;
      started.once("error", (error) => (spawnError = error)); // e.g. ENOENT: the binary is not installed
      started.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      started.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      exited = new Promise((resolve) => {
        started.once("close", () => {
          alive.delete(started);
          resolve();
        });
      });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (spawnError) throw new Error(`${name}: cannot run ${bin}: ${spawnError.message}`);
        if (started.exitCode !== null || started.signalCode !== null) throw new Error(`${name} exited at start:\n${output}`);
        if (await ready().catch(() => false)) return;
        if (Date.now() > deadline) {
          started.kill("SIGKILL");
          throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${output}`);
        }
        await sleep(25);
      }
    },
  };
}

/** Stops every process given, in parallel, and removes `dir`. */
async function stopAll(processes: Managed[], dir?: string): Promise<void> {
  await Promise.all(processes.map((process) => process.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Starts every process given in parallel; if any fails, stops them all, removes `dir` and rethrows. */
async function startAll(processes: Managed[], dir?: string): Promise<void> {
  const results = await Promise.allSettled(processes.map((process) => process.start()));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    await stopAll(processes, dir);
    throw failure.reason;
  }
}

/** Polls `check` every `intervalMs` until it returns true; rejects with `what` (and the last error) at the deadline. */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Commands, through redis-cli (the real client; no hand-written protocol code)
// ---------------------------------------------------------------------------------------------------------------

/** TLS settings for `sendCommand` against a TLS-only server. */
interface CommandTls {
  /** The CA certificate (PEM file) that signed the server certificate. */
  readonly caFile: string;
}

/**
 * Sends one command with `redis-cli` to 127.0.0.1:`port` (over TLS, after AUTH, within 2 s unless told otherwise)
 * and resolves with its output; rejects on an error reply, naming the port and the command.
 */
async function sendCommand(port: number, args: string[], options: { tls?: CommandTls; password?: string; timeoutMs?: number } = {}): Promise<string> {
  const what = `redis on ${port}: ${args.slice(0, 2).join(" ")}`;
  const cli = [
    "-h", HOST, "-p", String(port),
    ...(options.tls ? ["--tls", "--cacert", options.tls.caFile] : []),
    ...(options.password !== undefined ? ["-a", options.password, "--no-auth-warning"] : []),
    ...args,
  ];
  let output: string;
  try {
    output = (await run(REDIS_CLI_BIN, cli, { timeout: options.timeoutMs ?? 2000 })).stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${what}: ${(failed.stdout || failed.stderr || failed.message).trim()}`);
  }
  // Error replies print as "ERR …", "NOAUTH …", "LOADING …" (upper-case word first) on stdout.
  if (/^(ERR|NOAUTH|WRONGPASS|LOADING|MASTERDOWN|CLUSTERDOWN|NOPERM|MOVED|ASK|READONLY|BUSY|NOSCRIPT|EXECABORT|NOREPLICAS|TRYAGAIN) /.test(output)) {
    throw new Error(`${what}: ${output.trim()}`);
  }
  return output.replace(/\r/g, "");
}

/** The `field:value` lines of an INFO (or CLUSTER INFO) reply. */
function infoFields(reply: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of reply.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** A flattened `key value key value …` reply (SENTINEL MASTER) as an object. */
function pairs(reply: string): Record<string, string> {
  return groups(reply)[0] ?? {};
}

/** A flattened list of `key value …` records (SENTINEL REPLICAS), each starting with its `name` field. */
function groups(reply: string): Array<Record<string, string>> {
  const lines = reply.split("\n").filter((line, i, all) => i < all.length - 1 || line !== "");
  const records: Array<Record<string, string>> = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (lines[i] === "name" || records.length === 0) records.push({});
    records[records.length - 1]![lines[i]!] = lines[i + 1]!;
  }
  return records;
}

const answersPing = (port: number, tls?: CommandTls) => async () => (await sendCommand(port, ["PING"], { timeoutMs: 1000, ...(tls && { tls }) })).trim() === "PONG";

function redisArgs(port: number, dir: string): string[] {
  return ["--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir];
}

// ---------------------------------------------------------------------------------------------------------------
// Sentinel
// ---------------------------------------------------------------------------------------------------------------

export interface SentinelSetup {
  /** The three sentinels, as ioredis's `sentinels` option takes them. */
  readonly sentinels: HostPort[];
  /** The monitored master's name ("resound-master"), ioredis's `name` option. */
  readonly masterName: string;
  /** The port of the current master (follows failovers seen by `waitForFailover`). */
  readonly masterPort: number;
  /** SIGKILLs the current master (an outage: no goodbye) and waits for its exit; resolves with its port. */
  killMaster(): Promise<number>;
  /**
   * Resolves with the new master's port once every running sentinel reports a master other than the one current
   * when `killMaster` was last called (or than `masterPort`), and that node answers INFO with role:master.
   */
  waitForFailover(timeoutMs?: number): Promise<number>;
  /** The last 30 lines each sentinel printed (+sdown, +odown, +elected-leader, +switch-master …), for failure messages. */
  logs(): string;
  /** Kills every process and removes the temp dir. */
  stop(): Promise<void>;
}

export interface SentinelOptions {
  /** Default "resound-master". */
  masterName?: string;
  /** Sentinel's down-after-milliseconds: how long the master must be unreachable (default 1000). */
  downAfterMs?: number;
  /** Sentinel's failover-timeout (default 2000; a failed election, e.g. a split vote, is retried after twice this). */
  failoverTimeoutMs?: number;
  /** `requirepass`/`masterauth` on the data nodes (sentinels get `sentinel auth-pass`). */
  password?: string;
  /** `requirepass` on the sentinels (ioredis: `sentinelPassword`). */
  sentinelPassword?: string;
}

/**
 * A master, one replica and three sentinels (quorum 2) on free ports of 127.0.0.1, configs in a temp dir.
 * Resolves once the replica is in sync and every sentinel knows the replica and the two other sentinels, so a
 * failover can happen at once.
 */
export async function startSentinelSetup(options: SentinelOptions = {}): Promise<SentinelSetup> {
  const masterName = options.masterName ?? "resound-master";
  const downAfterMs = options.downAfterMs ?? 1000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 2000;
  const dir = tempDir("resound-sentinel-");
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]) as [number, number, number, number, number];
  const auth = (port: number, password: string | undefined) => (...args: string[]): Promise<string> =>
    sendCommand(port, args, password === undefined ? {} : { password });

  let currentMaster = masterPort;
  let killedMaster: number | undefined;
  // A node (re)starts as a replica of the current master, as the sentinels would reconfigure it; no 5 s diskless-sync delay.
  const dataArgs = (port: number) => () => [
    ...redisArgs(port, dir),
    "--repl-diskless-sync-delay", "0",
    ...(options.password ? ["--requirepass", options.password, "--masterauth", options.password] : []),
    ...(port === currentMaster ? [] : ["--replicaof", HOST, String(currentMaster)]),
  ];
  const dataNodes = new Map<number, Managed>();
  for (const port of [masterPort, replicaPort]) {
    dataNodes.set(port, managed(`redis-server (sentinel data node) on ${port}`, REDIS_BIN, dataArgs(port), async () => (await auth(port, options.password)("PING")).trim() === "PONG", dir));
  }
  const replicaInSync = (port: number) => waitUntil(`the replica on ${port} to sync with the master on ${currentMaster}`, async () => {
    const info = infoFields(await auth(port, options.password)("INFO", "replication"));
    return info["master_port"] === String(currentMaster) && info["master_link_status"] === "up";
  }, 10_000);
  // Every running sentinel lists the replica without s_down/disconnected flags and with its link to the current master up:
  // otherwise a failover can abort with -failover-abort-no-good-slave and is retried only after 2 × failover-timeout.
  const sentinelsSeeReplica = (port: number) => waitUntil(`every sentinel to see the replica on ${port} healthy`, async () => {
    for (const sentinel of sentinels) {
      if (!sentinel.process.running) continue;
      const replicas = await auth(sentinel.port, options.sentinelPassword)("SENTINEL", "REPLICAS", masterName);
      const replica = groups(replicas).find((fields) => fields["port"] === String(port));
      if (!replica || replica["flags"] !== "slave" || replica["master-link-status"] !== "ok" || replica["master-port"] !== String(currentMaster)) return false;
    }
    return true;
  }, 15_000, 100);
  const sentinels = sentinelPorts.map((port) => {
    const config = writeFile(dir, `sentinel-${port}.conf`, [
      `port ${port}`,
      `bind ${HOST}`,
      `dir ${dir}`,
      "sentinel resolve-hostnames yes",
      `sentinel announce-ip ${HOST}`,
      `sentinel monitor ${masterName} ${HOST} ${masterPort} 2`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(options.password ? [`sentinel auth-pass ${masterName} ${options.password}`] : []),
      ...(options.sentinelPassword ? [`requirepass ${options.sentinelPassword}`] : []),
      "",
    ].join("\n"));
    return { port, process: managed(`redis sentinel on ${port}`, REDIS_BIN, [config, "--sentinel"], async () => (await auth(port, options.sentinelPassword)("PING")).trim() === "PONG", dir) };
  });
  const everything = [...dataNodes.values(), ...sentinels.map((sentinel) => sentinel.process)];

  try {
    // The replica first in sync, so the sentinels' first INFO of the master already lists it (later ones come every 10 s).
    await startAll([...dataNodes.values()], dir);
    await replicaInSync(replicaPort);
    await startAll(sentinels.map((sentinel) => sentinel.process), dir);
    for (const sentinel of sentinels) {
      await waitUntil(`sentinel on ${sentinel.port} to know the replica and the 2 other sentinels`, async () => {
        const master = pairs(await auth(sentinel.port, options.sentinelPassword)("SENTINEL", "MASTER", masterName));
        return master["num-slaves"] === "1" && master["num-other-sentinels"] === "2" && master["flags"] === "master";
      }, 15_000, 100);
    }
    await sentinelsSeeReplica(replicaPort);
  } catch (error) {
    await stopAll(everything, dir);
    throw error;
  }

  const logs = () => sentinels.map((sentinel) => `--- sentinel on ${sentinel.port}:\n${sentinel.process.output().trimEnd().split("\n").slice(-30).join("\n")}`).join("\n");
  const sentinelPortsReport = async (): Promise<number[]> => {
    const ports: number[] = [];
    for (const sentinel of sentinels) {
      if (!sentinel.process.running) continue;
      const reply = await auth(sentinel.port, options.sentinelPassword)("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
      const port = reply.split("\n")[1];
      ports.push(port ? Number(port) : Number.NaN);
    }
    return ports;
  };

  return {
    sentinels: sentinelPorts.map((port) => ({ host: HOST, port })),
    masterName,
    get masterPort() {
      return currentMaster;
    },
    async killMaster() {
      killedMaster = currentMaster;
      await dataNodes.get(currentMaster)!.stop("SIGKILL");
      return killedMaster;
    },
    async waitForFailover(timeoutMs = 30_000) {
      const old = killedMaster ?? currentMaster;
      let next = old;
      try {
        await waitUntil(`the sentinels to fail over from the master on ${old}`, async () => {
          const ports = await sentinelPortsReport();
          const candidate = ports[0];
          if (candidate === undefined || candidate === old || ports.some((port) => port !== candidate)) return false;
          if (infoFields(await auth(candidate, options.password)("INFO", "replication"))["role"] !== "master") return false;
          next = candidate;
          return true;
        }, timeoutMs, 100);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${logs()}`);
      }
      currentMaster = next;
      killedMaster = undefined;
      return next;
    },
    logs,
    stop: () => stopAll(everything, dir),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------------------------

export interface RedisCluster {
  /** The three masters (and their replicas, if any), as `new Cluster(nodes)` takes them. */
  readonly nodes: HostPort[];
  /**
   * SIGKILLs the master that owns `channel`'s slot and waits until a replica took its place (cluster_state:ok on
   * the others); resolves with the killed port and the promoted one. Needs `replicas: 1`.
   */
  killShardMaster(channel: string): Promise<{ killed: number; promoted: number }>;
  /** Kills every node and removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Three cluster masters (no replicas) on free ports of 127.0.0.1 (bus ports free too, set with `cluster-port`),
 * joined with `redis-cli --cluster create`; resolves once every node's CLUSTER INFO says cluster_state:ok with
 * all 16384 slots and 3 known nodes.
 */
export async function startRedisCluster(options: { replicas?: 0 | 1 } = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const count = 3 * (1 + replicas);
  const dir = tempDir("resound-cluster-");
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const busPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const nodes = ports.map((port, i) => managed(`redis-server (cluster node) on ${port}`, REDIS_BIN, [
    ...redisArgs(port, dir),
    "--cluster-enabled", "yes",
    "--cluster-config-file", join(dir, `nodes-${port}.conf`),
    "--cluster-port", String(busPorts[i]),
    "--cluster-node-timeout", "2000",
    // A replica whose first sync had not finished (a busy machine, a test that kills a master soon after creating
    // the cluster) would otherwise refuse to take over: the failover tests need the takeover, not the data.
    "--cluster-replica-validity-factor", "0",
    "--cluster-announce-ip", HOST,
  ], answersPing(port), dir));
  try {
    await startAll(nodes, dir);
    try {
      await run(REDIS_CLI_BIN, ["--cluster", "create", ...ports.map((port) => `${HOST}:${port}`), "--cluster-replicas", String(replicas), "--cluster-yes"], { timeout: 30_000 });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`redis-cli --cluster create failed: ${failed.message}\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
    }
    for (const port of ports) {
      await waitUntil(`cluster_state:ok on the cluster node on ${port}`, async () => {
        const info = infoFields(await sendCommand(port, ["CLUSTER", "INFO"]));
        return info["cluster_state"] === "ok" && info["cluster_slots_ok"] === "16384" && info["cluster_known_nodes"] === String(count);
      }, 15_000);
    }
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
  /** The master owning the slot of `channel`, read from CLUSTER NODES (failed masters skipped). */
  const ownerOf = async (via: number, channel: string): Promise<number> => {
    const slot = Number((await sendCommand(via, ["CLUSTER", "KEYSLOT", channel])).trim());
    const lines = (await sendCommand(via, ["CLUSTER", "NODES"])).split("\n");
    for (const line of lines) {
      const fields = line.trim().split(" ");
      if (!fields[2]?.includes("master") || fields[2].includes("fail")) continue;
      const owns = fields.slice(8).some((range) => {
        const [from, to] = range.split("-").map(Number);
        return slot >= from! && slot <= (to ?? from!);
      });
      if (owns) return Number(/:(\d+)@/.exec(fields[1]!)![1]);
    }
    throw new Error(`no master owns slot ${slot}:\n${lines.join("\n")}`);
  };
  return {
    nodes: ports.map((port) => ({ host: HOST, port })),
    async killShardMaster(channel) {
      const killed = await ownerOf(ports[0]!, channel);
      await nodes[ports.indexOf(killed)]!.stop("SIGKILL");
      const other = ports.find((port) => port !== killed)!;
      let promoted = killed;
      await waitUntil(`a replica promoted in place of ${killed}`, async () => {
        if (infoFields(await sendCommand(other, ["CLUSTER", "INFO"]))["cluster_state"] !== "ok") return false;
        promoted = await ownerOf(other, channel);
        return promoted !== killed;
      }, 20_000);
      return { killed, promoted };
    },
    stop: () => stopAll(nodes, dir),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------------------------

export interface TlsRedis {
  /** The TLS port (the plain port is off). */
  readonly port: number;
  /** `rediss://127.0.0.1:<port>` */
  readonly url: string;
  /** The private CA's certificate (PEM file). */
  readonly caFile: string;
  /** The server's certificate (PEM, for 127.0.0.1 and localhost, signed by the CA; the chain holds only it). */
  readonly certFile: string;
  /** Kills the server and removes the temp dir (certificates included). */
  stop(): Promise<void>;
}

/** Makes a private CA and a server certificate for 127.0.0.1/localhost signed by it, in `dir`; returns the paths. */
export async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.crt");
  const keyFile = join(dir, "server.key");
  const csr = join(dir, "server.csr");
  const certFile = join(dir, "server.crt");
  // Own config files, so the host's openssl.cnf cannot add or refuse extensions.
  const caConfig = writeFile(dir, "ca.cnf", [
    "[req]", "distinguished_name = dn", "prompt = no", "x509_extensions = v3_ca",
    "[dn]", "CN = Resound Test CA",
    "[v3_ca]", "basicConstraints = critical, CA:TRUE", "keyUsage = critical, keyCertSign, cRLSign", "subjectKeyIdentifier = hash", "",
  ].join("\n"));
  const serverConfig = writeFile(dir, "server.cnf", [
    "[req]", "distinguished_name = dn", "prompt = no",
    "[dn]", "CN = localhost",
    "[ext]", "basicConstraints = CA:FALSE", "keyUsage = critical, digitalSignature, keyEncipherment", "extendedKeyUsage = serverAuth",
    "subjectAltName = IP:127.0.0.1, DNS:localhost", "authorityKeyIdentifier = keyid", "",
  ].join("\n"));
  const steps: string[][] = [
    ["req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", caKey, "-out", caFile, "-days", "2", "-config", caConfig],
    ["req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", keyFile, "-out", csr, "-config", serverConfig],
    ["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-out", certFile, "-days", "2", "-extfile", serverConfig, "-extensions", "ext"],
  ];
  for (const step of steps) {
    try {
      await run(OPENSSL_BIN, step, { cwd: dir, timeout: 10_000 });
    } catch (error) {
      const failed = error as { stderr?: string; message: string };
      throw new Error(`openssl ${step[0]} failed making the test certificates: ${failed.message}\n${failed.stderr ?? ""}`);
    }
  }
  return { caFile, certFile, keyFile };
}

/** A TLS-only redis-server (`--port 0 --tls-port`, clients not asked for certificates) with a private CA. */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = tempDir("resound-tls-redis-");
  const port = await freePort();
  let files: { caFile: string; certFile: string; keyFile: string };
  try {
    files = await makeCertificates(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const tls: CommandTls = { caFile: files.caFile };
  const server = managed(`redis-server (TLS) on ${port}`, REDIS_BIN, [
    "--port", "0", "--tls-port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir,
    "--tls-cert-file", files.certFile, "--tls-key-file", files.keyFile, "--tls-ca-cert-file", files.caFile, "--tls-auth-clients", "no",
  ], answersPing(port, tls), dir);
  await startAll([server], dir);
  return {
    port,
    url: `rediss://${HOST}:${port}`,
    caFile: files.caFile,
    certFile: files.certFile,
    stop: () => stopAll([server], dir),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// NATS
// ---------------------------------------------------------------------------------------------------------------

export interface NatsServer {
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Kills the server (SIGKILL by default: an outage) and waits for its exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and waits until it greets with INFO. */
  restart(): Promise<void>;
  /** Kills it for good and removes its temp dir. */
  remove(): Promise<void>;
}

/** `nats-server` on a free port of 127.0.0.1 (no monitoring, no clustering); resolves once it greets a client with INFO. */
export async function startNats(options: { maxPayload?: number } = {}): Promise<NatsServer> {
  const port = await freePort();
  const dir = tempDir("resound-nats-");
  // max_payload has no command-line flag: a config file carries it.
  const config = writeFile(dir, "nats.conf", options.maxPayload === undefined ? "" : `max_payload: ${options.maxPayload}\n`);
  const server = managed(`nats-server on ${port}`, NATS_BIN, ["-c", config, "-a", HOST, "-p", String(port)], () => natsGreets(port));
  await startAll([server], dir);
  return {
    port,
    url: `nats://${HOST}:${port}`,
    get running() {
      return server.running;
    },
    stop: (signal) => server.stop(signal),
    restart: () => server.start(),
    remove: () => stopAll([server], dir),
  };
}

/** Whether a NATS server on `port` sends its `INFO {…}` greeting. */
function natsGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, HOST);
    let text = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.once("error", () => done(false));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\r\n")) done(text.startsWith("INFO "));
    });
  });
}
