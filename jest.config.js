/** Unit tests (test/unit) need nothing but Node; integration tests (test/integration) use Postgres,
 *  S3 (s3rver), HTTP and graphql-ws for real. Both run from source through SWC. */
const swc = ['@swc/jest', {}]; // reads .swcrc
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  // ESM-only dependencies that Jest's CommonJS runtime needs transformed
  transformIgnorePatterns: ['/node_modules/(?!(trading-signals)/)'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
};
