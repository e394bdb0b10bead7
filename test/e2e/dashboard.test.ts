/**
 * @module The dashboard in a real browser (headless Chromium) on every runtime: a token opens it, live traffic from
 * pusher-js and the pusher SDK shows up (channel and event names, changing counts), the event creator publishes,
 * nothing is fetched from elsewhere, the browser logs no error, and a wrong token or no session gets 401.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { connected, nextEvent, pusherClient, serverSdk, writeConfig } from "../support/e2e-server.ts";
import { launchBrowser } from "../support/browser.ts";
import { APP_A } from "../support/fixtures.ts";
import { type RunningServer, RUNTIMES, startServer } from "../support/spawn.ts";

const TOKEN = "dashboard-test-token-0123456789";

describe("dashboard", () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  for (const runtime of RUNTIMES) {
    describe(runtime, () => {
      let server: RunningServer;
      const origin = () => `http://127.0.0.1:${server.port}`;
      before(async () => {
        server = await startServer(runtime, { args: ["--config", writeConfig(), "--dashboard-token", TOKEN] });
      });
      after(async () => {
        await server?.stop();
      });

      it("refuses a wrong token, a missing session and its data without one, revealing nothing", async () => {
        for (const path of [`/dashboard?token=wrong-token-wrong-token`, "/dashboard", "/dashboard/stream", "/dashboard/anything"]) {
          const response = await fetch(origin() + path, { redirect: "manual" });
          assert.equal(response.status, 401, path);
          const body = await response.text();
          assert.equal(body, '{"error":"Unauthorized."}', path);
        }
        const post = await fetch(origin() + "/dashboard/events", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
        assert.equal(post.status, 401);
        assert.match(server.output(), /Dashboard  http:\/\/127\.0\.0\.1:\d+\/dashboard \(open it with \?token=<your dashboard token>\)/);
        assert.doesNotMatch(server.output(), new RegExp(TOKEN), "a configured token is never printed");
      });

      it("opens with the token, shows live traffic, publishes from the event creator; no outside request, no browser error", async () => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (message) => { if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`); });
        page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
        page.on("request", (request) => void requests.push(request.url()));
        const client = pusherClient(server.port, APP_A.key);
        try {
          await page.goto(`${origin()}/dashboard?token=${TOKEN}`);
          assert.equal(page.url(), `${origin()}/dashboard`, "redirected to the clean address");
          const cookies = await context.cookies();
          const session = cookies.find((cookie) => cookie.name === "resound_dashboard");
          assert.ok(session?.httpOnly && session.sameSite === "Strict", "an HttpOnly, SameSite=Strict session cookie");
          await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("live"));

          await connected(client);
          const channel = client.subscribe("dash-orders");
          await nextEvent(channel, "pusher:subscription_succeeded");
          await serverSdk(server.port).trigger("dash-orders", "OrderShipped", { id: 42 });
          await page.waitForFunction(() => {
            const log = document.querySelector("#log")?.textContent ?? "";
            return log.includes("dash-orders") && log.includes("OrderShipped") && log.includes("subscribed");
          }, undefined, { timeout: 10_000 });
          await page.waitForFunction(() => document.querySelector("#c-connections")?.textContent === "1", undefined, { timeout: 10_000 });
          await page.waitForFunction(() => document.querySelector("#busiest")?.textContent?.includes("dash-orders"), undefined, { timeout: 10_000 });

          // The event creator goes through the HTTP API's checks and path.
          const received = nextEvent(channel, "from-dashboard", 10_000);
          await page.fill("#e-channel", "dash-orders");
          await page.fill("#e-name", "from-dashboard");
          await page.fill("#e-data", '{"hello": "browser"}');
          await page.click("#creator button[type=submit]");
          assert.deepEqual(await received, { hello: "browser" });
          await page.waitForFunction(() => document.querySelector("#sent")?.textContent?.startsWith("Sent"));

          // DASHBOARD_SCREENSHOT=path writes the README's picture while traffic is on screen.
          if (process.env.DASHBOARD_SCREENSHOT && runtime === RUNTIMES[0]) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });
          client.disconnect();
          await page.waitForFunction(() => document.querySelector("#c-connections")?.textContent === "0", undefined, { timeout: 10_000 });
          assert.deepEqual(requests.filter((url) => !url.startsWith(origin())), [], "nothing is fetched from elsewhere");
          assert.deepEqual(problems, [], "the browser logged no error or warning");
        } finally {
          client.disconnect();
          await context.close();
        }
      });
    });
  }
});
