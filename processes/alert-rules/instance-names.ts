import type { DeployRequested } from '../../domain/instance/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { idOfStream } from '../../events/streams.js';

/** Names instances were deployed with, so alert messages name them as operators do. */
export const instanceNames = () => {
  const names = new Map<string, string>();
  return {
    observe: (event: RecordedEvent): void => {
      if (event.type === 'instance.deploy_requested') names.set(idOfStream(event.stream), (event.data as DeployRequested['data']).name);
      if (event.type === 'instance.destroyed') names.delete(idOfStream(event.stream));
    },
    snapshot: (): [string, string][] => [...names],
    restore: (snapshot: unknown): void => {
      for (const [id, name] of snapshot as [string, string][]) names.set(id, name);
    },
    describe: (instanceId: string): string => {
      const name = names.get(instanceId);
      return name === undefined ? `instance ${instanceId}` : `instance ${name} (${instanceId})`;
    },
  };
};
