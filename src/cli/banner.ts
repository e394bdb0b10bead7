/** @module The startup banner: Reverb's "Starting server on …" line, then where to connect and what is configured. */

import type { LoadedConfig } from "../config/load-config.ts";
import { VERSION } from "../version.ts";
import type { Host } from "./host.ts";
import type { TlsChoice } from "./tls.ts";
import { hostOf } from "./certificates.ts";

const RUNTIME_NAMES = { node: "Node", bun: "Bun", deno: "Deno" } as const;

/** The banner lines, joined. */
export function banner(options: {
  host: Host;
  config: LoadedConfig;
  port: number;
  tls: TlsChoice;
  cluster?: string | undefined;
  /** Set when the app is the generated development app: where its credentials live. */
  development?: string | undefined;
  /** Where Prometheus metrics are served, when they are. */
  metrics?: string | undefined;
  /** The dashboard, when it is on: its token, and whether it was generated (then the banner prints the link with it). */
  dashboard?: { readonly token: string; readonly generated: boolean } | undefined;
}): string {
  const { host, config, port, tls } = options;
  const secure = tls.material !== null;
  const { server, apps } = config;
  const hostname = server.hostname && server.hostname !== server.host ? ` (${server.hostname})` : "";
  const publicHost = bracketed(server.hostname ? hostOf(server.hostname) : server.host === "0.0.0.0" || server.host === "::" ? "localhost" : server.host);
  const base = `${publicHost}:${port}${server.path}`;
  const lines = [
    `Resound ${VERSION} on ${RUNTIME_NAMES[host.runtime.name]} ${host.runtime.version}`,
    `Starting ${secure ? "secure " : ""}server on ${bracketed(server.host)}:${port}${server.path}${hostname}`,
    `  WebSocket  ${secure ? "wss" : "ws"}://${base}/app/{key}`,
    `  HTTP API   ${secure ? "https" : "http"}://${base}/apps/{app id}`,
    `  Apps       ${apps.map((app) => `${app.id} (key ${app.key})`).join(", ")}`,
    ...(tls.note ? [`  TLS        ${tls.note}`] : []),
    `  Scaling    ${options.cluster ? `on (${options.cluster})` : "off"}`,
    `  Debug      ${config.debug ? "on" : "off"}`,
    ...(options.metrics ? [`  Metrics    ${options.metrics}`] : []),
  ];
  if (options.dashboard) {
    // Like Jupyter: a link that opens a session. A configured token is the operator's secret: only the address.
    const url = `${secure ? "https" : "http"}://${base}/dashboard`;
    lines.push(`  Dashboard  ${options.dashboard.generated ? `${url}?token=${options.dashboard.token}` : `${url} (open it with ?token=<your dashboard token>)`}`);
  }
  if (config.envFile) lines.push(`  .env       ${config.envFile}`);
  if (config.configFile) lines.push(`  Config     ${config.configFile}`);
  if (options.development) {
    lines.push("", `No app is configured, so this is a development app (${options.development}).`);
    lines.push("Set REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET (or use --config) to use your own.");
  }
  const app = apps[0];
  if (app) {
    lines.push("", `Laravel .env for app ${app.id}:`);
    const vars: Array<[string, string]> = [
      ["BROADCAST_CONNECTION", "reverb"],
      ["REVERB_APP_ID", app.id],
      ["REVERB_APP_KEY", app.key],
      // Banners end up in process logs: only the generated development app's secret (which exists to be pasted) is shown.
      ["REVERB_APP_SECRET", options.development && !config.production ? app.secret : "(your app's secret; not printed)"],
      ["REVERB_HOST", publicHost],
      // Behind a proxy clients use its port and scheme: the ones already set (REVERB_PORT, REVERB_SCHEME) are kept.
      ["REVERB_PORT", String(server.clientPort ?? port)],
      ["REVERB_SCHEME", server.clientScheme ?? (secure ? "https" : "http")],
      ...(server.path ? [["REVERB_SERVER_PATH", server.path] as [string, string]] : []),
      ["VITE_REVERB_APP_KEY", '"${REVERB_APP_KEY}"'],
      ["VITE_REVERB_HOST", '"${REVERB_HOST}"'],
      ["VITE_REVERB_PORT", '"${REVERB_PORT}"'],
      ["VITE_REVERB_SCHEME", '"${REVERB_SCHEME}"'],
    ];
    for (const [name, value] of vars) lines.push(`  ${name}=${value}`);
  }
  return lines.join("\n");
}

/** An IPv6 address as URLs (and pusher-js's wsHost) need it: in brackets. */
function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
