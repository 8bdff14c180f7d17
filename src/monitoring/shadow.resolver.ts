import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { ShadowEvaluation } from './shadow.types';
import type { ShadowEvaluation as Evaluation } from './shadow.service';
import type { Context } from '../schema/context';

function toGraphQL(evaluation: Evaluation): ShadowEvaluation {
  const { comparison, thresholds, test } = evaluation;
  return {
    modelVersion: evaluation.shadow,
    activeVersion: evaluation.active,
    decision: evaluation.decision,
    reasons: evaluation.reasons,
    samples: comparison?.samples ?? 0,
    lossName: comparison?.lossName ?? null,
    shadow: comparison?.shadow ?? null,
    active: comparison?.active ?? null,
    improvementPct: comparison?.improvementPct ?? null,
    test: comparison?.test ?? null,
    thresholds: {
      enabled: thresholds.enabled,
      minSamples: thresholds.min_samples,
      maxSamples: thresholds.max_samples,
      minImprovementPct: thresholds.min_improvement_pct,
      maxDrawdownPct: thresholds.max_drawdown_pct,
      significance: thresholds.significance,
    },
    promotionHold: evaluation.promotionHold,
    startedAt: test?.startedAt ?? null,
    recommendedAt: test?.recommendedAt ?? null,
    outcome: test?.outcome ?? null,
    evaluatedAt: evaluation.evaluatedAt,
  };
}

@Resolver(() => ShadowEvaluation)
export class ShadowResolver {
  @Authorized('viewer')
  @Query(() => ShadowEvaluation, {
    description:
      'A SHADOW version against the ACTIVE one on the same requests with outcomes, now; for a version that left SHADOW, its last recorded evaluation.',
  })
  async shadowEvaluation(@Arg('modelVersionId', () => ID) modelVersionId: string, @Ctx() { services }: Context) {
    return toGraphQL(await services.shadow.shadowEvaluation(modelVersionId));
  }
}
