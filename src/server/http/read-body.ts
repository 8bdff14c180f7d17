/**
 * Reads a JSON request body within bounds: a declared Content-Length over the byte limit is refused
 * before a byte is read; otherwise the body streams through the JSON bounds scanner and is refused
 * as soon as it crosses the byte limit, the nesting bound or the element bound. Only a complete body
 * within all of them is handed to JSON.parse. Refusals are coded errors (LimitExceededError with its
 * HTTP status, InvalidInputError for what is not JSON); the caller answers and closes the connection.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidInputError, KybernetError } from '../../lib/errors';
import { JsonBoundExceeded, JsonBoundsScanner } from './json-bounds';
import { LimitExceededError } from './limit-error';

export interface BodyBounds {
  maxBytes: number;
  /** The environment setting that sets `maxBytes` for this request (named in the refusal). */
  maxBytesSetting: string;
  maxDepth: number;
  maxElements: number;
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

function tooLarge(bytes: number | 'more', bounds: BodyBounds): LimitExceededError {
  const got = bytes === 'more' ? 'more' : `${bytes} bytes`;
  return new LimitExceededError(
    `expects a request body of at most ${bounds.maxBytes} bytes for this API key's role (${bounds.maxBytesSetting}), but got ${got}`,
    413,
    'BODY_TOO_LARGE',
    { limit: bounds.maxBytes, setting: bounds.maxBytesSetting },
  );
}

function boundExceeded(error: JsonBoundExceeded): LimitExceededError {
  return error.bound === 'depth'
    ? new LimitExceededError(
        `expects JSON nested at most ${error.limit} levels deep (KYBERNET_JSON_MAX_DEPTH), but got deeper`,
        400,
        'JSON_TOO_DEEP',
        {
          limit: error.limit,
          setting: 'KYBERNET_JSON_MAX_DEPTH',
        },
      )
    : new LimitExceededError(
        `expects JSON of at most ${error.limit} elements (KYBERNET_JSON_MAX_ELEMENTS), but got more`,
        413,
        'JSON_TOO_MANY_ELEMENTS',
        {
          limit: error.limit,
          setting: 'KYBERNET_JSON_MAX_ELEMENTS',
        },
      );
}

/** Refuses a POST whose body is not declared as JSON (the one body type the API takes). */
export function checkJsonContentType(request: IncomingMessage): void {
  const type = request.headers['content-type'];
  if (!type || !JSON_CONTENT_TYPE.test(type)) {
    throw new InvalidInputError(
      `expects a request body of Content-Type application/json, but got ${type ? JSON.stringify(type.slice(0, 80)) : 'none'}`,
      {
        field: 'Content-Type',
      },
    );
  }
}

/** The declared length, when it is over the limit already (refuse without reading). */
function declaredTooLarge(request: IncomingMessage, bounds: BodyBounds): LimitExceededError | undefined {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) && declared > bounds.maxBytes ? tooLarge(declared, bounds) : undefined;
}

export function readJsonBody(request: IncomingMessage, bounds: BodyBounds): Promise<unknown> {
  const early = declaredTooLarge(request, bounds);
  if (early) return Promise.reject(early);
  const scanner = new JsonBoundsScanner(bounds);
  const chunks: Buffer[] = [];
  let bytes = 0;
  return new Promise<unknown>((resolve, reject) => {
    const stop = (error: unknown) => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', stop);
      // Stop reading: the caller answers and closes the connection, the rest is never read.
      request.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bounds.maxBytes) return stop(tooLarge('more', bounds));
      try {
        scanner.feed(chunk);
      } catch (error) {
        return stop(error instanceof JsonBoundExceeded ? boundExceeded(error) : error);
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      request.off('error', stop);
      const text = Buffer.concat(chunks, bytes).toString('utf8');
      if (text.trim() === '')
        return reject(new InvalidInputError('expects a JSON request body ({"query": …}), but the body is empty', { field: 'body' }));
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(
          new KybernetError(
            'BAD_USER_INPUT',
            `expects the request body to be JSON, but it is not: ${(error as Error).message.slice(0, 200)}`,
            { field: 'body' },
            'INVALID_JSON',
          ),
        );
      }
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', stop);
  });
}
