/**
 * @module A tiny stand-in for a Laravel app's `POST /broadcasting/auth`, signing with the real `pusher` SDK;
 * usable as pusher-js `channelAuthorization: { endpoint }` and as Laravel Echo's `authEndpoint`.
 */

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import Pusher from "pusher";

/** What the auth endpoint received for one channel. */
export interface AuthRequest {
  readonly socketId: string;
  readonly channel: string;
  /** Every body parameter (pusher-js sends its `params` option here too). */
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Decides per request: presence data for presence channels (`user_id`, `user_info`), `undefined` to sign
 * without channel_data, or `false` to refuse with 403 as Laravel does for unauthorized users.
 */
export type Authorize = (request: AuthRequest) => Pusher.PresenceChannelData | undefined | false;

export interface AuthServerOptions {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  /** For private-encrypted channels: the master key the triggering SDK uses too. */
  readonly encryptionMasterKeyBase64?: string;
  /** Defaults to: presence channels get `{ user_id: params.user ?? socketId, user_info: { name } }`. */
  readonly authorize?: Authorize;
  /**
   * User authentication (`POST /broadcasting/user-auth`, pusher-js `userAuthentication`): the user_data to sign
   * for a request, or false to refuse with 403. Defaults to `{ id: params.user, watchlist: params.watch?.split(",") }`.
   */
  readonly authenticateUser?: (request: AuthRequest) => Pusher.UserChannelData | false;
}

export interface AuthServer {
  /** `http://127.0.0.1:<port>/broadcasting/auth` */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/broadcasting/user-auth` */
  readonly userEndpoint: string;
  /** Every request answered so far. */
  readonly requests: AuthRequest[];
  close(): Promise<void>;
}

/** The default: presence user from the `user` param (or the socket id), named after it. */
export const defaultAuthorize: Authorize = ({ socketId, channel, params }) => {
  if (!channel.startsWith("presence-")) return undefined;
  const userId = params["user"] ?? socketId;
  return { user_id: userId, user_info: { name: `User ${userId}` } };
};

/** The default user: `params.user` as the id, `params.watch` (comma-separated) as the watchlist. */
function defaultUser({ socketId, params }: AuthRequest): Pusher.UserChannelData {
  const watch = params["watch"];
  return { id: params["user"] ?? socketId, ...(watch && { watchlist: watch.split(",") }) };
}

/** Starts the auth endpoint on a free port of 127.0.0.1. */
export async function startAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const signer = new Pusher({
    appId: options.appId,
    key: options.key,
    secret: options.secret,
    host: "127.0.0.1",
    ...(options.encryptionMasterKeyBase64 !== undefined && { encryptionMasterKeyBase64: options.encryptionMasterKeyBase64 }),
  });
  const authorize = options.authorize ?? defaultAuthorize;
  const requests: AuthRequest[] = [];

  const server = createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
      response.end(text);
    };
    const isUserAuth = request.url?.startsWith("/broadcasting/user-auth") ?? false;
    if (request.method !== "POST" || !(isUserAuth || request.url?.startsWith("/broadcasting/auth"))) return answer(404, { message: "Not found" });
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const params = parseBody(body, request.headers["content-type"]);
      if (isUserAuth) {
        const socketId = params["socket_id"];
        if (!socketId) return answer(422, { message: "socket_id is required" });
        const userData = (options.authenticateUser ?? defaultUser)({ socketId, channel: "", params, headers: request.headers });
        if (userData === false) return answer(403, { message: "This action is unauthorized." });
        return answer(200, signer.authenticateUser(socketId, userData));
      }
      const socketId = params["socket_id"];
      const channel = params["channel_name"];
      if (!socketId || !channel) return answer(422, { message: "socket_id and channel_name are required" });
      const authRequest: AuthRequest = { socketId, channel, params, headers: request.headers };
      requests.push(authRequest);
      let decision: ReturnType<Authorize>;
      try {
        decision = authorize(authRequest);
      } catch (error) {
        return answer(500, { message: error instanceof Error ? error.message : String(error) });
      }
      if (decision === false) return answer(403, { message: "This action is unauthorized." });
      try {
        answer(200, signer.authorizeChannel(socketId, channel, decision));
      } catch (error) {
        answer(500, { message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/broadcasting/auth`,
    userEndpoint: `http://127.0.0.1:${port}/broadcasting/user-auth`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseBody(body: string, contentType: string | undefined): Record<string, string> {
  if (contentType?.includes("application/json")) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === "object") {
        return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
      }
    } catch {
      return {};
    }
    return {};
  }
  return Object.fromEntries(new URLSearchParams(body));
}
