/** @module The startup banner: Reverb's "Starting server on …" line, then where to connect and what is configured. */

import type { LoadedConfig } from "../config/load-config.ts";
import { VERSION } from "../version.ts";
import type { Host } from "./host.ts";
import type { TlsChoice } from "./tls.ts";

const RUNTIME_NAMES = { node: "Node", bun: "Bun", deno: "Deno" } as const;

/** The banner lines, joined. */
export function banner(options: { host: Host; config: LoadedConfig; port: number; tls: TlsChoice; cluster?: string | undefined }): string {
  const { host, config, port, tls } = options;
  const secure = tls.material !== null;
  const { server, apps } = config;
  const hostname = server.hostname && server.hostname !== server.host ? ` (${server.hostname})` : "";
  const publicHost = server.hostname ?? (server.host === "0.0.0.0" || server.host === "::" ? "localhost" : server.host);
  const base = `${publicHost}:${port}${server.path}`;
  const lines = [
    `Resound ${VERSION} on ${RUNTIME_NAMES[host.runtime.name]} ${host.runtime.version}`,
    `Starting ${secure ? "secure " : ""}server on ${server.host}:${port}${server.path}${hostname}`,
    `  WebSocket  ${secure ? "wss" : "ws"}://${base}/app/{key}`,
    `  HTTP API   ${secure ? "https" : "http"}://${base}/apps/{app id}`,
    `  Apps       ${apps.map((app) => `${app.id} (key ${app.key})`).join(", ")}`,
    ...(tls.note ? [`  TLS        ${tls.note}`] : []),
    `  Scaling    ${options.cluster ? `on (${options.cluster})` : "off"}`,
    `  Debug      ${config.debug ? "on" : "off"}`,
  ];
  if (config.envFile) lines.push(`  .env       ${config.envFile}`);
  if (config.configFile) lines.push(`  Config     ${config.configFile}`);
  return lines.join("\n");
}
