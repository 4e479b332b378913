/**
 * The baseline of the fleet benchmark: the smallest useful Temporal workflow, one activity
 * and its result, as in Temporal's own SDK benchmarks. Bundled on its own, apart from
 * Bosun's workflows.
 */
import { proxyActivities } from '@temporalio/workflow';

export type BaselineActivities = { readonly echo: (message: string) => Promise<string> };

const { echo } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30 seconds' });

export async function oneActivityWorkflow(message: string): Promise<string> {
  return echo(message);
}
