/** @module Floor server on Node (node:http + ws): the least a Pusher server does. `node --import tsx bench/floor/node.ts HOST PORT` */

import { createServer } from "node:http";
import { WebSocket, WebSocketServer } from "ws";

const [host = "127.0.0.1", port = "8080"] = process.argv.slice(2);
const channels = new Map<string, Set<WebSocket>>();
const joined = new WeakMap<WebSocket, string[]>();
let ids = 0;

function broadcast(event: { name: string; data: string; channel?: string; channels?: string[] }): void {
  for (const channel of event.channels ?? [event.channel!]) {
    const frame = JSON.stringify({ event: event.name, data: event.data, channel });
    for (const socket of channels.get(channel) ?? []) socket.send(frame);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (req.method === "POST" && /^\/apps\/[^/]+\/(batch_)?events/.test(req.url ?? "")) {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      for (const event of body.batch ?? [body]) broadcast(event);
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});

const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on("connection", (socket) => {
  joined.set(socket, []);
  const socketId = `${++ids}.${Math.floor(Math.random() * 1e9)}`;
  socket.send(JSON.stringify({ event: "pusher:connection_established", data: JSON.stringify({ socket_id: socketId, activity_timeout: 30 }) }));
  socket.on("message", (raw) => {
    const message = JSON.parse(raw.toString());
    if (message.event === "pusher:ping") socket.send('{"event":"pusher:pong","data":"{}"}');
    if (message.event !== "pusher:subscribe") return;
    const channel: string = message.data.channel;
    let subscribers = channels.get(channel);
    if (!subscribers) channels.set(channel, (subscribers = new Set()));
    subscribers.add(socket);
    joined.get(socket)!.push(channel);
    socket.send(JSON.stringify({ event: "pusher_internal:subscription_succeeded", data: "{}", channel }));
  });
  socket.on("close", () => {
    for (const channel of joined.get(socket)!) {
      const subscribers = channels.get(channel)!;
      subscribers.delete(socket);
      if (subscribers.size === 0) channels.delete(channel);
    }
  });
  socket.on("error", () => {});
});

server.listen(Number(port), host);
