/**
 * A custom service image for tests (nothing can be pulled here): busybox httpd on port 8080
 * serving its data volume `/data`, with a CGI `GET /cgi-bin/kv?v=VALUE` that stores VALUE in
 * `/data/value` (and `GET /cgi-bin/kv` that answers it), and `/greeting` written on first start
 * from the `GREETING` variable (given at create: a secret canary in tests). `/healthz` answers
 * 200 for the HTTP health check. The entrypoint copies the CGI into the volume on every start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busybox, cachedRootfs, sh } from './images.js';

const entrypoint = `#!/bin/sh
set -e
mkdir -p /data/cgi-bin
cp /kv.cgi /data/cgi-bin/kv
[ -f /data/greeting ] || printf '%s' "$GREETING" > /data/greeting
printf 'ok' > /data/healthz
unset GREETING
# As PID 1 httpd would ignore SIGTERM (and every stop would wait for the kill): end it on TERM.
httpd -f -p 8080 -h /data &
pid=$!
trap 'kill $pid; exit 0' TERM INT
wait $pid
`;

const cgi = `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
case "$QUERY_STRING" in
  v=*) printf '%s' "\${QUERY_STRING#v=}" > /data/value; printf 'ok' ;;
  *) cat /data/value 2>/dev/null ;;
esac
`;

function customRootfs(): Promise<string> {
  // The name changes with the files (the cache is per name).
  return cachedRootfs('custom-kv-2', async (root) => {
    busybox(root);
    for (const applet of ['httpd', 'mkdir', 'cp', 'printf', 'cat']) await sh('ln', ['-s', 'busybox', join(root, 'bin', applet)]);
    mkdirSync(join(root, 'data'), { recursive: true });
    writeFileSync(join(root, 'entrypoint.sh'), entrypoint, { mode: 0o755 });
    writeFileSync(join(root, 'kv.cgi'), cgi, { mode: 0o755 });
  });
}

/** Imports the image with docker and pushes it as `ref` (after `docker login`); `variant` gives a second digest of the same files. */
export async function pushCustomImage(docker: (args: string[], input?: string) => Promise<string>, ref: string, variant = 1): Promise<void> {
  await docker(['import', '-c', 'ENV PATH=/bin', '-c', 'EXPOSE 8080', '-c', `LABEL io.slipway.test.variant=${variant}`, '-c', 'ENTRYPOINT ["/entrypoint.sh"]', await customRootfs(), ref]);
  await docker(['push', ref]);
}
