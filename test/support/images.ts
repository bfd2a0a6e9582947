/**
 * Real images for tests, made from files on this machine (nothing can be pulled from the
 * internet here): a Java base (a jlink'd runtime with the libraries ldd names, and busybox for
 * /bin/sh), a static-site base (busybox httpd serving /usr/share/nginx/html on 8080, ended on
 * SIGTERM), a JAR
 * compiled from source with the machine's JDK, and a static site archive. Bases are pushed into
 * a registry with the real docker client (`docker import` + `docker push`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, copyFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const jdk = '/usr/lib/jvm/java-17-openjdk-amd64';

/** Runs a command (argument array), failing with its stderr. */
export async function sh(cmd: string, args: string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const child = run(cmd, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  try {
    return (await child).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

const cacheDir = join(tmpdir(), 'slipway-test-images');

/** Copies into `root` the shared libraries `ldd` names for each of `binaries` (each at its own path). */
export async function copyWithLibraries(root: string, binaries: string[]): Promise<void> {
  const libs = new Set<string>();
  for (const bin of binaries) {
    const out = await sh('ldd', [bin]).catch(() => '');
    for (const m of out.matchAll(/(\/[^\s)]+)/g)) if (m[1] && existsSync(m[1]) && !m[1].startsWith(root) && !existsSync(join(root, m[1]))) libs.add(m[1]);
  }
  for (const lib of libs) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
}

/** Copies each of `binaries` into `root` at its own path, with the libraries it needs. */
export async function copyBinaries(root: string, binaries: string[]): Promise<void> {
  for (const bin of binaries) {
    mkdirSync(join(root, dirname(bin)), { recursive: true });
    copyFileSync(bin, join(root, bin));
  }
  await copyWithLibraries(root, binaries);
}

/**
 * A root filesystem tar named `name`, made once per machine by `fill` (given an empty folder) and
 * cached under the temp dir; a half-made one is never seen (written aside, then renamed).
 */
export async function cachedRootfs(name: string, fill: (root: string) => Promise<void>): Promise<string> {
  const tar = join(cacheDir, `${name}-rootfs.tar`);
  if (existsSync(tar)) return tar;
  const root = join(cacheDir, `${name}-root-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  await fill(root);
  const partial = `${tar}.${process.pid}`;
  await sh('tar', ['--sort=name', '--mtime=@1', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '-cf', partial, '.']);
  await sh('mv', [partial, tar]);
  rmSync(root, { recursive: true, force: true });
  return tar;
}

/** Busybox as /bin/sh, a world-writable /tmp, and root and nobody in /etc/passwd and /etc/group. */
export function busybox(root: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  symlinkSync('busybox', join(root, 'bin/sh'));
  mkdirSync(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
}

/** A root filesystem tar for `kind`, built once per machine and cached. */
export async function baseRootfs(kind: 'java' | 'static'): Promise<string> {
  return cachedRootfs(kind, async (root) => {
    busybox(root);
    if (kind === 'java') {
      await sh(`${jdk}/bin/jlink`, ['--add-modules', 'java.base,jdk.httpserver,java.logging', '--strip-debug', '--no-header-files', '--no-man-pages', '--compress=2', '--output', join(root, 'opt/java')]);
      await copyWithLibraries(root, [join(root, 'opt/java/bin/java'), join(root, 'opt/java/lib/server/libjvm.so')]);
    } else {
      mkdirSync(join(root, 'usr/share/nginx/html'), { recursive: true });
    }
  });
}

/** A docker client with its own config dir (its login never touches ~/.docker). */
export function dockerClient(configDir: string): (args: string[], input?: string) => Promise<string> {
  return (args, input) => sh('docker', ['--config', configDir, ...args], { input, timeoutMs: 180_000 });
}

/** Imports the base rootfs with docker and pushes it as `ref` (after `docker login`). */
export async function pushBase(docker: (args: string[], input?: string) => Promise<string>, kind: 'java' | 'static', ref: string): Promise<void> {
  const tar = await baseRootfs(kind);
  const changes =
    kind === 'java'
      ? ['-c', 'ENV PATH=/opt/java/bin:/bin', '-c', 'ENV JAVA_HOME=/opt/java']
      : // As PID 1 httpd would ignore SIGTERM, and every stop of an old release would wait out its grace (10 s) for the kill: end it on TERM, as a real web server does.
        ['-c', 'ENV PATH=/bin', '-c', 'EXPOSE 8080', '-c', `CMD ["/bin/sh","-c","/bin/busybox httpd -f -p 8080 -h /usr/share/nginx/html & pid=$!; trap 'kill $pid; exit 0' TERM INT; wait $pid"]`];
  await docker(['import', ...changes, tar, ref]);
  await docker(['push', ref]);
}

/**
 * Compiles a tiny HTTP server (PORT, GREETING from the environment) into an executable JAR. With
 * `status`, it answers every path with that status except `/healthz` (200): a release whose
 * readiness check passes and whose requests fail (the health gate's test). With `envPrefix`,
 * `/env` answers the variables whose names start with it, one `NAME=value` a line, sorted.
 */
export async function buildJar(dir: string, message = 'hello from a JAR', options: { status?: number; envPrefix?: string } = {}): Promise<string> {
  const src = join(dir, 'src');
  const classes = join(dir, 'classes');
  mkdirSync(src, { recursive: true });
  mkdirSync(classes, { recursive: true });
  writeFileSync(
    join(src, 'App.java'),
    `import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
public class App {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    String greeting = System.getenv().getOrDefault("GREETING", "hello");
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/", exchange -> {
      byte[] body = (greeting + " | ${message}\\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(${options.status ?? 200}, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });${options.status === undefined ? '' : `
    server.createContext("/healthz", exchange -> {
      byte[] ok = "ok\\n".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, ok.length);
      exchange.getResponseBody().write(ok);
      exchange.close();
    });`}${options.envPrefix === undefined ? '' : `
    server.createContext("/env", exchange -> {
      StringBuilder out = new StringBuilder();
      new java.util.TreeMap<>(System.getenv()).forEach((k, v) -> { if (k.startsWith("${options.envPrefix}")) out.append(k).append('=').append(v).append('\\n'); });
      byte[] env = out.toString().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, env.length);
      exchange.getResponseBody().write(env);
      exchange.close();
    });`}
    server.start();
    System.out.println("listening on " + port);
  }
}
`,
  );
  await sh(`${jdk}/bin/javac`, ['--release', '17', '-d', classes, join(src, 'App.java')]);
  const jar = join(dir, 'app.jar');
  await sh(`${jdk}/bin/jar`, ['--create', '--file', jar, '--main-class', 'App', '--date', '2000-01-01T00:00:02Z', '-C', classes, '.']);
  return jar;
}

/** A static site as a .tar.gz (index.html and a stylesheet). */
export async function buildSite(dir: string, text: string): Promise<string> {
  const site = join(dir, 'site');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'index.html'), `<!doctype html><title>site</title><link rel="stylesheet" href="style.css"><h1>${text}</h1>\n`);
  writeFileSync(join(site, 'style.css'), 'h1 { font-family: sans-serif; }\n');
  const archive = join(dir, 'site.tar.gz');
  await sh('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', site, '-czf', archive, '.']);
  return archive;
}

/** GETs `url` until it answers 200 (or the time is up); returns the body. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return await res.text();
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
