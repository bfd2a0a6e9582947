/**
 * Prometheus metrics for `GET /metrics`: process defaults plus HTTP request counts and latency
 * by route template (never by raw URL, which would explode cardinality and could carry names).
 *
 * @module
 */
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

/** The server's metric set, on its own registry (several servers may share one test process). */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
}

/** Creates the registry and metrics. */
export function createMetrics(version: string, engine: string): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const info = new Gauge({ name: 'slipway_build_info', help: 'Slipway version and store engine', labelNames: ['version', 'engine'], registers: [registry] });
  info.set({ version, engine }, 1);
  return {
    registry,
    requests: new Counter({ name: 'slipway_http_requests_total', help: 'HTTP requests answered', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    duration: new Histogram({
      name: 'slipway_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
