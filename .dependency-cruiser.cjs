/**
 * Layering rules (docs/adr/0001-layers.md), checked in CI by test/architecture.test.ts:
 *   core/        pure domain: imports nothing outside core/ (no node:*, no npm packages)
 *   contexts     audit, tenancy, projects, config, secrets, releases, store, platform:
 *                never import the apps (server/, cli/)
 *   server/      never imports cli/
 *   cli/         reaches the server's code only through a dynamic import()
 */
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
      name: 'contexts-do-not-import-apps',
      comment: 'bounded contexts and adapters must not depend on the server or CLI apps',
      severity: 'error',
      from: { path: '^src/(audit|tenancy|projects|config|secrets|releases|store|platform)/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'server-does-not-import-cli',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'cli-loads-no-server-statically',
      comment: 'client commands start without the server: only a dynamic import() (slipway server) reaches it (issue 16; src/cli/lazy-load.test.ts checks what really loads)',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/(server|store|registry|builder|deploy|edge|targets|controllers|images)/', dependencyTypesNot: ['dynamic-import'] },
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
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
