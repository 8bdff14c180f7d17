/**
 * What the policy says about the RL agents in the live loop: the learning hyperparameters
 * (policy.rl_maintenance) a live table learns with, and the risk limits (policy.risk_limits) every
 * sizing answer is clamped to.
 */
import type { Policy } from '../config/policy';
import type { RiskLimits } from '../lib/risk-limits';
import { InvalidInputError } from '../lib/errors';
import type { ZodType } from 'zod';

/** The Q-learning hyperparameters the policy sets, in the families' names. */
function policyLearningParams(rl: Policy['rl_maintenance']) {
  return {
    learningRate: rl.learning_rate,
    discount: rl.discount,
    epsilon: rl.epsilon,
    epsilonDecay: rl.epsilon_decay,
    epsilonMin: rl.min_epsilon,
    temperature: rl.temperature,
  };
}

/**
 * `current` with the policy's learning hyperparameters laid over it, validated by the family's schema
 * (fields the family does not have, e.g. temperature for position sizing, are dropped by it).
 */
export function withPolicyParams<P>(schema: ZodType<P>, current: object, rl: Policy['rl_maintenance']): P {
  const parsed = schema.safeParse({ ...current, ...policyLearningParams(rl) });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidInputError(
    `expects policy.rl_maintenance to give valid Q-learning hyperparameters, but ${issue.path.join('.')}: ${issue.message}; update the policy`,
    { field: 'policy.rl_maintenance' },
  );
}
