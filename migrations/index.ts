/** Every migration, in order. Listed explicitly so they load the same from source and from dist/. */
import { Foundation1795300000000 } from './1795300000000-foundation';
import { Policies1795300000100 } from './1795300000100-policies';
import { LearningLoopJobs1795300417000 } from './1795300417000-learning-loop-jobs';
import { TradingInterface1795300500000 } from './1795300500000-trading-interface';
import { RlAgents1795300917000 } from './1795300917000-rl-agents';

import { ShadowDriftHealth1795301000000 } from './1795301000000-shadow-drift-health';
import { ApiKeyChangeNotify1795301300000 } from './1795301300000-api-key-change-notify';
import { FiniteValues1795301400000 } from './1795301400000-finite-values';
import { HealthInsufficientData1795301500000 } from './1795301500000-health-insufficient-data';
import { PredictionsLogWithoutForeignKeys1795301613000 } from './1795301613000-predictions-log-without-foreign-keys';
import { ShadowScoringCursors1795301800000 } from './1795301800000-shadow-scoring-cursors';
import { JobLimitColumns1795301900000 } from './1795301900000-job-limit-columns';
import { ForecastOutcomes1795302000000 } from './1795302000000-forecast-outcomes';
import { ForecastRequests1795302100000 } from './1795302100000-forecast-requests';
import { LearningSwitch1795302300000 } from './1795302300000-learning-switch';
import { GatedCandidates1795302200000 } from './1795302200000-gated-candidates';
import { EvaluationJobs1795302400000 } from './1795302400000-evaluation-jobs';
import { TuningTrials1795302500000 } from './1795302500000-tuning-trials';

export const migrations = [Foundation1795300000000, Policies1795300000100, LearningLoopJobs1795300417000, TradingInterface1795300500000, RlAgents1795300917000, ShadowDriftHealth1795301000000, ApiKeyChangeNotify1795301300000, FiniteValues1795301400000, HealthInsufficientData1795301500000, PredictionsLogWithoutForeignKeys1795301613000, ShadowScoringCursors1795301800000, JobLimitColumns1795301900000, ForecastOutcomes1795302000000, ForecastRequests1795302100000, GatedCandidates1795302200000, LearningSwitch1795302300000, EvaluationJobs1795302400000, TuningTrials1795302500000];
