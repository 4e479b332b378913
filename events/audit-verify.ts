/**
 * `bosun audit verify`: reads the whole log in position order, recomputes every event's
 * hash, follows each stream's chain (revisions in order, each `prev` the hash of the event
 * before) and the global chain against the seals, and names the first problem.
 */
import type { KeyObject } from 'node:crypto';
import { GlobalChain, sealSignedBy, type Seal } from './audit-seal.js';
import type { EventStore, RecordedEvent } from './event-store.js';
import { eventHash } from './hash-chain.js';

export type AuditProblemKind = 'changed' | 'removed' | 'inserted' | 'reordered' | 'bad_signature';

export type AuditProblem = {
  readonly kind: AuditProblemKind;
  /** Where in the log the problem is: the event found wrong, or the first position a failed seal covers. */
  readonly position: number;
  /** The event at `position`; null when a seal, not a stream's chain, found the problem. */
  readonly stream: string | null;
  readonly revision: number | null;
  readonly event_id: string | null;
  readonly expected: Record<string, unknown>;
  readonly found: Record<string, unknown>;
  readonly detail: string;
};

export type AuditReport = {
  readonly intact: boolean;
  readonly events: number;
  readonly streams: number;
  readonly head_position: number;
  /** Events written before the chain existed: covered by their successors' links and by seals only. */
  readonly unchained: number;
  readonly seals: { readonly source: 'log' | 'file'; readonly total: number; readonly matched: number; readonly signatures: 'checked' | 'not checked' };
  /** Problems found in all; the first is named. */
  readonly problems: number;
  readonly first_problem: AuditProblem | null;
};

export type VerifyOptions = {
  /** Seals to check the log against: those the log holds, or an auditor's copy. */
  readonly seals: { readonly source: 'log' | 'file'; readonly list: readonly Seal[] };
  /** When given, every seal must bear a valid signature by this key. */
  readonly publicKey?: KeyObject | null;
  /** @defaultValue 1000 */
  readonly pageSize?: number;
  readonly onProgress?: (progress: { readonly events: number; readonly position: number; readonly head: number }) => void;
};

type Link = { readonly revision: number; readonly hash: string; readonly position: number; readonly id: string; readonly prevHash: string | null };

/** Two events of one stream at one revision, both linked to the event before: the next event's link tells which belongs. */
type Fork = { readonly kept: Link; readonly other: Link; readonly problem: { -readonly [K in keyof AuditProblem]: AuditProblem[K] } };

const at = (event: RecordedEvent) => ({ position: event.position, stream: event.stream, revision: event.revision, event_id: event.id });

export const verifyLog = async (store: EventStore, options: VerifyOptions): Promise<AuditReport> => {
  const { source } = options.seals;
  const seals = [...options.seals.list].sort((a, b) => a.through_position - b.through_position);
  const problems: AuditProblem[] = [];
  /** The first position a problem may lie at: a missing event lies anywhere after its stream's previous one. */
  const earliest = new Map<AuditProblem, number>();
  let problemCount = 0;
  const report = (problem: AuditProblem, from = problem.position): void => {
    problemCount++;
    problems.push(problem);
    earliest.set(problem, from);
  };

  const usable: Seal[] = [];
  for (const seal of seals) {
    if (!options.publicKey || sealSignedBy(seal, options.publicKey)) usable.push(seal);
    else
      report({
        kind: 'bad_signature',
        position: seal.through_position,
        stream: null,
        revision: null,
        event_id: seal.through_event_id,
        expected: { key_id: 'a signature by the public key given' },
        found: { key_id: seal.signature?.key_id ?? null },
        detail: `the seal through position ${seal.through_position} is ${seal.signature ? 'not signed by the public key given' : 'unsigned'}`,
      });
  }

  const streams = new Map<string, Link>();
  /** Missing revisions (`stream\nrevision`) seen as gaps, by the problem naming them: a late arrival makes it a reordering. */
  const gaps = new Map<string, { kind: AuditProblemKind; detail: string }>();
  const forks = new Map<string, Fork>();
  const global = new GlobalChain();
  let sealIndex = 0;
  let sealProblem: AuditProblem | null = null;
  let afterGoodSeal = 0;
  let firstAfterGoodSeal = 0;
  let matched = 0;
  let unchained = 0;
  let events = 0;
  let lastPosition = 0;

  const checkSeal = (seal: Seal): void => {
    const state = global.state();
    if (state && state.events_count === seal.events_count && state.chain_hash === seal.chain_hash) {
      matched++;
      afterGoodSeal = seal.through_position;
      firstAfterGoodSeal = 0;
      return;
    }
    const count = state?.events_count ?? 0;
    const kind: AuditProblemKind =
      count < seal.events_count ? 'removed' : count > seal.events_count ? 'inserted' : state?.unordered_hash === seal.unordered_hash ? 'reordered' : 'changed';
    sealProblem = {
      kind,
      position: firstAfterGoodSeal || afterGoodSeal + 1,
      stream: null,
      revision: null,
      event_id: null,
      expected: { through_position: seal.through_position, events_count: seal.events_count, chain_hash: seal.chain_hash },
      found: { through_position: state?.through_position ?? 0, events_count: count, chain_hash: state?.chain_hash ?? null },
      detail: `the log after position ${afterGoodSeal} up to the event ${seal.through_event_id} does not match the seal through position ${seal.through_position}`,
    };
  };

  const follow = (event: RecordedEvent, hash: string): void => {
    const chain = event.metadata.chain;
    const last = streams.get(event.stream);
    const expectedRevision = last ? last.revision + 1 : 0;
    const link: Link = { revision: event.revision, hash, position: event.position, id: event.id, prevHash: last?.hash ?? null };
    if (event.revision === expectedRevision) {
      const fork = forks.get(event.stream);
      if (fork && chain) {
        forks.delete(event.stream);
        // The event after a fork links to the one that belongs; the other was inserted.
        if (chain.prev === fork.other.hash) {
          Object.assign(fork.problem, {
            position: fork.kept.position,
            revision: fork.kept.revision,
            event_id: fork.kept.id,
            detail: `a second event at revision ${fork.kept.revision} of ${event.stream}: the next revision links to the other one`,
          });
          streams.set(event.stream, link);
          return;
        }
      }
      if (chain && last && chain.prev !== last.hash && !problems.some((p) => p.event_id === last.id)) {
        report({
          kind: 'changed',
          position: last.position,
          stream: event.stream,
          revision: last.revision,
          event_id: last.id,
          expected: { hash: chain.prev },
          found: { hash: last.hash },
          detail: `the event's hash is not the one the next revision, at position ${event.position}, links to`,
        });
      }
      streams.set(event.stream, link);
      return;
    }
    if (event.revision > expectedRevision) {
      const problem = {
        kind: 'removed' as AuditProblemKind,
        ...at(event),
        expected: { revision: expectedRevision },
        found: { revision: event.revision },
        detail: `revision ${expectedRevision} of ${event.stream} is missing before position ${event.position}`,
      };
      report(problem, (last?.position ?? 0) + 1);
      for (let missing = expectedRevision; missing < event.revision && missing < expectedRevision + 1000; missing++)
        gaps.set(`${event.stream}\n${missing}`, problem);
      streams.set(event.stream, link);
      return;
    }
    const gap = gaps.get(`${event.stream}\n${event.revision}`);
    if (gap) {
      gaps.delete(`${event.stream}\n${event.revision}`);
      gap.kind = 'reordered';
      gap.detail = `revision ${event.revision} of ${event.stream} comes later in the log, at position ${event.position}`;
      return;
    }
    const problem = {
      kind: 'inserted' as AuditProblemKind,
      ...at(event),
      expected: { revision: expectedRevision },
      found: { revision: event.revision },
      detail: `a second event at revision ${event.revision} of ${event.stream}`,
    };
    report(problem);
    if (last && event.revision === last.revision && chain?.prev === last.prevHash) forks.set(event.stream, { kept: last, other: link, problem });
  };

  const head = await store.headPosition();
  const pageSize = options.pageSize ?? 1000;
  for (let after = 0; ;) {
    const page = await store.readAll({ after, maxCount: pageSize });
    for (const event of page) {
      const hash = eventHash(event);
      const chain = event.metadata.chain;
      if (!chain) unchained++;
      else if (chain.hash !== hash) {
        report({
          kind: 'changed',
          ...at(event),
          expected: { hash: chain.hash },
          found: { hash },
          detail: 'the event does not hash to the hash it was written with',
        });
      }
      follow(event, hash);
      global.add(event.position, event.id, hash);
      if (firstAfterGoodSeal === 0) firstAfterGoodSeal = event.position;
      const seal = usable[sealIndex];
      if (seal && !sealProblem && event.id === seal.through_event_id) {
        checkSeal(seal);
        sealIndex++;
      }
      events++;
      lastPosition = event.position;
    }
    const last = page.at(-1);
    if (!last) break;
    after = last.position;
    options.onProgress?.({ events, position: after, head: Math.max(head, after) });
  }
  const unreached = usable[sealIndex];
  if (unreached && !sealProblem) {
    sealProblem = {
      kind: 'removed',
      position: firstAfterGoodSeal || afterGoodSeal + 1,
      stream: null,
      revision: null,
      event_id: unreached.through_event_id,
      expected: { through_position: unreached.through_position, events_count: unreached.events_count },
      found: { through_position: lastPosition, events_count: events },
      detail: `the log ends at position ${lastPosition} without the event ${unreached.through_event_id} that the seal through position ${unreached.through_position} covers`,
    };
  }

  // A stream's chain names the event; a seal only the stretch of log it covers, so it is named when no stream's chain found anything that may lie there.
  const byPosition = [...problems].sort((a, b) => a.position - b.position);
  let first = byPosition[0] ?? null;
  const failed = sealProblem as AuditProblem | null;
  if (failed) {
    problemCount++;
    const through = (failed.expected.through_position as number | undefined) ?? failed.position;
    if (!problems.some((problem) => (earliest.get(problem) ?? problem.position) <= through)) first = failed;
  }
  return {
    intact: problemCount === 0,
    events,
    streams: streams.size,
    head_position: lastPosition,
    unchained,
    seals: { source, total: seals.length, matched, signatures: options.publicKey ? 'checked' : 'not checked' },
    problems: problemCount,
    first_problem: first,
  };
};
