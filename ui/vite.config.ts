/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI is served to the Tauri webview from ui/dist (tauri.conf.json
// `frontendDist`), or from this dev server on a fixed port (`devUrl`).
// Two pages: index.html for the main window, tray.html for the tray window.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+, WebView2 and current WKWebView all handle ES2022.
    target: 'es2022',
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        tray: fileURLToPath(new URL('tray.html', import.meta.url)),
      },
    },
  },
  // Unit tests run the browser build of Svelte in a simulated DOM.
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
