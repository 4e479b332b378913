import type { TaskKind } from '../task-kinds.js';
import { inputObject, requireString } from '../task-failure.js';

export const echo: TaskKind = async (input) => ({ message: requireString(inputObject(input), 'message') });
