/**
 * The safety clamp every position-sizing decision passes through before it becomes an order, whatever
 * proposed it (the RL sizing agent, a rule, a person). It only ever shrinks a decision: the result
 * never exceeds any limit, and `clampedBy` names every limit the request would have broken.
 *
 * The sizing model: an unscaled position (multiplier 1, leverage 1) commits `basePositionFraction` of
 * equity as margin. A decision scales it, so the new position's
 *   notional / equity = basePositionFraction × sizeMultiplier × leverage
 *   loss at the stop / equity = notional / equity × stopDistance
 * and the limits bound those two figures, the leverage and the number of open positions.
 */
import { requireFinite } from './errors';

export type RiskLimitName = 'maxOpenPositions' | 'maxLeverage' | 'maxRiskPerTrade' | 'maxGrossExposure';

export interface RiskLimits {
  /** Largest loss at the stop of one new position, as a fraction of equity (0.02 = 2 %). */
  maxRiskPerTrade: number;
  /** At least 1. */
  maxLeverage: number;
  /** A new position is refused (multiplier 0) once this many are open. */
  maxOpenPositions: number;
  /** Largest gross notional of the open positions plus the new one, as a multiple of equity; absent = no cap. */
  maxGrossExposure?: number;
}

export interface PortfolioRisk {
  /** Account equity in the account currency, > 0. */
  equity: number;
  openPositions: number;
  /** Gross notional of the open positions, in the account currency. */
  grossExposure: number;
  /** Distance from entry to the stop as a fraction of the entry price (0.02 = 2 %), in (0, 1]. */
  stopDistance: number;
  /** Margin of an unscaled position as a fraction of equity (0.1 = 10 %). */
  basePositionFraction: number;
}

export interface SizingDecision {
  sizeMultiplier: number;
  leverage: number;
}

/** One limit's cut: which quantity of the decision it shrank, from what to what. */
export interface RiskLimitCut {
  limit: RiskLimitName;
  quantity: 'leverage' | 'size multiplier';
  from: number;
  to: number;
}

export interface ClampedSizing extends SizingDecision {
  /** The limits the requested decision would have broken, in the order they were applied. */
  clampedBy: RiskLimitName[];
  /** What each of them cut, in the same order. */
  cuts: RiskLimitCut[];
  /** Notional of the new position / equity. */
  notionalFraction: number;
  /** Loss at the stop of the new position / equity. */
  riskFraction: number;
}

function notionalFraction(portfolio: PortfolioRisk, decision: SizingDecision): number {
  return portfolio.basePositionFraction * decision.sizeMultiplier * decision.leverage;
}

function riskFraction(portfolio: PortfolioRisk, decision: SizingDecision): number {
  return notionalFraction(portfolio, decision) * portfolio.stopDistance;
}

/** Gross notional of the open positions plus the new one, as a multiple of equity. */
function grossExposureAfter(portfolio: PortfolioRisk, decision: SizingDecision): number {
  return portfolio.grossExposure / portfolio.equity + notionalFraction(portfolio, decision);
}

/** Returns the decision shrunk until no limit is broken, and which limits shrank it. */
export function clampPositionSize(limits: RiskLimits, portfolio: PortfolioRisk, decision: SizingDecision): ClampedSizing {
  validateLimits(limits);
  validatePortfolio(portfolio);
  validateDecision(decision);

  const cuts: RiskLimitCut[] = [];
  let leverage = decision.leverage;
  if (leverage > limits.maxLeverage) {
    cuts.push({ limit: 'maxLeverage', quantity: 'leverage', from: leverage, to: limits.maxLeverage });
    leverage = limits.maxLeverage;
  }

  let sizeMultiplier = decision.sizeMultiplier;
  const cutSize = (limit: RiskLimitName, to: number) => {
    cuts.push({ limit, quantity: 'size multiplier', from: sizeMultiplier, to });
    sizeMultiplier = to;
  };
  if (portfolio.openPositions >= limits.maxOpenPositions && sizeMultiplier > 0) cutSize('maxOpenPositions', 0);

  const perUnitNotional = portfolio.basePositionFraction * leverage;
  const withinRisk = largestWithin(
    sizeMultiplier,
    limits.maxRiskPerTrade / (perUnitNotional * portfolio.stopDistance),
    (m) => riskFraction(portfolio, { sizeMultiplier: m, leverage }) <= limits.maxRiskPerTrade,
  );
  if (withinRisk < sizeMultiplier) cutSize('maxRiskPerTrade', withinRisk);

  const maxGross = limits.maxGrossExposure;
  if (maxGross !== undefined) {
    const withinExposure = largestWithin(
      sizeMultiplier,
      (maxGross - portfolio.grossExposure / portfolio.equity) / perUnitNotional,
      (m) => grossExposureAfter(portfolio, { sizeMultiplier: m, leverage }) <= maxGross,
    );
    if (withinExposure < sizeMultiplier) cutSize('maxGrossExposure', withinExposure);
  }

  const result = { sizeMultiplier, leverage };
  return {
    ...result,
    clampedBy: cuts.map((cut) => cut.limit),
    cuts,
    notionalFraction: notionalFraction(portfolio, result),
    riskFraction: riskFraction(portfolio, result),
  };
}

/** The cuts in words, naming each quantity: "maxLeverage cut leverage 10 → 3; maxRiskPerTrade cut the size multiplier 1.5 → 0.3333". */
export function describeCuts(cuts: readonly RiskLimitCut[]): string {
  const figure = (value: number) => String(Number(value.toPrecision(4)));
  return cuts
    .map(
      (cut) =>
        `${cut.limit} cut ${cut.quantity === 'leverage' ? 'leverage' : 'the size multiplier'} ${figure(cut.from)} → ${figure(cut.to)}`,
    )
    .join('; ');
}

/**
 * `requested` when it fits, else the solved bound (0 when negative). The bound is solved in real
 * arithmetic and can overshoot the limit's own floating-point expression by a rounding error, so it
 * is stepped down until `fits` holds exactly — the guarantee is on the expression callers will check.
 */
function largestWithin(requested: number, bound: number, fits: (m: number) => boolean): number {
  if (fits(requested)) return requested;
  let m = Math.max(0, Math.min(requested, bound));
  while (m > 0 && !fits(m)) m = Math.max(0, m - Math.max(m * Number.EPSILON, Number.MIN_VALUE));
  return m;
}

function validateLimits(limits: RiskLimits): void {
  requireFinite('limits.maxRiskPerTrade', limits.maxRiskPerTrade, 'a fraction of equity in (0, 1]', (v) => v > 0 && v <= 1);
  requireFinite('limits.maxLeverage', limits.maxLeverage, 'a number ≥ 1', (v) => v >= 1);
  requireFinite('limits.maxOpenPositions', limits.maxOpenPositions, 'an integer ≥ 0', (v) => Number.isInteger(v) && v >= 0);
  if (limits.maxGrossExposure !== undefined) {
    requireFinite('limits.maxGrossExposure', limits.maxGrossExposure, 'a multiple of equity > 0', (v) => v > 0);
  }
}

function validatePortfolio(portfolio: PortfolioRisk): void {
  requireFinite('portfolio.equity', portfolio.equity, 'an amount > 0', (v) => v > 0);
  requireFinite('portfolio.openPositions', portfolio.openPositions, 'an integer ≥ 0', (v) => Number.isInteger(v) && v >= 0);
  requireFinite('portfolio.grossExposure', portfolio.grossExposure, 'an amount ≥ 0', (v) => v >= 0);
  requireFinite('portfolio.stopDistance', portfolio.stopDistance, 'a fraction of the entry price in (0, 1]', (v) => v > 0 && v <= 1);
  requireFinite('portfolio.basePositionFraction', portfolio.basePositionFraction, 'a fraction of equity > 0', (v) => v > 0);
}

function validateDecision(decision: SizingDecision): void {
  requireFinite('decision.sizeMultiplier', decision.sizeMultiplier, 'a number ≥ 0', (v) => v >= 0);
  requireFinite('decision.leverage', decision.leverage, 'a number ≥ 1', (v) => v >= 1);
}
