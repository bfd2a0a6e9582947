/**
 * The panel's build: a React single-page app compiled into dist/panel, which `slipway server`
 * serves at `/`. Run by `npm run build` (after tsc), so the package always ships the panel.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/panel', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // One small app: a single entry chunk keeps the first load to two requests (JS and CSS).
    chunkSizeWarningLimit: 400,
  },
});
