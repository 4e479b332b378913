import { readdirSync, readFileSync } from 'node:fs';
import addFormats from 'ajv-formats';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import t from 'tap';
import { taskDecider, taskEventTypes, taskStatuses, type TaskCommand, type TaskEvent, type TaskEventType } from '../../../domain/task/index.js';

const schemaDir = new URL('../../../domain/task/schemas/', import.meta.url);
const schemaFile = /^(?<type>task\.[a-z_]+)\.v(?<version>\d+)\.json$/;

type Schema = {
  $schema: string;
  $id: string;
  title: string;
  description: string;
  type: string;
  additionalProperties: boolean;
  required: string[];
  properties: Record<string, { enum?: unknown[] }>;
};

const files = readdirSync(schemaDir);

/** Newest schema version of each type; older ones stay published for consumers of old events. */
const newestVersion: Partial<Record<string, number>> = { 'task.submitted': 3 };
const newestFile = (type: string): string => `${type}.v${newestVersion[type] ?? 1}`;
const schemaOf = new Map<string, Schema>(
  files.map((file) => [file.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(file, schemaDir), 'utf8')) as Schema]),
);

// Strict, as the registry that validates appends is: unknown keywords are errors.
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validatorOf = new Map<string, ValidateFunction>([...schemaOf].map(([type, schema]) => [type, ajv.compile(schema)]));

/** Validates against the newest version, as appends are. */
const validate = (type: string, data: unknown): ValidateFunction => {
  const validator = validatorOf.get(newestFile(type));
  if (!validator) throw new Error(`no schema for ${type}`);
  validator(data);
  return validator;
};

t.test('every version of every task event type has a schema file, and nothing else does', async (t) => {
  t.strictSame(
    files.filter((file) => !schemaFile.test(file)),
    [],
    'every file is named <type>.v<N>.json',
  );
  const expected = taskEventTypes.flatMap((type) => Array.from({ length: newestVersion[type] ?? 1 }, (_, index) => `${type}.v${index + 1}.json`));
  t.strictSame(files.sort(), expected.sort());
});

t.test('every schema is a documented, closed object with every field required', async (t) => {
  for (const [file, schema] of schemaOf) {
    const { type, version } = schemaFile.exec(`${file}.json`)?.groups ?? {};
    t.match(
      schema,
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `https://bosun.dev/schemas/events/${type}/v${version}.json`,
        title: type,
        description: /\w{3,}/,
        type: 'object',
        additionalProperties: false,
      },
      `${file}: header`,
    );
    t.strictSame([...schema.required].sort(), Object.keys(schema.properties).sort(), `${file}: every property is required`);
  }
});

t.test('status fields list the eight task statuses', async (t) => {
  t.strictSame(schemaOf.get('task.timed_out.v1')?.properties.status_at_timeout?.enum, [...taskStatuses]);
  t.strictSame(schemaOf.get('task.cancelled.v1')?.properties.status_at_cancel?.enum, [...taskStatuses]);
});

/** Runs commands through the decider from nothing, collecting every event decided. */
const lifecycle = (commands: readonly TaskCommand[]): TaskEvent[] => {
  let state = taskDecider.initialState();
  const events: TaskEvent[] = [];
  for (const command of commands) {
    for (const event of taskDecider.decide(command, state)) {
      events.push(event);
      state = taskDecider.evolve(state, event);
    }
  }
  return events;
};

const submit = (overrides: Partial<Extract<TaskCommand, { type: 'SubmitTask' }>> = {}): TaskCommand => ({
  type: 'SubmitTask',
  taskId: '0193a0c4-8f1e-7b2a-9c3d-4e5f6a7b8c9d',
  kind: 'echo',
  input: { text: 'hello', nested: { n: 1 } },
  instanceId: null,
  requiredSkills: ['shell', 'git', 'shell'],
  timeoutSeconds: 300,
  maxAttempts: 2,
  retryBackoffSeconds: 1,
  rerunOf: null,
  ...overrides,
});
const queue = (instanceId: string): TaskCommand => ({ type: 'QueueTask', instanceId, ackDeadline: '2026-01-01T00:00:30.000Z' });
const start = (instanceId: string): TaskCommand => ({ type: 'StartTask', instanceId });
const cancel = (reason: string | null): TaskCommand => ({ type: 'CancelTask', reason });

const lifecycles: Record<string, TaskCommand[]> = {
  'completed after a requeue': [
    submit(),
    { type: 'DeferTask', reason: 'no eligible instance' },
    { type: 'StartProvisioning', instanceId: 'instance-a' },
    queue('instance-a'),
    { type: 'RequeueTask', reason: 'not acknowledged in time' },
    queue('instance-b'),
    start('instance-b'),
    { type: 'ReportProgress', percent: 50, message: 'half way' },
    { type: 'ReportProgress', percent: null, message: null },
    { type: 'AppendTaskLog', lines: [{ stream: 'stderr', line: 'warning: x' }] },
    { type: 'CompleteTask', outputs: { text: 'hello' } },
  ],
  failed: [
    submit({ instanceId: 'instance-a' }),
    queue('instance-a'),
    start('instance-a'),
    { type: 'FailTask', error: { code: 'agent_crashed', message: 'exit 137' }, retryable: true },
    queue('instance-a'),
    start('instance-a'),
    { type: 'FailTask', error: { code: 'agent_crashed', message: 'exit 137' }, retryable: true },
  ],
  'timed out while queued': [submit(), queue('instance-a'), { type: 'TimeOutTask' }],
  'timed out without a timeout': [submit({ timeoutSeconds: null }), { type: 'TimeOutTask' }],
  'cancelled while running': [submit(), queue('instance-a'), start('instance-a'), cancel('no longer needed')],
  'a rerun of a finished task, cancelled': [submit({ rerunOf: '0193a0c4-0000-7000-8000-000000000000' }), cancel(null)],
  'cancelled while pending, without a reason': [submit({ requiredSkills: [] }), cancel(null)],
};

t.test('every event the decider produces matches its schema', async (t) => {
  for (const [name, commands] of Object.entries(lifecycles)) {
    t.test(name, async (t) => {
      for (const event of lifecycle(commands)) t.strictSame(validate(event.type, event.data).errors ?? [], [], event.type);
    });
  }
});

t.test('the lifecycles above produce every task event type', async (t) => {
  const produced = new Set(Object.values(lifecycles).flatMap((commands) => lifecycle(commands).map((event) => event.type)));
  t.strictSame([...produced].sort(), [...taskEventTypes].sort());
});

t.test('malformed payloads are rejected', async (t) => {
  const [first] = lifecycle([submit()]);
  if (first?.type !== 'task.submitted') throw new Error('submit did not decide task.submitted');
  const submitted = first.data;
  const rejects = (type: TaskEventType, data: unknown, why: string, path: string) => {
    const errors = validate(type, data).errors ?? [];
    t.ok(errors.length > 0, `${type}: ${why}`);
    t.ok(
      // A missing or undeclared property is reported on its parent, naming it in params.
      errors.some((e) => e.instancePath === path || Object.values(e.params).some((name) => `${e.instancePath}/${String(name)}` === path)),
      `${type}: the error points at ${path}`,
      { errors },
    );
  };
  rejects('task.submitted', { ...submitted, extra: true }, 'an undeclared field', '/extra');
  const { required_skills: _omitted, ...withoutSkills } = submitted;
  rejects('task.submitted', withoutSkills, 'a missing field', '/required_skills');
  rejects('task.submitted', { ...submitted, task_id: '' }, 'an empty task id', '/task_id');
  rejects('task.submitted', { ...submitted, input: ['not', 'an', 'object'] }, 'input that is not an object', '/input');
  rejects('task.submitted', { ...submitted, required_skills: ['shell', 'shell'] }, 'duplicate skills', '/required_skills');
  rejects('task.submitted', { ...submitted, timeout_seconds: 0 }, 'a zero timeout', '/timeout_seconds');
  rejects('task.submitted', { ...submitted, rerun_of: '' }, 'an empty rerun_of', '/rerun_of');
  rejects('task.submitted', { ...submitted, timeout_seconds: 1.5 }, 'a fractional timeout', '/timeout_seconds');
  rejects('task.queued', { instance_id: 'instance-a', ack_deadline: 'in five minutes' }, 'a deadline that is no date-time', '/ack_deadline');
  rejects('task.requeued', { instance_id: '', reason: 'not acknowledged' }, 'an empty instance id', '/instance_id');
  rejects('task.started', { instance_id: null }, 'a null instance id', '/instance_id');
  rejects('task.progressed', { percent: 101, message: null }, 'a percent above 100', '/percent');
  rejects('task.progressed', { percent: -1, message: null }, 'a negative percent', '/percent');
  rejects('task.progressed', { percent: '50', message: null }, 'a percent that is a string', '/percent');
  rejects('task.completed', { outputs: null }, 'null outputs', '/outputs');
  rejects('task.failed', { error: { code: 'boom' } }, 'an error without message', '/error/message');
  rejects('task.timed_out', { timeout_seconds: 60, status_at_timeout: 'sleeping' }, 'an unknown status', '/status_at_timeout');
  rejects('task.cancelled', { reason: 'x' }, 'a missing status', '/status_at_cancel');
});
