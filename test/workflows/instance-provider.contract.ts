import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { InstanceSpec } from '../../domain/instance/index.js';
import type { InstanceProvider, ProvisionRequest } from '../../workflows/instance-provider.js';

/**
 * A provider under test, with ways to look at its instances that do not go through it. The
 * adapter runs a fixture agent that idles until stopped.
 */
export type ProviderFixture = {
  readonly provider: InstanceProvider;
  /** Another provider on the same state, as Bosun creates after a restart. `cleanup` closes it. */
  readonly reopen: () => Promise<InstanceProvider>;
  /** The agent's actual configuration as it sits in the instance. */
  readonly readAgentConfig: (instanceId: string) => Promise<unknown>;
  /** Changes it behind the provider's back, as a remediation or drift does. */
  readonly writeAgentConfig: (instanceId: string, config: unknown) => Promise<void>;
  /** How many agent processes (or machines) of the instance run now, counted without the provider. */
  readonly agentProcesses: (instanceId: string) => Promise<number>;
  /** Stops every agent and removes every trace, even after a failed test. */
  readonly cleanup: () => Promise<void>;
};

export const contractSpec: InstanceSpec = {
  skills: [
    { name: 'git', version: '2.1.0' },
    { name: 'browser', version: '1.0.0', enabled: false },
  ],
  runtime_version: '1.0.0',
  settings: { allow_shell: false, log_level: 'info' },
  resources: { cpus: 2, memory_mb: 1024, ports: [], region: 'eu-west-1' },
  max_concurrent_tasks: 2,
};

export const provisionRequest = (instanceId: string): ProvisionRequest => ({
  instanceId,
  tenant: 'team-a',
  name: `agent-${instanceId}`,
  spec: contractSpec,
  apiUrl: 'http://127.0.0.1:9',
  registrationToken: `bsr_${instanceId}`,
});

export const newInstanceId = (): string => `contract-${randomUUID()}`;

/** A configuration the agent changed after a remediation: not what the spec says. */
const remediated = {
  runtime_version: '1.1.0',
  skills: [{ name: 'git', version: '2.2.0', enabled: true }],
  settings: { allow_shell: true },
};

/** Every instance-provider adapter passes this suite. */
export const instanceProviderContract = (t: Test, name: string, makeProvider: () => Promise<ProviderFixture>) => {
  t.test(`${name}: instance-provider contract`, async (t) => {
    const fresh = async () => {
      const fixture = await makeProvider();
      t.teardown(fixture.cleanup);
      return fixture;
    };

    /** isRunning and an independent count of agent processes, together. */
    const observe = async (fixture: ProviderFixture, instanceId: string, provider = fixture.provider) => ({
      running: await provider.isRunning(instanceId),
      processes: await fixture.agentProcesses(instanceId),
    });
    const up = { running: true, processes: 1 };
    const down = { running: false, processes: 0 };

    t.test('provision starts one agent, configured from the spec', async (t) => {
      const fixture = await fresh();
      const id = newInstanceId();
      const { endpoint } = await fixture.provider.provision(provisionRequest(id));
      t.ok(endpoint === null || typeof endpoint === 'string', 'an endpoint or null');
      t.same(await observe(fixture, id), up);
      t.match(await fixture.readAgentConfig(id), {
        runtime_version: '1.0.0',
        skills: [
          { name: 'git', version: '2.1.0', enabled: true },
          { name: 'browser', version: '1.0.0', enabled: false },
        ],
        settings: { allow_shell: false, log_level: 'info' },
      });
    });

    t.test('provision again is a no-op: still one agent, and the configuration it changed is kept', async (t) => {
      const fixture = await fresh();
      const id = newInstanceId();
      await fixture.provider.provision(provisionRequest(id));
      await fixture.writeAgentConfig(id, remediated);
      await fixture.provider.provision(provisionRequest(id));
      t.same(await observe(fixture, id), up);
      t.same(await fixture.readAgentConfig(id), remediated);
    });

    t.test('suspend stops the agent; provision leaves it suspended; resume starts it with the same state', async (t) => {
      const fixture = await fresh();
      const { provider } = fixture;
      const id = newInstanceId();
      await provider.provision(provisionRequest(id));
      await fixture.writeAgentConfig(id, remediated);
      await provider.suspend(id);
      t.same(await observe(fixture, id), down, 'suspended');
      await provider.suspend(id);
      t.same(await observe(fixture, id), down, 'suspend again is a no-op');
      await provider.provision(provisionRequest(id));
      t.same(await observe(fixture, id), down, 'a retried provision does not undo the suspend');
      await provider.resume(provisionRequest(id));
      t.same(await observe(fixture, id), up, 'resumed');
      t.same(await fixture.readAgentConfig(id), remediated, 'with the configuration it had, not the spec');
      await provider.resume(provisionRequest(id));
      t.same(await observe(fixture, id), up, 'resume again is a no-op');
    });

    t.test('restart starts the agent again with the state it had; a suspended instance is refused', async (t) => {
      const fixture = await fresh();
      const { provider } = fixture;
      const id = newInstanceId();
      await provider.provision(provisionRequest(id));
      await fixture.writeAgentConfig(id, remediated);
      await provider.restart(provisionRequest(id));
      t.same(await observe(fixture, id), up, 'running again');
      t.same(await fixture.readAgentConfig(id), remediated, 'with the configuration it had, not the spec');
      await provider.suspend(id);
      await t.rejects(provider.restart(provisionRequest(id)), 'a suspended instance is resumed, not restarted');
      t.same(await observe(fixture, id), down, 'and stays suspended');
    });

    t.test('backup answers a location and a size, the same copy for the same id', async (t) => {
      const fixture = await fresh();
      const { provider } = fixture;
      const id = newInstanceId();
      await provider.provision(provisionRequest(id));
      const first = await provider.backup(id, 'backup-1');
      t.ok(first.location.length > 0, 'a location');
      t.ok(Number.isSafeInteger(first.sizeBytes) && first.sizeBytes > 0, 'a size in bytes');
      await fixture.writeAgentConfig(id, remediated);
      t.same(await provider.backup(id, 'backup-1'), first, 'a retry answers the copy already taken');
      const second = await provider.backup(id, 'backup-2');
      t.not(second.location, first.location, 'another id, another copy');
      t.same(await observe(fixture, id), up, 'the agent runs on');
    });

    t.test('destroy stops the agent and removes the instance; again, or for an unknown instance, it does nothing', async (t) => {
      const fixture = await fresh();
      const { provider } = fixture;
      const id = newInstanceId();
      await provider.provision(provisionRequest(id));
      await provider.destroy(id);
      t.same(await observe(fixture, id), down, 'destroyed');
      await provider.destroy(id);
      t.same(await observe(fixture, id), down, 'destroy again');
      await provider.destroy(newInstanceId());
      t.equal(await provider.isRunning(newInstanceId()), false, 'an unknown instance does not run');
    });

    t.test('a suspended instance can be destroyed', async (t) => {
      const fixture = await fresh();
      const id = newInstanceId();
      await fixture.provider.provision(provisionRequest(id));
      await fixture.provider.suspend(id);
      await fixture.provider.destroy(id);
      t.same(await observe(fixture, id), down);
      await t.rejects(fixture.provider.resume(provisionRequest(id)), 'a destroyed instance cannot be resumed');
    });

    t.test('suspend, resume and backup of an unknown instance reject', async (t) => {
      const { provider } = await fresh();
      const id = newInstanceId();
      await t.rejects(provider.suspend(id));
      await t.rejects(provider.resume(provisionRequest(id)));
      await t.rejects(provider.backup(id, 'backup-1'));
    });

    t.test('a provider created later sees the running agent and manages it', async (t) => {
      const fixture = await fresh();
      const id = newInstanceId();
      await fixture.provider.provision(provisionRequest(id));
      const later = await fixture.reopen();
      t.same(await observe(fixture, id, later), up, 'sees it');
      await later.provision(provisionRequest(id));
      t.same(await observe(fixture, id, later), up, 'does not start a second one');
      await later.suspend(id);
      t.same(await observe(fixture, id, fixture.provider), down, 'stops an agent it did not start');
      await later.resume(provisionRequest(id));
      t.same(await observe(fixture, id, fixture.provider), up, 'resumes it');
      await later.destroy(id);
      t.same(await observe(fixture, id, later), down, 'destroys it');
    });

    t.test('close leaves agents running; close with stopAgents stops them', async (t) => {
      const fixture = await fresh();
      const [kept, a, b] = [newInstanceId(), newInstanceId(), newInstanceId()];
      await fixture.provider.provision(provisionRequest(kept));
      await fixture.provider.close();
      const later = await fixture.reopen();
      t.same(await observe(fixture, kept, later), up, 'the agent outlived its provider');

      const stopping = await fixture.reopen();
      await stopping.provision(provisionRequest(a));
      await stopping.provision(provisionRequest(b));
      await stopping.close({ stopAgents: true });
      t.same(await observe(fixture, a, later), down, 'first agent stopped');
      t.same(await observe(fixture, b, later), down, 'second agent stopped');
    });
  });
};
