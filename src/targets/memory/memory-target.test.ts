import { randomBytes } from 'node:crypto';
import { targetContract } from '../../deploy/test-support/target-contract.js';
import { MemoryTarget } from './memory-target.js';

targetContract('in-memory', async () => {
  const target = new MemoryTarget();
  const run = randomBytes(3).toString('hex');
  return {
    target,
    registryAuth: null,
    serve: { image: 'memory/serve', command: null },
    port: 8080,
    idle: { image: 'memory/idle', command: null },
    exit: { image: 'memory/exit', command: null },
    missingImage: 'memory/nothing-here',
    volumeExists: async (name) => target.volumes().includes(name),
    prefix: `c-${run}`,
    labels: { 'io.slipway.test': run },
    cleanup: () => target.close(),
  };
});
