/** Daily SPY bars from the shared data set, read through the CSV reader under test. */
import { createReadStream } from 'node:fs';
import { type Bar, readBarBatches } from '../../../src/lib/bars';
import { sharedPath } from '../../helpers/shared';

export const SPY_CSV = sharedPath('data', 'market', 'SPY_D.csv');

export async function loadSpy(): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const batch of readBarBatches(createReadStream(SPY_CSV), { symbol: 'SPY', timeframe: '1d' })) {
    bars.push(...batch);
  }
  return bars;
}
