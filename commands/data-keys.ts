/**
 * Data keys: one AES-256 key per (team, subject), kept outside the event log so that what
 * it encrypts in the log can be made unreadable by deleting the key (crypto-shredding).
 * The key store holds each key only wrapped (AES-256-GCM) under the master key, which is
 * configuration: a copy of the key store alone opens nothing.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Where wrapped data keys are kept. Adapters live in infra/. */
export interface KeyStore {
  /** The wrapped key, or null when there is none (never created, or erased). */
  get(tenant: string, subject: string): Promise<Buffer | null>;
  /**
   * Stores `wrapped` unless a key exists already; answers the stored one, so that two racing
   * creators agree, or null when the subject was erased: it never gets a key again.
   */
  putIfAbsent(tenant: string, subject: string, wrapped: Buffer): Promise<Buffer | null>;
  /** Deletes the key for good and remembers that the subject was erased; true when there was a key. */
  erase(tenant: string, subject: string): Promise<boolean>;
  /** Whether `erase` was called for the subject. */
  isErased(tenant: string, subject: string): Promise<boolean>;
  close(): Promise<void>;
}

export class DataKeyError extends Error {
  override readonly name = 'DataKeyError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `iv || ciphertext || tag` under AES-256-GCM, bound to `context` (additional authenticated data). */
export const encrypt = (key: Buffer, plaintext: Buffer, context: string): Buffer => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
};

/** Throws {@link DataKeyError} when the bytes were altered, or sealed with another key or context. */
export const decrypt = (key: Buffer, sealed: Buffer, context: string): Buffer => {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DataKeyError(`sealed value too short (${sealed.length} bytes)`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DataKeyError(`cannot open a value sealed for ${context}: altered, or sealed under another key`);
  }
};

export class DataKeys {
  /** Unwrapped keys, so that a heartbeat's comparison does not cost a key-store read. */
  readonly #cache = new Map<string, Buffer>();
  /** Subjects known to be erased, so that answers showing them cost no key-store read. */
  readonly #erased = new Set<string>();

  constructor(
    private readonly store: KeyStore,
    private readonly masterKey: Buffer,
  ) {
    if (masterKey.length !== 32) throw new DataKeyError(`the master key must be 32 bytes, got ${masterKey.length}`);
  }

  /** The key of `subject` in `tenant`, created on first use; null once the subject is erased. */
  async keyFor(tenant: string, subject: string): Promise<Buffer | null> {
    const existing = await this.existingKey(tenant, subject);
    if (existing) return existing;
    if (this.#erased.has(cacheKey(tenant, subject))) return null;
    const wrapped = await this.store.putIfAbsent(tenant, subject, encrypt(this.masterKey, randomBytes(32), wrapContext(tenant, subject)));
    if (!wrapped) {
      this.#erased.add(cacheKey(tenant, subject));
      return null;
    }
    return this.#unwrap(tenant, subject, wrapped);
  }

  /** The key, or null once it has been erased (or was never created). */
  async existingKey(tenant: string, subject: string): Promise<Buffer | null> {
    const cached = this.#cache.get(cacheKey(tenant, subject));
    if (cached) return cached;
    if (this.#erased.has(cacheKey(tenant, subject))) return null;
    const wrapped = await this.store.get(tenant, subject);
    return wrapped ? this.#unwrap(tenant, subject, wrapped) : null;
  }

  /** Whether the subject was erased (its key, if it had one, is gone). */
  async isErased(tenant: string, subject: string): Promise<boolean> {
    if (this.#erased.has(cacheKey(tenant, subject))) return true;
    const erased = await this.store.isErased(tenant, subject);
    if (erased) this.#erased.add(cacheKey(tenant, subject));
    return erased;
  }

  /** Deletes the key (crypto-shredding): whatever was sealed with it can never be opened again. */
  async erase(tenant: string, subject: string): Promise<boolean> {
    this.#cache.delete(cacheKey(tenant, subject));
    this.#erased.add(cacheKey(tenant, subject));
    return this.store.erase(tenant, subject);
  }

  #unwrap(tenant: string, subject: string, wrapped: Buffer): Buffer {
    const key = decrypt(this.masterKey, wrapped, wrapContext(tenant, subject));
    this.#cache.set(cacheKey(tenant, subject), key);
    return key;
  }
}

const wrapContext = (tenant: string, subject: string) => `bosun data key ${tenant} ${subject}`;
const cacheKey = (tenant: string, subject: string) => `${tenant}\u0000${subject}`;
