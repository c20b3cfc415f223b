// Vite build of the playground: `npm run build:playground` → playground/dist (static files, relative paths).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
export default defineConfig({
  root,
  base: './',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // the PP-OCRv4 det model (4.7 MB) must stay a file, never an inlined data: URL
    assetsInlineLimit: 4096,
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
  },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
