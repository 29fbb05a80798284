/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { resolve } from "node:path";
import { writeFileSync } from "node:fs";

// Two entries: the setup wizard (index.html, every route under /, /setup,
// /signin and /partner) and the operators' GraphQL IDE (playground.html,
// served at /playground). Everything, Monaco's workers included, is
// bundled: the pages load nothing from another host.
const backend = process.env.ONRAMP_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [
    react(),
    {
      // dist/ is emptied on each build; its committed .gitkeep keeps
      // `go:embed all:dist` compiling on a fresh clone, so write it back.
      name: "onramp-keep-dist-placeholder",
      apply: "build",
      writeBundle() {
        writeFileSync(resolve(import.meta.dirname, "dist/.gitkeep"), "");
      },
    },
  ],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 6000,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        playground: resolve(import.meta.dirname, "playground.html"),
      },
      onwarn(warning, warn) {
        // GraphiQL's modules start with "use no memo" (a React Compiler
        // hint): harmless once bundled.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  worker: { format: "es" },
  server: {
    // `npm run dev` next to `onramp serve`: the API and its websocket.
    proxy: { "/graphql": { target: backend, ws: true }, "/dev": backend },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    css: false,
    // One jsdom per worker thread, reused by the files it runs: a fresh
    // environment per file cost two thirds of the run (34 s → 13 s alone,
    // 378 s → ? under make test's load). The files share no module state
    // that matters: setup.ts unmounts and clears storage after each test,
    // and the suite passes in shuffled order (--sequence.shuffle).
    pool: "threads",
    isolate: false,
    // Steps typed with user-event take seconds on a loaded 2-core machine.
    testTimeout: 20_000,
  },
});
