import { instanceDecider, type InstanceCommand, type InstanceEvent, type InstanceSpec, type InstanceState } from '../domain/instance/index.js';
import type { Decider } from '../domain/shared/decider.js';
import { NotFoundError } from '../domain/shared/errors.js';
import { instanceStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

/** A spec as clients send it: every field may be left out and takes its default. */
export type InstanceSpecRequest = {
  readonly skills?: InstanceSpec['skills'];
  readonly runtime_version?: string | null;
  readonly settings?: InstanceSpec['settings'];
  readonly resources?: Partial<InstanceSpec['resources']>;
  readonly max_concurrent_tasks?: number;
};

export type DeployInstanceRequest = {
  readonly name: string;
  readonly provider: string;
  readonly spec: InstanceSpecRequest;
};

/** The whole spec, with the defaults filled in where the request is silent. */
export const specWithDefaults = (request: InstanceSpecRequest): InstanceSpec => ({
  skills: request.skills ?? [],
  runtime_version: request.runtime_version ?? null,
  settings: request.settings ?? {},
  resources: {
    cpus: request.resources?.cpus ?? null,
    memory_mb: request.resources?.memory_mb ?? null,
    ports: request.resources?.ports ?? [],
    region: request.resources?.region ?? null,
  },
  max_concurrent_tasks: request.max_concurrent_tasks ?? 1,
});

/** `instanceId` is new unless the caller derives it, as a retried activity must to deploy only once. */
export const deployInstance = async (deps: CommandHandlerDeps, ctx: CommandContext, request: DeployInstanceRequest, instanceId = deps.env.newId()) => {
  const seal = await deps.secrets.sealerFor(ctx.tenant);
  const spec = specWithDefaults(request.spec);
  return handleCommand(
    deps,
    instanceDecider,
    instanceStream(instanceId),
    { type: 'DeployInstance', instanceId, name: request.name, provider: request.provider, spec: { ...spec, settings: seal(spec.settings) } },
    ctx,
    { newStream: true },
  );
};

/** Every later transition of an instance goes through here. */
export const executeInstanceCommand = (
  deps: CommandHandlerDeps,
  ctx: CommandContext,
  instanceId: string,
  command: Exclude<InstanceCommand, { type: 'DeployInstance' }>,
) => handleCommand(deps, instanceDecider, instanceStream(instanceId), command, ctx);

/**
 * Derives the new desired spec from the current one (secret settings sealed, see
 * commands/secret-settings.ts); returning `current` itself says there is nothing to change.
 */
export type SpecChange = (current: InstanceSpec) => InstanceSpec;

/**
 * `ChangeSpec` computed from the state the append is conditioned on: a concurrent change
 * makes the command retry against the newer spec instead of being overwritten.
 */
const specChangeDecider: Decider<{ readonly type: 'ChangeSpec'; readonly change: SpecChange }, InstanceEvent, InstanceState> = {
  ...instanceDecider,
  decide: ({ change }, state) => {
    if (state.status === 'none') throw new NotFoundError('instance');
    const spec = change(state.spec);
    // Still decided when unchanged, so a destroyed instance refuses the change as any other.
    const decided = instanceDecider.decide({ type: 'ChangeSpec', spec }, state);
    return spec === state.spec ? [] : decided;
  },
};

/** New secret values in the changed spec are sealed; unchanged ones keep their sealed form. */
export const changeInstanceSpec = async (deps: CommandHandlerDeps, ctx: CommandContext, instanceId: string, change: SpecChange) => {
  const seal = await deps.secrets.sealerFor(ctx.tenant);
  const sealedChange: SpecChange = (current) => {
    const next = change(current);
    if (next === current) return current;
    return { ...next, settings: seal(next.settings, current.settings) };
  };
  return handleCommand(deps, specChangeDecider, instanceStream(instanceId), { type: 'ChangeSpec', change: sealedChange }, ctx);
};
