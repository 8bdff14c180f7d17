/**
 * The boosting loop on the native library: one XGBoosterUpdateOneIter per round, the validation
 * metric after each, early stopping on the time-ordered validation tail, and the best round's trees
 * kept. Between rounds the loop yields to the event loop so that an abort can arrive, then checks it.
 */
import type { TrainContext } from '../../contract';
import type { TabularSplit } from '../tabular';
import { throwIfAborted, yieldToEventLoop } from '../training-loop';
import { Booster, DMatrix } from './native';
import type { XGBoostObjective } from './model-json';
import { boosterParams, EVAL_METRIC, type XGBoostParams } from './params';

export interface BoostingRun {
  /** The model in XGBoost JSON, truncated to the best round when early stopping chose one. */
  modelJson: Uint8Array;
  /** Rounds in the model, previous ones included. */
  rounds: number;
  /** Rounds this run added (after early stopping's truncation). */
  added: number;
  /** The round (0-based, counted in the whole model) whose validation score was best, if validated. */
  bestIteration?: number;
  bestScore?: number;
}

export interface BoostingRequest {
  split: TabularSplit;
  params: XGBoostParams;
  objective: XGBoostObjective;
  /** Rounds to add. */
  rounds: number;
  ctx: TrainContext;
  /** A model (XGBoost JSON) to continue from: its trees are kept and new ones are added after them. */
  previousModel?: Uint8Array;
  /** Booster parameters set after those from `params`, e.g. { grow_policy: 'lossguide', max_leaves: 31 } (the lightgbm family). */
  extraBoosterParams?: Record<string, string | number>;
}

/** The value of `valid-<metric>` in an evaluation line like "[3]\tvalid-rmse:0.52". */
function validationScore(line: string, metric: string): number {
  const match = new RegExp(`\\bvalid-${metric}:(\\S+)`).exec(line);
  const score = match ? Number(match[1]) : NaN;
  if (!Number.isFinite(score)) throw new Error(`XGBoost evaluation "${line.trim()}" has no finite valid-${metric}`);
  return score;
}

export async function boost(request: BoostingRequest): Promise<BoostingRun> {
  const { split, params, objective, rounds, ctx } = request;
  const width = split.featureNames.length;
  const metric = EVAL_METRIC[objective];
  const train = DMatrix.fromDense(split.train.features, split.train.rows, width, split.train.target);
  const valid =
    split.validation.rows > 0
      ? DMatrix.fromDense(split.validation.features, split.validation.rows, width, split.validation.target)
      : undefined;
  const cache = valid ? [train, valid] : [train];
  let booster: Booster | undefined;
  try {
    booster = request.previousModel ? Booster.fromModel(request.previousModel, cache) : Booster.create(cache);
    booster.setParams({ ...boosterParams(params, objective, ctx), ...request.extraBoosterParams });
    const start = booster.boostedRounds();
    const patience = valid ? params.early_stopping_rounds : 0;
    let best: { iteration: number; score: number } | undefined;
    let done = 0;
    while (done < rounds) {
      await yieldToEventLoop();
      throwIfAborted(ctx.signal, `before boosting round ${done + 1} of ${rounds}`);
      const iteration = start + done;
      booster.updateOneIter(iteration, train);
      done++;
      let message = `round ${done}/${rounds}`;
      if (valid) {
        const score = validationScore(booster.evalOneIter(iteration, [{ name: 'valid', matrix: valid }]), metric);
        if (!best || score < best.score) best = { iteration, score };
        message += ` valid-${metric}=${score.toPrecision(6)}`;
      }
      ctx.progress(done / rounds, message);
      if (patience > 0 && best && iteration - best.iteration >= patience) {
        ctx.log(`early stopping after round ${done}: best ${metric} ${best.score} at round ${best.iteration + 1 - start}`);
        break;
      }
    }
    if (patience > 0 && best && best.iteration < start + done - 1) {
      const kept = booster.slice(0, best.iteration + 1);
      booster.free();
      booster = kept;
    }
    return {
      modelJson: booster.saveJson(),
      rounds: booster.boostedRounds(),
      added: booster.boostedRounds() - start,
      bestIteration: best?.iteration,
      bestScore: best?.score,
    };
  } finally {
    booster?.free();
    valid?.free();
    train.free();
  }
}
