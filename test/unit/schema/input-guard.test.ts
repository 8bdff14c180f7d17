/**
 * The argument guard: every string, list and JSON document in a field's arguments is held to the
 * bounds its input field declares (extensions.bounds, what @Bounded writes) or to DEFAULT_BOUNDS,
 * whatever the nesting, before the resolver runs.
 */
import {
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { InvalidInputError } from '../../../src/lib/errors';
import { checkInputBounds } from '../../../src/schema/input-guard';

const item = new GraphQLInputObjectType({
  name: 'Item',
  fields: {
    path: { type: GraphQLString, extensions: { bounds: { maxLength: 10 } } },
    note: { type: GraphQLString },
  },
});
const input = new GraphQLInputObjectType({
  name: 'Input',
  fields: {
    rows: { type: new GraphQLList(new GraphQLNonNull(new GraphQLList(GraphQLFloat))), extensions: { bounds: { maxItems: [3, 2] } } },
    items: { type: new GraphQLList(item) },
    names: { type: new GraphQLList(GraphQLString), extensions: { bounds: { maxItems: 2, maxLength: 4 } } },
    tags: { type: GraphQLJSONObject, extensions: { bounds: { maxDepth: 2 } } },
  },
});
const mutation = new GraphQLObjectType({
  name: 'Mutation',
  fields: { act: { type: GraphQLString, args: { input: { type: input }, name: { type: GraphQLString } } } },
});
const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }), mutation });

function check(args: Record<string, unknown>): void {
  const info = { parentType: schema.getMutationType()!, fieldName: 'act' };
  void checkInputBounds(args.input, Object, { info, args, context: {}, root: undefined } as never);
}

function refusal(args: Record<string, unknown>): { message: string; field: unknown } {
  try {
    check(args);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return { message: (error as Error).message, field: (error as InvalidInputError).details?.field };
  }
  throw new Error('expected a refusal');
}

it('takes arguments within their bounds', () => {
  expect(() =>
    check({ input: { rows: [[1, 2], [3]], items: [{ path: 'a.json', note: 'x' }], names: ['ab'], tags: { a: 1 } }, name: 'n' }),
  ).not.toThrow();
});

it.each([
  ['too many rows', { input: { rows: [[1], [2], [3], [4]] } }, 'expects rows to hold at most 3 items, but got 4', 'rows'],
  [
    'a row too wide (the inner level of a nested list)',
    { input: { rows: [[1], [1, 2, 3]] } },
    'expects rows[1] to hold at most 2 items, but got 3',
    'rows[1]',
  ],
  [
    'a string over its declared bound in a list of objects',
    { input: { items: [{ path: 'ok' }, { path: 'x'.repeat(11) }] } },
    'expects items[1].path to be at most 10 characters, but got 11',
    'items[1].path',
  ],
  [
    'a string over the default bound',
    { input: { items: [{ note: 'y'.repeat(1_001) }] } },
    'expects items[0].note to be at most 1000 characters, but got 1001',
    'items[0].note',
  ],
  [
    'a list item over its field bound',
    { input: { names: ['abcde'] } },
    'expects names[0] to be at most 4 characters, but got 5',
    'names[0]',
  ],
  ['a list over its field bound', { input: { names: ['a', 'b', 'c'] } }, 'expects names to hold at most 2 items, but got 3', 'names'],
  [
    'a list over the default bound',
    { input: { items: new Array(1_001).fill({}) } },
    'expects items to hold at most 1000 items, but got 1001',
    'items',
  ],
  [
    'JSON deeper than declared',
    { input: { tags: { a: { b: { c: 1 } } } } },
    'expects tags to nest at most 2 levels deep, but got deeper',
    'tags',
  ],
  ['a NUL in a scalar argument', { name: 'a\u0000' }, 'expects name to hold no NUL character, but got one at offset 1', 'name'],
])('refuses %s, naming the field', (_what, args, message, field) => {
  expect(refusal(args)).toEqual({ message, field });
});
