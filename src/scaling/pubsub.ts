/** @module The transport a cluster broker needs: one pub/sub channel shared by all nodes (Redis or NATS in production). */

/** Publish/subscribe on named channels. Never throws; publishing while disconnected drops the message. */
export interface PubSub {
  /** Fire-and-forget; dropped while disconnected (local clients are served without it). */
  publish(channel: string, message: string): void;
  /** Receives every message published on the subscribed channel, this node's own included. */
  onMessage(listener: (message: string) => void): void;
  /** Whether messages currently flow. */
  readonly connected: boolean;
  /** Called with false when the link is lost and true when it is back (after resubscribing). */
  onStatusChange(listener: (connected: boolean) => void): void;
  /**
   * This node's own messages stopped coming back although the link looks connected: re-establish the subscription
   * where the client library cannot be trusted to (optional: a link that always resubscribes by itself needs none).
   */
  renew?(): void;
  /** The broker and where it is, for messages, no password: `Redis at redis://10.0.0.1:6379`, `NATS at nats://…`. */
  readonly target: string;
  /** What carries the messages on it: `channel "reverb"`, `sharded channel "reverb"`, `subject "reverb"`. */
  readonly topic: string;
  /** What was found on connecting (server version, current master), for --debug. */
  readonly details: string;
  close(): Promise<void>;
}
