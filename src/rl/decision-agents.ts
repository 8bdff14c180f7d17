/**
 * The RL agents behind DecisionService's seam (`DecisionAgents`): `strategyWeights` and
 * `positionSizeMultiplier` are answered by the ACTIVE agent of each kind, built from the request:
 *
 * - strategy weights: state = (regime, volatility and liquidity buckets of the request's market
 *   figures, performance bucket of portfolio.pnlPercent7d). Weights are softmax(Q / T) over the
 *   requested strategies with the policy's temperature T, then the request's floor as the rule
 *   applies it (w = floor + (1 − n·floor) × share). The rule answers when no agent is ACTIVE or the
 *   request lacks a figure the state needs (annualizedVolatility, volumePercentile, pnlPercent7d).
 * - position size: state = (regime, confidence bucket of strategyConfidence, exposure bucket of
 *   grossExposure / equity, win-rate bucket of the last 20 closed trades, volatility bucket of the
 *   realised volatility). The agent's size multiplier (capped at max_position_multiplier) and leverage
 *   are proposed; DecisionService then clamps them by the policy's risk limits, at the request's stop
 *   distance, and names the limits that cut them. The stop-loss profile places the stop at a share of
 *   that distance (tight ½, medium ¾, wide 1), so the clamp never understates the risk. The rule
 *   answers when no agent is ACTIVE or the request names no regime — and, saying why, while the
 *   agent's table has learned from fewer than policy.rl_maintenance.min_trades_before_serving trades:
 *   then the answer's decision carries the agent's state and the action nearest to the size the rule
 *   answered (leverage as answered, take-profit balanced, stop-loss wide: the stop at the request's
 *   full stop distance, as the clamp assumed), so the agent learns from the trade as it was sized.
 */
import type { DataSource } from 'typeorm';
import { isMarketRegime } from '../lib/market-vocabulary';
import {
  confidenceLevel,
  exposureLevel,
  LEVERAGES,
  liquidityLevel,
  performanceLevel,
  positionSizingActionName,
  SIZE_MULTIPLIERS,
  softmaxWeights,
  volatilityLevel,
  winRateLevel,
  type StopLossProfile,
  type Strategy,
} from '../plugins/rl';
import type {
  AgentDeferral,
  AgentPositionSize,
  AgentStrategyWeights,
  DecisionAgents,
  PositionSizeContext,
  StrategyWeightsContext,
} from '../trading/decision.service';
import type { RlAgentsService, SizeWarmUp } from './agents.service';
import { decisionJson } from './trade-decisions';

/** Where each stop-loss profile places the stop, as a share of the request's stop distance. */
const STOP_PROFILE_SHARE: Record<StopLossProfile, number> = { tight: 0.5, medium: 0.75, wide: 1 };

const round = (value: number) => Math.round(value * 1e4) / 1e4;

export class RlDecisionAgents implements DecisionAgents {
  constructor(
    private readonly dataSource: DataSource,
    private readonly agents: RlAgentsService,
  ) {}

  async proposeStrategyWeights(context: StrategyWeightsContext): Promise<AgentStrategyWeights | undefined> {
    const { market, portfolio } = context;
    if (market?.annualizedVolatility == null || market.volumePercentile == null || portfolio?.pnlPercent7d == null) return undefined;
    const state = {
      regime: context.regime,
      volatility: volatilityLevel(market.annualizedVolatility, 'market.annualizedVolatility'),
      liquidity: liquidityLevel(market.volumePercentile, 'market.volumePercentile'),
      performance: performanceLevel(portfolio.pnlPercent7d),
    };
    const answer = await this.agents.strategyValues({ state });
    if (!answer) return undefined;
    const strategies = Object.keys(context.confidences) as Strategy[];
    const shares = softmaxWeights(
      strategies.map((s) => answer.qValues[s]),
      answer.temperature,
    );
    const n = strategies.length;
    const weights = Object.fromEntries(strategies.map((s, i) => [s, context.floor + (1 - n * context.floor) * shares[i]])) as Partial<
      Record<Strategy, number>
    >;
    const { agent } = answer;
    return {
      source: { kind: 'MODEL', name: agent.model, version: agent.version },
      weights,
      explanation:
        `${agent.family} agent "${agent.model}" v${agent.version} (epoch ${agent.epoch}, ${agent.tradesSeen} trades learned): softmax of Q / ${answer.temperature} ` +
        `in ${Object.values(state).join(' · ')} over ${strategies.map((s) => `${s} Q=${round(answer.qValues[s])}`).join(', ')}, with the ${context.floor} floor`,
      decision: answer.decision,
    };
  }

  async proposePositionSize(context: PositionSizeContext): Promise<AgentPositionSize | AgentDeferral | undefined> {
    if (context.regime === null || !isMarketRegime(context.regime)) return undefined;
    const { portfolio } = context;
    const state = {
      regime: context.regime,
      confidence: confidenceLevel(context.strategyConfidence),
      exposure: exposureLevel((portfolio.grossExposure ?? 0) / (portfolio.equity ?? NaN)),
      winRate: winRateLevel(await this.recentPnls()),
      volatility: volatilityLevel(context.realizedVolatility, 'realizedVolatility'),
    };
    const choice = await this.agents.chooseSize({ state });
    if (!choice) return undefined;
    if ('tradesNeeded' in choice) return warmingUp(choice);
    const { agent, proposed } = choice;
    const stopDistance = context.stopDistance * STOP_PROFILE_SHARE[proposed.stopLoss];
    const capped = choice.cappedAt === null ? '' : `, size capped at max_position_multiplier ${choice.cappedAt}`;
    return {
      source: { kind: 'MODEL', name: agent.model, version: agent.version },
      sizeMultiplier: choice.sizeMultiplier,
      leverage: proposed.leverage,
      explanation:
        `${agent.family} agent "${agent.model}" v${agent.version} (epoch ${agent.epoch}) ${choice.explored ? 'explored' : 'chose greedily'} ${choice.action} ` +
        `in ${Object.values(state).join(' · ')} (Q=${round(choice.qValue)}, ε=${round(choice.epsilon)})${capped}`,
      decision: {
        rl_position_sizing: {
          ...(choice.decision.rl_position_sizing as Record<string, unknown>),
          takeProfit: proposed.takeProfit,
          stopLoss: proposed.stopLoss,
          stopDistance,
          explored: choice.explored,
        },
      },
    };
  }

  /** pnl of the last 20 closed trades, oldest first (the win-rate bucket of the sizing state). */
  private async recentPnls(): Promise<number[]> {
    const rows: { pnl: number }[] = await this.dataSource.query(
      `SELECT pnl FROM trades WHERE status = 'CLOSED' ORDER BY closed_at DESC, id DESC LIMIT 20`,
    );
    return rows.map((row) => row.pnl).reverse();
  }
}

/** The action of the agent's vocabulary nearest to a size it did not choose (the rule's, after the risk limits). */
function nearestAction(sized: { sizeMultiplier: number; leverage: number }): string {
  const nearest = (values: readonly number[], target: number) =>
    values.reduce((best, v) => (Math.abs(v - target) < Math.abs(best - target) ? v : best));
  return positionSizingActionName({
    sizeMultiplier: nearest(SIZE_MULTIPLIERS, sized.sizeMultiplier),
    leverage: nearest(LEVERAGES, sized.leverage),
    takeProfit: 'balanced',
    stopLoss: 'wide',
  });
}

/** The rule answers while the agent warms up; the answer says so, and carries what the agent learns the trade as. */
function warmingUp({ agent, state, tradesNeeded }: SizeWarmUp): AgentDeferral {
  return {
    deferredBy: { kind: 'MODEL', name: agent.model, version: agent.version },
    reason:
      `${agent.family} agent "${agent.model}" v${agent.version} has learned from ${agent.tradesSeen} of the ${tradesNeeded} trades it needs before it answers ` +
      `(policy rl_maintenance.min_trades_before_serving), so the rule answers and the agent learns from this trade as sized`,
    decisionFor: (sized) => {
      const action = nearestAction(sized);
      return decisionJson({ family: 'rl_position_sizing', model: agent.model, version: agent.version, state: { ...state }, action });
    },
  };
}
