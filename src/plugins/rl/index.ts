/**
 * The tabular Q-learning agents: two model families (kind 'policy') and the pure functions the live
 * service (rl/agents.service.ts) calls per decision (`selectStrategy`, `decidePositionSize`) and per
 * closed trade (`applyOutcome` on a transition whose reward is `metaStrategyReward` /
 * `positionSizingReward`); offline, `marketPeriods` and `periodTransitions` turn bars into transitions.
 */
export * from './q-table';
export * from './q-learning-params';
export * from './q-table-artifact';
export * from './q-learning-family';
export * from './exploration';
export * from './replay-evaluation';
export * from './market-state';
export * from './meta-strategy';
export * from './position-sizing';
export * from './market-replay';
