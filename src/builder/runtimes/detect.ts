/**
 * Which runtime an artifact is for, and its application root. An executable JAR (a zip whose
 * `META-INF/MANIFEST.MF` names a `Main-Class`) is `java`; an archive with `package.json` at its
 * root is `node`; one with `index.html` is `static`. A marker under a single top-level directory
 * counts too, and that directory is then stripped. A runtime given explicitly must fit.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import type { Archive } from '../archive/archive.js';
import { singleTopDirectory, stripTopDirectory, type ArchiveEntry } from '../archive/entries.js';
import { parseRuntime, type Runtime } from '../../core/runtimes.js';

export interface Layout {
  runtime: Runtime;
  /** The application's entries, re-rooted (empty for `java`: the JAR itself is the layer). */
  entries: ArchiveEntry[];
  /** `java`: the manifest's Main-Class. */
  mainClass?: string;
}

/** `Main-Class` of a JAR manifest (continuation lines start with one space), if any. */
export function mainClassOf(manifest: string): string | undefined {
  const lines = manifest.replace(/\r\n?/g, '\n').replace(/\n /g, '').split('\n');
  for (const line of lines) {
    const m = /^main-class:\s*(.*?)\s*$/i.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** The tree re-rooted so that `marker` is a file at its root, or undefined. */
function rootedAt(entries: readonly ArchiveEntry[], marker: string): ArchiveEntry[] | undefined {
  if (entries.some((e) => e.path === marker && e.type === 'file')) return [...entries];
  const top = singleTopDirectory(entries);
  if (top !== undefined && entries.some((e) => e.path === `${top}/${marker}` && e.type === 'file')) return stripTopDirectory(entries, top);
  return undefined;
}

const formatName = (archive: Archive): string => (archive.format === 'zip' ? 'a zip/JAR archive' : `a ${archive.format} archive`);

export async function resolveLayout(archive: Archive, requested?: string): Promise<Layout> {
  const wanted = requested === undefined ? undefined : parseRuntime(requested);
  let mainClass: string | undefined;
  let manifestSeen = false;
  if (archive.format === 'zip') {
    const manifest = archive.entries.find((e) => e.type === 'file' && e.path.toUpperCase() === 'META-INF/MANIFEST.MF');
    if (manifest) {
      manifestSeen = true;
      mainClass = mainClassOf((await archive.readSmall(manifest, 1024 * 1024)).toString('utf8'));
    }
  }
  const invalid = (message: string): SlipwayError => new SlipwayError('SLW_ARTIFACT_INVALID', message);
  if (wanted === 'java' || (wanted === undefined && mainClass)) {
    if (archive.format !== 'zip') throw invalid(`--runtime java needs an executable JAR, but the artifact is ${formatName(archive)}; upload the JAR (or pick --runtime static|node)`);
    if (!manifestSeen) throw invalid('the JAR has no META-INF/MANIFEST.MF; build an executable JAR with a Main-Class (e.g. Spring Boot repackage, or the jar tool with --main-class)');
    if (!mainClass) throw invalid('the JAR manifest has no Main-Class, so it cannot run with java -jar; build an executable JAR (Spring Boot repackage, maven-shade or jar --main-class)');
    return { runtime: 'java', entries: [], mainClass };
  }
  const node = rootedAt(archive.entries, 'package.json');
  const site = rootedAt(archive.entries, 'index.html');
  if (wanted === 'node') {
    if (!node) throw invalid('--runtime node needs package.json at the root of the archive (or under its single top-level directory)');
    return { runtime: 'node', entries: node };
  }
  if (wanted === 'static') {
    if (!site) throw invalid('--runtime static needs index.html at the root of the archive (or under its single top-level directory)');
    return { runtime: 'static', entries: site };
  }
  if (node) return { runtime: 'node', entries: node };
  if (site) return { runtime: 'static', entries: site };
  if (manifestSeen) throw invalid('the JAR manifest has no Main-Class, so it cannot run with java -jar; build an executable JAR, or pass --runtime static|node for a zip of a site or app');
  throw new SlipwayError('SLW_RUNTIME_UNKNOWN', `cannot tell the runtime of ${formatName(archive)} (no executable JAR manifest, package.json or index.html at its root); pass --runtime java|static|node`);
}
