/**
 * Two projects: unit tests (test/unit) need nothing but Node; integration tests (test/integration)
 * use Postgres, S3 (s3rver), HTTP and graphql-ws for real, and get a migrated template database from
 * their globalSetup (run only when integration tests are selected). Both run from source through SWC,
 * which reads .swcrc.
 */
const shared = {
  testEnvironment: '<rootDir>/test/node-realm-environment.js',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', {}] },
  // ESM-only dependencies that Jest's CommonJS runtime needs transformed
  transformIgnorePatterns: ['/node_modules/(?!(trading-signals)/)'],
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
