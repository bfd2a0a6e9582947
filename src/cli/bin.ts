/** Entry point of the `slipway` executable (bin/slipway imports the compiled form). */
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version alone needs neither commander nor any command: answered before loading them.
  const { slipwayVersion } = await import('../platform/version.js');
  process.stdout.write(`${slipwayVersion()}\n`);
} else {
  const { main } = await import('./main.js');
  await main(process.argv);
}
