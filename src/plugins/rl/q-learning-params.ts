/**
 * Hyperparameters shared by the tabular Q-learning agents. The policy store supplies them; the
 * defaults are conventional tabular Q-learning values (α 0.1, γ 0.95, ε 0.3 decaying ×0.995 per
 * learned trade down to 0.05).
 */
import { z } from 'zod';
import type { SearchSpace } from '../contract';

const qLearningShape = {
  /** α: the step towards each new target. */
  learningRate: z.number().gt(0).max(1).default(0.1),
  /**
   * ω in α_n = learningRate / (1 + n)^ω, n = earlier updates of the same (state, action). 0 keeps α
   * constant (tracks a drifting market); ω in (0.5, 1] makes the steps satisfy the Robbins–Monro
   * conditions under which tabular Q-learning converges to Q* (Even-Dar & Mansour, 2003).
   */
  learningRateDecayPower: z.number().min(0).max(1).default(0),
  /** γ: weight of the next state's best Q-value in the target. */
  discount: z.number().min(0).lt(1).default(0.95),
  /** Exploration rate of a fresh table. */
  epsilon: z.number().min(0).max(1).default(0.3),
  /** Multiplies ε after every learned trade, never below `epsilonMin`. */
  epsilonDecay: z.number().gt(0).max(1).default(0.995),
  epsilonMin: z.number().min(0).max(1).default(0.05),
  /** Q-value of a (state, action) never learned. */
  initialQ: z.number().default(0),
  /** Passes over the transitions in `train`/`update`. */
  epochs: z.number().int().min(1).max(1000).default(1),
  /** Chronological tail of the transitions scored before the table learns from it (see q-learning-family.ts). */
  validationFraction: z.number().min(0).max(0.5).default(0.2),
};

type QLearningCore = z.infer<z.ZodObject<typeof qLearningShape>>;

/** A family's schema: the shared shape plus its own fields, with the shared cross-field check. */
export function qLearningParamsWith<S extends z.ZodRawShape>(extra: S) {
  return z.object({ ...qLearningShape, ...extra }).refine((p) => (p as QLearningCore).epsilonMin <= (p as QLearningCore).epsilon, {
    message: 'epsilonMin must not exceed epsilon',
    path: ['epsilonMin'],
  });
}

export const qLearningParams = qLearningParamsWith({});

export type QLearningParams = z.infer<typeof qLearningParams>;

export const qLearningSearchSpace: SearchSpace<QLearningParams> = {
  learningRate: { type: 'float', min: 0.01, max: 0.5, log: true },
  discount: { type: 'float', min: 0.5, max: 0.99 },
  epsilonDecay: { type: 'float', min: 0.98, max: 0.9999 },
  epochs: { type: 'int', min: 1, max: 20 },
};
