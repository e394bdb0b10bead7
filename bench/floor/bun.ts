/** @module Floor server on Bun (Bun.serve, topic pub/sub): the least a Pusher server does. `bun bench/floor/bun.ts HOST PORT` */

const [host = "127.0.0.1", port = "8080"] = process.argv.slice(2);
let ids = 0;
interface Session {
  id: string;
}

function broadcast(server: Bun.Server<Session>, event: { name: string; data: string; channel?: string; channels?: string[] }): void {
  for (const channel of event.channels ?? [event.channel!]) {
    server.publish(channel, JSON.stringify({ event: event.name, data: event.data, channel }));
  }
}

async function api(request: Request, server: Bun.Server<Session>): Promise<Response> {
  if (request.method === "POST" && /^\/apps\/[^/]+\/(batch_)?events/.test(new URL(request.url).pathname)) {
    const body = JSON.parse(await request.text());
    for (const event of body.batch ?? [body]) broadcast(server, event);
  }
  return new Response("{}", { headers: { "content-type": "application/json" } });
}

Bun.serve<Session>({
  hostname: host,
  port: Number(port),
  fetch(request, server) {
    if (request.headers.get("upgrade") !== "websocket") return api(request, server);
    const data = { id: `${++ids}.${Math.floor(Math.random() * 1e9)}` };
    return server.upgrade(request, { data }) ? undefined : new Response("upgrade failed", { status: 400 });
  },
  websocket: {
    maxPayloadLength: 16 * 1024 * 1024,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
    open(ws) {
      const data = JSON.stringify({ socket_id: ws.data.id, activity_timeout: 30 });
      ws.send(JSON.stringify({ event: "pusher:connection_established", data }));
    },
    message(ws, raw) {
      const message = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
      if (message.event === "pusher:ping") ws.send('{"event":"pusher:pong","data":"{}"}');
      if (message.event !== "pusher:subscribe") return;
      const channel: string = message.data.channel;
      ws.subscribe(channel);
      ws.send(JSON.stringify({ event: "pusher_internal:subscription_succeeded", data: "{}", channel }));
    },
    ping() {},
    pong() {},
    close() {}, // Bun drops a closed socket's topic subscriptions itself
  },
});
