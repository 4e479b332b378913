import t from 'tap';
import {
  instanceActionsAllowed,
  instanceCommandRefusal,
  instanceDecider,
  instanceStatuses,
  replayInstance,
  type InstanceCommand,
  type InstanceEvent,
  type InstanceSpec,
  type InstanceStatus,
} from '../../../domain/instance/index.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import { spec } from '../decider-specification.js';

const instance = spec(instanceDecider);

const desired: InstanceSpec = {
  skills: [{ name: 'git', version: '2.1' }],
  runtime_version: '1.4.0',
  settings: { region: 'eu' },
  resources: { cpus: 2, memory_mb: 2048, ports: [8080], region: 'eu-west' },
  max_concurrent_tasks: 2,
};
const deployRequested: InstanceEvent = { type: 'instance.deploy_requested', data: { instance_id: 'i-1', name: 'worker-1', provider: 'local', spec: desired } };
const provisioned: InstanceEvent = { type: 'instance.provisioned', data: { endpoint: null } };
const suspendRequested: InstanceEvent = { type: 'instance.suspend_requested', data: {} };
const suspended: InstanceEvent = { type: 'instance.suspended', data: {} };
const resumeRequested: InstanceEvent = { type: 'instance.resume_requested', data: {} };
const destroyRequested: InstanceEvent = { type: 'instance.destroy_requested', data: { backup_first: false } };
const destroyed: InstanceEvent = { type: 'instance.destroyed', data: {} };
const failed: InstanceEvent = { type: 'instance.provisioning_failed', data: { error: { code: 'quota', message: 'no capacity' } } };
const restartRequested: InstanceEvent = { type: 'instance.restart_requested', data: {} };
const restarted: InstanceEvent = { type: 'instance.restarted', data: {} };
const restartFailed: InstanceEvent = { type: 'instance.restart_failed', data: { error: { code: 'provider_error', message: 'no such process' } } };
const backupRequested: InstanceEvent = { type: 'instance.backup_requested', data: { backup_id: 'b-1' } };

/** A shortest history leaving an instance in each status. */
const historyOf: Record<InstanceStatus, InstanceEvent[]> = {
  provisioning: [deployRequested],
  running: [deployRequested, provisioned],
  suspended: [deployRequested, provisioned, suspendRequested, suspended],
  destroying: [deployRequested, provisioned, destroyRequested],
  destroyed: [deployRequested, provisioned, destroyRequested, destroyed],
  failed: [deployRequested, failed],
};

t.test('every fixture history leads to the status it is named after', async (t) => {
  for (const status of instanceStatuses) t.equal(replayInstance(historyOf[status]).status, status);
});

t.test(
  'given nothing, when deployed, then it is provisioning with its spec',
  instance.given([]).when({ type: 'DeployInstance', instanceId: 'i-1', name: 'worker-1', provider: 'local', spec: desired }).then([deployRequested]),
);

t.test(
  'given nothing, when deployed without task slots, then it is refused naming the field',
  instance
    .given([])
    .when({ type: 'DeployInstance', instanceId: 'i-1', name: 'w', provider: 'local', spec: { ...desired, max_concurrent_tasks: 0 } })
    .thenThrows(RuleViolationError, { field: 'spec.max_concurrent_tasks' }),
);

t.test(
  'given an instance, when deployed again, then it is refused',
  instance
    .given([deployRequested])
    .when({ type: 'DeployInstance', instanceId: 'i-1', name: 'w', provider: 'local', spec: desired })
    .thenThrows(IllegalTransitionError, /provisioning$/),
);

t.test('the lifecycle, step by step', async (t) => {
  await instance.given([deployRequested]).when({ type: 'MarkProvisioned', endpoint: null }).then([provisioned])(t);
  await instance
    .given([deployRequested])
    .when({ type: 'FailProvisioning', error: { code: 'quota', message: 'no capacity' } })
    .then([failed])(t);
  await instance.given(historyOf.running).when({ type: 'SuspendInstance' }).then([suspendRequested])(t);
  await instance
    .given([...historyOf.running, suspendRequested])
    .when({ type: 'MarkSuspended' })
    .then([suspended])(t);
  await instance.given(historyOf.suspended).when({ type: 'ResumeInstance' }).then([resumeRequested])(t);
  await instance
    .given([...historyOf.suspended, resumeRequested])
    .when({ type: 'MarkResumed' })
    .then([{ type: 'instance.resumed', data: {} }])(t);
  await instance
    .given(historyOf.running)
    .when({ type: 'DestroyInstance', backupFirst: true })
    .then([
      { type: 'instance.backup_requested', data: { backup_id: 'before-destroy' } },
      { type: 'instance.destroy_requested', data: { backup_first: true } },
    ])(t);
  await instance.given(historyOf.suspended).when({ type: 'DestroyInstance', backupFirst: false }).then([destroyRequested])(t);
  await instance.given(historyOf.destroying).when({ type: 'MarkDestroyed' }).then([destroyed])(t);
  t.equal(replayInstance([...historyOf.suspended, resumeRequested, { type: 'instance.resumed', data: {} }]).status, 'running');
});

t.test('the actions allowed in each state', async (t) => {
  const allowed = (history: InstanceEvent[]) => instanceActionsAllowed(replayInstance(history));
  t.same(allowed(historyOf.provisioning), ['change_spec']);
  t.same(allowed(historyOf.running), ['change_spec', 'suspend', 'destroy', 'backup', 'restart']);
  t.same(allowed([...historyOf.running, restartRequested]), ['change_spec', 'destroy', 'backup'], 'no suspend or second restart while one is pending');
  t.same(allowed([...historyOf.running, suspendRequested]), ['change_spec', 'destroy', 'backup'], 'no second suspend while one is pending');
  t.same(allowed(historyOf.suspended), ['change_spec', 'resume', 'destroy', 'backup']);
  for (const status of ['destroying', 'destroyed', 'failed'] as const) t.same(allowed(historyOf[status]), [], status);
  t.same(instanceActionsAllowed(replayInstance([])), []);
});

t.test('an action not allowed in the current state is refused naming the state', async (t) => {
  const operatorCommands: InstanceCommand[] = [
    { type: 'SuspendInstance' },
    { type: 'ResumeInstance' },
    { type: 'DestroyInstance', backupFirst: false },
    { type: 'BackUpInstance', backupId: 'b-9' },
    { type: 'ChangeSpec', spec: desired },
  ];
  for (const status of instanceStatuses) {
    const state = replayInstance(historyOf[status]);
    const allowed = new Set(instanceActionsAllowed(state));
    for (const command of operatorCommands) {
      const action = { SuspendInstance: 'suspend', ResumeInstance: 'resume', DestroyInstance: 'destroy', BackUpInstance: 'backup', ChangeSpec: 'change_spec' }[
        command.type as 'SuspendInstance'
      ];
      if (allowed.has(action as never)) continue;
      await instance
        .given(historyOf[status])
        .when(command)
        .thenThrows(
          IllegalTransitionError,
          new RegExp(`that is ${status}`),
        )(t);
    }
  }
  await instance
    .given([...historyOf.running, suspendRequested])
    .when({ type: 'SuspendInstance' })
    .thenThrows(
      IllegalTransitionError,
      /running \(suspend pending\)/,
    )(t);
  await instance
    .given(historyOf.running)
    .when({ type: 'MarkSuspended' })
    .thenThrows(
      IllegalTransitionError,
      /running$/,
    )(t);
  await instance
    .given(historyOf.suspended)
    .when({ type: 'MarkResumed' })
    .thenThrows(
      IllegalTransitionError,
      /suspended$/,
    )(t);
});

t.test(
  'commands on an instance that does not exist are refused',
  instance
    .given([])
    .when({ type: 'SuspendInstance' })
    .thenThrows(NotFoundError, /instance does not exist/),
);

t.test('backups are events on the instance stream', async (t) => {
  await instance.given(historyOf.running).when({ type: 'BackUpInstance', backupId: 'b-1' }).then([backupRequested])(t);
  await instance
    .given([...historyOf.running, backupRequested])
    .when({ type: 'CompleteBackup', backupId: 'b-1', location: 'file:///backups/b-1.tar', sizeBytes: 2048 })
    .then([{ type: 'instance.backup_completed', data: { backup_id: 'b-1', location: 'file:///backups/b-1.tar', size_bytes: 2048 } }])(t);
  await instance
    .given([...historyOf.running, backupRequested, destroyRequested])
    .when({ type: 'FailBackup', backupId: 'b-1', error: { code: 'io', message: 'disk full' } })
    .then([{ type: 'instance.backup_failed', data: { backup_id: 'b-1', error: { code: 'io', message: 'disk full' } } }])(t);
  await instance
    .given([...historyOf.running, backupRequested])
    .when({ type: 'BackUpInstance', backupId: 'b-1' })
    .thenThrows(
      RuleViolationError,
      /already requested/,
    )(t);
  await instance
    .given(historyOf.running)
    .when({ type: 'CompleteBackup', backupId: 'b-2', location: 'x', sizeBytes: 1 })
    .thenThrows(
      RuleViolationError,
      /not in progress/,
    )(t);
});

t.test('health changes are recorded once, not on every heartbeat', async (t) => {
  const healthy: InstanceEvent = { type: 'instance.health_changed', data: { health: 'healthy', reason: 'heartbeat' } };
  await instance.given(historyOf.running).when({ type: 'ChangeHealth', health: 'healthy', reason: 'heartbeat' }).then([healthy])(t);
  await instance
    .given([...historyOf.running, healthy])
    .when({ type: 'ChangeHealth', health: 'healthy', reason: 'heartbeat' })
    .then([])(t);
  await instance
    .given(historyOf.destroyed)
    .when({ type: 'ChangeHealth', health: 'unhealthy', reason: 'missed heartbeats' })
    .thenThrows(
      IllegalTransitionError,
      /destroyed$/,
    )(t);
});

t.test('the silence of an agent suspended on purpose does not make its instance unhealthy', async (t) => {
  const healthy: InstanceEvent = { type: 'instance.health_changed', data: { health: 'healthy', reason: 'heartbeat' } };
  const silence = { type: 'ChangeHealth', health: 'unhealthy', reason: 'missed heartbeats' } as const;
  await instance
    .given([...historyOf.running, healthy, suspendRequested])
    .when(silence)
    .then([])(t);
  await instance
    .given([...historyOf.running, healthy, suspendRequested, suspended])
    .when(silence)
    .then([])(t);
  await instance
    .given([...historyOf.suspended, resumeRequested])
    .when(silence)
    .then([])(t);
  await instance
    .given([...historyOf.suspended, resumeRequested, { type: 'instance.resumed', data: {} }])
    .when(silence)
    .then([{ type: 'instance.health_changed', data: { health: 'unhealthy', reason: 'missed heartbeats' } }])(t);
});

t.test('the desired spec can change until the instance is destroyed', async (t) => {
  const changed = { ...desired, runtime_version: '1.5.0' };
  await instance
    .given(historyOf.running)
    .when({ type: 'ChangeSpec', spec: changed })
    .then([{ type: 'instance.spec_changed', data: { spec: changed } }])(t);
  t.same(replayInstance([...historyOf.running, { type: 'instance.spec_changed', data: { spec: changed } }]), {
    ...replayInstance(historyOf.running),
    spec: changed,
  });
});

t.test('agent enrolment', async (t) => {
  const tokenHash = 'a'.repeat(64);
  const credentialHash = 'c'.repeat(64);
  const opened: InstanceEvent = { type: 'instance.registration_opened', data: { token_hash: tokenHash } };
  const registered: InstanceEvent = { type: 'instance.agent_registered', data: { credential_hash: credentialHash, agent_version: '0.1.0', hostname: 'box' } };
  const register = (hash: string): InstanceCommand => ({ type: 'RegisterAgent', tokenHash: hash, credentialHash, agentVersion: '0.1.0', hostname: 'box' });

  t.test(
    'given a provisioning instance, when registration opens, then the token hash is recorded',
    instance.given([deployRequested]).when({ type: 'OpenRegistration', tokenHash }).then([opened]),
  );
  t.test(
    'given an open registration, when the agent registers with its token, then it is registered and the instance is provisioned',
    instance.given([deployRequested, opened]).when(register(tokenHash)).then([registered, provisioned]),
  );
  t.test(
    'given an open registration, when another token is used, then it is refused naming the field',
    instance
      .given([deployRequested, opened])
      .when(register('b'.repeat(64)))
      .thenThrows(RuleViolationError, { code: 'invalid_registration_token', field: 'registration_token' }),
  );
  t.test(
    'given no registration was opened, when an agent registers, then it is refused',
    instance.given([deployRequested]).when(register(tokenHash)).thenThrows(RuleViolationError, { code: 'invalid_registration_token' }),
  );
  t.test(
    'given the token was used, when it is used again, then it is refused: the instance is running',
    instance
      .given([deployRequested, opened, registered, provisioned])
      .when(register(tokenHash))
      .thenThrows(IllegalTransitionError, /running$/),
  );
  t.test('a registered instance keeps its credential hash and has no open token', async (t) => {
    const state = replayInstance([deployRequested, opened, registered, provisioned]);
    t.match(state, { status: 'running', credentialHash, registrationTokenHash: null });
  });
});

t.test('given an instance history, the refusal of a command is what deciding it would throw, or null', async (t) => {
  t.equal(instanceCommandRefusal({ type: 'SuspendInstance' }, historyOf.running), null, 'a running instance may be suspended');
  t.match(instanceCommandRefusal({ type: 'ResumeInstance' }, historyOf.running), { constructor: IllegalTransitionError, message: /running/ });
  t.match(instanceCommandRefusal({ type: 'SuspendInstance' }, []), { constructor: NotFoundError });
  t.match(instanceCommandRefusal({ type: 'BackUpInstance', backupId: 'b-1' }, [...historyOf.running, backupRequested]), {
    constructor: RuleViolationError,
    code: 'duplicate_backup',
  });
});

t.test(
  'given a running instance, when a restart is asked for, then it is requested',
  instance.given(historyOf.running).when({ type: 'RestartInstance' }).then([restartRequested]),
);

t.test(
  'given a restart in progress, when another is asked for, then it is refused naming the pending one',
  instance
    .given([...historyOf.running, restartRequested])
    .when({ type: 'RestartInstance' })
    .thenThrows(IllegalTransitionError, { message: /running \(restart pending\)/ }),
);

for (const status of ['provisioning', 'suspended', 'destroying', 'destroyed', 'failed'] as const) {
  t.test(
    `given a ${status} instance, when a restart is asked for, then it is refused`,
    instance.given(historyOf[status]).when({ type: 'RestartInstance' }).thenThrows(IllegalTransitionError),
  );
}

t.test(
  'given a restart in progress, when the provider restarted the agent, then it is restarted',
  instance
    .given([...historyOf.running, restartRequested])
    .when({ type: 'MarkRestarted' })
    .then([restarted]),
);

t.test(
  'given a restart in progress, when the provider failed, then the restart failed with its error',
  instance
    .given([...historyOf.running, restartRequested])
    .when({ type: 'FailRestart', error: { code: 'provider_error', message: 'no such process' } })
    .then([restartFailed]),
);

t.test(
  'given a restart already recorded, when the report is retried, then nothing more is recorded',
  instance
    .given([...historyOf.running, restartRequested, restarted])
    .when({ type: 'MarkRestarted' })
    .then([]),
);

t.test(
  'given a restart a destroy overtook, when the provider reports, then nothing is recorded',
  instance
    .given([...historyOf.running, restartRequested, destroyRequested])
    .when({ type: 'FailRestart', error: { code: 'provider_error', message: 'gone' } })
    .then([]),
);

t.test(
  'given a restart that failed, when a restart is asked for again, then it is requested',
  instance
    .given([...historyOf.running, restartRequested, restartFailed])
    .when({ type: 'RestartInstance' })
    .then([restartRequested]),
);
