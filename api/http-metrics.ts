import type { Context, Next } from 'koa';
import type { Metrics } from '../infra/metrics.js';

type RouteLayer = { readonly path: string | RegExp; readonly methods: readonly string[] };

/**
 * The route template that answered (`/api/v1/tasks/:id`), never the URL: ids in labels
 * would make a series per resource. Taken from the layers the routers matched rather than
 * `ctx._matchedRoute`, which names the router's own middleware (authentication, say) when
 * that is what answered. The first route layer for the method is the one that runs first.
 */
export const routeTemplate = (ctx: Context): string => {
  const matched = (ctx as { matched?: readonly RouteLayer[] }).matched ?? [];
  const layer = matched.find((candidate) => candidate.methods.includes(ctx.method) && typeof candidate.path === 'string');
  return (layer?.path as string | undefined) ?? 'unmatched';
};

/** Times every request into `bosun_http_request_duration_seconds`; sits outside the error handler so the status is the one sent. */
export const httpMetrics = (metrics: Pick<Metrics, 'httpRequestDuration'>) => async (ctx: Context, next: Next) => {
  const end = metrics.httpRequestDuration.startTimer();
  try {
    await next();
  } finally {
    end({ method: ctx.method, route: routeTemplate(ctx), status: String(ctx.status) });
  }
};
