/**
 * Builds the browser pages the server serves into dist/web, with everything they load bundled
 * (scripts, styles, fonts, Monaco's workers): no request leaves the machine when they run.
 * Pages: ide/ (the GraphQL IDE at GET /graphql). Assets are served under /web/ by
 * src/server/http/ide.ts. Run by scripts/build-web (npm run build:web, part of npm run build).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/web/',
  logLevel: 'warn',
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    // Monaco (GraphiQL's editor) is large by nature; the page is served from this machine.
    chunkSizeWarningLimit: 6000,
    rollupOptions: {
      input: { ide: here('ide/index.html') },
      // React libraries mark modules "use client" for server rendering, which a browser bundle has no use for.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
