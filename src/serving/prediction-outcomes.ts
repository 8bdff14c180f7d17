/**
 * The predictions ⨝ outcomes join, in SQL: a logged prediction (`predictions` row) with the outcome
 * recorded for its request (`request_outcomes` row `o`, keyed by model and request id), as the shadow
 * tester, drift, health and the predictions listing read them. An outcome belongs to a model's
 * request, not to a version: the ACTIVE and every SHADOW prediction of that request meet the same one.
 */

export interface OutcomeJoin {
  /** LEFT JOIN: keep the predictions that have no outcome yet (their `o` columns null). */
  left?: boolean;
  /** The alias of the predictions row in the query; `p` by default. */
  prediction?: string;
  /** The model id the outcome is matched on: the prediction's own `registered_model_id`, or a query parameter such as `$1`. */
  model?: string;
}

/** `[LEFT] JOIN request_outcomes o ON …` for the query's predictions row. */
export function joinOutcomes({ left = false, prediction = 'p', model = `${prediction}.registered_model_id` }: OutcomeJoin = {}): string {
  return `${left ? 'LEFT JOIN' : 'JOIN'} request_outcomes o ON o.registered_model_id = ${model} AND o.request_id = ${prediction}.request_id`;
}

/**
 * A forecast's loss against its realised rows, in SQL: the mean squared error over every step and target
 * of the predictions row `prediction` (its `outputs`) and the outcome `o` (its `actuals`); null where
 * the outcome has no actuals or they are not of the forecast's size.
 */
export function forecastLossSql(prediction = 'p'): string {
  return forecastErrorSql(prediction, (difference) => `${difference} ^ 2`);
}

/** forecastLossSql's sibling: the mean absolute error over every step and target. */
export function forecastAbsoluteErrorSql(prediction = 'p'): string {
  return forecastErrorSql(prediction, (difference) => `abs(${difference})`);
}

/**
 * The mean of `error` of each output's difference from its realised value; null unless both have the
 * forecast's size. Both are real (float32): the difference is taken in float8, not rounded to float32.
 */
function forecastErrorSql(prediction: string, error: (difference: string) => string): string {
  return `(SELECT CASE WHEN count(*) = cardinality(${prediction}.outputs) THEN avg(${error('(f.x::float8 - f.y::float8)')}) END
           FROM unnest(${prediction}.outputs, o.actuals) AS f(x, y) WHERE f.x IS NOT NULL AND f.y IS NOT NULL)`;
}
