/**
 * Which models' answers are scored against the realised values of their requests: a regression
 * (a predicted return) and a binary model (a predicted P(up)). A policy model answers with actions,
 * which have no realised value to score. Shadow tests, drift, health, trade outcomes, trade decisions
 * and retraining's comparison on the validation rows ask it.
 */
import type { ModelTask } from '../plugins/contract';

export type ScoredTask = Extract<ModelTask, 'regression' | 'binary'>;

/** Whether a model of `task` (a version's `signature.task`, none for a signature-less one) is scored on outcomes. */
export function isScoredTask(task: string | null | undefined): task is ScoredTask {
  return task === 'regression' || task === 'binary';
}
