/**
 * Layering rules (docs/adr/0001-layers.md), checked in CI by test/architecture.test.ts
 * (`npm run lint:deps`). Every folder of src/ has a layer; a folder that has none fails the check
 * (rule every-folder-has-a-layer), so a new folder is fenced the day it appears.
 *
 *   folder        layer      may import
 *   core/         core       nothing outside core/ (no node:*, no npm packages)
 *   api/          api        core/ and zod: the API's request/response shapes, nothing else
 *   apps/         context    (applications: versioned products, upstream watching)
 *   audit/        context    core, api (types only), other contexts; never an adapter, the HTTP
 *   builder/      context      framework (fastify) or an app (server/, cli/)
 *   config/       context
 *   controllers/  context
 *   deploy/       context
 *   domains/      context
 *   fleet/        context    (servers, join tokens, the internal CA, agent sessions)
 *   git/          context    (git sources: fetching commits with the git binary, buildah builds)
 *   herds/        context    (herd upgrades: plans in waves, the runner moving each site, staged clones)
 *   images/       context
 *   manifest/     context    (slipway.yaml: YAML read with line and column, checked by its zod schema)
 *   pipelines/    context    (manifests applied to projects, pipeline runs, the runner)
 *   platform/     context    core/ only (shared by the apps and the contexts; the CLI loads it)
 *   projects/     context
 *   registry/     context
 *   releases/     context
 *   secrets/      context
 *   services/     context
 *   store/        context
 *   tenancy/      context
 *   volumes/      context    (backups of environment volumes, restores into a new generation)
 *   webhooks/     context    (project hooks, deliveries, branch and preview environments)
 *   drivers/      adapter    (service kinds: PostgreSQL, MySQL, Redis, RabbitMQ)
 *   edge/         adapter    core, contexts (the ports they implement); never an app or fastify
 *   targets/      adapter
 *   server/       app        anything but cli/
 *   agent/        app        the agent daemon (slipway agent): like server/, anything but cli/
 *   cli/          app        core, platform, api (types only); the rest only by a dynamic import()
 *   panel/src/    app (web)  nothing of src/ but types from api/ and the pure src/platform/sse-parse.ts
 *
 * Tests and test-support/ folders (not shipped) are not fenced.
 */
const contexts = ['apps', 'audit', 'builder', 'config', 'controllers', 'deploy', 'domains', 'fleet', 'git', 'herds', 'images', 'manifest', 'pipelines', 'platform', 'projects', 'registry', 'releases', 'secrets', 'services', 'store', 'tenancy', 'volumes', 'webhooks'];
const adapters = ['drivers', 'edge', 'targets'];
const apps = ['server', 'cli', 'agent'];
const layered = ['core', 'api', ...contexts, ...adapters, ...apps];

const under = (folders) => `^src/(${folders.join('|')})/`;
const packages = (names) => `(^|/)node_modules/(${names.join('|')})/`;
const httpFramework = packages(['fastify', '@fastify']);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core/ holds pure domain rules: no I/O, no frameworks, no Node built-ins, nothing outside core/',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/' },
    },
    {
      name: 'api-is-neutral',
      comment: 'api/ holds the request/response schemas only (zod and core), so the routes, the CLI and the panel can share them',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { pathNot: ['^src/(api|core)/', packages(['zod'])] },
    },
    {
      name: 'contexts-do-not-import-adapters-or-apps',
      comment: 'a context owns its ports; adapters (targets/, edge/) implement them and the apps (server/, cli/) wire them',
      severity: 'error',
      from: { path: under(contexts) },
      to: { path: under([...adapters, ...apps]) },
    },
    {
      name: 'contexts-do-not-import-the-http-framework',
      comment: 'HTTP lives in server/ (routes, the registry plugin); contexts take plain values and a Node response at most',
      severity: 'error',
      from: { path: under(contexts) },
      to: { path: httpFramework },
    },
    {
      name: 'contexts-use-api-types-only',
      comment: 'a context may say that it produces an API shape, but never loads zod for it',
      severity: 'error',
      from: { path: under(contexts) },
      to: { path: '^src/api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'platform-is-shared',
      comment: 'platform/ is used by every layer and loaded by the CLI: it depends on core/ only',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/(core|platform)/' },
    },
    {
      name: 'adapters-do-not-import-apps',
      comment: 'adapters are driven by contexts and wired by the server; they never reach the routes, the server or the CLI',
      severity: 'error',
      from: { path: under(adapters) },
      to: { path: [under(apps), httpFramework] },
    },
    {
      name: 'server-does-not-import-cli',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'agent-is-its-own-app',
      comment: 'the agent daemon (agent/) and the control plane (server/) share contexts and adapters, never each other or the CLI',
      severity: 'error',
      from: { path: '^src/agent/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'server-does-not-import-the-agent',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/agent/' },
    },
    {
      name: 'cli-loads-no-server-statically',
      comment: 'client commands start without the server: only a dynamic import() (slipway server) reaches it (issue 16; src/cli/lazy-load.test.ts checks what really loads)',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/(cli|core|platform|api)/', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'cli-imports-api-types-only',
      comment: 'the CLI types what it reads with the API shapes but never loads zod',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-loads-no-server-packages',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: packages(['zod', 'fastify', '@fastify', 'kysely', 'better-sqlite3', 'pg', 'pino', 'prom-client']), dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'panel-imports-no-server-code',
      comment: 'the panel bundle holds the panel: of src/ only the API types and the pure SSE parser',
      severity: 'error',
      from: { path: '^panel/' },
      to: { path: '^src/', pathNot: '^src/(api/|platform/sse-parse\\.ts$)' },
    },
    {
      name: 'panel-imports-api-types-only',
      comment: 'type imports are erased: no zod in the bundle',
      severity: 'error',
      from: { path: '^panel/' },
      to: { path: '^src/api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sse-parser-is-pure',
      comment: 'src/platform/sse-parse.ts is bundled into the panel and loaded by the CLI: it imports nothing',
      severity: 'error',
      from: { path: '^src/platform/sse-parse\\.ts$' },
      to: {},
    },
    {
      name: 'every-folder-has-a-layer',
      comment: 'a new folder of src/ gets a layer above (and in the header) before it is used',
      severity: 'error',
      from: { path: '^src/', pathNot: under(layered) },
      to: {},
    },
    {
      name: 'every-folder-has-a-layer',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: under(layered) },
    },
    {
      name: 'every-folder-has-a-layer',
      severity: 'error',
      from: { path: '^src/', pathNot: under(layered), orphan: true },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.test\\.tsx?$', '/test-support/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
