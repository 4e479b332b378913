/**
 * Seals of the log: the global chain G(n) = SHA-256(G(n-1) || hash(n)) over every event in
 * log order (G(0) = 32 zero bytes), recorded every so often as an `audit.sealed` event and
 * signed with Ed25519 when a key is configured. The per-stream chain (events/hash-chain.ts)
 * cannot see a stream's last events removed, a stream's events rewritten with their hashes,
 * or events of different streams reordered; a seal can, and a signed seal kept outside
 * Bosun can even when the log was rewritten up to its end.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';

export const sealEventType = 'audit.sealed';

export type SealSignature = { readonly algorithm: 'ed25519'; readonly key_id: string; readonly value: string };

/** What a seal states about the log (the payload of `audit.sealed`, one line of `bosun audit seals`). */
export type Seal = {
  readonly through_position: number;
  readonly through_event_id: string;
  readonly events_count: number;
  readonly chain_hash: string;
  readonly unordered_hash: string;
  readonly signature: SealSignature | null;
};

export type UnsignedSeal = Omit<Seal, 'signature'>;

/** The bytes a seal's signature covers. */
const signedBytes = (seal: UnsignedSeal): Buffer =>
  Buffer.from(
    canonicalize({
      through_position: seal.through_position,
      through_event_id: seal.through_event_id,
      events_count: seal.events_count,
      chain_hash: seal.chain_hash,
      unordered_hash: seal.unordered_hash,
    }) as string,
  );

/** Names a public key in a few characters: the first 16 hex digits of the SHA-256 of its SPKI DER. */
export const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

export const signSeal = (seal: UnsignedSeal, privateKey: KeyObject | null): Seal => ({
  ...seal,
  signature: privateKey
    ? { algorithm: 'ed25519', key_id: keyIdOf(createPublicKey(privateKey)), value: sign(null, signedBytes(seal), privateKey).toString('base64') }
    : null,
});

/** Whether `seal` bears a valid signature by `publicKey`. */
export const sealSignedBy = (seal: Seal, publicKey: KeyObject): boolean =>
  seal.signature !== null && seal.signature.algorithm === 'ed25519' && verify(null, signedBytes(seal), publicKey, Buffer.from(seal.signature.value, 'base64'));

/** The running fold of the global chain over the log. */
export class GlobalChain {
  #chain = Buffer.alloc(32);
  #unordered = Buffer.alloc(32);
  #count = 0;
  #lastPosition = 0;
  #lastId = '';

  /** Resumes after the events a seal covers. */
  static after(seal: UnsignedSeal): GlobalChain {
    const resumed = new GlobalChain();
    resumed.#chain = Buffer.from(seal.chain_hash, 'hex');
    resumed.#unordered = Buffer.from(seal.unordered_hash, 'hex');
    resumed.#count = seal.events_count;
    resumed.#lastPosition = seal.through_position;
    resumed.#lastId = seal.through_event_id;
    return resumed;
  }

  /** Folds the next event of the log, given its hash (hex). */
  add(position: number, id: string, hash: string): void {
    const bytes = Buffer.from(hash, 'hex');
    this.#chain = createHash('sha256').update(this.#chain).update(bytes).digest();
    for (let i = 0; i < 32; i++) this.#unordered[i] = (this.#unordered[i] as number) ^ (bytes[i] as number);
    this.#count++;
    this.#lastPosition = position;
    this.#lastId = id;
  }

  get count(): number {
    return this.#count;
  }

  /** What a seal made now would state; null before the first event. */
  state(): UnsignedSeal | null {
    if (this.#count === 0) return null;
    return {
      through_position: this.#lastPosition,
      through_event_id: this.#lastId,
      events_count: this.#count,
      chain_hash: this.#chain.toString('hex'),
      unordered_hash: this.#unordered.toString('hex'),
    };
  }
}
