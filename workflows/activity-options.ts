/**
 * How long a worker may go silent before its activity counts as lost and is retried
 * elsewhere (the worker heartbeats running activities; see worker.ts). Without it, an
 * activity cut by a crash of Bosun waits out its whole start-to-close timeout.
 */
export const activityHeartbeatTimeout = '5 seconds';
