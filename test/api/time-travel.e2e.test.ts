import t from 'tap';
import { timeTravelSpecifications } from './time-travel-specifications.js';

t.test('time travel and history on the embedded read store: every resource as it was, and its events', (t) => timeTravelSpecifications(t));
