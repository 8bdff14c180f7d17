import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Job } from '../platform/jobs/job.types';
import { FoldSchemeInput } from '../schema/validation-scheme.types';

@InputType({
  description:
    'How evaluateModel cuts the rows (in time order) into folds, and the bootstrap of its intervals. Unset fields take their defaults; a field the kind does not use is refused.',
})
export class ValidationSchemeInput extends FoldSchemeInput {
  @Field(() => Int, { nullable: true, description: 'Bootstrap resamples per fold and for the pooled rows (default 500).' })
  resamples?: number | null;

  @Field(() => Float, { nullable: true, description: 'Coverage of the bootstrap intervals (default 0.95).' })
  confidence?: number | null;

  @Field(() => String, { nullable: true, description: 'Seed of the resampling (default "0").' })
  seed?: string | null;

  @Field(() => Float, { nullable: true, description: 'Mean block length of the stationary bootstrap, in rows (default n^(1/3)).' })
  meanBlockLength?: number | null;
}

@InputType()
export class EvaluateModelInput {
  @Field({ description: 'The registered model.' })
  model!: string;

  @Field(() => Int, { description: 'Its version number.' })
  version!: number;

  @Field({ description: 'A labelled dataset (name or id).' })
  dataset!: string;

  @Field(() => ValidationSchemeInput)
  scheme!: ValidationSchemeInput;

  @Field(() => String, {
    nullable: true,
    description:
      'The label column (default: the one the version was trained on); refused for a sequence version, whose targets are input channels.',
  })
  targetColumn?: string | null;

  @Field(() => [String], {
    nullable: true,
    description:
      "One column per feature of the version, in its order (default: the version's feature names); a sequence version: one per input channel (default: its trainingSpec featureColumns), its targets mapped alike.",
  })
  featureColumns?: string[] | null;

  @Field(() => String, { nullable: true, description: 'The time column (default: the one the version was trained on).' })
  orderColumn?: string | null;

  @Field(() => Float, { nullable: true, description: 'The sign strategy is flat while |prediction| ≤ threshold (default 0).' })
  threshold?: number | null;

  @Field(() => Float, { nullable: true, description: 'Periods per year of the annualised trading figures (default 252).' })
  periodsPerYear?: number | null;
}

@ObjectType({ description: 'A figure with its stationary-block-bootstrap percentile interval; null where undefined on these rows.' })
export class BacktestEstimate {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true })
  value!: number | null;

  @Field(() => Float, { nullable: true })
  lower!: number | null;

  @Field(() => Float, { nullable: true })
  upper!: number | null;
}

@ObjectType({ description: "A regression version's prediction interval at one level, from the residuals of the first fold's train rows." })
export class IntervalCoverage {
  @Field(() => Float, { description: 'Nominal level (0.5, 0.8, 0.95).' })
  level!: number;

  @Field(() => Float, { description: 'Added to a prediction: the residual quantile (1 − level)/2.' })
  lowerOffset!: number;

  @Field(() => Float, { description: 'Added to a prediction: the residual quantile (1 + level)/2.' })
  upperOffset!: number;

  @Field(() => BacktestEstimate, { description: 'Share of the test rows whose label lies inside.' })
  coverage!: BacktestEstimate;
}

@ObjectType({ description: 'One bin of the reliability diagram of a binary version.' })
export class ReliabilityBin {
  @Field(() => Float)
  lower!: number;

  @Field(() => Float)
  upper!: number;

  @Field(() => Int)
  count!: number;

  @Field(() => Float, { nullable: true })
  meanPredicted!: number | null;

  @Field(() => Float, { nullable: true })
  observedRate!: number | null;
}

@ObjectType()
export class BacktestCalibration {
  @Field(() => BacktestEstimate, { nullable: true, description: 'Binary: expected calibration error over 10 equal-width bins.' })
  ece!: BacktestEstimate | null;

  @Field(() => [ReliabilityBin], { description: 'Binary: the reliability diagram.' })
  reliability!: ReliabilityBin[];

  @Field(() => [IntervalCoverage], { description: 'Regression: coverage of the 50/80/95 % prediction intervals.' })
  coverage!: IntervalCoverage[];

  @Field(() => [Float], {
    description: 'Regression: the PIT histogram, shares of the test rows in 10 equal bins of [0, 1] (flat when calibrated).',
  })
  pit!: number[];
}

@ObjectType({ description: 'The figures of a set of test rows.' })
export class BacktestSegment {
  @Field(() => Int, { description: 'Test rows scored.' })
  rows!: number;

  @Field(() => Int, { description: 'Test rows without a prediction (left out).' })
  unscoredRows!: number;

  @Field(() => [BacktestEstimate], {
    description: 'rmse, mae, r2, directional_accuracy; or logloss, auc, accuracy, precision, recall, f1.',
  })
  metrics!: BacktestEstimate[];

  @Field(() => BacktestCalibration)
  calibration!: BacktestCalibration;

  @Field(() => [BacktestEstimate], {
    description:
      'The sign strategy on the labels as returns: total_return, annual_return, mean_return, sharpe, sortino, max_drawdown, calmar, profit_factor, hit_rate, var_95, var_99, es_95, es_99, turnover; empty when tradingNote says why.',
  })
  trading!: BacktestEstimate[];

  @Field(() => String, { nullable: true })
  tradingNote!: string | null;

  @Field(() => Float, { description: 'Mean block length of the bootstrap, in rows.' })
  meanBlockLength!: number;
}

@ObjectType({ description: "One fold's test block, scored by the fixed version (not retrained per fold)." })
export class BacktestFold extends BacktestSegment {
  @Field(() => Int)
  fold!: number;

  @Field(() => Int, { description: "Rows of the fold's train ranges (used only for the first fold's residual intervals)." })
  trainRows!: number;

  @Field(() => Int, { description: 'First test row (0-based, rows in time order).' })
  testStart!: number;

  @Field(() => Int, { description: 'One past the last test row.' })
  testEnd!: number;
}

@ObjectType({ description: "A sequence version's MSE and MAE at one horizon step (standardised by targetStd)." })
export class ForecastStepFigures {
  @Field(() => Int, { description: '1 … horizon.' })
  step!: number;

  @Field(() => Float)
  mse!: number;

  @Field(() => Float)
  mae!: number;
}

@ObjectType({
  description:
    'Forecast figures of a set of windows (forecastMetrics): mse and mae standardised by targetStd, the original-scale ones, per step.',
})
export class ForecastFigures {
  @Field(() => Int, { description: 'Windows (window starts) scored.' })
  windows!: number;

  @Field(() => Float)
  mse!: number;

  @Field(() => Float)
  mae!: number;

  @Field(() => Float)
  mseOriginal!: number;

  @Field(() => Float)
  maeOriginal!: number;

  @Field(() => Float, { description: 'Root of mseOriginal.' })
  rmse!: number;

  @Field(() => [ForecastStepFigures])
  steps!: ForecastStepFigures[];
}

@ObjectType({ description: "One fold's test block of window starts, forecast by the fixed version." })
export class ForecastFoldFigures extends ForecastFigures {
  @Field(() => Int)
  fold!: number;

  @Field(() => Int, { description: 'First window start of the test block (0-based, rows in time order).' })
  testStart!: number;

  @Field(() => Int, { description: 'One past the last window start.' })
  testEnd!: number;
}

@ObjectType({
  description:
    'The forecast backtest of a sequence version: a window start s (rows [s, s + inputLength) shown, the next horizon rows forecast) is one row of the scheme.',
})
export class ForecastBacktest {
  @Field(() => Int)
  inputLength!: number;

  @Field(() => Int)
  horizon!: number;

  @Field(() => [String], { description: 'The forecast channels (dataset columns).' })
  targets!: string[];

  @Field(() => [Float], { description: 'The standard deviation each target is divided by in mse, mae and the steps.' })
  targetStd!: number[];

  @Field({ description: "training (the version's scaling.json) or dataset (the dataset's own std, when the version keeps no scaling)." })
  targetStdSource!: string;

  @Field(() => [ForecastFoldFigures])
  folds!: ForecastFoldFigures[];

  @Field(() => ForecastFigures, { description: "Every fold's test windows together." })
  pooled!: ForecastFigures;
}

@ObjectType({ description: 'The backtest of one version: per fold, pooled over every fold, each figure with a bootstrap interval.' })
export class BacktestReport {
  @Field({ description: 'regression, binary or forecast (a sequence version: rows are window starts, see forecast).' })
  task!: string;

  @Field(() => Int, { description: 'Rows of the dataset with a label.' })
  rows!: number;

  @Field(() => [BacktestFold])
  folds!: BacktestFold[];

  @Field(() => BacktestSegment, { description: "Every fold's test rows together." })
  pooled!: BacktestSegment;

  @Field(() => Int, { description: 'Regression: rows whose residuals gave the prediction intervals.' })
  intervalRows!: number;

  @Field(() => Int)
  resamples!: number;

  @Field(() => Float)
  confidence!: number;

  @Field()
  seed!: string;

  @Field(() => Float)
  threshold!: number;

  @Field(() => Float)
  periodsPerYear!: number;

  @Field(() => ForecastBacktest, {
    nullable: true,
    description: 'A sequence version: its forecast figures per fold and pooled; null for tabular versions.',
  })
  forecast?: ForecastBacktest | null;
}

@ObjectType({ description: 'An evaluateModel job and, once it COMPLETED, its report.' })
export class Evaluation {
  @Field(() => ID)
  jobId!: string;

  @Field(() => Job)
  job!: Job;

  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => Int, { nullable: true })
  version!: number | null;

  @Field(() => String, { nullable: true })
  dataset!: string | null;

  @Field(() => BacktestReport, { nullable: true, description: 'Null until the job COMPLETED.' })
  report!: BacktestReport | null;
}
