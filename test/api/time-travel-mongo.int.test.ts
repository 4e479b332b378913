import t from 'tap';
import { noMongo, scratchMongoUrl } from './scratch-mongo.js';
import { timeTravelSpecifications } from './time-travel-specifications.js';

t.test('time travel and history with the read models in MongoDB: every resource as it was, and its events', { skip: noMongo }, (t) =>
  timeTravelSpecifications(t, { mongodbUrl: scratchMongoUrl(t, 'bosun_t') }),
);
