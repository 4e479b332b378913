import { setTimeout as wait } from 'node:timers/promises';
import { inputObject, invalidInput } from '../task-failure.js';
import type { TaskKind } from '../task-kinds.js';

const maxSeconds = 3600;

export const sleep: TaskKind = async (input, { signal }) => {
  const { seconds } = inputObject(input);
  if (typeof seconds !== 'number' || !(seconds >= 0 && seconds <= maxSeconds)) throw invalidInput(`seconds must be a number from 0 to ${maxSeconds}`);
  await wait(seconds * 1000, undefined, { signal });
  return { slept_seconds: seconds };
};
