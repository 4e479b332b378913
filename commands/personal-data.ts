/**
 * Personal data that can be erased without rewriting the log (crypto-shredding). A value
 * about a data subject is stored as an erasable token, a string sealed under a key of that
 * subject alone (AES-256-GCM, kept outside the log, see data-keys.ts):
 *
 *   bosun:erasable:v1:<tenant>:<subject ref>:<iv || ciphertext || tag, base64url>
 *
 * Tokens are strings so that the fields holding them keep their types on the wire. The
 * subject is named in them only by a pseudonym (an HMAC under the master key), so the log
 * does not say whom it is about. Tokens are revealed only at the API's edge, for the team
 * that owns them; once the subject is erased its key is gone and every answer, history,
 * export and rebuilt projection shows `[erased]`, while the stored bytes (and any hash
 * over them) stay as they were. Values written before tokens existed are read as `v0`
 * tokens (the value in the clear, base64url): they are upcast on read, never rewritten,
 * and hidden once their subject is erased.
 */
import { createHmac } from 'node:crypto';
import { RuleViolationError } from '../domain/shared/errors.js';
import { DataKeyError, decrypt, encrypt, type DataKeys } from './data-keys.js';

export const ERASED = '[erased]';
const PREFIX = 'bosun:erasable:';
const TOKEN = /^bosun:erasable:(v0|v1):([^:]+):([^:]+):([\w-]*)$/;

/** How a value about a subject is marked in a request: `{"$personal": {"subject": "customer-42", "value": ...}}`. */
export type PersonalMark = { readonly $personal: { readonly subject: string; readonly value: unknown } };

export const isPersonalMark = (value: unknown): value is PersonalMark =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  typeof (value as PersonalMark).$personal === 'object' &&
  (value as PersonalMark).$personal !== null &&
  typeof (value as PersonalMark).$personal.subject === 'string';

export const isErasableToken = (value: unknown): value is string => typeof value === 'string' && value.startsWith(PREFIX);

/** The subject of the personal data in requests made with an API key (its client IP and user agent). */
export const subjectOfActor = (actor: { readonly type: string; readonly id: string }): string | null =>
  actor.type === 'api_key' || actor.type === 'user' ? `${actor.type}:${actor.id}` : null;

const keySubject = (ref: string) => `personal:${ref}`;
const context = (tenant: string, ref: string) => `bosun personal ${tenant} ${ref}`;

/** Entries a cache keeps before it lets the oldest go. */
const cacheLimit = 10_000;

const bounded = <V>(cache: Map<string, V>, key: string, make: () => V): V => {
  const known = cache.get(key);
  if (known !== undefined) return known;
  const made = make();
  cache.set(key, made);
  if (cache.size > cacheLimit) cache.delete(cache.keys().next().value as string);
  return made;
};

export class PersonalData {
  /** Pseudonyms already computed: every command of a key names the same subject. */
  readonly #refs = new Map<string, string>();
  /**
   * Tokens already sealed, by subject and value: a key's requests come from the same
   * address and client again and again, and one AES-GCM encryption each would cost more
   * than the rest of their metadata. A repeated token says no more than the actor id beside
   * it (the same subject's same value); an erasure forgets them.
   */
  readonly #tokens = new Map<string, string>();

  constructor(
    private readonly keys: DataKeys,
    /** Keys the pseudonyms of subjects: the master key, so that they are stable and unguessable. */
    private readonly pseudonymKey: Buffer,
  ) {}

  /** The subject as the log names it. */
  subjectRef(tenant: string, subject: string): string {
    return bounded(this.#refs, `${tenant}\u0000${subject}`, () =>
      createHmac('sha256', this.pseudonymKey).update(`bosun subject ${tenant} ${subject}`).digest('base64url').slice(0, 22),
    );
  }

  /**
   * Seals values about `subject` synchronously (inside a command's decision); an erased
   * subject gets no key again, and what would be recorded about it is recorded as null.
   */
  async sealerFor(tenant: string, subject: string): Promise<(value: unknown) => string | null> {
    const ref = this.subjectRef(tenant, subject);
    const key = await this.keys.keyFor(tenant, keySubject(ref));
    if (!key) return () => null;
    return (value) => {
      const json = JSON.stringify(value);
      return bounded(
        this.#tokens,
        `${tenant}\u0000${ref}\u0000${json}`,
        () => `${PREFIX}v1:${tenant}:${ref}:${encrypt(key, Buffer.from(json, 'utf8'), context(tenant, ref)).toString('base64url')}`,
      );
    };
  }

  /** A value written before tokens existed, as a `v0` token: upcast on read, so that erasure hides it too. */
  legacyToken(tenant: string, subject: string, value: string): string {
    return `${PREFIX}v0:${tenant}:${this.subjectRef(tenant, subject)}:${Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')}`;
  }

  /**
   * Replaces each `{"$personal": {"subject", "value"}}` in `input` by a token sealed under
   * that subject's key, at any depth.
   */
  async sealMarked(tenant: string, input: unknown, field: string): Promise<unknown> {
    const subjects = new Set<string>();
    collect(input, (value) => {
      if (isPersonalMark(value) && value.$personal.subject !== '' && 'value' in value.$personal && Object.keys(value.$personal).length === 2) {
        subjects.add(value.$personal.subject);
      } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, '$personal')) {
        throw new RuleViolationError(
          'invalid_personal_mark',
          `${field}: a personal value is marked {"$personal": {"subject": "<non-empty id>", "value": <any>}} and nothing else`,
          field,
        );
      } else if (isErasableToken(value)) {
        throw new RuleViolationError('invalid_personal_mark', `${field}: a string starting with "${PREFIX}" is reserved for sealed personal data`, field);
      }
    });
    if (subjects.size === 0) return input;
    const sealers = new Map(await Promise.all([...subjects].map(async (subject) => [subject, await this.sealerFor(tenant, subject)] as const)));
    return replace(input, (value) => (isPersonalMark(value) ? { replaced: sealers.get(value.$personal.subject)!(value.$personal.value) } : null));
  }

  /**
   * `body` with every token of `tenant` opened, or `[erased]` where its subject was erased.
   * Tokens of another team are never opened for this one.
   */
  async reveal<T>(body: T, tenant: string): Promise<T> {
    const tokens = new Set<string>();
    collect(body, (value) => {
      if (isErasableToken(value)) tokens.add(value);
    });
    if (tokens.size === 0) return body;
    const opened = new Map(await Promise.all([...tokens].map(async (token) => [token, await this.#open(token, tenant)] as const)));
    return replace(body, (value) => (isErasableToken(value) ? { replaced: opened.get(value) } : null)) as T;
  }

  /** Erases a subject: its key is deleted, so everything sealed about it stays sealed for good. */
  async erase(tenant: string, subject: string): Promise<{ readonly subjectRef: string; readonly keyDeleted: boolean }> {
    const ref = this.subjectRef(tenant, subject);
    this.#tokens.clear();
    return { subjectRef: ref, keyDeleted: await this.keys.erase(tenant, keySubject(ref)) };
  }

  async #open(token: string, tenant: string): Promise<unknown> {
    const [, version, owner, ref, payload] = TOKEN.exec(token) ?? [];
    if (!version || owner !== tenant || ref === undefined || payload === undefined) return ERASED;
    if (version === 'v0') return (await this.keys.isErased(tenant, keySubject(ref))) ? ERASED : JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const key = await this.keys.existingKey(tenant, keySubject(ref));
    if (key) return JSON.parse(decrypt(key, Buffer.from(payload, 'base64url'), context(tenant, ref)).toString('utf8'));
    if (await this.keys.isErased(tenant, keySubject(ref))) return ERASED;
    throw new DataKeyError(`the key of data subject ${ref} of team ${tenant} is missing from the key store, and the subject was not erased`);
  }
}

const collect = (value: unknown, visit: (value: unknown) => void): void => {
  visit(value);
  if (Array.isArray(value)) for (const item of value) collect(item, visit);
  else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) for (const item of Object.values(value)) collect(item, visit);
};

/** A copy of `value` with what `swap` replaces replaced; the rest shared, not copied. */
const replace = (value: unknown, swap: (value: unknown) => { replaced: unknown } | null): unknown => {
  const swapped = swap(value);
  if (swapped) return swapped.replaced;
  if (Array.isArray(value)) return value.map((item) => replace(item, swap));
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value))
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, replace(item, swap)]));
  return value;
};
