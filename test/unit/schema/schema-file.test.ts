import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printKybernetSchema } from '../../../src/server/schema';

describe('src/schema/schema.graphql', () => {
  it('is the schema the resolvers build (run `npm run schema` after changing them)', async () => {
    const committed = readFileSync(resolve(__dirname, '../../../src/schema/schema.graphql'), 'utf8');
    expect(committed).toBe(await printKybernetSchema());
  });

  it('keeps the names clients depend on (ARCHITECTURE.md)', async () => {
    const sdl = await printKybernetSchema();
    const queries = [
      'families',
      'registeredModels',
      'registeredModel',
      'modelVersion',
      'modelVersions',
      'compareModels',
      'predictions',
      'trades',
      'datasets',
      'jobs',
      'job',
      'shadowEvaluation',
      'driftEvents',
      'modelHealth',
      'policy',
      'events',
      'learningTrigger',
    ];
    const mutations = [
      'createRegisteredModel',
      'trainModel',
      'importModel',
      'triggerRetraining',
      'cancelJob',
      'promoteModel',
      'rollbackModel',
      'retireModel',
      'predict',
      'predictBatch',
      'tradePrediction',
      'positionSizeMultiplier',
      'strategyWeights',
      'logTradeExecution',
      'logTradeOutcome',
      'recordOutcome',
      'ingestBars',
      'createDataset',
      'checkDrift',
      'updatePolicy',
      'createApiKey',
      'revokeApiKey',
      'selectStrategy',
    ];
    const subscriptions = ['events', 'promotionAlerts', 'driftAlerts', 'jobProgress'];
    const fieldsOf = (type: string) => {
      const block = sdl.slice(sdl.indexOf(`type ${type} {`));
      return block.slice(0, block.indexOf('\n}'));
    };
    for (const name of queries) expect(fieldsOf('Query')).toMatch(new RegExp(`\\n  ${name}[(:]`));
    for (const name of mutations) expect(fieldsOf('Mutation')).toMatch(new RegExp(`\\n  ${name}[(:]`));
    for (const name of subscriptions) expect(fieldsOf('Subscription')).toMatch(new RegExp(`\\n  ${name}[(:]`));
  });
});
