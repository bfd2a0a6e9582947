/**
 * `java`: the executable JAR, unchanged, at `/app/app.jar` in one layer, started with
 * `java $JAVA_OPTS -jar` (through `sh -c` so JAVA_OPTS is split into arguments).
 *
 * @module
 */
import { containerConfig, envOf } from '../image/config.js';
import { fileChunks } from '../archive/file-io.js';
import type { BaseImage } from '../types.js';
import { portOf, type RuntimePlan } from './plan.js';
import { storedGzipLevel } from '../layer/layer-writer.js';

export function javaPlan(base: BaseImage, artifactPath: string, artifactSize: number): RuntimePlan {
  const port = portOf(envOf(containerConfig(base)));
  return {
    layers: [
      {
        name: 'app',
        createdBy: 'slipway: java application /app/app.jar',
        // A JAR is already deflated: store it (see storedGzipLevel).
        gzipLevel: storedGzipLevel,
        entries: [{ path: 'app/app.jar', type: 'file', size: artifactSize, open: () => fileChunks(artifactPath, artifactSize) }],
      },
    ],
    config: {
      envDefaults: { PORT: '8080' },
      entrypoint: ['/bin/sh', '-c', 'exec java $JAVA_OPTS -jar /app/app.jar'],
      workingDir: '/app',
      exposedPorts: [`${port}/tcp`],
    },
  };
}
