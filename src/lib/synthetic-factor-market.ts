/**
 * A seeded market of factor signals for the learning-loop demo and its end-to-end test: each hour an
 * orchestrator sees four standardised signals of one symbol and trades on the next hour's return,
 * which the signals predict in a way that changes with the regime:
 *
 *   | regime   | signals                          | next-hour return                                   |
 *   | -------- | -------------------------------- | -------------------------------------------------- |
 *   | CALM     | all N(0, 1)                      | 0.010·(0.8·momentum − 0.5·value) + 0.004·noise     |
 *   | VOLATILE | volatility shifted by +3σ        | 0.012·(0.5·momentum + 0.8·value) + 0.006·noise     |
 *
 * A model of the CALM market calls about half of the VOLATILE directions right (the two loadings are
 * orthogonal), and the shift of `volatility` shows the change to a drift check. Hours are independent
 * draws, so a window of them is a fair sample of its regime (unlike indicators over overlapping bars,
 * see synthetic-market.ts). The same seed gives the same hours.
 */
import seedrandom from 'seedrandom';

export const FACTOR_NAMES = ['momentum', 'value', 'volatility', 'flow'] as const;
export type FactorRegime = 'CALM' | 'VOLATILE';

export interface FactorHour {
  /** 0, 1, 2, … in the order drawn. */
  index: number;
  regime: FactorRegime;
  /** In FACTOR_NAMES order. */
  features: number[];
  entryPrice: number;
  /** The price an hour later: entryPrice · (1 + ret). */
  exitPrice: number;
  ret: number;
}

/** The market above; each call draws the next hour in `regime`, the price carried on from the last. */
export function syntheticFactorMarket(seed: string | number, startPrice = 100): (regime: FactorRegime) => FactorHour {
  const random = seedrandom(String(seed));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  let index = 0;
  let price = startPrice;
  return (regime) => {
    const [momentum, value, volatility, flow] = [normal(), normal(), normal() + (regime === 'VOLATILE' ? 3 : 0), normal()];
    const ret =
      regime === 'CALM'
        ? 0.01 * (0.8 * momentum - 0.5 * value) + 0.004 * normal()
        : 0.012 * (0.5 * momentum + 0.8 * value) + 0.006 * normal();
    const hour = {
      index: index++,
      regime,
      features: [momentum, value, volatility, flow],
      entryPrice: price,
      exitPrice: price * (1 + ret),
      ret,
    };
    price = hour.exitPrice;
    return hour;
  };
}
