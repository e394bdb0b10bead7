/**
 * @module The dashboard page: one self-contained document (no build step, no external script, style or font), so it
 * works offline and behind any firewall. Its script and style carry the response's CSP nonce.
 */

/** The page, for the dashboard served at `base`. */
export function dashboardPage(nonce: string, base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Resound dashboard</title>
<style nonce="${nonce}">
:root { --bg: #f6f7f9; --panel: #fff; --text: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #4f46e5; --good: #12b76a; --bad: #d92d20; --warn: #f79009; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1320; --panel: #171c2c; --text: #e6e8ee; --muted: #98a2b3; --line: #283046; --accent: #8b87ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; gap: 16px; padding: 12px 20px; background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 16px; margin: 0; }
header .status { color: var(--muted); font-size: 13px; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); margin-right: 6px; vertical-align: middle; }
.dot.on { background: var(--good); } .dot.off { background: var(--bad); }
select, input, textarea, button { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
button { background: var(--accent); color: #fff; border: none; cursor: pointer; }
button.secondary { background: var(--bg); color: var(--text); border: 1px solid var(--line); }
main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(12, 1fr); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 10px; }
.cards { grid-column: span 12; display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; background: none; border: none; padding: 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; }
.chart { grid-column: span 4; }
.chart canvas { width: 100%; height: 140px; display: block; }
.legend { font-size: 12px; color: var(--muted); display: flex; gap: 12px; margin-top: 6px; }
.legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; }
.legend i.accent { background: var(--accent); } .legend i.good { background: var(--good); } .legend i.bad { background: var(--bad); }
.spacer { flex: 1; }
.wide { grid-column: span 8; } .narrow { grid-column: span 4; } .full { grid-column: span 12; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 360px; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; }
#log { height: 320px; overflow: auto; font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#log div { padding: 2px 0; border-bottom: 1px dashed var(--line); white-space: pre-wrap; word-break: break-all; }
#log .t { color: var(--muted); } #log .k { font-weight: 600; } #log .error { color: var(--bad); }
.toolbar { display: flex; gap: 8px; margin-bottom: 8px; flex-wrap: wrap; }
.toolbar input { flex: 1; min-width: 160px; }
form { display: grid; gap: 8px; }
form label { display: grid; gap: 4px; font-size: 12px; color: var(--muted); }
#sent { font-size: 12px; color: var(--muted); min-height: 1.2em; }
@media (max-width: 1000px) { .chart, .wide, .narrow { grid-column: span 12; } }
</style>
</head>
<body>
<header>
  <h1>Resound</h1>
  <span class="status" id="status"><span class="dot"></span>connecting…</span>
  <span class="status" id="redis"></span>
  <span class="spacer"></span>
  <label class="status">App <select id="app"><option value="*">All apps</option></select></label>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Connections</div><div class="value" id="c-connections">–</div><div class="sub" id="c-cluster"></div></div>
    <div class="card"><div class="label">Channels</div><div class="value" id="c-channels">–</div><div class="sub" id="c-types"></div></div>
    <div class="card"><div class="label">Presence members</div><div class="value" id="c-members">–</div><div class="sub">this node</div></div>
    <div class="card"><div class="label">Messages in / s</div><div class="value" id="c-in">–</div><div class="sub">from clients, this node</div></div>
    <div class="card"><div class="label">Messages out / s</div><div class="value" id="c-out">–</div><div class="sub">to clients, this node</div></div>
    <div class="card"><div class="label">HTTP API / s</div><div class="value" id="c-http">–</div><div class="sub" id="c-errors"></div></div>
    <div class="card"><div class="label">Rate-limited / s</div><div class="value" id="c-limited">–</div><div class="sub">client messages refused</div></div>
  </div>
  <section class="chart"><h2>Connections (cluster)</h2><canvas id="chart-connections"></canvas><div class="legend">last 15 minutes</div></section>
  <section class="chart"><h2>Messages per second</h2><canvas id="chart-messages"></canvas><div class="legend"><span><i class="accent"></i>in</span><span><i class="good"></i>out</span></div></section>
  <section class="chart"><h2>HTTP API per second</h2><canvas id="chart-http"></canvas><div class="legend"><span><i class="accent"></i>requests</span><span><i class="bad"></i>errors</span></div></section>
  <section class="wide"><h2>Debug console (this node)</h2>
    <div class="toolbar"><input id="filter" placeholder="Filter: channel, event, socket id, type…"><button class="secondary" id="pause">Pause</button><button class="secondary" id="clear">Clear</button></div>
    <div id="log"></div>
  </section>
  <section class="narrow"><h2>Event creator</h2>
    <form id="creator">
      <label>App <select id="e-app"></select></label>
      <label>Channel <input id="e-channel" value="my-channel" required></label>
      <label>Event <input id="e-name" value="my-event" required></label>
      <label>Data (JSON) <textarea id="e-data" rows="4">{"message": "hello"}</textarea></label>
      <button type="submit">Send event</button>
      <div id="sent"></div>
    </form>
  </section>
  <section class="wide"><h2>Busiest channels</h2><table><thead><tr><th>App</th><th>Channel</th><th class="num">Subscriptions</th></tr></thead><tbody id="busiest"></tbody></table></section>
  <section class="narrow"><h2>Nodes</h2><table><thead><tr><th>Node</th><th class="num">Connections</th><th class="num">In/s</th><th class="num">Out/s</th></tr></thead><tbody id="nodes"></tbody></table></section>
</main>
<script nonce="${nonce}">
"use strict";
const base = ${JSON.stringify(base)};
const $ = (id) => document.getElementById(id);
const fmt = (n) => n === null || n === undefined ? "–" : Number(n).toLocaleString();
let history = {}, historySeconds = 900, latest = null, paused = false, sample = -1;
const appSelect = $("app"), eventApp = $("e-app");

function text(el, value) { el.textContent = value; }
function row(cells) { const tr = document.createElement("tr"); for (const [value, num] of cells) { const td = document.createElement("td"); if (num) td.className = "num"; td.textContent = value; tr.append(td); } return tr; }

function draw(canvas, series, colors) {
  const ratio = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * ratio; canvas.height = h * ratio;
  const g = canvas.getContext("2d"); g.scale(ratio, ratio); g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...series.flat());
  const css = getComputedStyle(document.documentElement);
  g.strokeStyle = css.getPropertyValue("--line"); g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) { const y = 4 + (h - 18) * i / 4; g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke(); }
  g.fillStyle = css.getPropertyValue("--muted"); g.font = "11px system-ui"; g.fillText(fmt(Math.round(max)), 2, 14);
  series.forEach((values, i) => {
    g.strokeStyle = css.getPropertyValue(colors[i]); g.lineWidth = 1.5; g.beginPath();
    values.forEach((v, x) => { const px = w * (x + historySeconds - values.length) / (historySeconds - 1); const py = 4 + (h - 18) * (1 - v / max); x ? g.lineTo(px, py) : g.moveTo(px, py); });
    g.stroke();
  });
}

function render() {
  if (!latest) return;
  const key = appSelect.value, f = latest.figures[key] || latest.figures["*"];
  if (f) {
    text($("c-connections"), fmt(f.connections));
    text($("c-cluster"), latest.nodes ? fmt(f.clusterConnections) + " in the cluster" : "this node");
    const types = Object.entries(f.channels).filter(([, n]) => n > 0).map(([t, n]) => n + " " + t).join(", ");
    text($("c-channels"), fmt(Object.values(f.channels).reduce((a, b) => a + b, 0)));
    text($("c-types"), types || "none");
    text($("c-members"), fmt(f.members));
    text($("c-in"), fmt(f.messagesIn)); text($("c-out"), fmt(f.messagesOut));
    text($("c-http"), fmt(f.http)); text($("c-errors"), fmt(f.httpErrors) + " errors");
    text($("c-limited"), fmt(f.rateLimited));
  }
  const h = history[key];
  if (h) {
    draw($("chart-connections"), [h.clusterConnections], ["--accent"]);
    draw($("chart-messages"), [h.messagesIn, h.messagesOut], ["--accent", "--good"]);
    draw($("chart-http"), [h.http, h.httpErrors], ["--accent", "--bad"]);
  }
  const busiest = $("busiest"); busiest.replaceChildren(...latest.busiest.filter((b) => key === "*" || b.app === key).map((b) => row([[b.app], [b.channel], [fmt(b.subscriptions), true]])));
  const nodes = $("nodes");
  nodes.replaceChildren(...(latest.nodes || [{ id: "this node", self: true, connections: (latest.figures["*"] || {}).connections, messagesIn: (latest.figures["*"] || {}).messagesIn, messagesOut: (latest.figures["*"] || {}).messagesOut }])
    .map((n) => row([[n.id + (n.self ? " (this)" : "")], [fmt(n.connections), true], [fmt(n.messagesIn), true], [fmt(n.messagesOut), true]])));
  text($("redis"), latest.redis === null ? "" : (latest.redis ? "Broker connected" : "Broker unreachable"));
}

function addToHistory(figures) {
  for (const [key, f] of Object.entries(figures)) {
    const h = history[key] || (history[key] = { clusterConnections: [], messagesIn: [], messagesOut: [], http: [], httpErrors: [] });
    for (const name of Object.keys(h)) { h[name].push(f[name]); if (h[name].length > historySeconds) h[name].shift(); }
  }
}

function log(entries, skipped) {
  if (paused) return;
  const box = $("log"), filter = $("filter").value.toLowerCase(), atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  for (const e of entries) {
    const line = document.createElement("div");
    const t = document.createElement("span"); t.className = "t"; t.textContent = new Date(e.time).toLocaleTimeString() + "  ";
    const k = document.createElement("span"); k.className = "k" + (e.type === "error" ? " error" : ""); k.textContent = e.type;
    const rest = [e.app && "app " + e.app, e.socketId && "socket " + e.socketId, e.channel && "channel " + e.channel, e.event && "event " + e.event, e.detail].filter(Boolean).join("  ");
    line.append(t, k, document.createTextNode("  " + rest));
    line.dataset.search = (e.type + " " + rest).toLowerCase();
    if (filter && !line.dataset.search.includes(filter)) line.hidden = true;
    box.append(line);
  }
  if (skipped) { const more = document.createElement("div"); more.className = "t"; more.textContent = "… " + skipped + " more events not shown"; box.append(more); }
  while (box.childElementCount > 2000) box.firstElementChild.remove();
  if (atEnd) box.scrollTop = box.scrollHeight;
}

$("filter").addEventListener("input", () => { const f = $("filter").value.toLowerCase(); for (const line of $("log").children) line.hidden = !!f && !(line.dataset.search || "").includes(f); });
$("pause").addEventListener("click", () => { paused = !paused; text($("pause"), paused ? "Resume" : "Pause"); });
$("clear").addEventListener("click", () => $("log").replaceChildren());
appSelect.addEventListener("change", render);
window.addEventListener("resize", render);

$("creator").addEventListener("submit", async (event) => {
  event.preventDefault();
  let data = $("e-data").value;
  try { data = JSON.stringify(JSON.parse(data)); } catch { text($("sent"), "Data must be JSON."); return; }
  const response = await fetch(base + "/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ app: eventApp.value, channel: $("e-channel").value, name: $("e-name").value, data }) });
  const body = await response.json().catch(() => ({}));
  text($("sent"), response.ok ? "Sent " + $("e-name").value + " to " + $("e-channel").value + "." : (body.error || Object.values(body).flat().join(" ") || "Refused (" + response.status + ")."));
});

const source = new EventSource(base + "/stream");
source.addEventListener("hello", (message) => {
  const data = JSON.parse(message.data);
  historySeconds = data.historySeconds;
  history = {};
  for (const [key, series] of Object.entries(data.history)) if (series) history[key] = series;
  const known = new Set([...appSelect.options].map((o) => o.value));
  for (const id of data.apps) {
    if (!known.has(id)) appSelect.append(new Option("App " + id, id));
    if (![...eventApp.options].some((o) => o.value === id)) eventApp.append(new Option(id, id));
  }
  latest = data; sample = data.sample; render();
});
source.addEventListener("tick", (message) => {
  const data = JSON.parse(message.data);
  if (data.sample !== sample) { sample = data.sample; addToHistory(data.figures); }
  latest = data; render(); log(data.entries, data.skipped);
});
source.addEventListener("open", () => { $("status").innerHTML = ""; const dot = document.createElement("span"); dot.className = "dot on"; $("status").append(dot, "live"); });
source.addEventListener("error", () => { $("status").innerHTML = ""; const dot = document.createElement("span"); dot.className = "dot off"; $("status").append(dot, "reconnecting…"); });
</script>
</body>
</html>`;
}
