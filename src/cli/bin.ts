/**
 * Entry point of the `slipway` executable. `npm run build` bundles it, with every client command,
 * into dist/cli/slipway.cjs (scripts/bundle-cli.mjs, docs/adr/0012-bundled-cli.md), which
 * bin/slipway runs. No top-level await: the bundle is CommonJS.
 */
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version alone needs neither commander nor any command: answered before loading them.
  void import('../platform/version.js').then(({ slipwayVersion }) => process.stdout.write(`${slipwayVersion()}\n`));
} else {
  void import('./main.js').then(({ main }) => main(process.argv));
}
