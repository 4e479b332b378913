import t from 'tap';
import {
  decidePlacement,
  needsAutoProvisioning,
  placementSettled,
  type AutoProvisioning,
  type PlacementCandidate,
  type TaskNeeds,
} from '../../../domain/task/index.js';

const task = (needs: Partial<TaskNeeds> = {}): TaskNeeds => ({ status: 'pending', kind: 'echo', requiredSkills: ['git'], pinnedInstanceId: null, ...needs });

const instance = (id: string, candidate: Partial<PlacementCandidate> = {}, settings: Record<string, unknown> = {}): PlacementCandidate => ({
  id,
  status: 'running',
  pending: null,
  health: 'healthy',
  spec: { skills: [{ name: 'git', version: '2.1' }], settings, max_concurrent_tasks: 2 },
  slotsTaken: 0,
  ...candidate,
});

const autoProvisionedId = 'instance-for-task';
const policy = (maxInstances: number, liveInstances: number): AutoProvisioning => ({
  policy: { provider: 'fake', max_instances: maxInstances },
  liveInstances,
  instanceId: autoProvisionedId,
});
const noPolicy: AutoProvisioning = { policy: null, liveInstances: 0, instanceId: autoProvisionedId };

t.test('given a finished, queued or running task, it is not placed again', async (t) => {
  for (const status of ['completed', 'failed', 'cancelled'] as const) t.equal(placementSettled(status), 'finished', status);
  for (const status of ['queued', 'running'] as const) t.equal(placementSettled(status), 'queued', status);
  for (const status of ['pending', 'waiting', 'provisioning'] as const) t.equal(placementSettled(status), null, status);
});

t.test('given instances with free slots, when placing, then the task is queued on the least loaded', async (t) => {
  const candidates = [instance('a', { slotsTaken: 1 }), instance('b', { slotsTaken: 0 }), instance('c', { slotsTaken: 0 })];
  t.strictSame(decidePlacement(task(), candidates, null), { decision: 'queue', instanceId: 'b' }, 'the first of the least loaded');
  t.notOk(needsAutoProvisioning(task(), candidates), 'the policy is not needed');
});

t.test('given instances that cannot take the task, when placing, then none of them is chosen', async (t) => {
  const cannot = [
    instance('full', { slotsTaken: 2 }),
    instance('suspended', { status: 'suspended' }),
    instance('resuming', { pending: 'resume' }),
    instance('unhealthy', { health: 'unhealthy' }),
    instance('without-git', { spec: { skills: [{ name: 'python', version: '3' }], settings: {}, max_concurrent_tasks: 2 } }),
    instance('git-disabled', { spec: { skills: [{ name: 'git', version: '2.1', enabled: false }], settings: {}, max_concurrent_tasks: 2 } }),
  ];
  t.strictSame(decidePlacement(task(), cannot, null), { decision: 'defer', reason: 'no eligible instance has a free slot' });
  t.strictSame(decidePlacement(task(), [...cannot, instance('degraded', { health: 'degraded' })], null), { decision: 'queue', instanceId: 'degraded' });
});

t.test('given a task pinned to an instance, when placing, then it goes there or nowhere', async (t) => {
  const pinned = task({ pinnedInstanceId: 'b' });
  t.strictSame(decidePlacement(pinned, [instance('a'), instance('b', { slotsTaken: 1 })], null), { decision: 'queue', instanceId: 'b' });
  t.strictSame(decidePlacement(pinned, [instance('a')], policy(5, 0)), { decision: 'defer', reason: 'no eligible instance has a free slot' }, 'none deployed');
});

t.test('given a shell task, when placing, then only an instance that allows shell takes it, and none is deployed for it', async (t) => {
  const shell = task({ kind: 'shell' });
  t.strictSame(decidePlacement(shell, [instance('a'), instance('b', {}, { allow_shell: true })], null), { decision: 'queue', instanceId: 'b' });
  t.strictSame(decidePlacement(shell, [instance('a')], policy(5, 0)), { decision: 'defer', reason: 'no eligible instance has a free slot' });
});

t.test('given an instance being provisioned that suits the task, when no instance can take it, then it waits for that one', async (t) => {
  const candidates = [instance('full', { slotsTaken: 2 }), instance('coming', { status: 'provisioning' })];
  t.notOk(needsAutoProvisioning(task(), candidates));
  t.strictSame(decidePlacement(task(), candidates, null), { decision: 'start_provisioning', instanceId: 'coming', deploy: null });
  t.strictSame(decidePlacement(task({ status: 'waiting' }), candidates, null), { decision: 'start_provisioning', instanceId: 'coming', deploy: null });
  t.strictSame(decidePlacement(task({ status: 'provisioning' }), candidates, null), { decision: 'keep_waiting', deploy: null }, 'it waits already');
});

t.test('given a policy with room on its provider, when no instance can take the task, then one is deployed for it', async (t) => {
  const candidates = [instance('full', { slotsTaken: 2 })];
  t.ok(needsAutoProvisioning(task(), candidates));
  const deploy = { instanceId: autoProvisionedId, provider: 'fake', skills: ['git'] };
  t.strictSame(decidePlacement(task(), candidates, policy(2, 1)), { decision: 'start_provisioning', instanceId: autoProvisionedId, deploy });
  t.strictSame(
    decidePlacement(task({ status: 'provisioning' }), candidates, policy(2, 1)),
    { decision: 'keep_waiting', deploy },
    'a task whose instance is no longer provisioning gets one deployed, and waits on',
  );
});

t.test('given no policy, or one with no room left, when no instance can take the task, then it is deferred once', async (t) => {
  const candidates = [instance('full', { slotsTaken: 2 })];
  for (const autoProvisioning of [noPolicy, policy(2, 2), policy(2, 3)]) {
    t.strictSame(decidePlacement(task(), candidates, autoProvisioning), { decision: 'defer', reason: 'no eligible instance has a free slot' });
    t.strictSame(
      decidePlacement(task({ status: 'waiting' }), candidates, autoProvisioning),
      { decision: 'keep_waiting', deploy: null },
      'a waiting task waits on',
    );
  }
});
