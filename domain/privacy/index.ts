/**
 * A team's record of erasures: each data subject erased (by pseudonym), once. The erasure
 * itself is the deletion of the subject's key (commands/personal-data.ts); this stream
 * is its audit trail, and says nothing about the subject but its pseudonym.
 */
import type { Decider, DomainEvent } from '../shared/decider.js';

export const privacyEventTypes = ['privacy.subject_erased'] as const;

export type EraseSubject = { readonly type: 'EraseSubject'; readonly subjectRef: string; readonly keyDeleted: boolean; readonly reason: string | null };

export type SubjectErased = DomainEvent<
  'privacy.subject_erased',
  { readonly subject_ref: string; readonly key_deleted: boolean; readonly reason: string | null }
>;

export type PrivacyState = { readonly erased: ReadonlySet<string> };

export const privacyDecider: Decider<EraseSubject, SubjectErased, PrivacyState> = {
  initialState: () => ({ erased: new Set() }),
  // Erasing a subject already erased records nothing more: its key is gone either way.
  decide: (command, state) =>
    state.erased.has(command.subjectRef)
      ? []
      : [{ type: 'privacy.subject_erased', data: { subject_ref: command.subjectRef, key_deleted: command.keyDeleted, reason: command.reason } }],
  evolve: (state, event) => ({ erased: new Set([...state.erased, event.data.subject_ref]) }),
};
