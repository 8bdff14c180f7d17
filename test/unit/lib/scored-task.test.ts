/** isScoredTask: which models' answers are scored against outcomes (lib/scored-task.ts). */
import { isScoredTask } from '../../../src/lib/scored-task';

describe('isScoredTask', () => {
  it('holds for regression and binary models', () => {
    expect(isScoredTask('regression')).toBe(true);
    expect(isScoredTask('binary')).toBe(true);
  });

  it('does not hold for a policy model, a signature-less one, or a task it does not know', () => {
    expect(isScoredTask('policy')).toBe(false);
    expect(isScoredTask(undefined)).toBe(false);
    expect(isScoredTask(null)).toBe(false);
    expect(isScoredTask('')).toBe(false);
    expect(isScoredTask('Regression')).toBe(false);
    expect(isScoredTask('multiclass')).toBe(false);
  });
});
