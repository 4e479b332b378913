/** Build step: bundles the workflow code once, for every worker to load (see worker.ts). */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowBundlePath, workflowsPath } from './worker.js';

const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
writeFileSync(workflowBundlePath(), code);
