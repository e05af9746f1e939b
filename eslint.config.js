// @ts-check
import convexPlugin from "@convex-dev/eslint-plugin";
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist",
      "node_modules",
      "coverage",
      "**/_generated",
      ".offline-codegen-*",
      "bench-results",
      // A fixture app, typechecked against the packed tarball by test/package.test.ts.
      "test/consumer",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // Convex's own rules, for the example app and for the component's functions.
  ...convexPlugin.configs.recommended,
  {
    files: ["src/component/**/*.ts"],
    plugins: { "@convex-dev": convexPlugin },
    rules: convexPlugin.configs.recommended[0].rules,
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
