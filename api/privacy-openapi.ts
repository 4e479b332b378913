/** The OpenAPI description of erasures (crypto-shredding of a data subject's personal data). */
import { json } from './openapi-common.js';
import { streamVersion } from './openapi-schemas.js';

export const erasureBody = {
  type: 'object',
  additionalProperties: false,
  required: ['subject'],
  properties: {
    subject: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description:
        'The data subject: `api_key:<key id>` for the person behind a key (the client IP and user agent of its requests), or the `subject` a client gave in `{"$personal": {"subject": ..., "value": ...}}` marks.',
    },
    reason: {
      type: ['string', 'null'],
      maxLength: 1000,
      description: 'Why, e.g. the reference of the request; it is recorded, so it must not be personal data itself.',
    },
  },
} as const;

const erasureSchema = {
  type: 'object',
  required: ['object', 'subject_ref', 'key_deleted', 'erased', 'revision', 'position'],
  properties: {
    object: { const: 'erasure' },
    subject_ref: { type: 'string', description: 'The pseudonym the log names the subject by.' },
    key_deleted: { type: 'boolean', description: 'Whether the subject had a key (false: nothing had been sealed about it).' },
    erased: { const: true },
    ...streamVersion,
  },
} as const;

export const privacyPaths = {
  '/privacy/erasures': {
    post: {
      summary: 'Erase a data subject of your team (admins): its key is deleted, and its personal data reads as [erased] everywhere from now on',
      requestBody: { required: true, ...json(erasureBody) },
      responses: {
        '201': { description: 'Erased now', ...json(erasureSchema) },
        '200': { description: 'Erased before: nothing more to do', ...json(erasureSchema) },
      },
    },
  },
};
