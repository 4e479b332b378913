import t from 'tap';
import { privacyScenario } from './privacy-scenario.js';

t.test('personal data on the embedded read store: sealed at rest per subject, shown to its team, erased by deleting its key', (t) => privacyScenario(t));
