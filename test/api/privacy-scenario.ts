/** Personal data sealed per data subject, revealed at the API's edge, and erased by deleting the subject's key: the scenario both read stores run. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { verifyLog } from '../../events/audit-verify.js';
import { sealsInLog } from '../../infra/audit-command.js';
import type { Config } from '../../infra/config.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { adminKey, createOtherTeam, startTestBosun, type TestBosun } from './harness.js';

/** The NDJSON firehose of the caller's team, whole. */
const firehose = async (app: TestBosun, key = adminKey): Promise<any[]> => {
  const response = await fetch(`${app.bosun.url}/api/v1/events?follow=false`, { headers: { authorization: `Bearer ${key}`, accept: 'application/x-ndjson' } });
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
};

const storedFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).isFile());

export const privacyScenario = async (t: Test, config: Partial<Config> = {}): Promise<void> => {
  const app = await startTestBosun(config);
  t.teardown(app.stop);
  const issued = await app.call('POST', '/api/v1/api-keys', { body: { name: 'alice', role: 'developer' } });
  const aliceKey = issued.body.key as string;
  const aliceKeyId = issued.body.id as string;
  const submitted = await app.call('POST', '/api/v1/tasks', {
    key: aliceKey,
    headers: { 'user-agent': 'Alice-Laptop/1.0' },
    body: { kind: 'echo', input: { email: { $personal: { subject: 'customer-42', value: 'alice@example.com' } }, note: 'not personal' } },
  });
  t.equal(submitted.status, 202);
  const taskId = submitted.body.id as string;
  const read = () => app.call('GET', `/api/v1/tasks/${taskId}`, { headers: { 'x-min-position': String(submitted.body.position) } });
  const eventsOfTask = async () => (await firehose(app)).filter((event) => event.stream === `task-${taskId}`);

  t.test('given a task submitted with a value marked personal, then the log holds no clear value, and its team reads it', async (t) => {
    const stored = JSON.stringify(await app.bosun.events.readStream(`task-${taskId}`));
    t.notOk(stored.includes('alice@example.com'), 'the marked value is sealed in the log');
    t.notOk(stored.includes('Alice-Laptop'), "the key's user agent is sealed in the log");
    t.match(stored, /bosun:erasable:v1:/);
    t.same((await read()).body.input, { email: 'alice@example.com', note: 'not personal' }, 'the API shows the value to the team');
    const [submittedEvent] = await eventsOfTask();
    t.equal(submittedEvent.metadata.user_agent, 'Alice-Laptop/1.0');
    t.equal(submittedEvent.data.input.email, 'alice@example.com');
    const files = storedFiles(app.dataDir).filter((file) => readFileSync(file, 'latin1').includes('alice@example.com'));
    t.same(files, [], 'no file of the data directory holds it');
  });

  t.test('given another team, then it never sees the tokens opened, whatever it sends', async (t) => {
    const otherKey = await createOtherTeam(app);
    const [token] = JSON.stringify(await app.bosun.events.readStream(`task-${taskId}`)).match(/bosun:erasable:v1:[^"]+/) ?? [];
    const forged = await app.call('POST', '/api/v1/tasks', { key: otherKey, body: { kind: 'echo', input: { stolen: token } } });
    t.match(forged, { status: 400, body: { error: { code: 'invalid_personal_mark', param: 'input' } } }, 'a token cannot be smuggled in as input');
  });

  t.test('a malformed mark is a 400 naming it, and nothing is stored', async (t) => {
    const head = await app.bosun.events.headPosition();
    const bad = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { email: { $personal: { value: 'x' } } } } });
    t.match(bad, { status: 400, body: { error: { code: 'invalid_personal_mark', param: 'input', message: /\$personal/ } } });
    t.equal(await app.bosun.events.headPosition(), head);
  });

  t.test('when the subject is erased, then every answer shows [erased], the stored bytes unchanged', async (t) => {
    const before = JSON.stringify(await app.bosun.events.readStream(`task-${taskId}`));
    const erased = await app.call('POST', '/api/v1/privacy/erasures', { body: { subject: 'customer-42', reason: 'ticket 1234' } });
    t.match(erased, { status: 201, body: { object: 'erasure', erased: true, key_deleted: true, subject_ref: /^[\w-]{22}$/ } });
    t.notOk(JSON.stringify(erased.body).includes('customer-42'), 'the answer names the subject by pseudonym only');
    const again = await app.call('POST', '/api/v1/privacy/erasures', { body: { subject: 'customer-42' } });
    t.match(again, { status: 200, body: { subject_ref: erased.body.subject_ref, key_deleted: false } }, 'erasing again changes nothing');

    t.same((await read()).body.input, { email: '[erased]', note: 'not personal' });
    t.equal((await eventsOfTask())[0].data.input.email, '[erased]');
    t.equal(JSON.stringify(await app.bosun.events.readStream(`task-${taskId}`)), before, 'the log is not rewritten');
    const rebuilt = await fetch(`${app.bosun.url}/api/v1/system/projections/tasks/rebuild`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    t.match((await rebuilt.text()).trim().split('\n').at(-1), /"type":"result"/, 'the task projection was rebuilt from scratch');
    t.same((await read()).body.input, { email: '[erased]', note: 'not personal' }, 'rebuilt from the log, it shows the same');
    const recorded = (await firehose(app)).find((event) => event.type === 'privacy.subject_erased');
    t.match(
      recorded,
      { stream: /^privacy-/, data: { subject_ref: erased.body.subject_ref, key_deleted: true, reason: 'ticket 1234' } },
      'the erasure is on record',
    );
  });

  t.test("when the person behind a key is erased, then its requests' client IP and user agent read as [erased]", async (t) => {
    t.equal((await app.call('POST', '/api/v1/privacy/erasures', { body: { subject: `api_key:${aliceKeyId}` } })).status, 201);
    const [submittedEvent] = await eventsOfTask();
    t.match(submittedEvent.metadata, { client_ip: '[erased]', user_agent: '[erased]', actor: { type: 'api_key', id: aliceKeyId } });
    const history = await app.call('GET', `/api/v1/tasks/${taskId}/history`);
    t.match(history.body.data[0], { metadata: { user_agent: '[erased]', client_ip: '[erased]' }, data: { input: { email: '[erased]' } } }, 'history');
    const asOf = await app.call('GET', `/api/v1/tasks/${taskId}?as_of=${submitted.body.position as number}`);
    t.same(asOf.body.input, { email: '[erased]', note: 'not personal' }, 'time travel');
    await app.bosun.readSide.waitFor(await app.bosun.events.headPosition(), 5000);
    const audit = await app.call('GET', `/api/v1/audit-logs?request_id=${encodeURIComponent(submittedEvent.metadata.request_id as string)}`);
    t.match(audit.body.data, [{ actor: { id: aliceKeyId }, user_agent: '[erased]', client_ip: '[erased]' }], 'the audit log');
    const exported = await fetch(`${app.bosun.url}/api/v1/audit-logs/export`, { headers: { authorization: `Bearer ${adminKey}` } });
    const text = await exported.text();
    t.notOk(text.includes('Alice-Laptop'), 'the audit export');
    t.match(text, /\[erased\]/);
    const later = await app.call('POST', '/api/v1/tasks', { key: aliceKey, headers: { 'user-agent': 'Alice-Laptop/2.0' }, body: { kind: 'echo', input: {} } });
    const laterEvent = (await app.bosun.events.readStream(`task-${later.body.id as string}`))[0]!;
    t.match(laterEvent.metadata, { user_agent: null, client_ip: null }, 'an erased subject gets no key again: nothing more is recorded about it');
  });

  t.test('given an event recorded in the clear before sealing existed, then it is upcast on read and erased like the rest', async (t) => {
    const legacyKey = await app.call('POST', '/api/v1/api-keys', { body: { name: 'legacy', role: 'developer' } });
    const [template] = await app.bosun.events.readStream(`task-${taskId}`);
    const stream = `task-legacy-${Date.now()}`;
    await app.bosun.events.append(
      stream,
      [
        {
          id: `legacy-${Date.now()}`,
          type: template!.type,
          tenant: template!.tenant,
          data: { ...(template!.data as object), task_id: stream.slice('task-'.length), input: {} },
          metadata: { ...template!.metadata, actor: { type: 'api_key', id: legacyKey.body.id }, client_ip: '198.51.100.7', user_agent: 'Old-Client/0.1' },
        },
      ],
      'no_stream',
    );
    const shown = async () => (await firehose(app)).find((event) => event.stream === stream);
    t.match((await shown()).metadata, { client_ip: '198.51.100.7', user_agent: 'Old-Client/0.1' });
    await app.call('POST', '/api/v1/privacy/erasures', { body: { subject: `api_key:${legacyKey.body.id as string}` } });
    t.match((await shown()).metadata, { client_ip: '[erased]', user_agent: '[erased]' });
  });

  t.test('a viewer cannot erase, and a body without a subject is a 400 naming it', async (t) => {
    const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).body.key as string;
    t.equal((await app.call('POST', '/api/v1/privacy/erasures', { key: viewer, body: { subject: 'x' } })).status, 403);
    t.match(await app.call('POST', '/api/v1/privacy/erasures', { body: {} }), { status: 400, body: { error: { param: 'subject' } } });
  });
  t.test('after erasures, the hash chain over the stored events still verifies: erasure deleted keys, not events', async (t) => {
    await app.bosun.close();
    const store = openEmbeddedEventStore({ directory: app.dataDir });
    t.teardown(() => store.close());
    const report = await verifyLog(store, { seals: { source: 'log', list: await sealsInLog(store) }, publicKey: null });
    t.match(report, { intact: true, problems: 0, first_problem: null });
  });
};
