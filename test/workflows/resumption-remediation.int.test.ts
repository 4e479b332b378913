/**
 * Crashes in the middle of a drift remediation: the worker, then the Temporal server.
 * After each, the remediation finishes, run once.
 */
import { existsSync } from 'node:fs';
import t from 'tap';
import { freePort, missingBuild, serve, stopped } from '../api/process.js';
import { sharedTemporal } from './fleet-harness.js';
import { apiAt, devServerPid, fleetEnv, remediationScenario, scratch, stop } from './resumption-harness.js';

const temporal = missingBuild ? null : await sharedTemporal(t);

t.test('the worker killed mid-remediation: after the restart the remediation finishes, run once', { skip: missingBuild }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const env = fleetEnv({ TEMPORAL_ADDRESS: temporal!.address, BOSUN_TASK_QUEUE: `resume-drift-${process.pid}` });
  let bosun = await serve(dataDir, port, env);
  t.teardown(() => stop(bosun));
  const outcome = await remediationScenario(apiAt(bosun.base), dataDir, async () => {
    bosun.child.kill('SIGKILL');
    await stopped(bosun.child);
    bosun = await serve(dataDir, port, env);
  });
  t.equal(outcome.config.skills[0]?.version, '2.1.0', 'the agent put the version back');
  t.equal(outcome.remediations.length, 1, 'one remediation task, not a second after the restart');
  t.match(outcome.remediations[0], { status: 'completed' });
});

t.test(
  'the Temporal server killed mid-remediation: it is started again and the remediation finishes, run once',
  { skip: missingBuild || (!existsSync('/proc') && 'needs /proc') },
  async (t) => {
    const dataDir = scratch(t);
    const port = await freePort();
    const bosun = await serve(dataDir, port, fleetEnv());
    t.teardown(() => stop(bosun));
    const outcome = await remediationScenario(apiAt(bosun.base), dataDir, async () => {
      const pid = devServerPid(dataDir);
      if (pid === null) throw new Error('no dev server');
      process.kill(pid, 'SIGKILL');
    });
    t.equal(outcome.config.skills[0]?.version, '2.1.0', 'the agent put the version back');
    t.equal(outcome.remediations.length, 1, 'one remediation task');
    t.match(outcome.remediations[0], { status: 'completed' });
  },
);
