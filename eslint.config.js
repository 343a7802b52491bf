// ESLint: typescript-eslint's type-checked recommendations over the TypeScript sources (formatting is prettier's).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tandem/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // bin/ and scripts/ .js files run under Node, not a browser.
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    // Fastify hooks and handlers are async by contract (a sync hook must call done(), a sync handler must reply.send()).
    files: ['src/emulator/*/emulator-server.ts', 'src/emulator/zoho/zoho-emulator-server.ts', 'src/serve/http-api.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Tests: fakes implement async contracts without awaiting, and expect.any()/JSON.parse() results are `any` by design.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
