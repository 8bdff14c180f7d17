/** How a trade carries RL decisions, and the rewards a closed trade gives each agent. */
import type { TradeEntity } from '../../../src/entities/trade.entity';
import { InvalidInputError } from '../../../src/lib/errors';
import { metaStrategyReward, positionSizingReward } from '../../../src/plugins/rl';
import { agentDecisionsOf, decisionJson, metaStrategyTradeReward, positionSizingTradeReward } from '../../../src/rl/trade-decisions';

const state = { regime: 'TRENDING', volatility: 'LOW', liquidity: 'HIGH', performance: 'NEUTRAL' };

function closedTrade(overrides: Partial<TradeEntity> = {}): TradeEntity {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    status: 'CLOSED',
    realizedReturn: 0.02,
    holdingPeriodSeconds: 6 * 3600,
    maxDrawdown: 0.01,
    takeProfitHit: true,
    stopLossHit: null,
    ...overrides,
  } as TradeEntity;
}

describe('agent decisions carried by a trade', () => {
  it('round-trips the JSON an answer hands back, merged with the orchestrator’s own keys', () => {
    const meta = decisionJson({ family: 'rl_meta_strategy', model: 'meta', version: 2, state, action: 'breakout' });
    const sizing = decisionJson({
      family: 'rl_position_sizing',
      model: 'sizer',
      state: { regime: 'RANGING' },
      action: 'size1_lev1_tp-balanced_sl-tight',
    });
    const decisions = agentDecisionsOf({ ...meta, ...sizing, note: 'orchestrator field' });
    expect(decisions).toEqual([
      { family: 'rl_meta_strategy', model: 'meta', version: 2, state, action: 'breakout' },
      {
        family: 'rl_position_sizing',
        model: 'sizer',
        version: undefined,
        state: { regime: 'RANGING' },
        action: 'size1_lev1_tp-balanced_sl-tight',
      },
    ]);
    expect(agentDecisionsOf(null)).toEqual([]);
    expect(agentDecisionsOf({ strategy: 'manual' })).toEqual([]);
  });

  it.each([
    [{ rl_meta_strategy: 'breakout' }, 'decision.rl_meta_strategy'],
    [{ rl_meta_strategy: { state, action: 'breakout' } }, 'decision.rl_meta_strategy.model'],
    [{ rl_meta_strategy: { model: 'meta', state: 'TRENDING', action: 'breakout' } }, 'decision.rl_meta_strategy.state'],
    [{ rl_position_sizing: { model: 'sizer', state, action: 3 } }, 'decision.rl_position_sizing.action'],
  ])('refuses a malformed decision %j, naming %s', (decision, field) => {
    try {
      agentDecisionsOf(decision);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).details).toEqual({ field });
    }
  });
});

describe('rewards from a closed trade', () => {
  it('meta-strategy: the agent’s formula on pnl %, hours, drawdown % and the strategy’s recent win rate', () => {
    expect(metaStrategyTradeReward(closedTrade(), 0.75)).toBeCloseTo(
      metaStrategyReward({ pnlPercent: 2, hoursHeld: 6, maxDrawdownPercent: 1, winRate: 0.75 }),
      12,
    );
    // 2 + (24 / 6) × 0.1 − 1 × 2 + 0.25 × 10
    expect(metaStrategyTradeReward(closedTrade(), 0.75)).toBeCloseTo(2.9, 12);
  });

  it('position sizing: pnl % − 0.05 × hours − 3 × drawdown % + 1 on take-profit − 0.5 on stop-loss (unreported hits count as not hit)', () => {
    expect(positionSizingTradeReward(closedTrade())).toBeCloseTo(2 - 0.3 - 3 + 1, 12);
    expect(positionSizingTradeReward(closedTrade({ takeProfitHit: null, stopLossHit: true, maxDrawdown: null }))).toBeCloseTo(
      positionSizingReward({ pnlPercent: 2, hoursHeld: 6, maxDrawdownPercent: 0, takeProfitHit: false, stopLossHit: true }),
      12,
    );
  });

  it('refuses a NaN figure rather than learn a NaN reward', () => {
    expect(() => metaStrategyTradeReward(closedTrade({ realizedReturn: NaN }), 0.5)).toThrow(
      /outcome\.pnlPercent expects a finite number, but got NaN/,
    );
    expect(() => positionSizingTradeReward(closedTrade({ holdingPeriodSeconds: NaN }))).toThrow(InvalidInputError);
  });
});
