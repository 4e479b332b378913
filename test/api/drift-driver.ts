import { executeDriftCommand } from '../../commands/drift.js';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { generateSecret, hashSecret } from '../../commands/secrets.js';
import type { DriftCommand } from '../../domain/drift/index.js';
import type { TestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

/** What an agent reports of itself, as the reference agent does, matching `desiredSpec` below. */
export const matchingConfiguration = {
  provider: 'local',
  runtime_version: '1.0.0',
  skills: [{ name: 'git', version: '2.1.0', enabled: true }],
  settings: { log_level: 'info', api_token: 's3cret-token' },
  resources: { cpus: 4, memory_mb: 8192, open_ports: [], region: null },
};

export const desiredSpec = {
  runtime_version: '1.0.0',
  skills: [{ name: 'git', version: '2.1.0' }],
  settings: { log_level: 'info', api_token: 's3cret-token' },
};

export type EnrolledAgent = {
  readonly instanceId: string;
  readonly heartbeat: (configuration: object) => Promise<{ status: number; body: any }>;
  readonly call: (method: string, path: string, body?: object, headers?: Record<string, string>) => Promise<{ status: number; headers: Headers; body: any }>;
};

/**
 * Instances and their drift moved as the workflows and agents will, with no workflow running:
 * an instance is deployed through the API, enrolled through the agent API with a token its
 * "workflow" opened, and then beats with whatever configuration the test says.
 */
export const driftDriver = (app: TestBosun) => {
  const instances = instanceDriver(app);
  const deps: CommandHandlerDeps = app.bosun.commands;

  const agentCall = async (credential: string | null, method: string, path: string, body?: object, headers: Record<string, string> = {}) => {
    const response = await fetch(`${app.bosun.url}/api/v1/agent${path}`, {
      method,
      headers: { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };

  /** A running instance with `spec` whose agent is enrolled; `key` deploys it (the admin key by default). */
  const enrol = async (spec: object = desiredSpec, name = 'drifty', key?: string): Promise<EnrolledAgent> => {
    const deployed = await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec }, ...(key ? { key } : {}) });
    if (deployed.status !== 202) throw new Error(`deploy answered ${deployed.status}: ${JSON.stringify(deployed.body)}`);
    const instanceId = deployed.body.id as string;
    const token = generateSecret('bsr');
    const opened = await instances.execute(instanceId, { type: 'OpenRegistration', tokenHash: hashSecret(token) });
    await app.bosun.readSide.waitFor(opened.position, 5000);
    const registered = await agentCall(null, 'POST', '/register', { registration_token: token });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
    const credential = registered.body.credential as string;
    return {
      instanceId,
      heartbeat: (configuration) => agentCall(credential, 'POST', '/heartbeat', { configuration }),
      call: (method, path, body, headers) => agentCall(credential, method, path, body, headers),
    };
  };

  /** Issues a drift command as the drift workflow does. */
  const execute = async (instanceId: string, command: DriftCommand) => {
    const [deployed] = await app.bosun.events.readStream(`instance-${instanceId}`, { maxCount: 1 });
    if (!deployed) throw new Error(`no instance ${instanceId}`);
    const ctx = {
      tenant: deployed.tenant,
      actor: { type: 'workflow' as const, id: `drift-${instanceId}` },
      requestId: null,
      correlationId: instanceId,
      causationId: null,
      clientIp: null,
      userAgent: null,
    };
    return executeDriftCommand(deps, ctx, instanceId, command);
  };

  /** Event types of the instance's drift stream, in order. */
  const driftEvents = async (instanceId: string) => (await app.bosun.events.readStream(`drift-${instanceId}`)).map((event) => event.type);

  /** Waits until the read models reflect everything written so far. */
  const settle = async () => app.bosun.readSide.waitFor(await app.bosun.events.headPosition(), 5000);

  return { enrol, execute, driftEvents, settle };
};
