import t from 'tap';
import { ownedResource } from '../../api/ownership.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import type { ReadStore } from '../../projections/read-store.js';

/** A log of stream to team, counting how often each stream is read. */
const logOf = (teams: Map<string, string>) => {
  const reads = new Map<string, number>();
  const events = {
    readStream: async (stream: string) => {
      reads.set(stream, (reads.get(stream) ?? 0) + 1);
      const tenant = teams.get(stream);
      return tenant ? [{ stream, tenant, revision: 0 } as RecordedEvent] : [];
    },
  } as unknown as EventStore;
  return { events, reads };
};

/** Runs the check for `GET /api/v1/instances/:id` as `tenant`: whether the route would go on. */
const checkAs = (check: ReturnType<typeof ownedResource>) => async (tenant: string, id: string) => {
  const ctx = { _matchedRoute: '/api/v1/instances/:id', state: { principal: { tenant, keyId: 'k', role: 'viewer', systemTeam: false } } };
  let passed = false;
  try {
    await check(id, ctx as unknown as Parameters<ReturnType<typeof ownedResource>>[1], async () => {
      passed = true;
    });
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
  }
  return passed;
};

t.test("a stream's team is read once and remembered; a stream not found yet is looked for again", async (t) => {
  // Given instance i-1 of team-a, and i-2 not written yet
  const teams = new Map([['instance-i-1', 'team-a']]);
  const { events, reads } = logOf(teams);
  const check = checkAs(ownedResource({ events, readStore: {} as ReadStore }));

  // When both teams ask for i-1 several times
  t.equal(await check('team-a', 'i-1'), true, "team-a's own instance");
  t.equal(await check('team-b', 'i-1'), false, "another team's is not found");
  t.equal(await check('team-a', 'i-1'), true);
  // Then the log was read once for it
  t.equal(reads.get('instance-i-1'), 1);

  // When i-2 is asked for before and after it is written
  t.equal(await check('team-a', 'i-2'), false);
  teams.set('instance-i-2', 'team-a');
  t.equal(await check('team-a', 'i-2'), true, 'found once written');
  t.equal(reads.get('instance-i-2'), 2);
});

t.test('the teams remembered are bounded: the least recently used is read again', async (t) => {
  const { events, reads } = logOf(new Map(['i-1', 'i-2', 'i-3'].map((id) => [`instance-${id}`, 'team-a'])));
  const check = checkAs(ownedResource({ events, readStore: {} as ReadStore, streamTeamsCached: 2 }));
  for (const id of ['i-1', 'i-2', 'i-3', 'i-1']) t.equal(await check('team-a', id), true);
  t.same(Object.fromEntries(reads), { 'instance-i-1': 2, 'instance-i-2': 1, 'instance-i-3': 1 });
});
