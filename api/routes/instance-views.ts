import type { Middleware } from 'koa';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { instanceStream } from '../../events/streams.js';
import type { InstanceMetricsStore } from '../../processes/instance-metrics.js';
import { evolveInstanceView, type InstanceView } from '../../projections/instances/instance-view.js';
import type { ReadStore } from '../../projections/read-store.js';
import type { Appended, Replay } from '../idempotency.js';
import { afterWrite, asOf, foldWith } from '../resource-views.js';

export type InstanceRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
  /** Providers instances may be deployed with, e.g. `['local']`. */
  readonly providers: readonly string[];
  /** Heartbeat metrics: the latest values in an instance's detail, and its time series. */
  readonly metrics: InstanceMetricsStore;
};

const foldInstance = foldWith(evolveInstanceView);

/** Instance views folded from the event stream, so a write answers with exactly what it wrote. */
export const instanceViews = (deps: Pick<InstanceRoutesDeps, 'commands'>) => ({
  asOf: (instanceId: string, revision: number): Promise<InstanceView> =>
    asOf(deps.commands.store, instanceStream(instanceId), revision, foldInstance, { resource: 'instance', id: instanceId }),
  after: (instanceId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>): Promise<InstanceView> =>
    afterWrite(deps.commands.store, instanceStream(instanceId), result, foldInstance, { resource: 'instance', id: instanceId }),
});

/** What a write appended, for the idempotency middleware to remember. */
export const appendedBy = (view: InstanceView): Appended => ({
  stream: instanceStream(view.id),
  revision: view.revision,
  position: view.position,
  occurredAt: view.updated_at,
});
