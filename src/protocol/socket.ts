/** @module The transport port: what the protocol needs from one WebSocket, implemented by each runtime shim. */

/** One accepted WebSocket, as the core sees it. */
export interface Socket {
  /** Queues a text frame. Must not throw when the socket is already closing. */
  send(frame: string): void;
  /** Starts the closing handshake with this code and reason. */
  close(code: number, reason: string): void;
  /** Sends a WebSocket ping control frame (for clients that keep alive with control frames). */
  ping(): void;
  /**
   * Bytes queued for this socket that the client has not taken yet (what the kernel would not accept); read after
   * every send, so it must be O(1). Named after Bun's method, which the Bun shim passes through as is.
   */
  getBufferedAmount(): number;
  /** Native topic pub/sub, on runtimes that have it (Bun): join and leave a topic, publish to the others on it. */
  subscribe?(topic: string): void;
  unsubscribe?(topic: string): void;
  /** Returns Bun's send status: -1 when some subscriber was left with unsent data. */
  publish?(topic: string, frame: string): number;
}

/** The events a runtime shim reports for one WebSocket, in order: open, then any messages, then close. */
export interface WebSocketSession {
  open(socket: Socket): void;
  /** A complete (reassembled) data message; binary messages are treated like text, as Reverb does. */
  message(data: string | ArrayBuffer | ArrayBufferView): void;
  /** A ping or pong control frame arrived (runtimes answer pings themselves). */
  control(kind: "ping" | "pong"): void;
  /** The socket is closed, whoever closed it. */
  closed(): void;
  /** Largest message the runtime should accept before closing with 1009 itself (the app's max_message_size); at least 1. */
  readonly maxMessageSize: number;
}

/** Given by a shim with each HTTP request: accepts a WebSocket for this request and returns the response to hand back. */
export type Upgrade = (session: WebSocketSession, headers: Record<string, string>) => Response;
