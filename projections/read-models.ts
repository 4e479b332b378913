/** Which projectors build what: the one list the live read side and a replay both build. */
import { accessProjector } from './access/access-projector.js';
import { apiKeyProjector } from './access/api-key-projector.js';
import { agentCredentialProjector } from './agents/agent-credentials.js';
import { alertRuleProjector } from './alert-rules/alert-rule-projector.js';
import { alertProjector } from './alerts/alert-projector.js';
import { auditLogProjector } from './audit/audit-log-projector.js';
import { driftProjector } from './drift/drift-projector.js';
import { snapshotProjector } from './drift/snapshot-projector.js';
import { idempotencyProjector } from './idempotency/idempotency-projector.js';
import { instanceProjector } from './instances/instance-projector.js';
import type { Projector } from './projector.js';
import { skillProjector } from './skills/skill-projector.js';
import { taskProjector } from './tasks/task-projector.js';
import { deliveryProjector, webhookProjector } from './webhooks/webhook-projector.js';

/**
 * The command side's lookups: what authentication (teams, API keys), idempotency, agent
 * credentials, dispatch and placement read on every request or decision. They stay fed
 * from the log in process, into the embedded store in the data directory, so a command
 * never waits on Kafka or MongoDB and keeps working while either is down.
 */
export const lookupProjectors: readonly Projector[] = [
  accessProjector,
  apiKeyProjector,
  idempotencyProjector,
  agentCredentialProjector,
  taskProjector,
  instanceProjector,
];

/** The read models the API serves to clients: fed from the bus into the read store. */
export const readModelProjectors: readonly Projector[] = [
  taskProjector,
  instanceProjector,
  driftProjector,
  snapshotProjector,
  alertProjector,
  alertRuleProjector,
  auditLogProjector,
  webhookProjector,
  deliveryProjector,
  skillProjector,
];
