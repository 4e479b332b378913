import t from 'tap';
import { plainSecretPaths, securityScore, type SecurityInputs } from '../../../domain/fleet/security-score.js';

const clean: SecurityInputs = {
  openDrift: { low: 0, medium: 0, high: 0, critical: 0 },
  shellAllowed: false,
  runtimeVersion: '2.4.1',
  teamNewestRuntime: '2.4.1',
  missedHeartbeats: 0,
  plainSecrets: [],
};

t.test('given nothing Bosun knows against an instance, then it scores 100 with no reasons', async (t) => {
  t.same(securityScore(clean), { score: 100, grade: 'A', reasons: [] });
});

t.test('given open drift, then each severity deducts its weight, capped at 50 for drift altogether', async (t) => {
  const some = securityScore({ ...clean, openDrift: { low: 1, medium: 0, high: 1, critical: 0 } });
  t.equal(some.score, 83);
  t.same(
    some.reasons.map((reason) => [reason.code, reason.penalty]),
    [
      ['open_drift_high', 15],
      ['open_drift_low', 2],
    ],
  );
  const flood = securityScore({ ...clean, openDrift: { low: 9, medium: 9, high: 9, critical: 9 } });
  t.equal(flood.score, 50, 'drift alone never takes more than 50');
  t.equal(
    flood.reasons.reduce((sum, reason) => sum + reason.penalty, 0),
    50,
  );
});

t.test('given shell allowed, a runtime behind the team newest and missed heartbeats, then each is a reason, worst first', async (t) => {
  const score = securityScore({ ...clean, shellAllowed: true, runtimeVersion: '1.9.0', teamNewestRuntime: '2.0.0', missedHeartbeats: 4 });
  t.same(
    score.reasons.map((reason) => reason.code),
    ['runtime_behind', 'shell_allowed', 'missed_heartbeats'],
  );
  t.equal(score.score, 100 - 20 - 15 - 15);
  t.equal(score.grade, 'D');
  t.match(score.reasons[0]?.message, /major version behind the team's newest, 2\.0\.0/);
});

t.test('given a runtime a patch behind, then 5; given one ahead or unknown, then nothing', async (t) => {
  t.equal(securityScore({ ...clean, runtimeVersion: '2.4.0' }).score, 95);
  t.equal(securityScore({ ...clean, runtimeVersion: '2.5.0' }).score, 100);
  t.equal(securityScore({ ...clean, runtimeVersion: null }).score, 100);
  t.equal(securityScore({ ...clean, missedHeartbeats: null }).score, 100, 'a suspended instance is not expected to beat');
  t.equal(securityScore({ ...clean, missedHeartbeats: 1 }).score, 95);
});

t.test('given credential-shaped values under names Bosun does not seal, then they are found at any depth; sealed names are not', async (t) => {
  const settings = {
    model: 'claude-opus',
    endpoint: 'https://example.com/v1/some/long/path/with/numbers/12345',
    openai: 'sk-proj-abcdefghijklmnopqrstuvwx',
    nested: { github: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', list: ['AKIAIOSFODNN7EXAMPLE'] },
    api_token: 'sk-proj-abcdefghijklmnopqrstuvwx',
    random: 'Zq8vT2mX9pL4rK7wB3nY6cH1dF5gJ0sA',
    sentence: 'this is a long sentence of words that is not a secret at all 42',
  };
  t.same(plainSecretPaths(settings), ['settings.openai', 'settings.nested.github', 'settings.nested.list[0]', 'settings.random']);
  const score = securityScore({ ...clean, plainSecrets: plainSecretPaths(settings) });
  t.equal(score.score, 60, 'capped at 40 for plain secrets');
  t.match(score.reasons[0]?.message, /settings\.openai/);
});
