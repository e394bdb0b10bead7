/** @module Loads the configuration: flags > --config file > environment (real env over .env) > defaults. */

import type { App } from "../apps/app.ts";
import type { Flags } from "../cli/args.ts";
import { resolvePath } from "../support/paths.ts";
import { type Config, type ConfigLayer, DEFAULT_APP, mergeLayers, setKeys } from "./config.ts";
import { DotenvError, parseDotenv } from "./dotenv.ts";
import { APP_ENV_NAMES, type AppSettings, envAppSettings, envLayer } from "./env-layer.ts";
import { ConfigError, Host, OptionalText, parseValue, PathPrefix, Port, Token } from "./fields.ts";
import { fileLayer } from "./file-layer.ts";
import { findJsonSyntaxError } from "./json-syntax.ts";

/** What loading needs from the outside world (implemented by the runtime shims). */
export interface ConfigSources {
  readonly flags: Flags;
  /** The real process environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory the user started in; relative --config and --env-file paths resolve against it. */
  readonly cwd: string;
  /** File contents, or undefined when the file does not exist; throws (with a message) when unreadable. */
  readTextFile(path: string): string | undefined;
  /** Whether production needs configured apps (the start command); restarting needs none. Default true. */
  readonly appsRequired?: boolean;
}

/** The configuration plus where it came from, for the banner. */
export interface LoadedConfig extends Config {
  readonly envFile: string | undefined;
  readonly configFile: string | undefined;
  /** The environment as the server sees it (.env values under real variables). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --production or APP_ENV=production: no development app, no secrets in the banner. */
  readonly production: boolean;
  /** The REVERB_APP_* settings (validated) a development app takes when no app is configured. */
  readonly developmentSettings: AppSettings;
}

/** Reads and validates every source; throws ConfigError with a one-line explanation on the first problem. */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const { flags } = sources;
  const { env, envFile } = readEnvironment(sources);
  const configFile = typeof flags["config"] === "string" ? resolvePath(sources.cwd, flags["config"]) : undefined;
  const file = configFile ? fileLayer(readJson(sources, configFile), configFile) : undefined;
  const fileHasApps = (file?.apps?.length ?? 0) > 0;
  const layers: ConfigLayer[] = [envLayer(env, !fileHasApps), ...(file ? [file] : []), flagLayer(flags)];
  const merged = mergeLayers(layers);
  const production = flags["production"] === true || env["APP_ENV"] === "production";
  checkApps(merged.apps, configFile, production && sources.appsRequired !== false);
  // Read (and so validated) even without credentials: a bad REVERB_APP_* value is an error whether or not they are
  // set. A config file that lists apps replaces the REVERB_APP_* variables altogether.
  const developmentSettings = fileHasApps ? DEFAULT_APP : envAppSettings(env);
  return { ...merged, envFile, configFile, env, production, developmentSettings };
}

function readEnvironment(sources: ConfigSources): { env: Record<string, string | undefined>; envFile: string | undefined } {
  const explicit = typeof sources.flags["env-file"] === "string";
  const path = resolvePath(sources.cwd, explicit ? String(sources.flags["env-file"]) : ".env");
  const text = readFile(sources, path, "--env-file");
  if (text === undefined) {
    if (explicit) throw new ConfigError(`--env-file ${path} does not exist; pass the path of your Laravel .env file.`);
    return { env: { ...sources.env }, envFile: undefined };
  }
  try {
    return { env: { ...parseDotenv(text, sources.env), ...sources.env }, envFile: path };
  } catch (error) {
    if (error instanceof DotenvError) throw new ConfigError(`${path} line ${error.line}: ${error.message}.`);
    throw error;
  }
}

function readJson(sources: ConfigSources, path: string): unknown {
  const text = readFile(sources, path, "--config");
  if (text === undefined) throw new ConfigError(`--config ${path} does not exist; pass the path of a JSON config file.`);
  const syntax = findJsonSyntaxError(text);
  if (syntax) {
    throw new ConfigError(`${path} is not valid JSON: ${syntax.problem} at line ${syntax.line}, column ${syntax.column}.`);
  }
  return JSON.parse(text);
}

function readFile(sources: ConfigSources, path: string, flag: string): string | undefined {
  try {
    return sources.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${flag} ${path} cannot be read: ${reason}.`);
  }
}

function flagLayer(flags: Flags): ConfigLayer {
  const value = (name: string) => (typeof flags[name] === "string" ? flags[name] : undefined);
  const pick = <T>(name: string, parse: (raw: string) => T) => {
    const raw = value(name);
    return raw === undefined ? undefined : parse(raw);
  };
  return {
    server: setKeys({
      host: pick("host", (raw) => parseValue(Host, raw, "--host")),
      port: pick("port", (raw) => parseValue(Port, raw, "--port")),
      path: pick("path", (raw) => parseValue(PathPrefix, raw, "--path")),
      hostname: pick("hostname", (raw) => parseValue(OptionalText, raw, "--hostname")),
      metricsPort: pick("metrics-port", (raw) => parseValue(Port, raw, "--metrics-port")),
      metricsHost: pick("metrics-host", (raw) => parseValue(Host, raw, "--metrics-host")),
      dashboardToken: pick("dashboard-token", (raw) => parseValue(Token, raw, "--dashboard-token")),
    }),
    ...(flags["debug"] === true && { debug: true }),
  };
}

/** Apps must be unique; none at all is only allowed outside production (a development app is made then). */
function checkApps(apps: readonly App[], configFile: string | undefined, production: boolean): void {
  if (apps.length === 0 && production) {
    throw new ConfigError(
      `No app is configured, and in production Resound makes no development app. Set ${APP_ENV_NAMES.join(", ")} (in the environment or .env)` +
        (configFile ? `, or list apps in ${configFile}.` : ", or pass --config FILE with an \"apps\" list."),
    );
  }
  for (const field of ["id", "key"] as const) {
    const seen = new Set<string>();
    for (const app of apps) {
      if (seen.has(app[field])) {
        const name = field === "id" ? "app_id" : "key";
        throw new ConfigError(`Two apps have the ${name} ${JSON.stringify(app[field])}${configFile ? ` in ${configFile}` : ""}; each app needs its own ${name}.`);
      }
      seen.add(app[field]);
    }
  }
}
