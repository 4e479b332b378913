/**
 * The baseline of the HTTP benchmarks: Koa alone. It answers every request with the JSON
 * in BARE_KOA_BODY_FILE (200), or else a submit with a fixed task (202).
 */
import { readFileSync } from 'node:fs';
import Koa from 'koa';

const task = {
  object: 'task',
  id: '0190b0a4-7c1e-7000-8000-000000000000',
  kind: 'echo',
  status: 'pending',
  input: { message: 'hello' },
  requested_instance_id: null,
  instance_id: null,
  required_skills: [],
  timeout_seconds: null,
  progress: null,
  outputs: null,
  error: null,
  cancel_reason: null,
  attempts: 0,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  started_at: null,
  finished_at: null,
  revision: 0,
  position: 1,
};

// Parsed once and serialised per request, as Bosun serialises its answers.
const file = process.env.BARE_KOA_BODY_FILE;
const answer: { status: number; body: unknown } = file ? { status: 200, body: JSON.parse(readFileSync(file, 'utf8')) } : { status: 202, body: task };

const app = new Koa();
app.use((ctx) => {
  ctx.status = answer.status;
  ctx.body = answer.body;
});
app.listen(Number(process.env.PORT), '127.0.0.1');
