// Type-aware lint: the rules that find real bugs in a daemon that is mostly async I/O
// (a promise nobody awaits loses its error; a condition that is always true hides a wrong type).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', 'buildpacks/**', 'templates/**/*.js', 'test/fixtures/**', 'test/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The dashboard's browser code: the browser loads these modules from /assets/ by their
    // relative names, so a value can come only from a sibling module (no package, no bundler);
    // types from anywhere (they are erased).
    files: ['src/dashboard/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\./[^/]+$)', allowTypeImports: true, message: 'The browser can import only sibling modules (./x.js); types may come from anywhere with `import type`.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
