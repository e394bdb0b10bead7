/** @module Floor server on Deno (Deno.serve + Deno.upgradeWebSocket): the least a Pusher server does. `deno run --allow-net bench/floor/deno.ts HOST PORT` */

import process from "node:process";

const [host = "127.0.0.1", port = "8080"] = process.argv.slice(2);
const channels = new Map<string, Set<WebSocket>>();
let ids = 0;

function broadcast(event: { name: string; data: string; channel?: string; channels?: string[] }): void {
  for (const channel of event.channels ?? [event.channel!]) {
    const frame = JSON.stringify({ event: event.name, data: event.data, channel });
    for (const socket of channels.get(channel) ?? []) socket.send(frame);
  }
}

function accept(socket: WebSocket): void {
  const joined: string[] = [];
  socket.onopen = () => {
    const data = JSON.stringify({ socket_id: `${++ids}.${Math.floor(Math.random() * 1e9)}`, activity_timeout: 30 });
    socket.send(JSON.stringify({ event: "pusher:connection_established", data }));
  };
  socket.onmessage = (event: MessageEvent) => {
    const message = JSON.parse(event.data as string);
    if (message.event === "pusher:ping") socket.send('{"event":"pusher:pong","data":"{}"}');
    if (message.event !== "pusher:subscribe") return;
    const channel: string = message.data.channel;
    let subscribers = channels.get(channel);
    if (!subscribers) channels.set(channel, (subscribers = new Set()));
    subscribers.add(socket);
    joined.push(channel);
    socket.send(JSON.stringify({ event: "pusher_internal:subscription_succeeded", data: "{}", channel }));
  };
  socket.onclose = () => {
    for (const channel of joined) {
      const subscribers = channels.get(channel)!;
      subscribers.delete(socket);
      if (subscribers.size === 0) channels.delete(channel);
    }
  };
  socket.onerror = () => {};
}

Deno.serve({ hostname: host, port: Number(port), onListen: () => {} }, async (request) => {
  if (request.headers.get("upgrade") === "websocket") {
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    accept(socket);
    return response;
  }
  const url = new URL(request.url);
  if (request.method === "POST" && /^\/apps\/[^/]+\/(batch_)?events/.test(url.pathname)) {
    const body = JSON.parse(await request.text());
    for (const event of body.batch ?? [body]) broadcast(event);
  }
  return new Response("{}", { headers: { "content-type": "application/json" } });
});
