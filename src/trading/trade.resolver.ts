import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import {
  LearningTriggerStatus,
  LogTradeExecutionInput,
  LogTradeOutcomeInput,
  Trade,
  TradeConnection,
  TradeFilter,
  TradeOutcomeResult,
} from './trade.types';
import type { Context } from '../schema/context';

@Resolver(() => Trade)
export class TradeResolver {
  @Authorized('trader')
  @Mutation(() => Trade, {
    description:
      'Logs an executed trade OPEN; the same clientTradeId and payload again returns the same trade, a different payload is CONFLICT.',
  })
  logTradeExecution(@Arg('input') input: LogTradeExecutionInput, @Ctx() { services }: Context) {
    return services.trades.logTradeExecution(input);
  }

  @Authorized('trader')
  @Mutation(() => TradeOutcomeResult, {
    description:
      'Closes a trade, records the outcome of its predictions and counts it towards the next incremental update (learningTrigger).',
  })
  logTradeOutcome(@Arg('input') input: LogTradeOutcomeInput, @Ctx() { services }: Context) {
    return services.trades.logTradeOutcome(input);
  }

  @Authorized('viewer')
  @Query(() => TradeConnection, { description: 'Trades, most recent entry first.' })
  async trades(@Arg('filter', () => TradeFilter, { nullable: true }) filter: TradeFilter | undefined, @Ctx() { services }: Context) {
    const page = await services.trades.searchTrades(filter ?? {});
    return { nodes: page.nodes, pageInfo: page };
  }

  @Authorized('viewer')
  @Query(() => Trade, { description: 'A trade by clientTradeId or id.' })
  trade(@Arg('id') id: string, @Ctx() { services }: Context) {
    return services.trades.getTrade(id);
  }

  @Authorized('viewer')
  @Query(() => LearningTriggerStatus, {
    description: 'Completed trades since the last incremental update, and the threshold that triggers the next.',
  })
  learningTrigger(@Ctx() { services }: Context) {
    return services.learningTrigger.state();
  }
}
