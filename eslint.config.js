// ESLint 9 flat config: typescript-eslint's strict and stylistic type-checked rules over src, test, bench
// and the config files; eslint-config-prettier last so no rule fights the formatter.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  globalIgnores(['dist/', 'dist-dev/', 'coverage/', 'logs/', 'demo/', 'reports/', 'backups/', 'test/fixtures/']),
  {
    files: ['**/*.ts', '**/*.js'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: {
        // eslint.config.js is in no tsconfig: typescript-eslint type-checks it with a default project.
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Counts, milliseconds and exit codes are interpolated everywhere; a number prints one way. Other non-strings stay errors.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowAny: false, allowBoolean: false, allowNullish: false, allowRegExp: false, allowNever: false, allowArray: false },
      ],
      // It asks for `value!`, which strict's no-non-null-assertion forbids; the code narrows with `as T` (noUncheckedIndexedAccess).
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // `() => resolve()` callbacks and `if (done) return resolve();` in void functions are the idiom here; nobody reads that result.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // `const { secret: _omit, ...rest } = x` is how the code drops a key; tsc's noUnusedLocals allows it too.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // Control characters in regexes are the point here: inputs bound for headers, unit files and logs are checked for them.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Test doubles implement async interfaces (async generators as AsyncIterables, Promise-returning deps) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);
