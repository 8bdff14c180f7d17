/**
 * A thin typed binding to the XGBoost C API (libxgboost, Debian's libxgboost0) through koffi.
 *
 * Every handle is owned by one DMatrix or Booster object and released by its `free()`; callers free in
 * `finally`. Every non-zero return becomes an XGBoostError carrying XGBGetLastError's message. The
 * library is loaded on first use, so code that only reads or serves models never needs it.
 *
 * Calls are synchronous and run on the calling thread: XGBoost keeps its last error per thread, so
 * the call and XGBGetLastError must happen on the same one.
 */
import koffi from 'koffi';

/** The soname Debian's libxgboost0 installs under /usr/lib/x86_64-linux-gnu (its file is libxgboost.so.1.6.0). */
const LIBRARY = 'libxgboost.so.0';

class XGBoostError extends Error {
  constructor(
    readonly call: string,
    readonly libraryMessage: string,
  ) {
    super(`${call} failed: ${libraryMessage}`);
    this.name = 'XGBoostError';
  }
}

type Handle = bigint;

interface Api {
  XGBGetLastError(): string;
  XGDMatrixCreateFromMat(data: Float32Array, rows: number, cols: number, missing: number, out: [Handle | null]): number;
  XGDMatrixSetFloatInfo(handle: Handle, field: string, values: Float32Array, length: number): number;
  XGDMatrixFree(handle: Handle): number;
  XGBoosterCreate(cache: Handle[], length: number, out: [Handle | null]): number;
  XGBoosterFree(handle: Handle): number;
  XGBoosterSetParam(handle: Handle, name: string, value: string): number;
  XGBoosterUpdateOneIter(handle: Handle, iteration: number, train: Handle): number;
  XGBoosterEvalOneIter(handle: Handle, iteration: number, sets: Handle[], names: string[], length: number, out: [string | null]): number;
  XGBoosterBoostedRounds(handle: Handle, out: [number]): number;
  XGBoosterSaveModelToBuffer(handle: Handle, config: string, length: [number | bigint], out: [Handle | null]): number;
  XGBoosterLoadModelFromBuffer(handle: Handle, bytes: Uint8Array, length: number): number;
  XGBoosterPredictFromDMatrix(
    handle: Handle,
    matrix: Handle,
    config: string,
    shape: [Handle | null],
    dimensions: [number | bigint],
    out: [Handle | null],
  ): number;
  XGBoosterSlice(handle: Handle, begin: number, end: number, step: number, out: [Handle | null]): number;
}

let api: Api | undefined;

function load(): Api {
  if (api) return api;
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(LIBRARY);
  } catch (cause) {
    throw new Error(
      `the XGBoost family needs the native library ${LIBRARY}, which could not be loaded ` +
        `(${(cause as Error).message}); install it with: apt-get install -y libxgboost0`,
    );
  }
  // Handles are plain `void *` (BigInt in koffi 3): a named koffi type would be registered once per
  // process and clash when the module is loaded again (Jest re-requires modules per test file).
  const fn = (signature: string) => lib.func(signature);
  api = {
    XGBGetLastError: fn('const char *XGBGetLastError()'),
    XGDMatrixCreateFromMat: fn(
      'int XGDMatrixCreateFromMat(const float *data, uint64_t nrow, uint64_t ncol, float missing, _Out_ void **out)',
    ),
    XGDMatrixSetFloatInfo: fn('int XGDMatrixSetFloatInfo(void *handle, const char *field, const float *array, uint64_t len)'),
    XGDMatrixFree: fn('int XGDMatrixFree(void *handle)'),
    XGBoosterCreate: fn('int XGBoosterCreate(void **dmats, uint64_t len, _Out_ void **out)'),
    XGBoosterFree: fn('int XGBoosterFree(void *handle)'),
    XGBoosterSetParam: fn('int XGBoosterSetParam(void *handle, const char *name, const char *value)'),
    XGBoosterUpdateOneIter: fn('int XGBoosterUpdateOneIter(void *handle, int iter, void *dtrain)'),
    XGBoosterEvalOneIter: fn(
      'int XGBoosterEvalOneIter(void *handle, int iter, void **dmats, const char **evnames, uint64_t len, _Out_ const char **out_result)',
    ),
    XGBoosterBoostedRounds: fn('int XGBoosterBoostedRounds(void *handle, _Out_ int *out)'),
    XGBoosterSaveModelToBuffer: fn(
      'int XGBoosterSaveModelToBuffer(void *handle, const char *config, _Out_ uint64_t *out_len, _Out_ void **out_dptr)',
    ),
    XGBoosterLoadModelFromBuffer: fn('int XGBoosterLoadModelFromBuffer(void *handle, const void *buf, uint64_t len)'),
    XGBoosterPredictFromDMatrix: fn(
      'int XGBoosterPredictFromDMatrix(void *handle, void *dmat, const char *config, _Out_ void **out_shape, _Out_ uint64_t *out_dim, _Out_ void **out_result)',
    ),
    XGBoosterSlice: fn('int XGBoosterSlice(void *handle, int begin_layer, int end_layer, int step, _Out_ void **out)'),
  } as Api;
  return api;
}

/** Throws the library's own message (without its native stack trace) when `status` is not 0. */
function check(call: string, status: number): void {
  if (status === 0) return;
  const message = load().XGBGetLastError() ?? '';
  throw new XGBoostError(call, message.split('\n\nStack trace:')[0].trim());
}

function handleOf(call: string, out: [Handle | null]): Handle {
  if (out[0] === null) throw new XGBoostError(call, 'returned no handle');
  return out[0];
}

/** Copies `bytes` bytes from library-owned memory, which stays valid only until the next call on that handle. */
function copyOut(pointer: Handle | null, bytes: number): ArrayBuffer {
  if (bytes === 0) return new ArrayBuffer(0);
  if (pointer === null) throw new XGBoostError('copyOut', 'returned a null buffer');
  return koffi.view(pointer, bytes).slice(0);
}

abstract class NativeHandle {
  #handle: Handle | null;

  protected constructor(handle: Handle) {
    this.#handle = handle;
  }

  get handle(): Handle {
    if (this.#handle === null) throw new Error(`${this.constructor.name} used after free()`);
    return this.#handle;
  }

  /** Releases the native handle; safe to call twice. */
  free(): void {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    this.release(handle);
  }

  protected abstract release(handle: Handle): void;
}

/** A dense float32 matrix in XGBoost's memory; NaN marks a missing value. */
export class DMatrix extends NativeHandle {
  private constructor(
    handle: Handle,
    readonly rows: number,
    readonly cols: number,
  ) {
    super(handle);
  }

  /** `features` is rows × cols, row-major. `label`, when given, has one value per row. */
  static fromDense(features: Float32Array, rows: number, cols: number, label?: Float32Array): DMatrix {
    if (features.length !== rows * cols) {
      throw new RangeError(`expects ${rows} × ${cols} = ${rows * cols} values, but got ${features.length}`);
    }
    const lib = load();
    const out: [Handle | null] = [null];
    check('XGDMatrixCreateFromMat', lib.XGDMatrixCreateFromMat(features, rows, cols, NaN, out));
    const matrix = new DMatrix(handleOf('XGDMatrixCreateFromMat', out), rows, cols);
    if (label) {
      try {
        matrix.setFloatInfo('label', label);
      } catch (error) {
        matrix.free();
        throw error;
      }
    }
    return matrix;
  }

  setFloatInfo(field: 'label' | 'weight' | 'base_margin', values: Float32Array): void {
    if (values.length !== this.rows) {
      throw new RangeError(`expects one ${field} per row (${this.rows}), but got ${values.length}`);
    }
    check('XGDMatrixSetFloatInfo', load().XGDMatrixSetFloatInfo(this.handle, field, values, values.length));
  }

  protected release(handle: Handle): void {
    check('XGDMatrixFree', load().XGDMatrixFree(handle));
  }
}

export interface PredictOptions {
  /** The raw margin (sum of leaves plus base score) instead of the objective's transformed prediction. */
  margin?: boolean;
  /** Trees of boosting rounds [begin, end); end 0 means all rounds. */
  iterationBegin?: number;
  iterationEnd?: number;
}

export class Booster extends NativeHandle {
  private constructor(handle: Handle) {
    super(handle);
  }

  /** A new booster; `cache` holds the matrices it will be trained or evaluated on (may be empty). */
  static create(cache: DMatrix[] = []): Booster {
    const lib = load();
    const out: [Handle | null] = [null];
    check(
      'XGBoosterCreate',
      lib.XGBoosterCreate(
        cache.map((m) => m.handle),
        cache.length,
        out,
      ),
    );
    return new Booster(handleOf('XGBoosterCreate', out));
  }

  /** A booster read from a model buffer (JSON or UBJSON as XGBoosterSaveModelToBuffer writes them). */
  static fromModel(bytes: Uint8Array, cache: DMatrix[] = []): Booster {
    const booster = Booster.create(cache);
    try {
      check('XGBoosterLoadModelFromBuffer', load().XGBoosterLoadModelFromBuffer(booster.handle, bytes, bytes.length));
      return booster;
    } catch (error) {
      booster.free();
      throw error;
    }
  }

  setParam(name: string, value: string | number | boolean): void {
    check('XGBoosterSetParam', load().XGBoosterSetParam(this.handle, name, String(value)));
  }

  setParams(params: Record<string, string | number | boolean>): void {
    for (const [name, value] of Object.entries(params)) this.setParam(name, value);
  }

  /** Runs one boosting round on `train`; `iteration` is the round's number in the model. */
  updateOneIter(iteration: number, train: DMatrix): void {
    check('XGBoosterUpdateOneIter', load().XGBoosterUpdateOneIter(this.handle, iteration, train.handle));
  }

  /** The library's evaluation line, e.g. "[3]\ttrain-rmse:0.41\tvalid-rmse:0.52". */
  evalOneIter(iteration: number, sets: Array<{ name: string; matrix: DMatrix }>): string {
    const out: [string | null] = [null];
    check(
      'XGBoosterEvalOneIter',
      load().XGBoosterEvalOneIter(
        this.handle,
        iteration,
        sets.map((s) => s.matrix.handle),
        sets.map((s) => s.name),
        sets.length,
        out,
      ),
    );
    return out[0] ?? '';
  }

  boostedRounds(): number {
    const out: [number] = [0];
    check('XGBoosterBoostedRounds', load().XGBoosterBoostedRounds(this.handle, out));
    return out[0];
  }

  /** The model in XGBoost's JSON format, as UTF-8 bytes. */
  saveJson(): Uint8Array {
    const length: [number | bigint] = [0];
    const out: [Handle | null] = [null];
    check('XGBoosterSaveModelToBuffer', load().XGBoosterSaveModelToBuffer(this.handle, '{"format":"json"}', length, out));
    return new Uint8Array(copyOut(out[0], Number(length[0])));
  }

  /** One value per row (single-output models): the prediction, or the margin with `margin: true`. */
  predict(matrix: DMatrix, options: PredictOptions = {}): Float32Array {
    const config = JSON.stringify({
      type: options.margin ? 1 : 0,
      training: false,
      iteration_begin: options.iterationBegin ?? 0,
      iteration_end: options.iterationEnd ?? 0,
      strict_shape: false,
    });
    const shape: [Handle | null] = [null];
    const dimensions: [number | bigint] = [0];
    const out: [Handle | null] = [null];
    check('XGBoosterPredictFromDMatrix', load().XGBoosterPredictFromDMatrix(this.handle, matrix.handle, config, shape, dimensions, out));
    const dims = Number(dimensions[0]);
    const extents = dims === 0 ? [] : (koffi.decode(shape[0], 'uint64_t', dims) as ArrayLike<number | bigint>);
    let size = 1;
    for (let i = 0; i < dims; i++) size *= Number(extents[i]);
    if (size !== matrix.rows) {
      throw new XGBoostError('XGBoosterPredictFromDMatrix', `expected one output per row (${matrix.rows}), got ${size}`);
    }
    return new Float32Array(copyOut(out[0], size * Float32Array.BYTES_PER_ELEMENT));
  }

  /** A new booster holding the trees of rounds [begin, end). */
  slice(begin: number, end: number): Booster {
    const out: [Handle | null] = [null];
    check('XGBoosterSlice', load().XGBoosterSlice(this.handle, begin, end, 1, out));
    return new Booster(handleOf('XGBoosterSlice', out));
  }

  protected release(handle: Handle): void {
    check('XGBoosterFree', load().XGBoosterFree(handle));
  }
}
