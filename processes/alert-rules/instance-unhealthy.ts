import type { HealthChanged } from '../../domain/instance/index.js';
import { idOfStream } from '../../events/streams.js';
import { instanceNames } from './instance-names.js';
import type { AlertRule } from './rule.js';

/**
 * An instance whose agent stopped beating (see AgentHeartbeats) raises an alert; it is
 * resolved once the instance is healthy again, or destroyed.
 */
export const instanceUnhealthyRule = (): AlertRule => {
  const names = instanceNames();
  return {
    name: 'instance_unhealthy',
    snapshot: () => ({ names: names.snapshot() }),
    restore: (snapshot) => names.restore((snapshot as { names: unknown }).names),
    observe: (event) => {
      if (!event.type.startsWith('instance.')) return [];
      names.observe(event);
      const subject = { type: 'instance', id: idOfStream(event.stream) };
      if (event.type === 'instance.destroyed') return [{ kind: 'resolve', subject, reason: 'the instance was destroyed' }];
      if (event.type !== 'instance.health_changed') return [];
      const { health, reason } = event.data as HealthChanged['data'];
      if (health === 'unhealthy') return [{ kind: 'raise', subject, severity: 'high', message: `${names.describe(subject.id)} is unhealthy: ${reason}` }];
      if (health === 'healthy') return [{ kind: 'resolve', subject, reason: `the instance is healthy again: ${reason}` }];
      return [];
    },
  };
};
