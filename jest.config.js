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

/**
 * The specs beside the code that need DynamoDB Local: the DynamoDB driver's (its pure parts, builders, plan and batcher,
 * are unit specs) and the service's, which runs on both drivers.
 */
const INTEGRATION_SPECS = [
  ...['store', 'store.contract', 'probe'].map((spec) => `drivers/dynamodb/dynamodb-checkout-session.${spec}.spec.ts`),
  'checkout-session-cache.service.spec.ts',
].map((spec) => `<rootDir>/libs/checkout-session-cache/src/${spec}`);

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
      testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION_SPECS.map((spec) => spec.replace(/\./g, '\\.'))],
      setupFiles: ['<rootDir>/test/support/no-dynamodb-local.setup.mjs'],
    },
    { ...withDynamoDbLocal, displayName: 'integration', testMatch: INTEGRATION_SPECS },
    { ...withDynamoDbLocal, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    { ...withDynamoDbLocal, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.rel-spec.ts'] },
  ],
};
