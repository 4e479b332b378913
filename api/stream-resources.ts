/**
 * The resources that have a stream, by the collection that serves them: what reading one as
 * it was (`?as_of=`) and its history (`/history`) need of it. An entry here gives its
 * collection both, their entries in the permission table and their OpenAPI operations.
 */
import type { RecordedEvent } from '../events/event-store.js';
import { alertRuleStream, alertStream, driftStream, instanceStream, taskStream } from '../events/streams.js';
import { evolveAlertRuleView } from '../projections/alert-rules/alert-rule-view.js';
import { evolveAlertView } from '../projections/alerts/alert-view.js';
import { getDrift } from '../projections/drift/drift-queries.js';
import { evolveDriftView } from '../projections/drift/drift-view.js';
import { evolveInstanceView } from '../projections/instances/instance-view.js';
import type { ReadStore } from '../projections/read-store.js';
import { evolveTaskView } from '../projections/tasks/task-view.js';
import { presentAlert, presentAlertRule, presentDrift, presentInstance, presentTask } from './presenters.js';

/** Where a resource's stream is looked up: the read models, for resources that live inside another's stream. */
export type StreamLookup = { readonly readStore: ReadStore; readonly tenant: string };

export type StreamResource<View> = {
  /** What the resource is called in messages: `drift event`. */
  readonly resource: string;
  /** The stream that holds it; null when there is none (ownership has been checked before). */
  readonly streamOf: (id: string, lookup: StreamLookup) => Promise<string | null>;
  /** Whether an event of that stream is about the resource: a drift stream holds every drift of its instance. */
  readonly concerns: (id: string, event: RecordedEvent) => boolean;
  /** Folds one event about the resource into its view (null before it exists). */
  readonly evolve: (view: View | null, event: RecordedEvent) => View | null;
  readonly present: (view: View) => object;
};

/** An entry with its view's type checked, then kept as one of many. */
const entry = <View>(resource: StreamResource<View>): StreamResource<unknown> => resource as StreamResource<unknown>;

const wholeStream = () => true;

export const streamResources = {
  tasks: entry({
    resource: 'task',
    streamOf: async (id) => taskStream(id),
    concerns: wholeStream,
    evolve: evolveTaskView,
    present: presentTask,
  }),
  instances: entry({
    resource: 'instance',
    streamOf: async (id) => instanceStream(id),
    concerns: wholeStream,
    evolve: evolveInstanceView,
    present: presentInstance,
  }),
  'drift-events': entry({
    resource: 'drift event',
    // The instance a drift belongs to never changes: its read model tells the stream.
    streamOf: async (id, { readStore, tenant }) => {
      const drift = await getDrift(readStore, tenant, id);
      return drift && driftStream(drift.instance_id);
    },
    concerns: (id, event) => (event.data as { drift_id?: unknown }).drift_id === id,
    evolve: evolveDriftView,
    present: presentDrift,
  }),
  alerts: entry({
    resource: 'alert',
    streamOf: async (id) => alertStream(id),
    concerns: wholeStream,
    evolve: evolveAlertView,
    present: presentAlert,
  }),
  'alert-rules': entry({
    resource: 'alert rule',
    streamOf: async (id) => alertRuleStream(id),
    concerns: wholeStream,
    evolve: evolveAlertRuleView,
    present: presentAlertRule,
  }),
};

export type StreamCollection = keyof typeof streamResources;

export const streamCollections = Object.keys(streamResources) as StreamCollection[];

export const streamResourceOf = (collection: string): StreamResource<unknown> | undefined =>
  Object.hasOwn(streamResources, collection) ? streamResources[collection as StreamCollection] : undefined;
