import { specWithDefaults, type InstanceSpecRequest } from '../commands/instances.js';
import { isSecretSetting } from '../domain/drift/compare.js';
import type { InstanceSpec } from '../domain/instance/events.js';
import { redacted } from '../projections/instances/instance-view.js';

/** The `spec` of a PATCH: each field may be left out (kept) or null (back to its default). */
export type InstanceSpecPatch = { readonly [Field in keyof InstanceSpecRequest]?: InstanceSpecRequest[Field] | null };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * RFC 7396, except that a secret setting sent back as it is shown ("[redacted]") keeps
 * its value: a client that read the spec, changed one setting and sent it all back must
 * not overwrite its secrets with the placeholder.
 */
const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return patch;
  // A Map, so a member named `__proto__` stays a member.
  const merged = new Map(Object.entries(isObject(target) ? target : {}));
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) merged.delete(name);
    else if (!(value === redacted && isSecretSetting(name) && merged.has(name))) merged.set(name, mergePatch(merged.get(name), value));
  }
  return Object.fromEntries(merged);
};

/** The desired spec after a PATCH: fields given replace the current ones, except `settings`, merged name by name. */
export const mergeSpecPatch = (current: InstanceSpec, patch: InstanceSpecPatch): InstanceSpec => {
  const merged = new Map<string, unknown>(Object.entries(current));
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) merged.delete(field);
    else merged.set(field, field === 'settings' ? mergePatch(current.settings, value) : value);
  }
  return specWithDefaults(Object.fromEntries(merged) as InstanceSpecRequest);
};
