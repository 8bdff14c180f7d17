/**
 * Answers a request that is refused before GraphQL runs (no key, a body over its limit, not JSON, a
 * rate limit) the way GraphQL answers: a JSON `{ errors: [...] }` with the coded error, and the HTTP
 * status that fits. A refused body is left unread: the connection is closed after the answer, so
 * that the rest of it costs the server nothing.
 */
import type { Response } from 'express';
import type { KybernetError } from '../../lib/errors';
import { formatKybernetError } from '../../schema/errors';

export function sendRefusal(
  response: Response,
  status: number,
  error: KybernetError,
  options: { debug: boolean; close?: boolean; headers?: Record<string, string> },
): void {
  response.status(status);
  response.setHeader('content-type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(options.headers ?? {})) response.setHeader(name, value);
  // Node closes the socket once the answer is written (and never reads the rest of the body).
  if (options.close) response.setHeader('connection', 'close');
  response.end(JSON.stringify({ errors: [formatKybernetError(error, options.debug)] }));
}
