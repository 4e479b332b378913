import { canonical, isSecretSetting, type ConfigurationSnapshot } from './compare.js';

/** Stands in for the value of a setting whose name looks secret. */
export const redactedValue = '[redacted]';

/** Secret-looking names are masked at any depth: a nested `password` is no less secret. */
const mask = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(mask);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, isSecretSetting(name) ? redactedValue : mask(inner)]));
};

/** The snapshot as it may be stored and shown: secret setting values never are (DESIGN.md). */
export const maskSnapshot = (snapshot: ConfigurationSnapshot): ConfigurationSnapshot => ({
  ...snapshot,
  settings: mask(snapshot.settings) as ConfigurationSnapshot['settings'],
});

/** Identifies what a (masked) snapshot says, so an unchanged one is not recorded again. */
export const snapshotFingerprint = (masked: ConfigurationSnapshot): string => canonical(masked);
