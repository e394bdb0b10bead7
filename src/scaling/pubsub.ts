/** @module The transport a cluster broker needs: one pub/sub channel shared by all nodes (Redis in production). */

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
  /** A printable address for messages (no password). */
  readonly address: string;
  close(): Promise<void>;
}
