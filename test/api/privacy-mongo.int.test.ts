import t from 'tap';
import { privacyScenario } from './privacy-scenario.js';
import { noMongo, scratchMongoUrl } from './scratch-mongo.js';

t.test('personal data with the read models in MongoDB: sealed there too, revealed at the edge, erased by deleting the key', { skip: noMongo }, (t) =>
  privacyScenario(t, { mongodbUrl: scratchMongoUrl(t, 'bosun_p') }),
);
