export * from './commands.js';
export * from './compare.js';
export * from './decide.js';
export * from './events.js';
export * from './plan.js';
export * from './snapshot.js';
export * from './state.js';
export * from './actions.js';
