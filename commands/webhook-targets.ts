/**
 * Where a webhook or task callback may send: http(s) URLs only, and, unless the team's
 * policy `allow_private_webhook_targets` says otherwise, only public unicast addresses.
 * Checked when the URL is given (its literal address, or what its name resolves to then)
 * and again before every attempt on the addresses the name resolves to at that moment,
 * which the request is then pinned to: a name that later resolves inside the network
 * (DNS rebinding) is refused, not followed.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { RuleViolationError } from '../domain/shared/errors.js';

/** A URL a webhook may not use; `field` names the request field it came from. */
export class WebhookTargetError extends RuleViolationError {
  constructor(message: string, field: string) {
    super('invalid_webhook_target', message, field);
  }
}

/** `unicast` is the only range ipaddr.js gives public addresses; every other (loopback, private, linkLocal, uniqueLocal, ...) is inside some network. */
export const addressRange = (address: string): string => ipaddr.process(address).range();

const refusedRange = (address: string): string | null => {
  const range = addressRange(address);
  return range === 'unicast' ? null : range;
};

/** The URL parsed, refused unless it is http(s) without credentials. */
export const parseTargetUrl = (raw: string, field: string): URL => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError(`${field} must be an absolute http(s) URL, got ${JSON.stringify(raw)}`, field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookTargetError(`${field} must use http or https, not ${url.protocol.slice(0, -1)}`, field);
  if (url.username || url.password) throw new WebhookTargetError(`${field} must not carry credentials`, field);
  return url;
};

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The addresses `url`'s host stands for: itself when it is one, else what DNS answers now. */
export const resolveTarget = async (url: URL): Promise<string[]> => {
  const host = hostOf(url);
  if (isIP(host)) return [host];
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
};

/** Throws unless every address is public or the team allows private ones. */
export const checkAddresses = (url: URL, addresses: readonly string[], allowPrivate: boolean, field: string): void => {
  if (allowPrivate) return;
  for (const address of addresses) {
    const range = refusedRange(address);
    if (range !== null) {
      throw new WebhookTargetError(
        `${field} ${url.origin} resolves to ${address}, a ${range} address; the team policy allow_private_webhook_targets is off`,
        field,
      );
    }
  }
};

/**
 * The check at subscription (or submit) time. A name that does not resolve yet is let
 * through: the check before each attempt is the one that counts.
 */
export const validateTargetUrl = async (raw: string, allowPrivate: boolean, field: string): Promise<string> => {
  const url = parseTargetUrl(raw, field);
  if (!allowPrivate && hostOf(url).toLowerCase() === 'localhost') checkAddresses(url, ['127.0.0.1'], false, field);
  const addresses = await resolveTarget(url).catch(() => [] as string[]);
  checkAddresses(url, addresses, allowPrivate, field);
  return url.toString();
};
