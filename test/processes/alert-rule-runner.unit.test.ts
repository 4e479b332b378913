import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { CommandContext } from '../../commands/command-context.js';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { deployInstance, executeInstanceCommand } from '../../commands/instances.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import { readCheckpointFile } from '../../infra/checkpoint-file.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { uuidv7 } from '../../infra/ids.js';
import { createLogger } from '../../infra/logger.js';
import { alertRules } from '../../processes/alert-rules/rules.js';
import { AlertRuleRunner } from '../../processes/alert-rules/runner.js';
import { testKeys } from '../commands/test-keys.js';

const logger = createLogger('silent');
const ctx: CommandContext = {
  tenant: 'team-a',
  actor: { type: 'system', id: 'test' },
  requestId: null,
  correlationId: 'c',
  causationId: null,
  clientIp: null,
  userAgent: null,
};

const setUp = (t: { teardown: (fn: () => Promise<void>) => void }) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-alert-rules-'));
  const store = openEmbeddedEventStore({ directory });
  const deps: CommandHandlerDeps = { store, schemas: loadEventSchemas(), env: { now: () => new Date(), newId: () => uuidv7() }, ...testKeys() };
  const checkpointFile = join(directory, 'alert-rules.checkpoint');
  const runners: AlertRuleRunner[] = [];
  t.teardown(async () => {
    for (const runner of runners) await runner.stop();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const startRunner = () => {
    const runner = new AlertRuleRunner({ events: store, commands: deps, rules: alertRules(), checkpointFile, logger, checkpointEveryMs: 10 });
    runners.push(runner);
    runner.start();
    return runner;
  };
  const alertEvents = async () =>
    (await store.readAll({ maxCount: 10_000 })).filter((event) => event.type.startsWith('alert.')).map((event) => `${event.type} ${event.stream}`);
  /** Waits until the runner has looked at everything stored now. */
  const settled = async () => {
    const head = await store.headPosition();
    for (let waited = 0; readCheckpointFile(checkpointFile) < head; waited += 10) {
      if (waited > 5000) throw new Error(`the alert rules did not reach position ${head}`);
      await sleep(10);
    }
  };
  return { deps, startRunner, alertEvents, settled, checkpointFile };
};

t.test('given an instance turning unhealthy, the runner raises the alert and resolves it once healthy; replaying the log raises nothing twice', async (t) => {
  const { deps, startRunner, alertEvents, settled, checkpointFile } = setUp(t);
  const deployed = await deployInstance(deps, ctx, { name: 'box', provider: 'local', spec: {} });
  if (deployed.state.status === 'none') throw new Error('not deployed');
  const instanceId = deployed.state.instanceId;
  await executeInstanceCommand(deps, ctx, instanceId, { type: 'ChangeHealth', health: 'unhealthy', reason: 'no heartbeat for 3 s' });

  const first = startRunner();
  await settled();
  const raised = await alertEvents();
  t.equal(raised.length, 1);
  t.match(raised[0], /^alert\.raised alert-/);

  await executeInstanceCommand(deps, ctx, instanceId, { type: 'ChangeHealth', health: 'healthy', reason: 'heartbeats arrive' });
  await settled();
  const resolved = await alertEvents();
  t.same(resolved, [raised[0], raised[0]?.replace('alert.raised', 'alert.resolved')]);
  await first.stop();

  // A crash before any checkpoint was saved: everything is acted on again.
  rmSync(checkpointFile);
  startRunner();
  await settled();
  t.same(await alertEvents(), resolved, 'nothing new from the replay');
});

t.test(
  'given an alert open when the runner stopped, when it starts again from its saved state, then it resolves that alert without folding the log',
  async (t) => {
    const { deps, startRunner, alertEvents, settled, checkpointFile } = setUp(t);
    const deployed = await deployInstance(deps, ctx, { name: 'box', provider: 'local', spec: {} });
    if (deployed.state.status === 'none') throw new Error('not deployed');
    const instanceId = deployed.state.instanceId;
    await executeInstanceCommand(deps, ctx, instanceId, { type: 'ChangeHealth', health: 'unhealthy', reason: 'no heartbeat for 3 s' });
    const first = startRunner();
    await settled();
    await first.stop();
    const raised = await alertEvents();
    t.equal(raised.length, 1);
    const snapshot = JSON.parse(readFileSync(`${checkpointFile}.rules.json`, 'utf8'));
    t.equal(snapshot.position, readCheckpointFile(checkpointFile), 'the rules were saved as of the checkpoint');

    const read: number[] = [];
    const store = deps.store;
    const watched = {
      ...store,
      subscribe: (after: number, handlers: Parameters<typeof store.subscribe>[1]) => (read.push(after), store.subscribe(after, handlers)),
    };
    const second = new AlertRuleRunner({ events: watched, commands: deps, rules: alertRules(), checkpointFile, logger, checkpointEveryMs: 10 });
    second.start();
    t.teardown(() => second.stop());
    t.same(read, [snapshot.position], 'it follows the log from its snapshot, not from position 0');
    await executeInstanceCommand(deps, ctx, instanceId, { type: 'ChangeHealth', health: 'healthy', reason: 'heartbeats arrive' });
    await settled();
    t.same(await alertEvents(), [raised[0], raised[0]?.replace('alert.raised', 'alert.resolved')], 'the alert open before the restart is resolved');
  },
);
