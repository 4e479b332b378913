/**
 * What every resource's routes do alike with its read model: fold it from the stream as a
 * write left it (independent of projection lag), and present it without storage fields.
 */
import type { CommandResult } from '../commands/handle-command.js';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import type { ReadDocument } from '../projections/read-store.js';
import { notFound } from './errors.js';

/** A resource's view from its stream's events; null when they hold none of it. */
export type ViewFold<View> = (history: readonly RecordedEvent[]) => View | null;

/** The fold of a view whose every event goes through `evolve`. */
export const foldWith =
  <View>(evolve: (view: View | null, event: RecordedEvent) => View | null): ViewFold<View> =>
  (history) =>
    history.reduce<View | null>(evolve, null);

/** Named in the error when the view is missing: what the resource is called, and its id. */
export type ResourceRef = { readonly resource: string; readonly id: string };

/** The view exactly as the write at `revision` of `stream` left it; not found when the stream holds none. */
export const asOf = async <View>(
  events: Pick<EventStore, 'readStream'>,
  stream: string,
  revision: number,
  fold: ViewFold<View>,
  missing: ResourceRef,
): Promise<View> => {
  const view = fold(await events.readStream(stream, { maxCount: revision + 1 }));
  if (!view) throw notFound(missing.resource, missing.id);
  return view;
};

/**
 * The view as a command left it. The command already holds the stream it wrote, unless it
 * appended several events; reading it back would cost a query and a parse.
 */
export const afterWrite = async <View>(
  events: Pick<EventStore, 'readStream'>,
  stream: string,
  result: Pick<CommandResult<unknown>, 'revision' | 'stream'>,
  fold: ViewFold<View>,
  missing: ResourceRef,
): Promise<View> => (result.stream && fold(result.stream)) ?? (await asOf(events, stream, result.revision, fold, missing));

/** The public shape of a read model: `object` names what it is, and the storage fields (`tenant`, `seq`) are left out. */
export const present = <Name extends string, View extends Pick<ReadDocument, 'tenant' | 'seq'>>(
  object: Name,
  { tenant: _tenant, seq: _seq, ...view }: View,
) => ({
  object,
  ...view,
});
