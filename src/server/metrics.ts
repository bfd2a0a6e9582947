/**
 * Prometheus metrics for `GET /metrics`: process defaults plus HTTP request counts and latency
 * by route template (never by raw URL, which would explode cardinality and could carry names).
 *
 * Metrics describe every workspace's traffic, so the main listener answers `/metrics` only to an
 * instance admin token; a scraper without one uses the loopback-only listener
 * (`--metrics-listen`), which serves nothing else.
 *
 * @module
 */
import { createServer } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

/** The server's metric set, on its own registry (several servers may share one test process). */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  /** The change stream's relay between control planes (PostgreSQL only; ADR 0018). */
  changeRelay: {
    up: Gauge;
    reconnects: Counter;
    relayed: Counter;
    publishFailures: Counter;
  };
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
    changeRelay: {
      up: new Gauge({ name: 'slipway_change_relay_listening', help: "1 while the LISTEN connection that brings the other control planes' changes is up (PostgreSQL; 0 while it reconnects)", registers: [registry] }),
      reconnects: new Counter({ name: 'slipway_change_relay_reconnects_total', help: 'times the LISTEN connection of the change relay came back after a drop', registers: [registry] }),
      relayed: new Counter({ name: 'slipway_change_relay_received_total', help: "changes of other control planes delivered to this server's change streams", registers: [registry] }),
      publishFailures: new Counter({ name: 'slipway_change_relay_publish_failures_total', help: 'changes of this server that could not be published to the other control planes', registers: [registry] }),
    },
  };
}

/** The loopback listener that serves `GET /metrics` (and nothing else) without a token. */
export async function startMetricsListener(metrics: Metrics, listen: { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(listen.port, listen.host, () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return { url: `http://${host}:${port}/metrics`, close: () => new Promise<void>((done) => server.close(() => done())) };
}
