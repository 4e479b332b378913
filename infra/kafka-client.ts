/**
 * What the Kafka publisher and the Kafka bus share: the kafkajs client (its logs bridged to
 * pino, its retries bounded) and the topics, one per aggregate category.
 */
import { Kafka, logLevel, type Admin, type ITopicConfig, type logCreator, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { eventCategories } from '../events/streams.js';

export type KafkaConnectionOptions = {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** kafkajs's own level; what passes it goes to `logger`. @defaultValue logLevel.WARN */
  readonly kafkaLogLevel?: logLevel;
  /** @defaultValue 10000 ms for one request to a broker */
  readonly requestTimeoutMs?: number;
};

export type KafkaTopicOptions = {
  /** @defaultValue `bosun.events.` */
  readonly topicPrefix?: string;
  /** Categories whose topics are created at start. @defaultValue every category of the log */
  readonly categories?: readonly string[];
  /** Partitions of a topic created here (existing topics are left as they are). @defaultValue 3 */
  readonly partitions?: number;
  /** @defaultValue 1 (a single broker) */
  readonly replicationFactor?: number;
  /** `retention.ms` of a topic created here. @defaultValue -1: kept whole, for analytics and replays */
  readonly retentionMs?: number;
};

export const defaultTopicPrefix = 'bosun.events.';

export const topicOf = (prefix: string, category: string): string => `${prefix}${category}`;

/** Brokers as error messages name them. */
export const brokerList = (brokers: readonly string[]): string => brokers.join(',');

/** kafkajs's messages that are expected here, and so not worth a warning each start. */
const expectedWarnings = [
  // Retries are bounded on purpose, so that a publish to a Kafka that is down fails and the relay
  // retries it; the relay repeats the same batch, and consumers are idempotent anyway.
  'Limiting retries for the idempotent producer',
];

/** Bridges kafkajs's logger to pino: one JSON line per entry, at the matching level. */
export const kafkaLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
    const fields = { component: 'kafkajs', namespace, ...extra };
    if (expectedWarnings.some((expected) => message.startsWith(expected))) return logger.debug(fields, message);
    switch (level) {
      case logLevel.ERROR:
      case logLevel.NOTHING:
        return logger.error(fields, message);
      case logLevel.WARN:
        return logger.warn(fields, message);
      case logLevel.INFO:
        return logger.info(fields, message);
      default:
        return logger.debug(fields, message);
    }
  };

/**
 * A kafkajs client whose every operation gives up within seconds when no broker answers
 * (kafkajs's defaults retry for up to half a minute per call, the idempotent producer forever):
 * callers above retry on their own terms and report the bus as down meanwhile.
 */
export const createKafkaClient = (options: KafkaConnectionOptions): Kafka => {
  if (options.brokers.length === 0) throw new Error('kafka: no brokers given');
  return new Kafka({
    brokers: [...options.brokers],
    clientId: options.clientId,
    connectionTimeout: 3000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: options.kafkaLogLevel ?? logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger.child({ bus: 'kafka' })),
  });
};

/**
 * Creates the topics that do not exist yet (idempotent: kafkajs answers false when all exist).
 * Existing topics keep their partitions and settings.
 */
export const ensureTopics = async (admin: Admin, topics: readonly string[], options: KafkaTopicOptions): Promise<void> => {
  if (topics.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  const configs: ITopicConfig[] = missing.map((topic) => ({
    topic,
    numPartitions: options.partitions ?? 3,
    replicationFactor: options.replicationFactor ?? 1,
    configEntries: [{ name: 'retention.ms', value: String(options.retentionMs ?? -1) }],
  }));
  try {
    await admin.createTopics({ topics: configs, waitForLeaders: true });
  } catch (error) {
    // Another process may have created some in between; anything else is a real failure.
    const type = (error as { type?: string }).type;
    const all = (error as { errors?: { type?: string }[] }).errors;
    if (type === 'TOPIC_ALREADY_EXISTS' || (all && all.every((e) => e.type === 'TOPIC_ALREADY_EXISTS'))) return;
    throw new Error(`kafka: cannot create topics ${missing.join(', ')}: ${(error as Error).message}`, { cause: error });
  }
};

export const topicsFor = (options: KafkaTopicOptions, categories: readonly string[] = options.categories ?? eventCategories): string[] =>
  categories.map((category) => topicOf(options.topicPrefix ?? defaultTopicPrefix, category));
