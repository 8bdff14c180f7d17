/**
 * fast-check arbitraries for the arguments of a GraphQL field, generated from its input types, for
 * fuzzing the API: hostile values (huge, NUL, unpaired surrogates, extreme numbers, deep JSON, long
 * lists) mixed with plausible ones (names and ids that exist, so that calls also get past the first
 * check), and now and then a value of the wrong type. `operationFor` writes the document that calls a
 * field with its arguments as variables and selects its leaf fields.
 */
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';

/** Values that exist in the fuzzed app, so that generated calls reach past "not found". */
export interface KnownValues {
  strings: string[];
  ids: string[];
}

const HUGE = 200_000;

function hostileString(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(''),
    fc.constant('x'.repeat(HUGE)),
    fc.constant('é😀'.repeat(600)),
    fc.string({ maxLength: 30 }).map((s) => `${s}\u0000${s}`),
    fc.string({ maxLength: 30 }).map((s) => `${s}\ud800`),
    fc.constant('../../etc/passwd'),
    fc.constant('/etc/passwd'),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ maxLength: 40 }),
  );
}

// Weights: about one value in six is hostile, so that a call with several fields often gets past
// its first check and reaches the service, the database and the answer's serialisation.
function stringOf(known: KnownValues): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known.strings) },
    { weight: 2, arbitrary: hostileString() },
    { weight: 1, arbitrary: fc.uuid() },
  );
}

function floatOf(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0.01, 0.05, 0.5, 1, 2, 10, 100, 101.5, 0, -0.02) },
    { weight: 2, arbitrary: fc.double({ min: -1, max: 1, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(1e308, -1e308, 5e-324, -5e-324, -0, 3.5e38, -3.5e38, 1e15, 1e-12) },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  );
}

function intOf(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 100, 10_001, 2 ** 31 - 1, -(2 ** 31)) },
    { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  );
}

function dateOf(wrong: boolean): fc.Arbitrary<string> {
  const valid = fc.oneof(
    {
      weight: 1,
      arbitrary: fc
        .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom('2024-03-01T14:30:00Z', '2024-03-02T14:30:00.000Z', '2024-03-05T00:00:00Z', '1970-01-01T00:00:00Z'),
    },
  );
  return wrong
    ? fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom('not a date', '2024-02-30T00:00:00Z') })
    : valid;
}

/** JSON documents: ordinary ones, ones nested far too deep, and ones with hostile keys and strings. */
function jsonOf(objectOnly: boolean): fc.Arbitrary<unknown> {
  const deep = fc.integer({ min: 30, max: 200 }).map((depth) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
  });
  const hostileKeys = fc.dictionary(
    hostileString().map((s) => s.slice(0, 64)),
    fc.oneof(floatOf(), hostileString(), fc.constant(null)),
    { maxKeys: 5 },
  );
  const plain = objectOnly
    ? fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
    : fc.jsonValue({ maxDepth: 4 });
  const wide = fc.constant(Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i])));
  return fc.oneof(
    { weight: 8, arbitrary: plain },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: hostileKeys },
    { weight: 1, arbitrary: wide },
  );
}

/**
 * A value of a different type (or an enum value that does not exist), to reach GraphQL's own
 * coercion errors. Short, and never repeated into a long list: graphql-js quotes such a value whole
 * in its message and gives up after 50 of them, which is the error formatter's to bound, not the
 * resolvers' (see the report of issue 13).
 */
function wrongType(): fc.Arbitrary<unknown> {
  return fc.constantFrom('a string', 12, 1.5, true, [1, 2], { a: 1 });
}

/** An arbitrary for a value of `type`; `null`/absence is the caller's choice for nullable fields. `wrong` allows wrong-typed values. */
export function arbitraryFor(type: GraphQLInputType, known: KnownValues, depth = 0, wrong = true): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return arbitraryFor(type.ofType, known, depth, wrong);
  const value = valueArbitrary(type, known, depth, wrong);
  return wrong ? fc.oneof({ weight: 30, arbitrary: value }, { weight: 1, arbitrary: wrongType() }) : value;
}

function valueArbitrary(type: GraphQLInputType, known: KnownValues, depth: number, wrong: boolean): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = arbitraryFor(type.ofType, known, depth + 1, wrong);
    const validItem = arbitraryFor(type.ofType, known, depth + 1, false);
    // A list over the default bound (1,000) of one repeated item, at most ~8 MB of JSON in all.
    const long = fc.tuple(fc.integer({ min: 1_001, max: 12_000 }), validItem).map(([length, one]) => {
      const size = (JSON.stringify(one) ?? 'null').length + 1;
      return new Array(Math.max(1, Math.min(length, Math.floor(8_000_000 / size)))).fill(one);
    });
    return fc.oneof(
      { weight: 12, arbitrary: fc.array(item, { minLength: 1, maxLength: 10 }) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: long },
    );
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return fc.constant({});
    const fields = Object.values(type.getFields());
    const shape = Object.fromEntries(
      fields.map((field) => [
        field.name,
        isNonNullType(field.type)
          ? arbitraryFor(field.type, known, depth + 1, wrong)
          : fc.option(arbitraryFor(field.type, known, depth + 1, wrong), { nil: null }),
      ]),
    );
    const required = fields.filter((field) => isNonNullType(field.type)).map((field) => field.name);
    return fc.record(shape, { requiredKeys: required as never[] });
  }
  if (isEnumType(type)) {
    const values = fc.constantFrom(...type.getValues().map((v) => v.name));
    return wrong ? fc.oneof({ weight: 30, arbitrary: values }, { weight: 1, arbitrary: fc.constant('NOT_A_VALUE') }) : values;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'String':
        return stringOf(known);
      case 'ID':
        return fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...known.ids) },
          { weight: 1, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: hostileString() },
        );
      case 'Int':
        return intOf();
      case 'Float':
        return floatOf();
      case 'Boolean':
        return fc.boolean();
      case 'DateTimeISO':
        return dateOf(wrong);
      case 'JSON':
        return jsonOf(false);
      case 'JSONObject':
        return jsonOf(true);
    }
  }
  throw new Error(`no arbitrary for the input type ${String(type)}; add one to test/helpers/graphql-arbitraries.ts`);
}

/** Arguments of `field` as variables: required ones always, optional ones sometimes. */
export function argumentsFor(field: GraphQLField<unknown, unknown>, known: KnownValues): fc.Arbitrary<Record<string, unknown>> {
  const shape = Object.fromEntries(
    field.args.map((arg) => [
      arg.name,
      isNonNullType(arg.type) ? arbitraryFor(arg.type, known) : fc.option(arbitraryFor(arg.type, known), { nil: null }),
    ]),
  );
  return fc.record(shape, { requiredKeys: field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name) as never[] });
}

/**
 * `mutation ($a: T!, …) { field(a: $a, …) { leaf fields } }`: every leaf field without arguments of the result is selected,
 * so serialising it is tested too.
 */
export function operationFor(field: GraphQLField<unknown, unknown>, kind: 'mutation' | 'query' = 'mutation'): string {
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isObjectType(named)
    ? ` { __typename ${Object.values(named.getFields())
        .filter((child) => child.args.length === 0 && isLeafType(getNamedType(child.type)))
        .map((child) => child.name)
        .join(' ')} }`
    : '';
  return `${kind}${variables ? ` (${variables})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

/**
 * Values near a valid `example` of `type`: each leaf, list and field keeps the example's value most
 * of the time and is otherwise replaced by a generated one (hostile or not), so that a call passes
 * most checks and fails, when it fails, on one or two fields deep inside the service.
 */
export function perturbed(type: GraphQLInputType, example: unknown, known: KnownValues): fc.Arbitrary<unknown> {
  if (example === undefined) return fc.option(arbitraryFor(type, known), { nil: null, freq: 2 });
  if (isNonNullType(type)) return perturbed(type.ofType, example, known);
  const replaced = arbitraryFor(type, known);
  if (isInputObjectType(type) && example !== null && typeof example === 'object' && !Array.isArray(example)) {
    const fields = Object.values(type.getFields());
    const shape = Object.fromEntries(
      fields.map((field) => [field.name, perturbed(field.type, (example as Record<string, unknown>)[field.name], known)]),
    );
    const present = fields
      .filter((field) => isNonNullType(field.type) || (example as Record<string, unknown>)[field.name] !== undefined)
      .map((field) => field.name);
    return fc.oneof({ weight: 8, arbitrary: fc.record(shape, { requiredKeys: present as never[] }) }, { weight: 1, arbitrary: replaced });
  }
  if (isListType(type) && Array.isArray(example)) {
    return fc.oneof(
      { weight: 8, arbitrary: fc.tuple(...example.map((item) => perturbed(type.ofType, item, known))) },
      { weight: 1, arbitrary: replaced },
    );
  }
  return fc.oneof({ weight: 7, arbitrary: fc.constant(example) }, { weight: 1, arbitrary: replaced });
}

/** Arguments of `field`: generated from its types, or (when given) perturbed from a valid example. */
export function fuzzedArguments(
  field: GraphQLField<unknown, unknown>,
  known: KnownValues,
  example?: Record<string, unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  const generated = argumentsFor(field, known);
  if (!example) return generated;
  const near = fc.record(
    Object.fromEntries(field.args.map((arg) => [arg.name, perturbed(arg.type, example[arg.name], known)])),
  ) as fc.Arbitrary<Record<string, unknown>>;
  return fc.oneof({ weight: 1, arbitrary: generated }, { weight: 3, arbitrary: near });
}
