import t from 'tap';
import { instanceStream } from '../../events/streams.js';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';

const gitSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['depth'],
  properties: { depth: { type: 'integer', minimum: 1 }, remote: { type: 'string', format: 'uri' } },
};

const publish = (app: TestBosun, body: object, key?: string) => app.call('POST', '/api/v1/skills', { body, ...(key ? { key } : {}) });

const gitVersion = (version: string, extra: object = {}) => ({
  name: 'git',
  version,
  description: 'Clones and pulls Git repositories',
  category: 'vcs',
  tags: ['git', 'scm'],
  parameters_schema: gitSchema,
  ...extra,
});

/** Reads with the position of the last write, so the read models have it. */
const read = async (app: TestBosun, path: string, options: { key?: string | null } = {}) =>
  app.call('GET', path, { headers: { 'x-min-position': String(await app.bosun.events.headPosition()) }, ...options });

t.test('publishing versions: semver, a schema checked as one, immutable once published', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);

  const first = await publish(app, gitVersion('1.0.0'));
  t.equal(first.status, 201);
  t.match(first.body, {
    object: 'skill',
    name: 'git',
    latest_version: '1.0.0',
    category: 'vcs',
    tags: ['git', 'scm'],
    versions: [{ version: '1.0.0', parameters_schema: gitSchema, deprecated: false }],
    revision: 1,
  });
  t.equal(first.headers.get('location'), '/api/v1/skills/git/versions/1.0.0');
  t.notOk('search_text' in first.body, 'storage fields stay inside');

  const second = await publish(app, gitVersion('1.2.0', { description: 'Git, with sparse checkouts' }));
  t.match(second.body, { latest_version: '1.2.0', description: 'Git, with sparse checkouts', revision: 2 });
  t.same(
    second.body.versions.map((v: { version: string }) => v.version),
    ['1.2.0', '1.0.0'],
    'newest first',
  );

  const again = await publish(app, gitVersion('1.0.0'));
  t.match(again, { status: 201, body: { revision: 2 } }, 'the same version with the same body again records nothing');

  const changed = await publish(app, gitVersion('1.0.0', { description: 'something else' }));
  t.match(changed, { status: 409, body: { error: { type: 'conflict_error', code: 'version_exists', message: /versions never change/ } } });

  for (const [body, param] of [
    [gitVersion('v1.3.0'), 'version'],
    [gitVersion('1.3'), 'version'],
    [gitVersion('1.3.0', { parameters_schema: { type: 'objekt' } }), 'parameters_schema'],
    [gitVersion('1.3.0', { parameters_schema: { type: 'object', propertys: {} } }), 'parameters_schema'],
    [gitVersion('1.3.0', { parameters_schema: { $ref: 'https://example.com/elsewhere.json' } }), 'parameters_schema'],
    [gitVersion('1.3.0', { name: 'Git Tool' }), 'name'],
    [{ ...gitVersion('1.3.0'), category: undefined }, 'category'],
  ] as const) {
    const refused = await publish(app, body);
    t.match(refused, { status: 400, body: { error: { type: 'invalid_request_error', param } } }, `${JSON.stringify(body).slice(0, 120)} names ${param}`);
  }
  t.equal((await read(app, '/api/v1/skills/git')).body.versions.length, 2, 'nothing refused was stored');

  const keyed = { body: gitVersion('1.3.0'), headers: { 'Idempotency-Key': 'publish-1.3.0' } };
  const once = await app.call('POST', '/api/v1/skills', keyed);
  const twice = await app.call('POST', '/api/v1/skills', keyed);
  t.match(twice, { status: 201, body: { revision: once.body.revision, position: once.body.position } });
  t.equal(twice.headers.get('idempotency-replayed'), 'true');
  t.match(await app.call('POST', '/api/v1/skills', { ...keyed, body: gitVersion('1.4.0') }), { status: 409, body: { error: { param: 'Idempotency-Key' } } });

  const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).body.key as string;
  t.match(await publish(app, gitVersion('9.0.0'), viewer), { status: 403 }, 'viewers read the catalog, developers publish');
});

t.test('the catalog: list by name, search, filter, page; detail with every version; one version; deprecation', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  for (const body of [
    gitVersion('1.0.0'),
    { name: 'http-get', version: '0.3.0', description: 'Fetches a URL over HTTP', category: 'network', tags: ['http'], parameters_schema: { type: 'object' } },
    {
      name: 'curl',
      version: '8.0.0',
      description: 'Transfers data with URLs',
      category: 'network',
      tags: ['http', 'ftp'],
      parameters_schema: { type: 'object' },
    },
    { name: 'ansible', version: '2.0.0', description: 'Configures hosts', category: 'config', tags: ['yaml'], parameters_schema: { type: 'object' } },
  ]) {
    t.equal((await publish(app, body)).status, 201);
  }
  const names = async (query: string) => (await read(app, `/api/v1/skills${query}`)).body.data.map((skill: { name: string }) => skill.name);

  t.same(await names(''), ['ansible', 'curl', 'git', 'http-get'], 'sorted by name');
  t.same(await names('?q=URL'), ['curl', 'http-get'], 'q searches descriptions, case-folded');
  t.same(await names('?q=GI'), ['git'], 'and names');
  t.same(await names('?category=network'), ['curl', 'http-get']);
  t.same(await names('?tag=http'), ['curl', 'http-get']);
  t.same(await names('?tag=ftp&category=network'), ['curl']);
  t.same(await names('?q=nothing-like-it'), []);
  t.match(await app.call('GET', '/api/v1/skills?sort=name'), { status: 400, body: { error: { param: 'sort' } } });

  const first = await read(app, '/api/v1/skills?limit=3');
  t.match(first.body, { has_more: true });
  const next = await read(app, `/api/v1/skills?limit=3&cursor=${first.body.next_cursor}`);
  t.same(
    next.body.data.map((skill: { name: string }) => skill.name),
    ['http-get'],
  );
  t.match(next.body, { has_more: false, next_cursor: null });
  t.match(await app.call('GET', '/api/v1/skills?cursor=bogus'), { status: 400, body: { error: { param: 'cursor' } } });

  await publish(app, gitVersion('2.0.0', { tags: ['git'] }));
  const detail = await read(app, '/api/v1/skills/git');
  t.match(detail.body, { name: 'git', latest_version: '2.0.0', tags: ['git'], versions: [{ version: '2.0.0' }, { version: '1.0.0' }] });
  t.same(await names('?tag=scm'), [], 'tags are those of the latest version');
  t.match(await read(app, '/api/v1/skills/git/versions/1.0.0'), {
    status: 200,
    body: { object: 'skill_version', name: 'git', version: '1.0.0', tags: ['git', 'scm'], parameters_schema: gitSchema },
  });
  t.match(await read(app, '/api/v1/skills/git/versions/3.0.0'), { status: 404, body: { error: { message: /no version 3\.0\.0/ } } });
  t.match(await read(app, '/api/v1/skills/svn'), { status: 404 });
  t.match(await read(app, '/api/v1/skills/NOT%20A%20NAME'), { status: 404 });

  const deprecated = await app.call('POST', '/api/v1/skills/git/versions/2.0.0/deprecate', { body: { reason: 'breaks sparse checkouts' } });
  t.match(deprecated.body, {
    latest_version: '1.0.0',
    versions: [{ version: '2.0.0', deprecated: true, deprecation_reason: 'breaks sparse checkouts' }, { deprecated: false }],
  });
  t.match(await app.call('POST', '/api/v1/skills/git/versions/4.0.0/deprecate', { body: { reason: 'x' } }), { status: 404 });
});

t.test('a public catalog: readable without a key when the team opts in, 404 otherwise, never another team', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  await publish(app, gitVersion('1.0.0'));
  const teamId = (await app.call('GET', '/api/v1/team')).body.id as string;
  const publicList = `/api/v1/public/teams/${teamId}/skills`;

  const closed = await read(app, publicList, { key: null });
  t.match(closed, { status: 404, body: { error: { type: 'not_found_error', message: `no public skill catalog for team ${teamId}` } } }, 'not opted in');
  t.match(await read(app, '/api/v1/public/teams/no-such-team/skills', { key: null }), {
    status: 404,
    body: { error: { message: 'no public skill catalog for team no-such-team' } },
  });
  t.match(await read(app, `${publicList}/git`, { key: null }), { status: 404 });

  await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low', public_skill_catalog: true } });
  const open = await read(app, `${publicList}?q=git`, { key: null });
  t.match(open, { status: 200, body: { data: [{ name: 'git', latest_version: '1.0.0' }], has_more: false } });
  t.match(await read(app, `${publicList}/git`, { key: null }), { status: 200, body: { name: 'git', versions: [{ version: '1.0.0' }] } });
  t.match(await read(app, `${publicList}/svn`, { key: null }), { status: 404 });

  const otherKey = await createOtherTeam(app);
  await publish(app, { ...gitVersion('5.0.0'), name: 'secret-tool' }, otherKey);
  t.same(
    (await read(app, publicList, { key: null })).body.data.map((skill: { name: string }) => skill.name),
    ['git'],
    "another team's skills are not in this team's public catalog",
  );
  const otherTeamId = (await app.call('GET', '/api/v1/team', { key: otherKey })).body.id as string;
  t.match(await read(app, `/api/v1/public/teams/${otherTeamId}/skills`, { key: null }), { status: 404 }, 'the other team did not opt in');

  await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low' } });
  t.match(await read(app, publicList, { key: null }), { status: 404 }, 'opting out closes it at once');
});

t.test('another team can neither see nor install your skills', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  await publish(app, gitVersion('1.0.0'));
  const otherKey = await createOtherTeam(app);
  t.same((await read(app, '/api/v1/skills', { key: otherKey })).body.data, []);
  t.match(await read(app, '/api/v1/skills/git', { key: otherKey }), { status: 404 });
  t.match(await read(app, '/api/v1/skills/git/versions/1.0.0', { key: otherKey }), { status: 404 });

  const theirs = await app.call('POST', '/api/v1/instances', { body: { name: 'theirs', provider: 'local', spec: {} }, key: otherKey });
  const install = await app.call('POST', `/api/v1/instances/${theirs.body.id}/skills`, {
    body: { name: 'git', version: '1.0.0', parameters: { depth: 1 } },
    key: otherKey,
  });
  t.match(install, { status: 400, body: { error: { param: 'name', message: /no skill named git/ } } });

  const mine = await app.call('POST', '/api/v1/instances', { body: { name: 'mine', provider: 'local', spec: {} } });
  t.match(
    await app.call('POST', `/api/v1/instances/${mine.body.id}/skills`, { body: { name: 'git', version: '1.0.0', parameters: { depth: 1 } }, key: otherKey }),
    {
      status: 404,
    },
  );
  t.match(await app.call('DELETE', `/api/v1/instances/${mine.body.id}/skills/git`, { key: otherKey }), { status: 404 });

  // The same name in the other team is another skill.
  t.equal((await publish(app, gitVersion('7.0.0'), otherKey)).status, 201);
  t.same(
    (await read(app, '/api/v1/skills/git')).body.versions.map((v: { version: string }) => v.version),
    ['1.0.0'],
  );
});

t.test('installing and removing skills change the desired spec, and the drift workflow takes it from there', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drift = driftDriver(app);
  await publish(app, gitVersion('2.1.0'));
  await publish(app, gitVersion('2.2.0'));
  await publish(app, gitVersion('3.0.0'));
  await publish(app, { name: 'jq', version: '1.7.0', description: 'JSON processor', category: 'data', parameters_schema: { type: 'object' } });
  // Runs as declared: git 2.1.0, nothing else.
  const agent = await drift.enrol(undefined, 'box');
  const path = `/api/v1/instances/${agent.instanceId}/skills`;
  const specEvents = async () =>
    (await app.bosun.events.readStream(instanceStream(agent.instanceId))).filter((event) => event.type === 'instance.spec_changed').length;

  t.test('parameters are checked against the version, naming the field; the version must exist and not be deprecated', async (t) => {
    for (const [body, param, message] of [
      [{ name: 'git', version: '2.2.0', parameters: {} }, 'parameters.depth', /parameters\.depth is required/],
      [{ name: 'git', version: '2.2.0', parameters: { depth: 0 } }, 'parameters.depth', /parameters\.depth must be >= 1/],
      [{ name: 'git', version: '2.2.0', parameters: { depth: 1, remote: 'not a uri' } }, 'parameters.remote', /format/],
      [{ name: 'git', version: '2.2.0', parameters: { depth: 1, branch: 'main' } }, 'parameters.branch', /not a known field/],
      [{ name: 'git', version: '9.9.9', parameters: { depth: 1 } }, 'version', /no version 9\.9\.9/],
      [{ name: 'git', version: '^9', parameters: { depth: 1 } }, 'version', /no version matching \^9/],
      [{ name: 'git', version: 'latest', parameters: { depth: 1 } }, 'version', /neither a semantic version nor a range/],
      [{ name: 'svn', version: '1.0.0' }, 'name', /no skill named svn/],
      [{ name: 'git' }, 'version', /version is required/],
    ] as const) {
      t.match(
        await app.call('POST', path, { body }),
        { status: 400, body: { error: { type: 'invalid_request_error', param, message } } },
        JSON.stringify(body),
      );
    }
    t.equal(await specEvents(), 0, 'nothing refused changed the spec');
  });

  t.test('a range installs the newest version it matches; the answer links to where the remediation shows', async (t) => {
    const installed = await app.call('POST', path, { body: { name: 'git', version: '^2.1', parameters: { depth: 1 } } });
    t.equal(installed.status, 200);
    t.match(installed.body, {
      object: 'instance',
      id: agent.instanceId,
      spec: { skills: [{ name: 'git', version: '2.2.0', parameters: { depth: 1 } }] },
      links: { remediation: `/api/v1/drift-events?instance_id=${agent.instanceId}` },
    });
    t.equal(installed.headers.get('etag'), `"${installed.body.revision}"`);
    t.equal(await specEvents(), 1);

    const same = await app.call('POST', path, { body: { name: 'git', version: '2.2.0', parameters: { depth: 1 } } });
    t.match(same, { status: 200, body: { revision: installed.body.revision } });
    t.equal(await specEvents(), 1, 'the same version with the same parameters is no change: no event');

    // The agent still runs 2.1.0: its next heartbeat opens a drift, found where the link says.
    await agent.heartbeat(matchingConfiguration);
    await drift.settle();
    const drifts = await read(app, installed.body.links.remediation);
    t.match(drifts.body.data, [{ status: 'open' }]);
    t.match(drifts.body.data[0].items, [
      { kind: 'skill_version_mismatch', path: 'skills.git', expected: '2.2.0', actual: '2.1.0' },
      { kind: 'skill_parameters_mismatch', path: 'skills.git', expected: { depth: 1 }, actual: {} },
    ]);
    t.equal(drifts.body.data[0].items.length, 2);
    const executed = await app.call('POST', `/api/v1/drift-events/${drifts.body.data[0].id}/remediation/execute`, { body: {} });
    t.equal(executed.status, 202);
    t.strictSame(
      executed.body.plan.actions,
      [
        { action: 'install_skill', name: 'git', version: '2.2.0' },
        { action: 'configure_skill', name: 'git', parameters: { depth: 1 } },
      ],
      'the remediation installs it and configures it with the parameters',
    );
  });

  t.test('other parameters are a change; a deprecated version is not installed anew, nor chosen for a range', async (t) => {
    const changed = await app.call('POST', path, { body: { name: 'git', version: '2.2.0', parameters: { depth: 5 } } });
    t.match(changed.body.spec.skills, [{ name: 'git', version: '2.2.0', parameters: { depth: 5 } }]);
    t.equal(await specEvents(), 2);
    await app.call('POST', '/api/v1/skills/git/versions/2.2.0/deprecate', { body: { reason: 'broken' } });
    t.match(await app.call('POST', path, { body: { name: 'git', version: '2.2.0', parameters: { depth: 1 } } }), {
      status: 400,
      body: { error: { param: 'version', message: /deprecated/ } },
    });
    const ranged = await app.call('POST', path, { body: { name: 'git', version: '2.x', parameters: { depth: 5 } } });
    t.match(ranged.body.spec.skills, [{ name: 'git', version: '2.1.0' }]);
    t.match(
      await app.call('POST', path, { body: { name: 'jq', version: '1.7.0' } }),
      { status: 200, body: { spec: { skills: [{ name: 'git' }, { name: 'jq', version: '1.7.0', parameters: {} }] } } },
      'parameters default to {}',
    );
  });

  t.test('an install is replayed by its Idempotency-Key, and refused with 412 when If-Match is stale', async (t) => {
    const keyed = { body: { name: 'jq', version: '1.7.0', parameters: { raw: true } }, headers: { 'Idempotency-Key': 'install-jq' } };
    const once = await app.call('POST', path, keyed);
    const twice = await app.call('POST', path, keyed);
    t.match(twice, { status: 200, body: { revision: once.body.revision, links: { remediation: once.body.links.remediation } } });
    t.equal(twice.headers.get('idempotency-replayed'), 'true');
    const stale = await app.call('POST', path, { body: { name: 'jq', version: '1.7.0' }, headers: { 'If-Match': `"${once.body.revision - 1}"` } });
    t.match(stale, { status: 412, body: { error: { param: 'If-Match' } } });
    const current = await app.call('POST', path, { body: { name: 'jq', version: '1.7.0' }, headers: { 'If-Match': `"${once.body.revision}"` } });
    t.match(current, { status: 200, body: { revision: once.body.revision + 1 } });
  });

  t.test('removing a skill takes it out of the spec; removing one not declared is a 404', async (t) => {
    const removed = await app.call('DELETE', `${path}/jq`);
    t.match(removed, {
      status: 200,
      body: { spec: { skills: [{ name: 'git' }] }, links: { remediation: `/api/v1/drift-events?instance_id=${agent.instanceId}` } },
    });
    t.equal(removed.body.spec.skills.length, 1);
    t.match(await app.call('DELETE', `${path}/jq`), { status: 404, body: { error: { message: /skill jq/ } } });
    const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).body.key as string;
    t.match(await app.call('DELETE', `${path}/git`, { key: viewer }), { status: 403 }, 'operators install and remove');
    t.match(await app.call('POST', path, { body: { name: 'git', version: '2.1.0', parameters: { depth: 1 } }, key: viewer }), { status: 403 });
  });
});

t.test(
  'given an install that changes only the parameters, when the agent reports the old ones, then a drift opens whose plan configures the skill',
  async (t) => {
    const app = await startTestBosun();
    t.teardown(app.stop);
    const drift = driftDriver(app);
    await publish(app, gitVersion('2.1.0'));
    const agent = await drift.enrol(undefined, 'params');
    const running = { ...matchingConfiguration, skills: [{ name: 'git', version: '2.1.0', enabled: true, parameters: { depth: 1 } }] };
    await agent.heartbeat(matchingConfiguration);
    await drift.settle();
    const remediation = `/api/v1/drift-events?instance_id=${agent.instanceId}`;
    t.same((await read(app, remediation)).body.data, [], 'no parameters reported for a spec without any: no drift');

    const installed = await app.call('POST', `/api/v1/instances/${agent.instanceId}/skills`, {
      body: { name: 'git', version: '2.1.0', parameters: { depth: 3 } },
    });
    t.equal(installed.status, 200);
    t.equal((await agent.heartbeat(running)).status, 200, 'heartbeats report parameters');
    await drift.settle();
    const drifts = await read(app, remediation);
    t.match(drifts.body.data, [{ status: 'open', severity: 'medium' }]);
    t.strictSame(drifts.body.data[0].items, [
      { kind: 'skill_parameters_mismatch', path: 'skills.git', severity: 'medium', expected: { depth: 3 }, actual: { depth: 1 } },
    ]);
    const executed = await app.call('POST', `/api/v1/drift-events/${drifts.body.data[0].id}/remediation/execute`, { body: {} });
    t.equal(executed.status, 202);
    t.strictSame(executed.body.plan.actions, [{ action: 'configure_skill', name: 'git', parameters: { depth: 3 } }]);

    // Once the agent has applied it, its heartbeats report the desired parameters.
    await agent.heartbeat({ ...running, skills: [{ ...running.skills[0], parameters: { depth: 3 } }] });
    await drift.settle();
    t.ok((await drift.driftEvents(agent.instanceId)).includes('drift.resolved'), 'the drift is resolved');
  },
);
