/**
 * Renders docs/errors.md from the error catalogue, so the document cannot drift from the code
 * (a test compares them; `npm run docs:errors` rewrites the file).
 *
 * @module
 */
import { errorCatalog } from './errors.js';

/** The Markdown text of docs/errors.md. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(errorCatalog).map(([code, { status, summary }]) => `| \`${code}\` | ${status} | ${summary} |`);
  return [
    '# Error codes',
    '',
    'Every failure of the API is JSON `{ "error": { "code": "SLW_…", "message": "…" } }` with the HTTP',
    'status below. The CLI prints `error SLW_…: message` on one line on stderr (and, with `--json`, the',
    'same error document on stdout) and exits 1. Codes are stable: match on them in scripts. Messages',
    'say what to do and may be reworded.',
    '',
    'A missing object and an object of a workspace your token cannot see answer the same',
    '`SLW_NOT_FOUND`, so no token learns what another workspace holds.',
    '',
    'Some codes come only from the CLI (`SLW_USAGE`, `SLW_SERVER_UNREACHABLE`, `SLW_BAD_RESPONSE`) or',
    'from server start-up (`SLW_DATA_DIR_LOCKED`, `SLW_SERVER_CONFIG`, `SLW_MASTER_KEY_INVALID`,',
    '`SLW_MASTER_KEY_MISMATCH`, `SLW_STORE_UNAVAILABLE`); their HTTP status is nominal.',
    '',
    '| code | HTTP | meaning |',
    '|---|---|---|',
    ...rows,
    '',
    '_Generated from `src/core/errors.ts` by `npm run docs:errors`; a test keeps it in sync._',
    '',
  ].join('\n');
}
