/** Every workflow the worker runs; bundled for Temporal's deterministic sandbox. */
export { driftWorkflow } from './drift-workflow.js';
export { instanceWorkflow } from './instance-workflow.js';
export { taskWorkflow } from './task-workflow.js';
export { deliveryWorkflow } from './delivery-workflow.js';
