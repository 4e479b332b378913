/**
 * Secret settings of an instance's spec (those whose names look secret, see
 * `isSecretSetting`) are sealed before they reach an event: the log, the Temporal
 * histories that events are forwarded to and the read models hold only ciphertext under
 * the team's data key. They are opened where a value must be used: for the provider that
 * writes the agent's first configuration, for drift comparison, and for the agent that asks
 * for a value over its authenticated API.
 */
import { createHmac } from 'node:crypto';
import { canonical, isSecretSetting } from '../domain/drift/compare.js';
import type { InstanceSpec } from '../domain/instance/index.js';
import { DataKeyError, decrypt, encrypt, type DataKeys } from './data-keys.js';

/** A sealed value as it stands in an event: AES-256-GCM of its JSON, `iv || ciphertext || tag` in base64url. */
export type SealedValue = { readonly $sealed: { readonly v: 1; readonly key: typeof SETTINGS_KEY; readonly data: string } };

/** The subject of every team's settings key. */
const SETTINGS_KEY = 'settings';

export const isSealed = (value: unknown): value is SealedValue =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && '$sealed' in value;

type Settings = InstanceSpec['settings'];

/** Binds a sealed value to its team and setting: moved to another setting or team, it does not open. */
const contextOf = (tenant: string, name: string) => `bosun setting ${tenant} ${name}`;

const sealWith = (key: Buffer, tenant: string, name: string, value: unknown): SealedValue => ({
  $sealed: { v: 1, key: SETTINGS_KEY, data: encrypt(key, Buffer.from(JSON.stringify(value), 'utf8'), contextOf(tenant, name)).toString('base64url') },
});

const openWith = (key: Buffer, tenant: string, name: string, value: SealedValue): unknown =>
  JSON.parse(decrypt(key, Buffer.from(value.$sealed.data, 'base64url'), contextOf(tenant, name)).toString('utf8'));

export class SecretSettings {
  constructor(private readonly keys: DataKeys) {}

  /**
   * A sealer for `tenant`'s settings, synchronous so that a spec change can seal inside its
   * decision. A secret whose value is unchanged keeps its sealed form, so sending the same
   * value again changes nothing.
   */
  async sealerFor(tenant: string): Promise<(settings: Settings, current?: Settings) => Settings> {
    const key = await this.keys.keyFor(tenant, SETTINGS_KEY);
    if (!key) throw new DataKeyError(`team ${tenant}'s settings key was erased: no secret can be sealed for it`);
    return (settings, current = {}) =>
      Object.fromEntries(
        Object.entries(settings).map(([name, value]) => {
          if (!isSecretSetting(name) || isSealed(value)) return [name, value];
          const before = current[name];
          if (isSealed(before) && canonical(openWith(key, tenant, name, before)) === canonical(value)) return [name, before];
          return [name, sealWith(key, tenant, name, value)];
        }),
      );
  }

  /** The value of one setting as the agent must apply it. */
  async open(tenant: string, name: string, value: unknown): Promise<unknown> {
    if (!isSealed(value)) return value;
    const key = await this.keys.existingKey(tenant, value.$sealed.key);
    if (!key) throw new DataKeyError(`setting ${name} of team ${tenant} cannot be opened: the team's settings key is gone`);
    return openWith(key, tenant, name, value);
  }

  /**
   * A secret of the team's that needs no storage: derived from its settings key for
   * `purpose`, so it is the same on every call and gone with the key. The task callbacks'
   * signing secret is one.
   */
  async derived(tenant: string, purpose: string): Promise<Buffer> {
    const key = await this.keys.keyFor(tenant, SETTINGS_KEY);
    if (!key) throw new DataKeyError(`team ${tenant}'s settings key was erased: no secret can be derived from it`);
    return createHmac('sha256', key).update(`bosun derived secret ${purpose}`).digest();
  }

  /** The spec with every secret setting opened. */
  async openSpec(tenant: string, spec: InstanceSpec): Promise<InstanceSpec> {
    const entries = await Promise.all(Object.entries(spec.settings).map(async ([name, value]) => [name, await this.open(tenant, name, value)] as const));
    return { ...spec, settings: Object.fromEntries(entries) };
  }
}
