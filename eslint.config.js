import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Only these folders may import these packages (house-style.md §2.1).
const onlyIn = (pkgs, message) => ({
  'no-restricted-imports': ['error', { paths: pkgs.map((name) => ({ name, message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'coverage', 'bench/results'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/http/**'], rules: onlyIn(['express', 'express-rate-limit'], 'only src/http knows express') },
  { files: ['src/**/*.ts'], ignores: ['src/store/**'], rules: onlyIn(['pg', '@electric-sql/pglite'], 'only src/store knows SQL') },
  { files: ['src/**/*.ts'], ignores: ['src/delivery/**'], rules: onlyIn(['bullmq', 'ioredis'], 'only src/delivery knows BullMQ/Redis') },
  { files: ['src/cli.ts', 'bin/**', 'bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
