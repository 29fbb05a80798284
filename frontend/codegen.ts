import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents from the server's schema: `npm run build` runs this before
// tsc, so a wizard query that the schema does not allow fails the build.
const config: CodegenConfig = {
  schema: "../schema/*.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          Time: "string",
          Date: "string",
          Cursor: "string",
          Map: "Record<string, unknown>",
        },
      },
    },
  },
};

export default config;
