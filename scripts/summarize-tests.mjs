// Prints the closing line `N passed, N failed` from vitest's JSON report plus the script's own
// checks (type-check), and exits non-zero on any failure, on a missing report, or when vitest
// itself failed (e.g. a test file that does not load counts as a failure).
import { existsSync, readFileSync } from 'node:fs';

const [file, checksPassed, checksFailed, vitestCode] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
if (existsSync(file)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // Files that failed to load have no failed tests but a failed suite.
  const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed')).length;
  failed += brokenFiles;
  for (const r of report.testResults) {
    for (const a of r.assertionResults) if (a.status === 'failed') console.log(`FAILED ${r.name.replace(process.cwd() + '/', '')} › ${a.fullName}`);
  }
} else {
  console.log('[test] vitest wrote no report');
  failed += 1;
}
if (failed === 0 && Number(vitestCode) !== 0) {
  console.log(`[test] vitest exited with ${vitestCode}`);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
