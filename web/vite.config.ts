// The web vault is served by `keyhaven server` from web/dist on the API's origin, under a CSP
// that allows only same-origin scripts, styles and workers: nothing is inlined.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
  worker: {
    format: 'es',
  },
});
