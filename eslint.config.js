// Layer rules of docs ARCHITECTURE.md, enforced here rather than by good intentions.
// core <- fs (the filesystem port) <- cvat, journal, watch <- engine <- service <- app (electron) | cli
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const layers = ['core', 'fs', 'cvat', 'journal', 'watch', 'engine', 'service', 'app', 'cli'];
const allowed = {
  core: [],
  fs: ['core'],
  cvat: ['core', 'fs'],
  journal: ['core'],
  watch: ['core', 'fs'],
  engine: ['core', 'fs', 'cvat', 'journal', 'watch'],
  service: ['core', 'fs', 'cvat', 'journal', 'watch', 'engine'],
  app: ['core', 'fs', 'cvat', 'journal', 'watch', 'engine', 'service'],
  cli: ['core', 'fs', 'cvat', 'journal', 'watch', 'engine', 'service'],
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
    files: ['preload/contract.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['*', '**'], message: 'The contract imports nothing.' }] },
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
          patterns: [
            {
              group: ['**/main/**', 'electron', 'node:*'],
              message: 'The renderer talks to main only through src/lib/api.ts.',
            },
            {
              group: ['**/preload/*', '!**/preload/contract*'],
              message: 'Import only types from preload/contract.ts.',
            },
            {
              group: ['**/preload/contract*'],
              allowTypeImports: true,
              message: 'Import only *types* from the contract.',
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
