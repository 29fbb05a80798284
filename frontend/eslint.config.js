// ESLint: typescript-eslint"s recommended rules and React"s hooks rules;
// layout is Prettier"s (eslint-config-prettier turns off what it settles).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "src/gql/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { "react-hooks": reactHooks },
    rules: {
      // The hooks rules proper. The React Compiler"s rules of the plugin"s
      // recommended set (refs, set-state-in-effect) are not on yet: the
      // wizard reads refs in render and resets state in effects in 18
      // places, which wants a refactor of its own, not a lint fix.
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // An unused argument kept for a signature is named with a leading _.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  prettier,
);
