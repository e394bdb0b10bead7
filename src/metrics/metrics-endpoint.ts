/** @module The metrics listener's only route: GET /metrics in the Prometheus text format. */

import type { Metrics } from "./metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.ts";

/** A fetch handler for the metrics port: GET (or HEAD) /metrics, 405 for other methods there, 404 elsewhere. */
export function metricsFetch(metrics: Metrics): (request: Request) => Response {
  return (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== "/metrics") return Response.json({ error: "Not found; metrics are at /metrics." }, { status: 404 });
    if (request.method !== "GET" && request.method !== "HEAD") {
      return Response.json({ error: "Method not allowed." }, { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    return new Response(request.method === "HEAD" ? null : metrics.render(), { headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE } });
  };
}
