// Type-aware lint: the rules that find real bugs in a daemon that is mostly async I/O
// (a promise nobody awaits loses its error; a condition that is always true hides a wrong type).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const readonly = (names) => Object.fromEntries([...names].map((name) => [name, 'readonly']));
// The plain scripts are not type-checked, so no-undef guards them; it needs their environment's
// names. The browser's are the ones TypeScript's DOM library declares; Node's are the ones the
// Node running the lint defines (the script runs with the stack's Node).
const domLibrary = fs.readFileSync(createRequire(import.meta.url).resolve('typescript/lib/lib.dom.d.ts'), 'utf8');
const browserGlobals = readonly(Array.from(domLibrary.matchAll(/^declare (?:var|function) (\w+)/gm), (m) => m[1]));
const nodeGlobals = readonly(Object.getOwnPropertyNames(globalThis));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test-artifacts/**',
      'buildpacks/**',
      'test/fixtures/**',
      'test/screenshots/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // scripts/bench has its own tsconfig (the test one); the root config file is in no project.
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // An async function without await is how this code keeps a Promise-returning contract (fastify
      // hooks, where a plain function would be taken for a callback hook; the schedulers' and the
      // fakes' interfaces), and it turns a throw into a rejection: removing `async` would change that.
      '@typescript-eslint/require-await': 'off',
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
        {
          patterns: [
            {
              regex: '^(?!\\./[^/]+$)',
              allowTypeImports: true,
              message:
                'The browser can import only sibling modules (./x.js); types may come from anywhere with `import type`.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  // The dashboard's script runs in the browser as a classic script; the others run on Node.
  { files: ['templates/dashboard/assets/*.js'], languageOptions: { sourceType: 'script', globals: browserGlobals } },
  {
    files: ['**/*.js', '**/*.mjs'],
    ignores: ['templates/dashboard/assets/*.js'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['templates/services/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    // It runs as a bare file in a service image, without a package.json that would make it ESM.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
