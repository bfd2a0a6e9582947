/**
 * The server started inside the test process (startServer on port 0, a temp data dir, no logs):
 * fast to start, and its SQLite file is at hand for snapshots and direct inserts. Its log is
 * silent unless SLIPWAY_TEST_LOG_LEVEL names a level (e.g. `error`, to see a 500's cause).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseServerOptions } from '../../src/server/options.js';
import { createLogger, startServer } from '../../src/server/start.js';
import { apiClient, type Api } from './api.js';
import { tempDir } from './server-process.js';

export interface InProcessServer {
  url: string;
  dataDir: string;
  dbFile: string;
  adminToken: string;
  /** A client with the first admin's instance token. */
  admin: Api;
  close(): Promise<void>;
}

export async function startInProcessServer(env: Record<string, string> = {}): Promise<InProcessServer> {
  const dataDir = tempDir('slipway-inproc-');
  const running = await startServer(parseServerOptions({ dataDir, listen: '127.0.0.1:0' }, env), createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'silent'));
  const adminToken = readFileSync(running.adminTokenFile, 'utf8').trim();
  return { url: running.url, dataDir, dbFile: join(dataDir, 'slipway.db'), adminToken, admin: apiClient(running.url, adminToken), close: () => running.close() };
}
