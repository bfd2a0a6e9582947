/**
 * The target contract on the local Docker engine, with a busybox image made on this machine.
 */
import { targetContract } from '../deploy/test-support/target-contract.js';
import { DockerTarget } from './docker-target.js';
import { DockerEngine } from './docker/index.js';
import { importBusyboxImage, removeTestObjects, testLabel, uniqueRun } from './docker/test-support/busybox.js';

targetContract('local Docker engine', async () => {
  const engine = new DockerEngine();
  const run = uniqueRun();
  const image = `slipway-contract:${run}`;
  await importBusyboxImage(image, run);
  const target = new DockerTarget({ engine });
  return {
    target,
    registryAuth: null,
    serve: { image, command: ['/bin/sh', '-c', 'mkdir -p /tmp/www && echo "$GREETING" > /tmp/www/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp/www'] },
    port: 8080,
    idle: { image, command: ['/bin/busybox', 'sleep', '3600'] },
    exit: { image, command: ['/bin/sh', '-c', '/bin/busybox sleep $(( ${RUN_MS:-0} / 1000 )); echo "$OUTPUT"; exit ${EXIT_CODE:-0}'] },
    missingImage: '127.0.0.1:1/nothing/here@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    volumeExists: (name) => engine.volumeExists(name),
    prefix: `slw-contract-${run}`,
    labels: { [testLabel]: run },
    cleanup: async () => {
      await target.settle();
      await removeTestObjects(engine, run, [image]);
      await engine.removeVolume(`slw-contract-${run}-data`).catch(() => undefined);
    },
  };
});
