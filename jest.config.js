// ESM end to end: NestJS 12 is ESM-only, so Jest runs with --experimental-vm-modules (see package.json).
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

export default {
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] },
    // The bench's own arithmetic (how rounds combine into ratios): a wrong figure there is a wrong claim.
    { ...common, displayName: 'bench', roots: ['<rootDir>/bench'], testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'client',
      roots: ['<rootDir>/client/src'],
      testMatch: ['**/*.spec.ts'],
      // The browser client compiles against the DOM library, not Node's.
      transform: { '^.+\\.ts$': [tsJest[0], { ...tsJest[1], tsconfig: 'client/tsconfig.json' }] },
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/test/kafka/'],
    },
    // Its own project so that only runs including a Kafka test start the shared broker.
    {
      ...common,
      displayName: 'kafka',
      roots: ['<rootDir>/test/kafka'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/kafka/global-setup.ts',
      globalTeardown: '<rootDir>/test/kafka/global-teardown.ts',
    },
  ],
};
