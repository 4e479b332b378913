import { defineSignal } from '@temporalio/workflow';

/** How a remediation's `config.apply` task ended, forwarded by the reactor to its instance's drift workflow. */
export type RemediationTaskOutcome = {
  readonly taskId: string;
  readonly status: 'completed' | 'failed' | 'cancelled';
  /** Why it failed or was cancelled; null when it completed. */
  readonly reason: string | null;
};

export const remediationTaskSignal = defineSignal<[RemediationTaskOutcome]>('remediationTaskOutcome');
