// ESLint: the rules that catch what the compiler does not (floating promises, promises
// where callbacks are expected, undeclared dependencies, non-deterministic code in
// workflows); formatting is Prettier's.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** What Temporal's workflow sandbox must not load: anything with I/O, time or randomness of its own. */
const nonDeterministic = {
  patterns: [
    { group: ['node:*'], message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
    { group: ['uuid', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Not in workflow code: it is not deterministic.' },
    {
      group: ['../infra/*', '../api/*', '../commands/*', '../projections/*', '../processes/*', '../events/*'],
      message: 'Workflow code reaches the world only through activities.',
      allowTypeImports: true,
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', '.data/', '.tap/', 'test/**/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      // tap's subtests are started, not awaited: tap waits for them.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: ['test/**', 'bench/**', 'eslint.config.js'] }],
    },
  },
  {
    files: ['workflows/index.ts', 'workflows/*-workflow.ts', 'workflows/signals.ts', 'workflows/drift-signals.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', nonDeterministic] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
