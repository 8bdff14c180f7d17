/**
 * How a trade carries the RL decisions it was made with, and what each decision earned.
 *
 * `selectStrategy` and `positionSizeMultiplier` answer with a `decision` object keyed by the agent's
 * family, e.g. `{ "rl_meta_strategy": { "model": "meta", "version": 3, "state": {…}, "action": "breakout" } }`.
 * The orchestrator passes the merged objects as `logTradeExecution(decision: …)`; when the trade
 * closes, each agent named there learns from it (agents.service.ts). A meta-strategy decision
 * from strategyWeights carries no action: the trade's own `strategy` is the action credited.
 *
 * Rewards, from the closed trade (the formulas are the agents' own, plugins/rl):
 * - meta-strategy: pnl% = realized return × 100, hours = holding period, max drawdown% = the trade's
 *   max drawdown × 100 (0 when not reported), win rate = the share of winning trades among the agent's
 *   last 20 closed trades of the same strategy, this one included (a single trade's win rate would only
 *   say whether it won);
 * - position sizing: pnl%, hours, max drawdown% as above, take-profit / stop-loss hit as reported
 *   (false when not reported).
 */
import type { TradeEntity } from '../entities/trade.entity';
import { RL_FAMILIES, type RlFamily } from '../entities/rl-agent.entity';
import { InvalidInputError } from '../lib/errors';
import { metaStrategyReward, positionSizingReward, type AgentState } from '../plugins/rl';

export interface AgentDecision {
  family: RlFamily;
  /** The agent's registered model name. */
  model: string;
  /** The ACTIVE version that decided (informational). */
  version?: number;
  state: AgentState;
  /**
   * The action decided. A meta-strategy decision from strategyWeights (an allocation, not a pick)
   * has none: the strategy the trade ran (its `strategy`) is credited.
   */
  action?: string;
}

/** The JSON an answer hands back for the trade's `decision`. */
export function decisionJson(decision: AgentDecision): Record<string, unknown> {
  const { family, ...rest } = decision;
  return { [family]: rest };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** The agent decisions in a trade's `decision` (other keys are the orchestrator's own and ignored). */
export function agentDecisionsOf(decision: Record<string, unknown> | null): AgentDecision[] {
  if (!decision) return [];
  return RL_FAMILIES.filter((family) => decision[family] !== undefined).map((family) => {
    const field = `decision.${family}`;
    const entry = decision[family];
    if (!isObject(entry))
      throw new InvalidInputError(`${field} expects { model, state, action } as the agent answered it, but got ${JSON.stringify(entry)}`, {
        field,
      });
    if (typeof entry.model !== 'string')
      throw new InvalidInputError(`${field}.model expects the agent's model name, but got ${JSON.stringify(entry.model)}`, {
        field: `${field}.model`,
      });
    if (!isObject(entry.state))
      throw new InvalidInputError(`${field}.state expects the state object, but got ${JSON.stringify(entry.state)}`, {
        field: `${field}.state`,
      });
    if (entry.action !== undefined && typeof entry.action !== 'string') {
      throw new InvalidInputError(`${field}.action expects the action name, but got ${JSON.stringify(entry.action)}`, {
        field: `${field}.action`,
      });
    }
    return {
      family,
      model: entry.model,
      version: typeof entry.version === 'number' ? entry.version : undefined,
      state: entry.state as AgentState,
      action: entry.action as string | undefined,
    };
  });
}

/**
 * The action a decision credits and the field that names it: the decision's own, or for a
 * meta-strategy allocation (no action) the strategy the trade ran.
 */
export function creditedAction(decision: AgentDecision, trade: TradeEntity): { action: string; field: string } {
  const field = `decision.${decision.family}.action`;
  if (decision.action !== undefined) return { action: decision.action, field };
  if (decision.family === 'rl_meta_strategy') return { action: trade.strategy as string, field: 'strategy' };
  throw new InvalidInputError(`${field} expects the action the agent chose, but got none`, { field });
}

/** The closed trade's figures in the units the rewards take. */
function tradeFigures(trade: TradeEntity) {
  if (trade.status !== 'CLOSED' || trade.realizedReturn === null || trade.holdingPeriodSeconds === null) {
    throw new Error(`trade ${trade.id} is not closed; rewards come from closed trades only`);
  }
  return {
    pnlPercent: trade.realizedReturn * 100,
    hoursHeld: trade.holdingPeriodSeconds / 3600,
    maxDrawdownPercent: (trade.maxDrawdown ?? 0) * 100,
  };
}

export function metaStrategyTradeReward(trade: TradeEntity, winRate: number): number {
  return metaStrategyReward({ ...tradeFigures(trade), winRate });
}

export function positionSizingTradeReward(trade: TradeEntity): number {
  return positionSizingReward({
    ...tradeFigures(trade),
    takeProfitHit: trade.takeProfitHit ?? false,
    stopLossHit: trade.stopLossHit ?? false,
  });
}
