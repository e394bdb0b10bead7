/**
 * @module The dashboard's routes under {path}/dashboard: the page, its live data (Server-Sent Events) and the event
 * creator. Only a token or a session signed with it opens them; anything else gets 401 and learns nothing.
 */

import type { Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { ApiError } from "../errors.ts";
import type { HttpEnv } from "../http/http-env.ts";
import { publishEvent } from "../http/publish-api.ts";
import type { Hub } from "../protocol/hub.ts";
import type { Broker } from "../scaling/broker.ts";
import type { Clock } from "../support/clock.ts";
import { type DashboardState, HISTORY_SECONDS } from "./dashboard-state.ts";
import { isSession, isToken, newSession, SESSION_COOKIE, SESSION_MS } from "./dashboard-session.ts";
import type { DebugEntry, DebugFeed } from "./debug-feed.ts";
import { dashboardPage } from "./dashboard-page.ts";

export interface DashboardRouteOptions {
  readonly token: string;
  /** Route prefix, "" or "/segment". */
  readonly prefix: string;
  readonly hub: Hub;
  readonly broker: Broker;
  readonly state: DashboardState;
  readonly feed: DebugFeed;
  readonly clock: Clock;
}

/** How often an open dashboard gets new figures and debug entries, and the most entries one update carries. */
const TICK_MS = 500;
const MAX_ENTRIES = 200;

/** Adds the dashboard's routes to the server's Hono app. */
export function mountDashboard(app: Hono<HttpEnv>, options: DashboardRouteOptions): void {
  const { token, prefix, hub, broker, state, feed, clock } = options;
  const base = `${prefix}/dashboard`;
  const authorized = (c: Context<HttpEnv>) => isSession(token, getCookie(c, SESSION_COOKIE), clock.now());
  const deny = (c: Context<HttpEnv>) => c.json({ error: "Unauthorized." }, 401, { "Cache-Control": "no-store" });

  app.get(base, (c) => {
    const given = c.req.query("token");
    if (given !== undefined) {
      if (!isToken(token, given)) return deny(c);
      setCookie(c, SESSION_COOKIE, newSession(token, clock.now()), {
        httpOnly: true,
        sameSite: "Strict",
        path: base,
        maxAge: SESSION_MS / 1000,
        // Behind a proxy that terminates TLS the request arrives over http; X-Forwarded-Proto tells. (A false
        // "https" only makes a cookie the sender's own browser will not return over http.)
        secure: new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https",
      });
      return c.redirect(base, 303); // the token leaves the address bar and the history
    }
    if (!authorized(c)) return deny(c);
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    return c.html(dashboardPage(nonce, base), 200, {
      "Content-Security-Policy":
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
    });
  });

  app.get(`${base}/stream`, (c) => {
    if (!authorized(c)) return deny(c);
    c.header("Cache-Control", "no-store");
    c.header("X-Accel-Buffering", "no"); // nginx passes each update on at once instead of buffering the stream
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => void (open = false));
      const pending: DebugEntry[] = [];
      let skipped = 0;
      const stop = feed.subscribe((entry) => {
        if (pending.length < MAX_ENTRIES) pending.push(entry);
        else skipped++;
      });
      try {
        await stream.writeSSE({ event: "hello", data: JSON.stringify(hello(hub, broker, state)) });
        while (open) {
          await stream.sleep(TICK_MS);
          const entries = pending.splice(0);
          await stream.writeSSE({ event: "tick", data: JSON.stringify({ ...tick(broker, state), entries, skipped }) });
          skipped = 0;
        }
      } finally {
        stop();
      }
    });
  });

  app.post(`${base}/events`, async (c) => {
    if (!authorized(c)) return deny(c);
    // The session cookie is SameSite=Strict; a JSON body and an Origin of this host close the door on cross-site
    // posts too. Hosts, not origins: behind a proxy that terminates TLS the page is https and the request http.
    const origin = c.req.header("origin");
    if (origin !== undefined && originHost(origin) !== new URL(c.req.url).host) return deny(c);
    if (!c.req.header("content-type")?.startsWith("application/json")) throw new ApiError(400, "Send the event as JSON.");
    let body: { app?: unknown; channel?: unknown; name?: unknown; data?: unknown };
    try {
      body = await c.req.json();
    } catch {
      throw new ApiError(400, "The request body is not valid JSON.");
    }
    const target = hub.apps.findById(String(body.app ?? ""));
    if (!target) throw new ApiError(422, "Pick an app.", { app: ["Pick an app."] });
    // The same checks and the same path as POST /apps/{id}/events (no info or socket_id: nothing to await).
    publishEvent(broker, hub.events, target, new TextEncoder().encode(JSON.stringify({ name: body.name, channel: body.channel, data: body.data })));
    return c.json({ published: true });
  });

  // In this order: Hono's `${base}/*` matches `${base}` too.
  app.all(base, (c) => (authorized(c) ? c.json({ error: "Method not allowed." }, 405, { Allow: "GET" }) : deny(c)));
  app.all(`${base}/*`, (c) => (authorized(c) ? c.json({ error: "Not found." }, 404) : deny(c)));
}

/** The host (and port) of an Origin header, or undefined when it is not a URL ("null" from sandboxed pages). */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** The first message: apps, history and everything current. */
function hello(hub: Hub, broker: Broker, state: DashboardState) {
  const keys = ["*", ...hub.apps.all().map((app) => app.id)];
  return {
    apps: hub.apps.all().map((app) => app.id),
    historySeconds: HISTORY_SECONDS,
    history: Object.fromEntries(keys.map((key) => [key, state.series(key) ?? null])),
    ...tick(broker, state),
  };
}

/** What changes from one update to the next. */
function tick(broker: Broker, state: DashboardState) {
  const cluster = broker.clusterStatus();
  return {
    time: Date.now(), // wall time for the page's clock, whatever clock the core runs on
    sample: state.samples,
    redis: cluster ? cluster.connected : null,
    figures: Object.fromEntries(state.figuresNow()),
    nodes: state.nodes() ?? null,
    busiest: state.busiest(),
  };
}
