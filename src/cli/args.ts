/** @module Command-line flags: the same on every runtime, each mirroring an environment variable. */

import { ConfigError } from "../config/fields.ts";
import { closest } from "../support/closest.ts";

/** One flag: its value name (none for switches), the env variable it overrides, its default, and help text. */
export interface FlagSpec {
  readonly name: string;
  readonly value?: string;
  readonly env?: string;
  readonly default?: string;
  readonly help: string;
}

export const FLAGS: readonly FlagSpec[] = [
  { name: "host", value: "HOST", env: "REVERB_SERVER_HOST", default: "0.0.0.0", help: "address to listen on" },
  { name: "port", value: "PORT", env: "REVERB_SERVER_PORT", default: "8080", help: "port to listen on" },
  { name: "path", value: "PREFIX", env: "REVERB_SERVER_PATH", help: "serve every route under this path prefix, e.g. /ws" },
  { name: "hostname", value: "NAME", env: "REVERB_HOST", help: "public hostname; with a Herd/Valet certificate for it, serve wss" },
  { name: "config", value: "FILE", help: "JSON config file shaped like config/reverb.php" },
  { name: "metrics-port", value: "PORT", env: "RESOUND_METRICS_PORT", help: "serve Prometheus metrics at GET /metrics on this port (off when unset)" },
  { name: "metrics-host", value: "HOST", env: "RESOUND_METRICS_HOST", default: "127.0.0.1", help: "address of the metrics listener" },
  { name: "dashboard-token", value: "TOKEN", env: "RESOUND_DASHBOARD_TOKEN", help: "serve the dashboard at /dashboard, opened with ?token=TOKEN" },
  { name: "env-file", value: "FILE", default: "./.env", help: "read environment variables from this .env file" },
  { name: "debug", help: "print connections and messages as they happen" },
  { name: "quiet", help: "print nothing at startup except errors" },
  { name: "production", help: "refuse to start without configured app credentials (also APP_ENV=production)" },
  { name: "help", help: "show this help" },
  { name: "version", help: "print the version" },
];

/** Parsed flags: values for flags that take one, true for switches. */
export type Flags = Partial<Record<string, string | true>>;

const SHORT: Record<string, string> = { h: "help", v: "version" };

/** Parses argv (without the runtime and script); unknown flags and stray arguments are errors with a suggestion. */
export function parseArgs(argv: readonly string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue; // the conventional end-of-options marker; everything here is an option anyway
    const match = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new ConfigError(`Unexpected argument ${JSON.stringify(arg)}; options start with --, see --help.`);
    const name = arg.startsWith("--") ? match[1]! : (SHORT[match[1]!] ?? match[1]!);
    const spec = FLAGS.find((flag) => flag.name === name);
    if (!spec) {
      const guess = closest(name, FLAGS.map((flag) => flag.name));
      throw new ConfigError(`Unknown option --${name}${guess ? `; did you mean --${guess}?` : "; see --help."}`);
    }
    if (!spec.value) {
      if (match[2] !== undefined) throw new ConfigError(`--${name} takes no value.`);
      flags[name] = true;
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined || (match[2] === undefined && value.startsWith("--"))) {
      throw new ConfigError(`--${name} needs a value (${spec.value}).`);
    }
    flags[name] = value;
  }
  return flags;
}

/** The --help text. */
export function helpText(command: string): string {
  const lines = FLAGS.map((flag) => {
    const left = `  --${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
    const env = flag.env ? ` [env ${flag.env}]` : "";
    const def = flag.default ? ` (default ${flag.default})` : "";
    return `${left.padEnd(24)} ${flag.help}${env}${def}`;
  });
  return [
    `Usage: ${command} [options]`,
    `       ${command} restart [options]`,
    "",
    "The first serves; restart stops every Resound server of this user on this machine (and, with scaling on, every",
    "node of the cluster) gracefully, so that Supervisor or systemd starts them again with the new code.",
    "",
    "Options:",
    ...lines,
  ].join("\n");
}
