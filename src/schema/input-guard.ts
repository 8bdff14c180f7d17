/**
 * The bounds on every argument of every operation, checked before its resolver runs (type-graphql's
 * `validateFn`, after the role check): each string, list and JSON document in the arguments is held
 * to the bounds its input field declares with `@Bounded`, or to DEFAULT_BOUNDS (src/lib/input-bounds).
 * A new input type or mutation is covered without doing anything; a field that needs more room (an
 * artifact's base64, a CSV text, a batch's rows) says so where it is declared.
 *
 * Strings are also refused when they hold a NUL or an unpaired surrogate (Postgres cannot store
 * either as text or jsonb). Numbers are left to the services: GraphQL already refuses non-finite
 * Float and out-of-range Int values, and what range a number may take is a domain rule.
 */
import {
  getNamedType,
  GraphQLID,
  GraphQLString,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from 'graphql';
import { Extensions, type ValidatorFn } from 'type-graphql';
import { checkItems, checkJson, checkText, DEFAULT_BOUNDS, type InputBounds } from '../lib/input-bounds';

const JSON_SCALARS = new Set(['JSON', 'JSONObject']);

/** Declares the bounds of an input field (stored in the field's GraphQL extensions as `bounds`). */
export function Bounded(bounds: InputBounds): PropertyDecorator {
  return Extensions({ bounds }) as PropertyDecorator;
}

function boundsOf(extensions: Readonly<Record<string, unknown>> | null | undefined): InputBounds {
  return (extensions?.bounds as InputBounds | undefined) ?? {};
}

function itemsAt(bounds: InputBounds, level: number): number {
  const { maxItems } = bounds;
  if (maxItems === undefined) return DEFAULT_BOUNDS.maxItems;
  if (typeof maxItems === 'number') return level === 0 ? maxItems : DEFAULT_BOUNDS.maxItems;
  return maxItems[Math.min(level, maxItems.length - 1)];
}

/** Whether values of `type` (a list's item type) need no check of their own: numbers, booleans, enums (not lists of them). */
function isInert(type: GraphQLInputType): boolean {
  const item = isNonNullType(type) ? type.ofType : type;
  if (isListType(item)) return false;
  const named = getNamedType(item);
  return isEnumType(named) || (isScalarType(named) && named !== GraphQLString && named !== GraphQLID && !JSON_SCALARS.has(named.name));
}

/** Checks `value` of GraphQL input type `type` against `bounds`; `level` is the list nesting reached within one field. */
function checkValue(field: string, type: GraphQLInputType, value: unknown, bounds: InputBounds, level = 0): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return checkValue(field, type.ofType, value, bounds, level);
  if (isListType(type)) {
    if (!Array.isArray(value)) return; // a single value coerced to a list by GraphQL arrives as an array; nothing else reaches here
    checkItems(field, value, itemsAt(bounds, level));
    const item = isNonNullType(type.ofType) ? type.ofType.ofType : type.ofType;
    if (isInert(item)) return;
    if (isListType(item) && isInert(item.ofType)) {
      // Rows of numbers (predictBatch): only their lengths to check, without naming each row unless it is refused.
      const max = itemsAt(bounds, level + 1);
      for (let i = 0; i < value.length; i++) {
        const row = value[i];
        if (Array.isArray(row) && row.length > max) checkItems(`${field}[${i}]`, row, max);
      }
      return;
    }
    for (let i = 0; i < value.length; i++) checkValue(`${field}[${i}]`, type.ofType, value[i], bounds, level + 1);
    return;
  }
  if (isInputObjectType(type)) {
    const record = value as Record<string, unknown>;
    for (const child of Object.values(type.getFields())) {
      checkValue(field ? `${field}.${child.name}` : child.name, child.type, record[child.name], boundsOf(child.extensions));
    }
    return;
  }
  if (isScalarType(type)) {
    if (JSON_SCALARS.has(type.name)) checkJson(field, value, bounds);
    else if (typeof value === 'string') checkText(field, value, bounds.maxLength ?? DEFAULT_BOUNDS.maxLength);
  }
}

const checked = new WeakSet<object>();

/**
 * type-graphql calls this once per argument; the first call for a field checks all its arguments
 * (by their GraphQL types, which carry the declared bounds). A field's `input` argument is the root
 * of the field names in refusals ("requestId", "files[0].path"), as the services name them.
 */
export const checkInputBounds: ValidatorFn = (_value, _type, { info, args }) => {
  if (checked.has(info)) return;
  checked.add(info);
  const definition = info.parentType.getFields()[info.fieldName];
  for (const argument of definition?.args ?? []) {
    checkValue(argument.name === 'input' ? '' : argument.name, argument.type, args[argument.name], boundsOf(argument.extensions));
  }
};
