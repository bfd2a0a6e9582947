/**
 * The app of test/herds/herd-volumes.test.ts: a Node service that keeps its state in a file of
 * its site's volume (`data`, mounted at /data), in versions built by Slipway's node runtime on
 * the node base of service-app.ts.
 *
 * - `GET /` answers `files VERSION`; `GET /write?v=X` appends the line X to /data/state.txt;
 *   `GET /state` answers the file's text (empty when there is none); `GET /health` answers ok.
 * - `migrate.js`, the application's release step (it mounts the volume): 1.x writes nothing; 2.x
 *   appends `migrated to 2` to /data/state.txt — and then, on a site labelled `broken=yes`
 *   (SLIPWAY_SITE_LABEL_BROKEN), exits 1 after writing, so only a restore of the volume gives the
 *   site its file back as it was.
 */
import { buildNodeApp } from './herd-app.js';

export const stateFile = '/data/state.txt';

const server = (version: string) => `
const http = require('node:http');
const fs = require('node:fs');
const file = ${JSON.stringify(stateFile)};
http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  try {
    if (url.pathname === '/write') {
      fs.appendFileSync(file, (url.searchParams.get('v') ?? '') + '\\n');
      res.end('ok');
    } else if (url.pathname === '/state') {
      res.end(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    } else if (url.pathname === '/health') {
      res.end('ok');
    } else {
      res.end('files ${version}');
    }
  } catch (e) { res.statusCode = 500; res.end('error: ' + e.message); }
}).listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => process.exit(0));
`;

const migrate = (major: number) => `
const fs = require('node:fs');
const file = ${JSON.stringify(stateFile)};
${major >= 2 ? `fs.appendFileSync(file, 'migrated to 2\\n');` : ''}
${major >= 2 ? `if (process.env.SLIPWAY_SITE_LABEL_BROKEN === 'yes') { console.error('migration failed after writing: this site is broken'); process.exit(1); }` : ''}
console.log('migrated ' + (process.env.SLIPWAY_SITE ?? '?') + ' to ${major}');
`;

/** The app at `version` as a .tar.gz for `slipway build --runtime node`. */
export function buildVolumeApp(dir: string, version: string): Promise<string> {
  return buildNodeApp(dir, 'files', version, { server: server(version), migrate: migrate(Number(version.split('.')[0])) });
}

/** The manifest whose release step is the migration, with the site's volume `data` mounted. */
export const volumeManifest = 'release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: node /app/migrate.js\n      volumes: [data]\n';
