/** @module The subset of Deno's API the Deno shim uses (the project does not depend on Deno's type libraries). */

declare namespace Deno {
  interface HttpServer {
    readonly addr: { port: number };
    readonly finished: Promise<void>;
    shutdown(): Promise<void>;
  }
  interface ServeOptions {
    hostname: string;
    port: number;
    cert?: string;
    key?: string;
    onListen?: (addr: { port: number }) => void;
    onError?: (error: unknown) => Response | Promise<Response>;
  }
  const version: { deno: string };
  function serve(options: ServeOptions, handler: (request: Request) => Response | Promise<Response>): HttpServer;
  function upgradeWebSocket(request: Request, options?: { idleTimeout?: number }): { socket: WebSocket; response: Response };
}
