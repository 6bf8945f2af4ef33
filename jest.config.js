/** Jest in native ESM mode (run with `node --experimental-vm-modules`), TypeScript through @swc/jest. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'es6' },
  },
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@ticketoffice/checkout-session-cache$': '<rootDir>/libs/checkout-session-cache/src/index.ts',
    '^@ticketoffice/checkout-session-cache/health$': '<rootDir>/libs/checkout-session-cache/src/health/index.ts',
    '^@ticketoffice/checkout-session-cache/testing$': '<rootDir>/libs/checkout-session-cache/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  // DynamoDB Local on a shared 2-core machine: table and index creation can take seconds under load.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.mjs'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/infra/**/*.spec.ts', '<rootDir>/test/custom-store/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.rel-spec.ts'] },
  ],
};
