import type { Middleware } from 'koa';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { instanceStream } from '../../events/streams.js';
import { evolveInstanceView, type InstanceView } from '../../projections/instances/instance-view.js';
import type { ReadStore } from '../../projections/read-store.js';
import { notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';

export type InstanceRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
  /** Providers instances may be deployed with, e.g. `['local']`. */
  readonly providers: readonly string[];
};

/** The public shape of an instance: the read model less its storage fields. */
export const presentInstance = ({ tenant: _tenant, seq: _seq, ...instance }: InstanceView) => ({ object: 'instance' as const, ...instance });

/** Instance views folded from the event stream, so a write answers with exactly what it wrote. */
export const instanceViews = (deps: Pick<InstanceRoutesDeps, 'commands'>) => {
  /** The instance as of `revision`, independent of projection lag. */
  const asOf = async (instanceId: string, revision: number): Promise<InstanceView> => {
    const history = await deps.commands.store.readStream(instanceStream(instanceId), { maxCount: revision + 1 });
    const view = history.reduce<InstanceView | null>(evolveInstanceView, null);
    if (!view) throw notFound('instance', instanceId);
    return view;
  };
  /** The command already holds the stream it wrote, unless it appended several events. */
  const after = async (instanceId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>): Promise<InstanceView> =>
    result.stream?.reduce<InstanceView | null>(evolveInstanceView, null) ?? (await asOf(instanceId, result.revision));
  return { asOf, after };
};

/** What a write appended, for the idempotency middleware to remember. */
export const appendedBy = (view: InstanceView): Appended => ({
  stream: instanceStream(view.id),
  revision: view.revision,
  position: view.position,
  occurredAt: view.updated_at,
});
