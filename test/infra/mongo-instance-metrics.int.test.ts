import pino from 'pino';
import t from 'tap';
import { openMongoInstanceMetrics } from '../../infra/mongo-instance-metrics.js';
import { noMongo, scratchMongoUrl } from '../api/scratch-mongo.js';
import { instanceMetricsContract } from '../processes/instance-metrics.contract.js';

const logger = pino({ level: 'silent' });

t.test('MongoDB heartbeat metrics', { skip: noMongo }, async (t) => {
  instanceMetricsContract(t, 'mongodb', async (clock, retentionMs) => {
    const store = await openMongoInstanceMetrics({ url: scratchMongoUrl(t, 'bosun_metrics_'), retentionMs, logger, now: clock.now, pruneEveryMs: 0 });
    return { store, cleanup: () => store.close() };
  });
});
