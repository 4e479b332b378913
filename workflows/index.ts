/** Every workflow the worker runs; bundled for Temporal's deterministic sandbox. */
export { instanceWorkflow } from './instance-workflow.js';
export { taskWorkflow } from './task-workflow.js';
