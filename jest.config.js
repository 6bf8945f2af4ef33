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

/** Suites that need DynamoDB Local get it from the global setup, which Jest runs only when one of them is selected. */
const withDynamoDbLocal = {
  ...common,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  // Jest's timeout above DynamoDB Local's start wait, which some suites run in a test or a hook.
  setupFilesAfterEnv: ['<rootDir>/test/support/dynamodb-local-timeout.setup.mjs'],
};

/** The DynamoDB driver's specs that need DynamoDB Local; its pure parts (builders, plan, batcher) are unit specs. */
const DYNAMODB_DRIVER_SPECS = ['store', 'store.contract', 'probe'].map(
  (spec) => `<rootDir>/libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.${spec}.spec.ts`,
);

export default {
  // Per test and hook, unless the project's setup raises it: a loaded 2-core machine is slow, but never this slow.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.mjs'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      // No DynamoDB Local and no network: `npm run test:unit` runs in seconds.
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/infra/**/*.spec.ts', '<rootDir>/test/custom-store/**/*.spec.ts', '<rootDir>/test/support/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...DYNAMODB_DRIVER_SPECS.map((spec) => spec.replace(/\./g, '\\.'))],
    },
    { ...withDynamoDbLocal, displayName: 'integration', testMatch: DYNAMODB_DRIVER_SPECS },
    { ...withDynamoDbLocal, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    { ...withDynamoDbLocal, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.rel-spec.ts'] },
  ],
};
