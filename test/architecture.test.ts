/**
 * The layering rules of .dependency-cruiser.cjs hold for src/ and panel/src/; every folder of
 * src/ has a layer; and each rule really catches a violation (checked on a small fixture tree
 * that breaks every rule once, beside dependencies the rules allow).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const config = join(root, '.dependency-cruiser.cjs');

function cruise(cwd: string): { code: number; output: string } {
  const dirs = ['src', 'panel/src'].filter((d) => existsSync(join(cwd, d)));
  try {
    const output = execFileSync(depcruise, [...dirs, '--config', config], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

interface Rule {
  name: string;
  from: { path?: string | string[] };
}
const rules = (createRequire(import.meta.url)(config) as { forbidden: Rule[] }).forbidden;

/** A fixture tree: each file's text by path. */
function writeTree(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Breaks every rule once (the comment names the rule), beside dependencies the rules allow. */
const fixture: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  'node_modules/fastify/package.json': JSON.stringify({ name: 'fastify', main: 'index.js' }),
  'node_modules/fastify/index.js': 'module.exports = {};\n',
  'node_modules/zod/package.json': JSON.stringify({ name: 'zod', main: 'index.js' }),
  'node_modules/zod/index.js': 'module.exports = {};\n',
  // core-is-pure
  'src/core/rule.ts': "import { readFileSync } from 'node:fs';\nexport const rule = readFileSync;\n",
  // api-is-neutral (zod and core are fine)
  'src/api/shape.ts': "import 'zod';\nimport { rule } from '../core/rule.js';\nimport { thing } from '../deploy/thing.js';\nexport const schema = [rule, thing];\nexport type Shape = string;\n",
  // contexts-do-not-import-adapters-or-apps, contexts-do-not-import-the-http-framework, contexts-use-api-types-only
  'src/deploy/thing.ts': "import 'fastify';\nimport { docker } from '../targets/docker.js';\nexport const thing = docker;\n",
  'src/deploy/shaped.ts': "import { schema } from '../api/shape.js';\nimport type { Shape } from '../api/shape.js';\nexport const shaped: Shape[] = [String(schema)];\n",
  // platform-is-shared
  'src/platform/util.ts': "import { db } from '../store/db.js';\nexport const util = db;\n",
  'src/store/db.ts': 'export const db = 1;\n',
  // sse-parser-is-pure
  'src/platform/sse-parse.ts': "import { util } from './util.js';\nexport const parse = util;\n",
  // adapters-do-not-import-apps
  'src/targets/docker.ts': "import { routes } from '../server/routes.js';\nexport const docker = routes;\n",
  'src/server/routes.ts': 'export const routes = 1;\n',
  // server-does-not-import-cli, server-does-not-import-the-agent; every-folder-has-a-layer (a folder only imported)
  'src/server/app.ts': "import { other } from '../cli/other.js';\nimport { lonely } from '../lonely/z.js';\nimport { daemon } from '../agent/daemon.js';\nexport const app = [other, lonely, daemon];\n",
  // agent-is-its-own-app (a context is fine)
  'src/agent/daemon.ts': "import { start } from '../server/start.js';\nimport { rule } from '../core/rule.js';\nexport const daemon = [start, rule];\n",
  'src/server/start.ts': 'export const start = 1;\n',
  'src/cli/other.ts': 'export const other = 1;\n',
  'src/lonely/z.ts': 'export const lonely = 1;\n',
  // cli-loads-no-server-statically, cli-imports-api-types-only, cli-loads-no-server-packages (a type import of api/ and a dynamic import of the server are fine)
  'src/cli/main.ts': "import 'zod';\nimport { db } from '../store/db.js';\nimport { schema } from '../api/shape.js';\nimport type { Shape } from '../api/shape.js';\nexport const main = async (): Promise<Shape[]> => [String(db), String(schema), String(await import('../server/start.js'))];\n",
  // panel-imports-no-server-code, panel-imports-api-types-only (a type import of api/ and the parser are fine)
  'panel/src/main.ts': "import { thing } from '../../src/deploy/thing.js';\nimport { schema } from '../../src/api/shape.js';\nimport type { Shape } from '../../src/api/shape.js';\nimport { parse } from '../../src/platform/sse-parse.js';\nexport const view: Shape[] = [String(thing), String(schema), String(parse)];\n",
  // every-folder-has-a-layer (a folder that imports, and a folder nobody imports)
  'src/newthing/x.ts': "import { rule } from '../core/rule.js';\nexport const x = rule;\n",
  'src/orphan/y.ts': 'export const y = 1;\n',
  // no-circular
  'src/tenancy/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
  'src/tenancy/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
};

/** What the fixture must report: `rule: from → to`. */
const expected = [
  'core-is-pure: src/core/rule.ts → fs',
  'api-is-neutral: src/api/shape.ts → src/deploy/thing.ts',
  'contexts-do-not-import-adapters-or-apps: src/deploy/thing.ts → src/targets/docker.ts',
  'contexts-do-not-import-the-http-framework: src/deploy/thing.ts → node_modules/fastify/index.js',
  'contexts-use-api-types-only: src/deploy/shaped.ts → src/api/shape.ts',
  'platform-is-shared: src/platform/util.ts → src/store/db.ts',
  'adapters-do-not-import-apps: src/targets/docker.ts → src/server/routes.ts',
  'server-does-not-import-cli: src/server/app.ts → src/cli/other.ts',
  'cli-loads-no-server-statically: src/cli/main.ts → src/store/db.ts',
  'cli-imports-api-types-only: src/cli/main.ts → src/api/shape.ts',
  'cli-loads-no-server-packages: src/cli/main.ts → node_modules/zod/index.js',
  'panel-imports-no-server-code: panel/src/main.ts → src/deploy/thing.ts',
  'panel-imports-api-types-only: panel/src/main.ts → src/api/shape.ts',
  'sse-parser-is-pure: src/platform/sse-parse.ts → src/platform/util.ts',
  'agent-is-its-own-app: src/agent/daemon.ts → src/server/start.ts',
  'server-does-not-import-the-agent: src/server/app.ts → src/agent/daemon.ts',
  'every-folder-has-a-layer: src/newthing/x.ts → src/core/rule.ts',
  'every-folder-has-a-layer: src/server/app.ts → src/lonely/z.ts',
  'every-folder-has-a-layer: src/orphan/y.ts',
  'no-circular: src/tenancy/a.ts → ',
];

describe('architecture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('src/ and panel/src/ have no layering violation', () => {
    const r = cruise(root);
    expect(r.output).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('every folder of src/ is listed with its layer in the rules\' header and fenced by a rule', () => {
    const header = readFileSync(config, 'utf8').split('*/')[0] ?? '';
    const fencing = rules.filter((r) => r.name !== 'every-folder-has-a-layer' && r.name !== 'no-circular');
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.length).toBeGreaterThan(15);
    for (const folder of folders) {
      expect(header, `src/${folder}/ has no layer in the header of .dependency-cruiser.cjs`).toMatch(new RegExp(`^ \\*\\s+${folder}/\\s+(core|api|context|adapter|app)\\b`, 'm'));
      const fenced = fencing.filter((r) => [r.from.path ?? []].flat().some((p) => new RegExp(p).test(`src/${folder}/x.ts`)));
      expect(fenced.map((r) => r.name), `no rule fences src/${folder}/`).not.toEqual([]);
    }
  });

  it('each rule catches its violation, and allows what it should', () => {
    writeTree(dir, fixture);
    const r = cruise(dir);
    expect(r.code).not.toBe(0);
    for (const line of expected) expect(r.output, line).toContain(line);
    // Every rule is proven above.
    expect(new Set(rules.map((rule) => rule.name))).toEqual(new Set(expected.map((line) => line.split(':')[0])));
    // Type imports of api/, a dynamic import of the server and the pure parser are allowed.
    const reported = r.output.split('\n').filter((line) => line.includes('error '));
    for (const allowed of ['src/cli/main.ts → src/server/start.ts', 'panel/src/main.ts → src/platform/sse-parse.ts', 'src/api/shape.ts → src/core/rule.ts', 'src/api/shape.ts → node_modules/zod']) {
      expect(reported.filter((line) => line.includes(allowed))).toEqual([]);
    }
    expect(reported).toHaveLength(expected.length);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('house rules', () => {
  it('has no any casts or explicit any in src/', () => {
    const offenders = tsFiles(join(root, 'src')).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ file, line: i + 1, text: line }))
        .filter((l) => /(\bas any\b|<any>|:\s*any\b)/.test(l.text)),
    );
    expect(offenders).toEqual([]);
  });
});
