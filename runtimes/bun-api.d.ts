/** @module The subset of Bun's API the Bun shim uses (the project does not depend on bun-types). */

declare namespace Bun {
  /** Bun's native hashing (BoringSSL), without node:crypto's JavaScript layer. */
  class CryptoHasher {
    constructor(algorithm: string, hmacKey?: string | Uint8Array);
    update(data: string | Uint8Array): CryptoHasher;
    digest(encoding: "hex"): string;
    static hash(algorithm: string, data: string | Uint8Array, encoding: "hex"): string;
  }
  interface ServerWebSocket<T> {
    data: T;
    readonly readyState: number;
    send(data: string): number;
    close(code?: number, reason?: string): void;
    ping(): number;
    getBufferedAmount(): number;
    subscribe(topic: string): void;
    unsubscribe(topic: string): void;
    publish(topic: string, data: string): number;
  }
  interface Server<T> {
    readonly port: number;
    upgrade(request: Request, options: { data: T; headers?: Record<string, string> }): boolean;
    publish(topic: string, data: string): number;
    stop(closeActiveConnections?: boolean): Promise<void>;
  }
  interface ServeOptions<T> {
    hostname: string;
    port: number;
    tls?: { cert: string; key: string; passphrase?: string; ca?: string; requestCert?: boolean; rejectUnauthorized?: boolean };
    fetch(request: Request, server: Server<T>): Response | Promise<Response> | undefined;
    websocket: {
      maxPayloadLength: number;
      /** Bytes buffered per socket before send/publish drop frames; 0 = no limit. */
      backpressureLimit?: number;
      closeOnBackpressureLimit?: boolean;
      idleTimeout: number;
      sendPings: boolean;
      perMessageDeflate: boolean;
      open(ws: ServerWebSocket<T>): void;
      message(ws: ServerWebSocket<T>, message: string | Uint8Array): void;
      ping(ws: ServerWebSocket<T>): void;
      pong(ws: ServerWebSocket<T>): void;
      close(ws: ServerWebSocket<T>, code: number, reason: string): void;
    };
  }
  const version: string;
  function serve<T>(options: ServeOptions<T>): Server<T>;
}
