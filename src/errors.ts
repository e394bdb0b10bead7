/** @module The one table of Pusher protocol errors, and the error types the core throws. */

/** How an error affects the connection: `close` sends the error frame, then a WebSocket close with the same code. */
interface PusherErrorSpec {
  readonly code: number;
  readonly message: string;
  readonly close: boolean;
}

/**
 * Every `pusher:error` the server sends. Codes and messages match Laravel Reverb where Reverb has them.
 * Pusher's close-code classes: 4000–4099 do not reconnect, 4100–4199 reconnect with backoff,
 * 4200–4299 reconnect at once, 4300–4399 are non-fatal.
 */
export const PUSHER_ERRORS = {
  appNotFound: { code: 4001, message: "Application does not exist", close: true },
  overQuota: { code: 4004, message: "Application is over connection quota", close: true },
  originNotAllowed: { code: 4009, message: "Origin not allowed", close: true },
  unauthorized: { code: 4009, message: "Connection is unauthorized", close: false },
  notAMember: { code: 4009, message: "The client is not a member of the specified channel.", close: false },
  terminated: { code: 4009, message: "Connection terminated by the app", close: true },
  signinInvalid: { code: 4009, message: "Invalid signin: the auth does not match this socket and user_data", close: false },
  signinUserData: {
    code: 4009,
    message: "Invalid signin: user_data must be a JSON object with a string id of 1-164 characters of A-Z a-z 0-9 _ - = @ , . ; and at most 100 watchlist ids",
    close: false,
  },
  signinOtherUser: { code: 4009, message: "The connection is already signed in as another user", close: false },
  signinTimeout: { code: 4009, message: "Connection not signed in within the time allowed", close: true },
  invalidMessage: { code: 4200, message: "Invalid message format", close: false },
  tooManyChannels: { code: 4300, message: "Too many channels", close: false },
  invalidChannelName: {
    code: 4300,
    message: "Invalid channel name: use 1-164 characters of A-Z a-z 0-9 _ - = @ , . ;",
    close: false,
  },
  overCapacity: { code: 4100, message: "Over capacity", close: true },
  shuttingDown: { code: 4200, message: "Server is shutting down, please reconnect", close: true },
  pongTimeout: { code: 4201, message: "Pong reply not received in time", close: true },
  clientEventsDisabled: { code: 4301, message: "The app does not have client messaging enabled.", close: false },
  clientEventWrongChannel: {
    code: 4301,
    message: "Client events are only supported on private and presence channels",
    close: false,
  },
  clientEventEncrypted: {
    code: 4301,
    message: "Client events are not supported on encrypted channels",
    close: false,
  },
  rateLimited: { code: 4301, message: "Rate limit exceeded", close: false },
} as const satisfies Record<string, PusherErrorSpec>;

/** The name of an entry in {@link PUSHER_ERRORS}. */
export type PusherErrorName = keyof typeof PUSHER_ERRORS;

/**
 * Thrown by protocol code; the connection's single catch turns it into a `pusher:error` frame. `detail` replaces
 * the table's message where the client needs specifics (a limit's value).
 */
export class PusherError extends Error {
  readonly errorName: PusherErrorName;
  readonly detail: string | undefined;
  constructor(errorName: PusherErrorName, detail?: string) {
    super(detail ?? PUSHER_ERRORS[errorName].message);
    this.errorName = errorName;
    this.detail = detail;
  }
}

/** Thrown by HTTP API code; rendered as `{"error": message}` (or a 422 field map) with this status. */
export class ApiError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 422 | 503;
  readonly fields?: Record<string, string[]>;
  constructor(status: ApiError["status"], message: string, fields?: Record<string, string[]>) {
    super(message);
    this.status = status;
    if (fields) this.fields = fields;
  }
}
