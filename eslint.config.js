// The layers of main/ and who may import what, enforced here rather than by good intentions.
// model <- core <- fs (the filesystem port) <- cvat, journal, watch <- engine <- service <- app (electron) | cli
// main/model holds the domain types only: every layer and the contract may import it, it imports
// nothing outside itself, and the renderer sees it only through the contract (type imports).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const layers = [
  'model',
  'core',
  'fs',
  'cvat',
  'journal',
  'watch',
  'engine',
  'service',
  'app',
  'cli',
];
const allowed = {
  model: [],
  core: ['model'],
  fs: ['model', 'core'],
  cvat: ['model', 'core', 'fs'],
  journal: ['model', 'core'],
  watch: ['model', 'core', 'fs'],
  engine: ['model', 'core', 'fs', 'cvat', 'journal', 'watch'],
  service: ['model', 'core', 'fs', 'cvat', 'journal', 'watch', 'engine'],
  app: ['model', 'core', 'fs', 'cvat', 'journal', 'watch', 'engine', 'service'],
  cli: ['model', 'core', 'fs', 'cvat', 'journal', 'watch', 'engine', 'service'],
};

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'http',
  'https',
  'net',
  'crypto',
  'child_process',
  'stream',
  'url',
];

function layerRule(layer) {
  const forbidden = layers.filter((l) => l !== layer && !allowed[layer].includes(l));
  const patterns = [
    {
      group: forbidden.map((l) => `**/${l}/**`),
      message: `main/${layer} may import only: ${allowed[layer].join(', ') || 'nothing of ours'}.`,
    },
    { group: ['**/renderer/**'], message: 'The Node side never imports the renderer.' },
  ];
  if (!['service', 'app', 'cli'].includes(layer))
    patterns.push({
      group: ['**/preload/**'],
      message:
        'Below main/service the domain types come from main/model; the contract is for the transports.',
    });
  if (layer === 'model')
    patterns.push({
      regex: '^(?!\\./)',
      message: 'main/model is types only and imports nothing outside main/model.',
    });
  if (layer === 'core')
    patterns.push({
      group: nodeBuiltins,
      message: 'main/core is pure logic: no Node built-ins (inject a port instead).',
    });
  if (layer !== 'app')
    patterns.push({
      group: ['electron', 'electron/*'],
      message: 'Only main/app imports electron.',
    });
  if (layer !== 'journal')
    patterns.push({ group: ['better-sqlite3'], message: 'SQL lives in main/journal only.' });
  return { group: undefined, patterns };
}

/** What any renderer file may not import (the renderer is a browser page). */
const rendererPatterns = [
  {
    group: ['**/main/**', 'electron', 'node:*'],
    message: 'The renderer talks to main only through src/lib/api.ts.',
  },
  {
    group: ['**/preload/*', '!**/preload/contract.js', '!**/preload/contract'],
    message: 'The renderer reaches main only through preload/contract.ts.',
  },
];

const deterministic = {
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'Use the injected Clock.' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use the injected Clock.' },
    { name: 'setInterval', message: 'Use the injected Clock.' },
    { name: 'fetch', message: 'HTTP lives in main/cvat.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.venv/',
      'dist/',
      'release/',
      'test-artifacts/',
      'coverage/',
      'renderer/dist/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...layers.map((layer) => ({
    files: [`main/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: layerRule(layer).patterns }],
      ...(layer === 'core' || layer === 'engine' ? deterministic : {}),
      ...(layer !== 'cvat' && layer !== 'core' && layer !== 'engine'
        ? {
            'no-restricted-globals': [
              'error',
              { name: 'fetch', message: 'HTTP lives in main/cvat.' },
            ],
          }
        : {}),
    },
  })),
  {
    // The model's types have no code to import: a sibling may be imported for its types only.
    files: ['main/model/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['./*'], allowTypeImports: true, message: 'main/model holds types only.' },
          ],
        },
      ],
    },
  },
  {
    // The contract is built from zod, the model and pure checks only: the renderer bundles it.
    files: ['preload/contract*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!zod$|\\./contract|\\.\\./main/model/|\\.\\./main/core/|\\.\\./main/service/server-url\\.js$)',
              message:
                'The contract imports only zod, main/model, main/core and the server-URL check.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!electron$|\\./contract\\.js$)',
              message: 'The sandboxed preload imports only electron and the contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: rendererPatterns,
        },
      ],
    },
  },
  {
    // Views and components use the contract's types; its values (method names, the folder-rule
    // schema) are for src/lib and the state classes.
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    ignores: ['renderer/src/lib/**', 'renderer/src/state/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            ...rendererPatterns,
            {
              group: ['**/preload/contract*'],
              allowTypeImports: true,
              message:
                'Views import only *types* from the contract; values go through src/lib or src/state.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'renderer/src/**/*.svelte',
      'renderer/src/**/*.svelte.ts',
      'renderer/src/views/**/*.ts',
      'renderer/src/state/**/*.ts',
    ],
    ignores: ['renderer/src/lib/api.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'Only src/lib/api.ts talks to the transport.' },
        { name: 'EventSource', message: 'Only src/lib/api.ts talks to the transport.' },
      ],
    },
  },
  {
    files: ['**/*.svelte.ts'],
    languageOptions: { parser: svelte.parser, parserOptions: { parser: tseslint.parser } },
  },
);
