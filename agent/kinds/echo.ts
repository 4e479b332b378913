import { inputObject, requireString } from '../task-failure.js';
import type { TaskKind } from '../task-kinds.js';

export const echo: TaskKind = async (input) => ({ message: requireString(inputObject(input), 'message') });
