import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is a static build the master serves at `/` (MASTER_CONSOLE_DIR). In development
// (`pnpm dev`), Vite serves it with hot reload and proxies the master's API, so the session cookie
// stays first-party. CONSOLE_MASTER_URL is where that proxy sends /api (default the dev master).
const masterUrl = process.env.CONSOLE_MASTER_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  // The workspace packages are consumed as TypeScript source.
  resolve: { conditions: ["@dockflow/source"] },
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 700 },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": { target: masterUrl, changeOrigin: false } },
  },
});
