// One lint config for the whole monorepo. Type-aware rules (floating and misused
// promises) need the TypeScript compiler API, which is why TypeScript stays on 5.9
// (see docs/ARCHITECTURE.md, "Toolchain decisions").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/.next/**',
      '**/.turbo/**',
      '**/dist/**',
      '**/coverage/**',
      '**/next-env.d.ts',
      '**/*.mjs',
      '**/*.cjs',
      'packages/db/migrations/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Configuration reaches code only through each app's env.ts (parsed with zod).
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration from env.ts, not process.env.',
        },
      ],
    },
  },
  {
    files: ['**/env.ts', '**/*.test.ts', '**/*.config.ts', 'scripts/**', '**/test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests pass async callbacks to APIs that expect promises even when nothing is awaited.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
