import t from 'tap';
import { uuidv7 } from '../../infra/ids.js';

t.test('uuidv7 ids are valid version-7 UUIDs that sort by time', async (t) => {
  const earlier = uuidv7(Date.UTC(2026, 0, 1));
  const later = uuidv7(Date.UTC(2026, 0, 1, 0, 0, 0, 1));
  t.match(earlier, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(earlier.slice(0, 13), '019b76da-a800', 'the first 48 bits are the milliseconds');
  t.ok(earlier < later);
  t.equal(new Set(Array.from({ length: 1000 }, () => uuidv7(0))).size, 1000, 'unique within one millisecond');
});
