import t from 'tap';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

const ids = (body: { data: { id: string }[] }) => body.data.map((instance) => instance.id);

/** Every page of a list, following next_cursor. */
const allPages = async (app: TestBosun, path: string): Promise<string[]> => {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: any } = await app.call('GET', `${path}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    if (page.status !== 200) throw new Error(`${path}: ${JSON.stringify(page.body)}`);
    seen.push(...ids(page.body));
    cursor = page.body.next_cursor;
  } while (cursor);
  return seen;
};

t.test('instance lists: filters by status, provider, health, skill and name, sorts with cursors that page correctly', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const driver = instanceDriver(app);
  const deploy = async (name: string, skills: string[]) => {
    const deployed = await app.call('POST', '/api/v1/instances', {
      body: { name, provider: 'local', spec: { skills: skills.map((skill) => ({ name: skill, version: '1.0.0' })) } },
    });
    if (deployed.status !== 202) throw new Error(JSON.stringify(deployed.body));
    return deployed.body.id as string;
  };
  const charlie = await deploy('charlie-web', ['git', 'jq']);
  const alpha = await deploy('alpha-db', ['git']);
  const bravo = await deploy('bravo-web', []);
  const delta = await deploy('delta', ['jq']);
  await driver.provision(alpha);
  await driver.provision(charlie);
  await driver.execute(charlie, { type: 'ChangeHealth', health: 'healthy', reason: 'heartbeats arrive' });
  const { position } = await driver.execute(alpha, { type: 'ChangeHealth', health: 'unhealthy', reason: 'no heartbeat for 15 s' });
  await app.bosun.readSide.waitFor(position, 5000);

  t.test('filters, alone and together', async (t) => {
    t.same(ids((await app.call('GET', '/api/v1/instances?skill=git')).body).sort(), [alpha, charlie].sort(), 'skill: in the spec');
    t.same(ids((await app.call('GET', '/api/v1/instances?skill=git&health=healthy')).body), [charlie]);
    t.same(ids((await app.call('GET', '/api/v1/instances?health=unhealthy')).body), [alpha]);
    t.same(ids((await app.call('GET', '/api/v1/instances?status=provisioning')).body).sort(), [bravo, delta].sort());
    t.same(ids((await app.call('GET', '/api/v1/instances?q=WEB')).body).sort(), [bravo, charlie].sort(), 'q: part of the name, case-insensitive');
    t.same(ids((await app.call('GET', '/api/v1/instances?q=web&provider=local&status=running')).body), [charlie]);
    t.same(ids((await app.call('GET', '/api/v1/instances?skill=terraform')).body), []);
    const listed = (await app.call('GET', `/api/v1/instances?q=delta`)).body.data[0];
    t.same(listed.skills, ['jq'], 'the skills shown are the names of the spec');
  });

  t.test('sorts by name and created_at either way; cursors page without gaps or repeats', async (t) => {
    t.same(await allPages(app, '/api/v1/instances?sort=name'), [alpha, bravo, charlie, delta]);
    t.same(await allPages(app, '/api/v1/instances?sort=-name'), [delta, charlie, bravo, alpha]);
    t.same(await allPages(app, '/api/v1/instances?sort=created_at'), [charlie, alpha, bravo, delta]);
    t.same(await allPages(app, '/api/v1/instances?sort=-created_at&skill=jq'), [delta, charlie]);
    const first = await app.call('GET', '/api/v1/instances?sort=name&limit=1');
    const mixed = await app.call('GET', `/api/v1/instances?sort=-name&limit=1&cursor=${first.body.next_cursor}`);
    t.equal(mixed.status, 400, 'a cursor of another order is refused');
    t.equal(mixed.body.error.param, 'cursor');
  });

  t.test('unknown filter values and sorts are refused naming them', async (t) => {
    for (const [query, param] of [
      ['status=sleeping', 'status'],
      ['health=sick', 'health'],
      ['provider=aws', 'provider'],
      ['sort=updated_at', 'sort'],
      ['sort=-', 'sort'],
      ['q=', 'q'],
      ['colour=red', 'colour'],
    ] as const) {
      const refused = await app.call('GET', `/api/v1/instances?${query}`);
      t.equal(refused.status, 400, query);
      t.equal(refused.body.error.param, param, `${query} names ${param}`);
    }
  });

  t.test("another team's list holds none of these", async (t) => {
    const other = await createOtherTeam(app, 'list-other');
    t.same(ids((await app.call('GET', '/api/v1/instances?skill=git', { key: other })).body), []);
  });
});

t.test('instance lists sort by last heartbeat, joined from the heartbeat metrics', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drift = driftDriver(app);
  const first = await drift.enrol(undefined, 'one');
  const second = await drift.enrol(undefined, 'two');
  const third = await drift.enrol(undefined, 'quiet');
  const beat = (agent: { call: (method: string, path: string, body?: object) => Promise<unknown> }) =>
    agent.call('POST', '/heartbeat', { configuration: matchingConfiguration, metrics: { cpu_percent: 1 } });
  await beat(second);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await beat(first);
  await drift.settle();
  t.same(
    await allPages(app, '/api/v1/instances?sort=-last_heartbeat_at'),
    [first.instanceId, second.instanceId, third.instanceId],
    'latest first, never beating last',
  );
  t.same(await allPages(app, '/api/v1/instances?sort=last_heartbeat_at'), [third.instanceId, second.instanceId, first.instanceId]);
  t.same(await allPages(app, '/api/v1/instances?sort=-last_heartbeat_at&q=t'), [second.instanceId, third.instanceId], 'with a filter');
  const listed = await app.call('GET', '/api/v1/instances?sort=-last_heartbeat_at&limit=1');
  t.notOk('last_heartbeat_at' in listed.body.data[0], 'items have the shape of every other list');
});
