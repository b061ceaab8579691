import { defineConfig } from 'vite';

// Static assets only: no inline scripts or styles (the node's CSP forbids them).
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: false,
    target: 'es2021',
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
