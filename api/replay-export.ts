/**
 * A replay's export (`bosun replay --export`): each collection the API serves, as the API
 * presents its documents plus their tenant, one JSON document per line, and a manifest.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PersonalData } from '../commands/personal-data.js';
import { teamCollection } from '../projections/access/access-projector.js';
import { apiKeyCollection } from '../projections/access/api-key-projector.js';
import { alertRuleCollection } from '../projections/alert-rules/alert-rule-projector.js';
import { alertCollection } from '../projections/alerts/alert-projector.js';
import { driftCollection } from '../projections/drift/drift-projector.js';
import { snapshotCollection } from '../projections/drift/snapshot-projector.js';
import { instanceCollection } from '../projections/instances/instance-projector.js';
import type { Collection, ReadDocument, ReadStore } from '../projections/read-store.js';
import { canonical } from '../projections/rebuild.js';
import type { ReplayCut } from '../projections/replay.js';
import { taskCollection } from '../projections/tasks/task-projector.js';
import { presentAlert, presentAlertRule, presentDrift, presentInstance, presentTask } from './presenters.js';
import { presentKey, presentTeam } from './routes/access.js';
import { presentSnapshot } from './routes/drift.js';

type Exported = {
  readonly name: string;
  /** Lookups (teams, keys) or read models, as the API reads each. */
  readonly from: 'lookups' | 'readStore';
  readonly collection: (store: ReadStore) => Collection<ReadDocument>;
  readonly present: (doc: never) => object;
  /** Which documents the API serves, when not all. */
  readonly served?: Readonly<Record<string, unknown>>;
};

/** What the API serves; the lookups only it reads (idempotency, agent credentials) stay out. */
const exported: readonly Exported[] = [
  { name: 'teams', from: 'lookups', collection: teamCollection, present: presentTeam },
  { name: 'api_keys', from: 'lookups', collection: apiKeyCollection, present: presentKey, served: { deleted: false } },
  { name: 'tasks', from: 'readStore', collection: taskCollection, present: presentTask },
  { name: 'instances', from: 'readStore', collection: instanceCollection, present: presentInstance },
  { name: 'drift_events', from: 'readStore', collection: driftCollection, present: presentDrift },
  { name: 'configuration_snapshots', from: 'readStore', collection: snapshotCollection, present: presentSnapshot },
  { name: 'alerts', from: 'readStore', collection: alertCollection, present: presentAlert },
  // Deleted rules included (status `deleted`): their alerts still name them.
  { name: 'alert_rules', from: 'readStore', collection: alertRuleCollection, present: presentAlertRule },
];

/** Every document of a collection the API serves, oldest first (by `seq`, then id). */
const allDocuments = async (collection: Collection<ReadDocument>, served: Readonly<Record<string, unknown>> = {}): Promise<ReadDocument[]> => {
  const documents: ReadDocument[] = [];
  for (let before: number | undefined; ;) {
    const page = await collection.list(served, { limit: 1000, ...(before === undefined ? {} : { before }) });
    documents.push(...page);
    if (page.length < 1000) break;
    before = (page.at(-1) as ReadDocument).seq;
  }
  return documents.sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

/** Each exported collection's documents as the API presents them to their team (personal data revealed), with their tenant, oldest first. */
export const presentedCollections = async (stores: {
  readonly lookups: ReadStore;
  readonly readStore: ReadStore;
  readonly personal: PersonalData;
}): Promise<Map<string, object[]>> => {
  const presented = new Map<string, object[]>();
  for (const { name, from, collection, present, served } of exported) {
    const documents = await allDocuments(collection(stores[from]), served);
    presented.set(
      name,
      await Promise.all(documents.map((doc) => stores.personal.reveal({ tenant: doc.tenant, ...(present as (doc: ReadDocument) => object)(doc) }, doc.tenant))),
    );
  }
  return presented;
};

export type ReplayManifest = {
  readonly object: 'replay_manifest';
  readonly cut: { readonly requested: string; readonly position: number; readonly occurred_at: string };
  /** The log's head when the replay was taken. */
  readonly log_head: number;
  readonly replayed_at: string;
  readonly collections: Readonly<Record<string, { readonly file: string; readonly documents: number; readonly sha256: string }>>;
};

/** Writes `<dir>/<collection>.ndjson` for each collection and `<dir>/manifest.json`; answers the manifest. */
export const exportReplay = async (options: {
  readonly lookups: ReadStore;
  readonly readStore: ReadStore;
  readonly cut: ReplayCut;
  readonly dir: string;
  readonly replayedAt: Date;
  readonly personal: PersonalData;
  /** Called as each file is written. */
  readonly onWritten?: (file: string, documents: number) => void;
}): Promise<ReplayManifest> => {
  const collections: Record<string, ReplayManifest['collections'][string]> = {};
  for (const [name, documents] of await presentedCollections(options)) {
    const file = `${name}.ndjson`;
    const text = documents.map((doc) => `${canonical(doc)}\n`).join('');
    await writeFile(join(options.dir, file), text);
    collections[name] = { file, documents: documents.length, sha256: createHash('sha256').update(text).digest('hex') };
    options.onWritten?.(file, documents.length);
  }
  const { requested, position, occurred_at, head } = options.cut;
  const manifest: ReplayManifest = {
    object: 'replay_manifest',
    cut: { requested, position, occurred_at },
    log_head: head,
    replayed_at: options.replayedAt.toISOString(),
    collections,
  };
  await writeFile(join(options.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
};
