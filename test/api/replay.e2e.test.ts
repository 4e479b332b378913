/** `bosun replay` on the embedded stores, beside the Bosun whose log it reads. */
import t from 'tap';
import { parseReplayArgs } from '../../infra/replay-command.js';
import { startTestBosun } from './harness.js';
import { replayScenario } from './replay-scenario.js';

t.test('replays of a fleet on the embedded read store, Bosun running', async (t) => {
  const app = await startTestBosun();
  t.teardown(() => app.stop());
  await replayScenario(t, app, null);
});

t.test('the arguments of bosun replay', async (t) => {
  t.match(parseReplayArgs(['--to', '12', '--out', 'x', '--export'], {}), { to: '12', mode: { export: true }, mongodbUrl: null, keep: false });
  t.match(parseReplayArgs(['--to', '12', '--out', 'x', '--serve', '8090'], { MONGODB_URL: 'mongodb://h/db' }), {
    mode: { serve: 8090, host: '127.0.0.1' },
    mongodbUrl: 'mongodb://h/db',
  });
  t.throws(() => parseReplayArgs(['--out', 'x', '--export'], {}), { message: /^--to is needed/ });
  t.throws(() => parseReplayArgs(['--to', '1', '--export'], {}), { message: /^--out is needed/ });
  t.throws(() => parseReplayArgs(['--to', '1', '--out', 'x'], {}), { message: 'one of --export or --serve PORT is needed' });
  t.throws(() => parseReplayArgs(['--to', '1', '--out', 'x', '--export', '--serve', '1'], {}), { message: 'one of --export or --serve PORT is needed' });
  t.throws(() => parseReplayArgs(['--to', '1', '--out', 'x', '--serve', 'http'], {}), { message: /^--serve http: a port/ });
  t.throws(() => parseReplayArgs(['--to', '--out', 'x'], {}), { message: '--to needs a value' });
  t.throws(() => parseReplayArgs(['--to', '1', '--out', 'x', '--export', '--fast'], {}), { message: 'unknown argument "--fast"' });
  t.equal(parseReplayArgs(['--help'], {}), null);
});
