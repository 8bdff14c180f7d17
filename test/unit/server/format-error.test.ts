/**
 * formatError: coded domain errors, request errors as BAD_USER_INPUT, internals masked, server paths and stack traces only
 * when debugging.
 */
import { GraphQLError } from 'graphql';
import { InvalidInputError, NotFoundError } from '../../../src/lib/errors';
import { formatError, withoutServerPaths } from '../../../src/schema/errors';

const quiet = { log: () => {}, debug: false };

describe('formatError', () => {
  it('maps a domain error thrown by a resolver to its code, reason and details', () => {
    const error = new GraphQLError('ignored', {
      path: ['registeredModel'],
      originalError: new NotFoundError('no registered model named "x"', { field: 'model' }),
    });
    expect(formatError({ message: 'ignored', path: ['registeredModel'] }, error, quiet)).toEqual({
      message: 'no registered model named "x"',
      path: ['registeredModel'],
      extensions: { code: 'NOT_FOUND', reason: 'NOT_FOUND', field: 'model' },
    });
  });

  it('counts parse and validation failures as BAD_USER_INPUT, keeping the stage (or a limit reason) as reason', () => {
    expect(
      formatError({ message: 'Syntax Error', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }, new GraphQLError('x'), quiet).extensions,
    ).toEqual({ code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' });
    expect(
      formatError(
        { message: 'too deep', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_DEEP', limit: 12 } },
        new GraphQLError('x'),
        quiet,
      ).extensions,
    ).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_DEEP',
      limit: 12,
    });
  });

  it('masks an internal error (logged in full) and drops Apollo stack traces unless debugging', () => {
    const logged: string[] = [];
    const internal = new TypeError("Cannot read properties of undefined (reading 'id') at /work/main/src/services/x.ts:3:4");
    const formatted = formatError(
      {
        message: internal.message,
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['TypeError', '    at /work/main/src/x.ts:1:1'] },
      },
      internal,
      { log: (m) => logged.push(m), debug: false },
    );
    expect(formatted).toEqual({
      message: 'internal server error; the server log has the details',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(logged.join('\n')).toContain("reading 'id'");
    const debugged = formatError({ message: internal.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, internal, {
      log: () => {},
      debug: true,
    });
    expect(debugged.message).toContain("reading 'id'");
    expect(debugged.extensions?.stacktrace).toEqual(expect.arrayContaining([expect.stringContaining('TypeError')]));
    const validation = formatError(
      { message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['GraphQLError: …'] } },
      new GraphQLError('x'),
      quiet,
    );
    expect(validation.extensions).not.toHaveProperty('stacktrace');
  });

  it('replaces absolute server paths in messages, unless debugging', () => {
    const error = new InvalidInputError(
      "cannot read '/work/main/data/artifacts/models/m/v1/model.json': expects a readable file, but got ENOENT",
      { field: 'files' },
    );
    const formatted = formatError({ message: error.message }, error, quiet);
    expect(formatted.message).toBe("cannot read '<path>': expects a readable file, but got ENOENT");
    expect(formatError({ message: error.message }, error, { ...quiet, debug: true }).message).toContain('/work/main/data');
  });
});

describe('withoutServerPaths', () => {
  it.each([
    ['open /tmp/kybernet-test-abc/pg/postmaster.pid failed', 'open <path> failed'],
    ['see (/usr/lib/x86_64-linux-gnu/libxgboost.so)', 'see (<path>)'],
    ['POST http://127.0.0.1:4000/graphql with application/json', 'POST http://127.0.0.1:4000/graphql with application/json'],
    ['artifact models/m/v1/model.json is missing', 'artifact models/m/v1/model.json is missing'],
    ['expects a ratio like 1/2, but got 3/0', 'expects a ratio like 1/2, but got 3/0'],
  ])('%s', (message, expected) => {
    expect(withoutServerPaths(message)).toBe(expected);
  });
});
