import { defineConfig } from 'vite';

// The UI is served by Chat.Frontend from its wwwroot (build output, not committed).
// `npm run dev` proxies the API and the hub to a frontend started with ./chat up.
const backend = process.env.CHAT_URL ?? 'http://127.0.0.1:5080';

export default defineConfig({
  base: '/',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: '../wwwroot',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': backend,
      '/hubs': { target: backend, ws: true },
    },
  },
});
