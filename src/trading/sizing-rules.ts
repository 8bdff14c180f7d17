/**
 * The orchestrator's position-sizing rule while no RL position-sizing agent is active. It returns a
 * multiplier of the strategy's base position (1 = the base size, 0 = stay out) and the parts it was
 * built from, so that the API can say which rule produced it.
 *
 * The rule, with p the win probability (the model's confidence), b the payoff ratio (average win /
 * average loss), D the current drawdown and σ the realised volatility:
 *
 *   1. Kelly:      f* = p − (1 − p) / b, the growth-optimal fraction of equity to risk.
 *                  f  = kellyFraction · max(f*, 0), at most maxKellyFraction (default: half-Kelly, ≤ 0.25).
 *                  kellyMultiplier = f / baseFraction, where baseFraction is the fraction of equity the
 *                  base position represents (default 0.1: a half-Kelly of 10% keeps the base size).
 *   2. Drawdown:   drawdownScale = max(0, 1 − D / maxDrawdown): full size at no drawdown, linearly
 *                  to zero at maxDrawdown (default 20%) and beyond.
 *   3. Volatility: volatilityScale = targetVolatility / σ, clamped to [minVolatilityScale,
 *                  maxVolatilityScale] (default 0.25–2); σ = 0 gives the upper bound.
 *   4. multiplier = min(maxMultiplier, kellyMultiplier · drawdownScale · volatilityScale) (default cap 2).
 *
 * σ and targetVolatility must be in the same units; the defaults assume annualised volatility
 * (target 15%; for daily bars pass vol_20 · √252).
 */
import { refuse } from '../lib/errors';

export interface SizingRules {
  /** Fraction of full Kelly to take (0.5 = half-Kelly). */
  kellyFraction: number;
  /** Upper bound on the Kelly fraction of equity after kellyFraction. */
  maxKellyFraction: number;
  /** Fraction of equity that multiplier 1 stands for. */
  baseFraction: number;
  maxMultiplier: number;
  /** Drawdown (fraction of peak equity) at which the size reaches zero. */
  maxDrawdown: number;
  targetVolatility: number;
  minVolatilityScale: number;
  maxVolatilityScale: number;
}

export const DEFAULT_SIZING_RULES: Readonly<SizingRules> = {
  kellyFraction: 0.5,
  maxKellyFraction: 0.25,
  baseFraction: 0.1,
  maxMultiplier: 2,
  maxDrawdown: 0.2,
  targetVolatility: 0.15,
  minVolatilityScale: 0.25,
  maxVolatilityScale: 2,
};

export interface SizingInput {
  /** Probability that the trade wins (the model's confidence), in [0, 1]. */
  winProbability: number;
  /** Average win / average loss, > 0. */
  payoffRatio: number;
  /** Current drawdown from peak equity, a fraction in [0, 1]. */
  currentDrawdown: number;
  /** Realised volatility, ≥ 0, in the units of rules.targetVolatility. */
  realizedVolatility: number;
}

/** A cap or floor that changed the result: the API reports these as "which rule produced it". */
export type SizingLimit =
  | 'no_edge' // f* ≤ 0: Kelly says do not bet
  | 'max_kelly_fraction'
  | 'drawdown_stop' // drawdown at or beyond maxDrawdown
  | 'min_volatility_scale'
  | 'max_volatility_scale'
  | 'max_multiplier';

export interface PositionSize {
  multiplier: number;
  kelly: {
    /** f*, the full Kelly fraction (negative when the bet has no edge). */
    full: number;
    /** f after kellyFraction and maxKellyFraction. */
    fraction: number;
    multiplier: number;
  };
  drawdownScale: number;
  volatilityScale: number;
  limitsApplied: SizingLimit[];
  /** The computation in one line a user can read. */
  explanation: string;
}

function check(field: string, value: number, ok: boolean, expectation: string): void {
  if (!ok) refuse(field, expectation, value);
}

function checkRules(rules: SizingRules): void {
  const positiveFields = [
    'kellyFraction',
    'maxKellyFraction',
    'baseFraction',
    'maxMultiplier',
    'targetVolatility',
    'maxVolatilityScale',
  ] as const;
  for (const field of positiveFields) {
    const value = rules[field];
    check(`rules.${field}`, value, value > 0 && Number.isFinite(value), 'to be a finite number > 0');
  }
  check('rules.maxDrawdown', rules.maxDrawdown, rules.maxDrawdown > 0 && rules.maxDrawdown <= 1, 'in (0, 1]');
  check(
    'rules.minVolatilityScale',
    rules.minVolatilityScale,
    rules.minVolatilityScale >= 0 && rules.minVolatilityScale <= rules.maxVolatilityScale,
    `in [0, maxVolatilityScale = ${rules.maxVolatilityScale}]`,
  );
}

/** The position-size multiplier by the rule above; refuses inputs outside their documented ranges. */
export function positionSizeMultiplier(input: SizingInput, rules: SizingRules = DEFAULT_SIZING_RULES): PositionSize {
  checkRules(rules);
  const { winProbability: p, payoffRatio: b, currentDrawdown: drawdown, realizedVolatility: sigma } = input;
  check('winProbability', p, p >= 0 && p <= 1, 'in [0, 1]');
  check('payoffRatio', b, b > 0 && Number.isFinite(b), 'to be a finite number > 0');
  check('currentDrawdown', drawdown, drawdown >= 0 && drawdown <= 1, 'in [0, 1] (a fraction of peak equity)');
  check('realizedVolatility', sigma, sigma >= 0 && Number.isFinite(sigma), 'to be a finite number ≥ 0');

  const limits: SizingLimit[] = [];
  const full = p - (1 - p) / b;
  if (full <= 0) limits.push('no_edge');
  let fraction = rules.kellyFraction * Math.max(full, 0);
  if (fraction > rules.maxKellyFraction) {
    fraction = rules.maxKellyFraction;
    limits.push('max_kelly_fraction');
  }
  const kellyMultiplier = fraction / rules.baseFraction;

  const drawdownScale = Math.max(0, 1 - drawdown / rules.maxDrawdown);
  if (drawdownScale === 0) limits.push('drawdown_stop');

  let volatilityScale = sigma > 0 ? rules.targetVolatility / sigma : Infinity;
  if (volatilityScale > rules.maxVolatilityScale) {
    volatilityScale = rules.maxVolatilityScale;
    limits.push('max_volatility_scale');
  } else if (volatilityScale < rules.minVolatilityScale) {
    volatilityScale = rules.minVolatilityScale;
    limits.push('min_volatility_scale');
  }

  let multiplier = kellyMultiplier * drawdownScale * volatilityScale;
  if (multiplier > rules.maxMultiplier) {
    multiplier = rules.maxMultiplier;
    limits.push('max_multiplier');
  }
  const explanation =
    `Kelly ${fmt(full)} × ${rules.kellyFraction} → ${fmt(fraction)} of equity = ${fmt(kellyMultiplier)}× base; ` +
    `drawdown ${fmt(drawdown)} of max ${rules.maxDrawdown} → ×${fmt(drawdownScale)}; ` +
    `volatility target ${rules.targetVolatility} / ${fmt(sigma)} → ×${fmt(volatilityScale)}; ` +
    `multiplier ${fmt(multiplier)}${limits.length ? ` (limits: ${limits.join(', ')})` : ''}`;
  return {
    multiplier,
    kelly: { full, fraction, multiplier: kellyMultiplier },
    drawdownScale,
    volatilityScale,
    limitsApplied: limits,
    explanation,
  };
}

function fmt(value: number): string {
  return String(Math.round(value * 1e4) / 1e4);
}
