/**
 * Coded domain errors. Services, plugins and storage throw these; the GraphQL layer maps each code to
 * `extensions.code` in one place (src/schema/errors.ts). Messages follow "expects X, but got Y" so a
 * person knows what to change.
 */
/** The codes clients switch on (ARCHITECTURE.md); finer distinctions travel as `reason`. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INTERNAL_SERVER_ERROR';

export class KybernetError extends Error {
  /** A stable, more specific name than `code`, e.g. MODEL_NOT_READY; sent as `extensions.reason`. */
  readonly reason: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    reason?: string,
  ) {
    super(message);
    this.name = new.target.name;
    this.reason = reason ?? code;
  }
}

/** The caller sent something we cannot use; `field` names the offending input path where known. */
export class InvalidInputError extends KybernetError {
  constructor(message: string, details?: { field?: string } & Record<string, unknown>) {
    super('BAD_USER_INPUT', message, details);
  }
}

export class NotFoundError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
  }
}

/** The request contradicts current state: a duplicate name, a lost race, a transition not allowed. */
export class ConflictError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
  }
}

export class UnauthenticatedError extends KybernetError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends KybernetError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** The model exists but has nothing servable (no ACTIVE version, or its artifact cannot be loaded). */
export class ModelNotReadyError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details, 'MODEL_NOT_READY');
  }
}

export class InferenceError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTERNAL_SERVER_ERROR', message, details, 'INFERENCE_FAILED');
  }
}

/** A stored artifact file does not hash to the SHA-256 recorded when it was written. */
export class ArtifactIntegrityError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTERNAL_SERVER_ERROR', message, details, 'ARTIFACT_INTEGRITY');
  }
}
