import type { Logger } from 'pino';
import type { CommandContext } from '../commands/command-context.js';
import { executeDriftCommand } from '../commands/drift.js';
import { toDomainEvent, type CommandHandlerDeps } from '../commands/handle-command.js';
import { compareConfiguration, driftFingerprint, maskSnapshot, snapshotFingerprint, type ConfigurationSnapshot } from '../domain/drift/index.js';
import { evolveInstance, initialInstanceState, type InstanceEvent, type InstanceState } from '../domain/instance/index.js';
import { instanceStream } from '../events/streams.js';

type KnownInstance = {
  /** Revision of the instance stream folded into `state` so far. */
  revision: number;
  state: InstanceState;
  provider: string;
  /** What the drift stream was last told; told the same again, it would decide nothing. */
  decided: { readonly snapshot: string; readonly items: string } | null;
};

/**
 * Compares each heartbeat's configuration snapshot with the instance's desired spec (its
 * secret values opened), and records what changed on the drift stream.
 * A heartbeat costs a read of the instance events appended since the last one (usually
 * none) and a comparison; only a snapshot or a difference not seen before costs an append.
 */
export class DriftDetection {
  readonly #instances = new Map<string, KnownInstance>();

  constructor(
    private readonly deps: CommandHandlerDeps,
    private readonly logger: Logger,
  ) {}

  /** Never rejects: a heartbeat is answered whether or not its snapshot could be recorded. */
  async check(instanceId: string, snapshot: ConfigurationSnapshot, ctx: CommandContext): Promise<void> {
    try {
      await this.#check(instanceId, snapshot, ctx);
    } catch (error) {
      this.logger.error({ err: error, instance_id: instanceId }, 'configuration snapshot not compared');
    }
  }

  async #check(instanceId: string, snapshot: ConfigurationSnapshot, ctx: CommandContext): Promise<void> {
    const known = await this.#catchUp(instanceId);
    // Drift is measured against running instances only: one being provisioned, suspended or removed has no say.
    if (!known || known.state.status !== 'running') return;
    const items = compareConfiguration(await this.deps.secrets.openSpec(ctx.tenant, known.state.spec), known.provider, snapshot);
    const decided = { snapshot: snapshotFingerprint(maskSnapshot(snapshot)), items: driftFingerprint(items) };
    if (known.decided?.snapshot === decided.snapshot && known.decided.items === decided.items) return;
    const result = await executeDriftCommand(this.deps, ctx, instanceId, {
      type: 'RecordSnapshot',
      newDriftId: this.deps.env.newId(),
      snapshot,
      items,
      fingerprint: decided.items,
    });
    known.decided = decided;
    if (result.position !== 0)
      this.logger.info(
        { instance_id: instanceId, differences: items.length, drift_id: result.state.drift?.driftId ?? null },
        'configuration snapshot recorded',
      );
  }

  /** The instance as of its latest event, folding in only what was appended since the last heartbeat. */
  async #catchUp(instanceId: string): Promise<KnownInstance | null> {
    const known = this.#instances.get(instanceId) ?? { revision: -1, state: initialInstanceState(), provider: '', decided: null };
    const appended = await this.deps.store.readStream(instanceStream(instanceId), { fromRevision: known.revision + 1 });
    for (const event of appended) {
      const domainEvent = toDomainEvent<InstanceEvent>(event);
      if (domainEvent.type === 'instance.deploy_requested') known.provider = domainEvent.data.provider;
      known.state = evolveInstance(known.state, domainEvent);
      known.revision = event.revision;
    }
    if (known.state.status === 'none' || known.state.status === 'destroyed') {
      this.#instances.delete(instanceId);
      return null;
    }
    this.#instances.set(instanceId, known);
    return known;
  }
}
