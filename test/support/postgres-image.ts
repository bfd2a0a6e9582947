/**
 * A PostgreSQL 15 image made from this machine's server binaries (nothing can be pulled here):
 * postgres, initdb and pg_ctl with the libraries `ldd` names, the server's lib and share folders,
 * the time zones, and busybox for /bin/sh. Its entrypoint follows the image contract of
 * provisioned services (docs/services.md), like the official image: on an empty data directory
 * it runs initdb with POSTGRES_USER / POSTGRES_PASSWORD, listens on every address and accepts
 * SCRAM password logins from the network; the server runs as uid 999, not root. Built once and
 * cached like the other test images.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedRootfs, copyBinaries, copyWithLibraries, sh } from './images.js';

const pg = '/usr/lib/postgresql/15';

const entrypoint = `#!/bin/sh
set -e
export PATH=${pg}/bin:/bin PGDATA=/var/lib/postgresql/data TZ=UTC
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown 999:999 "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec su -p -s /bin/sh postgres "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ]; then echo "POSTGRES_PASSWORD is required on first start" >&2; exit 1; fi
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "\${POSTGRES_USER:-postgres}" --pwfile="$pwfile" --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  printf 'host all all 0.0.0.0/0 scram-sha-256\\nhost all all ::/0 scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\\njit = off\\nunix_socket_directories = '/var/run/postgresql'\\n" >> "$PGDATA/postgresql.conf"
fi
unset POSTGRES_PASSWORD
exec postgres -D "$PGDATA"
`;

/** The root filesystem as a tar, built once per machine. */
export function postgresRootfs(): Promise<string> {
  return cachedRootfs('postgres15', async (root) => {
    for (const dir of ['bin', 'etc', 'tmp', 'usr/share', `${pg}/bin`, 'var/lib/postgresql/data', 'var/run/postgresql']) mkdirSync(join(root, dir), { recursive: true });
    await sh('chmod', ['1777', join(root, 'tmp')]);
    await sh('cp', ['/bin/busybox', join(root, 'bin/busybox')]);
    for (const applet of ['sh', 'id', 'mkdir', 'chown', 'chmod', 'su', 'mktemp', 'printf', 'rm', 'cat']) await sh('ln', ['-s', 'busybox', join(root, 'bin', applet)]);
    await copyBinaries(root, ['postgres', 'initdb', 'pg_ctl'].map((b) => `${pg}/bin/${b}`));
    // The server's modules (plpgsql, snowball, encoding conversions), without the LLVM JIT (jit = off).
    await sh('sh', ['-c', `mkdir -p ${root}${pg}/lib && cd ${pg}/lib && cp -L *.so ${root}${pg}/lib/ && rm -f ${root}${pg}/lib/llvmjit.so`]);
    await copyWithLibraries(root, (await sh('sh', ['-c', `ls ${root}${pg}/lib/*.so`])).split('\n').filter(Boolean));
    await sh('cp', ['-r', '/usr/share/postgresql', join(root, 'usr/share/postgresql')]);
    await sh('cp', ['-r', '/usr/share/zoneinfo', join(root, 'usr/share/zoneinfo')]);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\npostgres:x:999:\n');
    writeFileSync(join(root, 'entrypoint.sh'), entrypoint, { mode: 0o755 });
  });
}

/**
 * Imports the image with docker and pushes it as `ref` (after `docker login`). `variant` labels
 * the image (another digest of the same files, for upgrades); `broken` makes an image of the same
 * files whose entrypoint exits at once. (`docker import` cannot set STOPSIGNAL: unlike the official
 * image, which stops with SIGINT, this one gets SIGTERM, PostgreSQL's smart shutdown, which waits
 * for its clients; the tests' apps and Slipway's drivers hold no connection open.)
 */
export async function pushPostgresImage(docker: (args: string[], input?: string) => Promise<string>, ref: string, options: { variant?: number; broken?: boolean } = {}): Promise<void> {
  const entry = options.broken ? 'ENTRYPOINT ["/bin/sh", "-c", "echo this image is broken >&2; exit 3"]' : 'ENTRYPOINT ["/entrypoint.sh"]';
  await docker(['import', '-c', 'ENV PATH=/usr/lib/postgresql/15/bin:/bin', '-c', 'EXPOSE 5432', '-c', `LABEL io.slipway.test.variant=${options.variant ?? 1}`, '-c', entry, await postgresRootfs(), ref]);
  await docker(['push', ref]);
}
