/** The baseline of the HTTP benchmark: Koa alone, answering a submit with a fixed task. */
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

const app = new Koa();
app.use((ctx) => {
  ctx.status = 202;
  ctx.body = task;
});
app.listen(Number(process.env.PORT), '127.0.0.1');
