export { connect } from './client.js';
export type {
  ClientEvents,
  ConnectOptions,
  ConnectionState,
  Listener,
  Notification,
  NotifyClient,
  ResetEvent,
  Role,
  Status,
  TransportName,
} from './types.js';
