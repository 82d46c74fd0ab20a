/** Jest runs the TypeScript sources as native ES modules through SWC; no build step. */
const swc = [
  '@swc/jest',
  {
    // keepImportAttributes: JSON imports keep `with { type: 'json' }`, which Jest will soon require.
    jsc: {
      parser: { syntax: 'typescript' },
      target: 'es2022',
      experimental: { keepImportAttributes: true },
    },
    experimental: { customCoverageInstrumentation: { enabled: true } },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: [
    '<rootDir>/test/**/*.test.ts',
    '<rootDir>/{contracts,lib,lambdas,services,local,governance,scripts,cicd,bench}/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/'],
  collectCoverageFrom: [
    '{contracts,bin,lib,lambdas,services,local,governance,scripts,cicd}/**/*.ts',
    '!**/*.test.ts',
    '!**/main.ts',
    '!**/testdata/**',
  ],
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  coverageThreshold: { global: { lines: 80 } },
  // One cloud assembly per variant and run, synthesized beside jest by `npm test` or by the first CDK
  // test that asks (test/support/assembly.ts); the tests that read it run last.
  globalSetup: '<rootDir>/test/support/assembly-dir.js',
  globalTeardown: '<rootDir>/test/support/assembly-dir-teardown.js',
  testSequencer: '<rootDir>/test/support/sequencer.js',
  testTimeout: 60000,
  // A leaked socket or timer must fail loudly, not hang CI until its 90-minute limit: jest exits when
  // the suites are done. Find the leak locally with `--detectOpenHandles`.
  forceExit: true,
  // Test workers end the run holding over 1 GB each and took 560-850 ms to exit once jest asked them
  // to (two full runs; they exit on their own, no handle left open): past the 500 ms default jest
  // kills them, with a warning about leaking tests that does not apply.
  workerGracefulExitTimeout: 3000,
};
