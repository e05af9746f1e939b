import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

// The page uses the package from source, like the example app's tests do.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: {
    alias: [
      { find: /^convex-rollouts\/react$/, replacement: src("react/index.tsx") },
      { find: /^convex-rollouts$/, replacement: src("client/index.ts") },
    ],
  },
  build: { emptyOutDir: true },
});
