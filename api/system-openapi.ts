/** The OpenAPI description of the read side's report and of the probes outside /api/v1. */
import { json } from './openapi-common.js';

const position = { type: 'integer', minimum: 0 };

const projectionStatusSchema = {
  type: 'object',
  required: ['object', 'name', 'runner', 'bus', 'state', 'checkpoint_position', 'log_head', 'lag_events', 'lag_ms', 'failure'],
  properties: {
    object: { const: 'projection' },
    name: { type: 'string' },
    runner: { type: 'string', description: '`lookups` (fed from the log in process) or `read_models` (fed from the bus).' },
    bus: { type: 'string', description: 'What the runner consumes: `embedded` or `kafka`.' },
    state: { enum: ['catching_up', 'live', 'stopped'] },
    checkpoint_position: { ...position, description: 'Log position of the last event this projection recorded.' },
    log_head: { ...position, description: 'Position of the last event in the log when the report was made.' },
    lag_events: { ...position, description: 'Events of the log not yet applied.' },
    lag_ms: { ...position, description: 'How long ago the oldest event not yet applied was written; 0 when caught up.' },
    failure: {
      description: 'The event a stopped projection failed on; it stays there until rebuilt, skipping nothing.',
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['event_id', 'event_type', 'stream', 'position', 'error'],
          properties: { event_id: { type: 'string' }, event_type: { type: 'string' }, stream: { type: 'string' }, position, error: { type: 'string' } },
        },
      ],
    },
  },
} as const;

const relayStatusSchema = {
  type: 'object',
  required: ['object', 'state', 'published_position', 'log_head', 'lag_events', 'error'],
  properties: {
    object: { const: 'relay' },
    state: { enum: ['publishing', 'retrying', 'stopped'] },
    published_position: { ...position, description: 'Every event at or below this position is on the bus.' },
    log_head: position,
    lag_events: position,
    error: { type: ['string', 'null'], description: 'Why the last publish failed, while it retries.' },
  },
} as const;

const checkSchema = {
  type: 'object',
  required: ['ok'],
  properties: { ok: { type: 'boolean' }, reason: { type: 'string', description: 'Why not, when not ok.' } },
} as const;

export const systemSchemas = { ProjectionStatus: projectionStatusSchema, RelayStatus: relayStatusSchema };

/** The probes are served at the root, not under /api/v1, and need no API key. */
const atRoot = { servers: [{ url: '/' }] };

export const systemPaths = {
  '/system/projections': {
    get: {
      summary: 'Every projection: its state, checkpoint, lag behind the log and failure; and the relay to the bus, if any (admins)',
      responses: {
        '200': {
          description: 'The read side now',
          ...json({
            type: 'object',
            required: ['data', 'caught_up', 'errors', 'relay'],
            properties: {
              data: { type: 'array', items: { $ref: '#/components/schemas/ProjectionStatus' } },
              caught_up: { type: 'boolean', description: 'Every runner has reached the log as it was when it started.' },
              errors: { type: 'array', items: { type: 'string' }, description: 'Runners not consuming now (their bus or store failed; they retry), and why.' },
              relay: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/RelayStatus' }], description: 'Null on the embedded bus.' },
            },
          }),
        },
      },
    },
  },
  '/system/projections/{name}/rebuild': {
    post: {
      summary: 'Rebuild one projection from position 0 into fresh storage while it serves, then switch over (system team admins)',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: '`progress` lines while it runs (events done, rate, ETA), then one `result` line, or an `error` line if it fails once begun',
          content: {
            'application/x-ndjson': { schema: { type: 'string', description: 'One JSON object per line, each with `type`: progress, result or error.' } },
          },
        },
      },
    },
  },
  '/system/projections/verify': {
    post: {
      summary: 'Rebuild into scratch storage and compare with the live read models document by document (system team admins)',
      parameters: [{ name: 'projection', in: 'query', schema: { type: 'string' }, description: 'Only this projection; all when absent.' }],
      responses: {
        '200': {
          description: '`progress` lines, then a `result` line with `identical` and the first differences of each projection',
          content: {
            'application/x-ndjson': { schema: { type: 'string', description: 'One JSON object per line, each with `type`: progress, result or error.' } },
          },
        },
      },
    },
  },
  '/version': {
    ...atRoot,
    get: {
      summary: 'What this server is: its version, the commit it was built from, and the API version',
      security: [],
      responses: {
        '200': {
          description: 'The version',
          ...json({
            type: 'object',
            required: ['object', 'version', 'commit', 'api_version'],
            properties: { object: { const: 'version' }, version: { type: 'string' }, commit: { type: ['string', 'null'] }, api_version: { const: 'v1' } },
          }),
        },
      },
    },
  },
  '/health': {
    ...atRoot,
    get: {
      summary: 'Liveness: 200 while the process serves',
      security: [],
      responses: { '200': { description: 'Alive', ...json({ type: 'object', properties: { status: { const: 'ok' } } }) } },
    },
  },
  '/ready': {
    ...atRoot,
    get: {
      summary: 'Readiness: 200 once start-up finished, the read side is current and every dependency answers; 503 naming what is not',
      security: [],
      responses: {
        ...Object.fromEntries(
          (['200', '503'] as const).map((status) => [
            status,
            {
              description: status === '200' ? 'Ready' : 'Not ready',
              ...json({
                type: 'object',
                required: ['status', 'checks'],
                properties: {
                  status: { const: status === '200' ? 'ready' : 'not_ready' },
                  checks: {
                    type: 'object',
                    description: '`startup`, `read_side`, then each configured dependency (`event_store`, `temporal`, `kafka`, `mongodb`).',
                    additionalProperties: checkSchema,
                  },
                },
              }),
            },
          ]),
        ),
      },
    },
  },
  '/metrics': {
    ...atRoot,
    get: {
      summary: 'Prometheus metrics (text format 0.0.4); absent with BOSUN_METRICS=off',
      security: [],
      responses: { '200': { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
};
