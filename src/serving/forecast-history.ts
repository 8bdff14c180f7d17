/**
 * A forecast request's history (rows × channels, oldest first) as the one row a sequence model
 * scores (time-major, see SequenceShape), and a scored row's outputs as horizon rows × targets. Every
 * refusal names the row and channel. Pure: no I/O.
 */
import { InferenceError, InvalidInputError } from '../lib/errors';
import type { SequenceShape } from '../plugins/contract';

const FLOAT32_MAX = 3.4028234663852886e38;

/** Writes `history` into `target` at `offset` (inputLength × channels values), refusing what the model cannot take. */
export function encodeHistory(
  history: (number | null)[][],
  shape: SequenceShape,
  target: Float32Array,
  offset: number,
  field: string,
): void {
  const C = shape.inputChannels.length;
  if (!Array.isArray(history) || history.length !== shape.inputLength) {
    throw new InvalidInputError(
      `${field}: expects ${shape.inputLength} rows (the model's input length, oldest first) of ${C} values (${shape.inputChannels.join(', ')}), ` +
        `but got ${Array.isArray(history) ? history.length : 'no list'}`,
      { field },
    );
  }
  history.forEach((row, t) => {
    if (!Array.isArray(row) || row.length !== C) {
      throw new InvalidInputError(
        `${field}[${t}]: expects ${C} values (${shape.inputChannels.join(', ')}), but got ${Array.isArray(row) ? row.length : 'none'}`,
        {
          field,
        },
      );
    }
    row.forEach((value, c) => {
      if (value === null || value === undefined || Number.isNaN(value)) {
        throw new InvalidInputError(
          `${field}[${t}][${c}] (${shape.inputChannels[c]}) is missing; a forecast needs every value of its history`,
          { field },
        );
      }
      if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
        throw new InvalidInputError(`${field}[${t}][${c}] (${shape.inputChannels[c]}) expects a finite float32, but got ${value}`, {
          field,
        });
      }
      target[offset + t * C + c] = value;
    });
  });
}

/** Rows × targets of one forecast from its outputs (step-major). A value the model could not give (an overflow) fails the forecast. */
export function forecastRows(outputs: ArrayLike<number>, offset: number, shape: SequenceShape): number[][] {
  const K = shape.targets.length;
  return Array.from({ length: shape.horizon }, (_, h) =>
    Array.from({ length: K }, (_, k) => {
      const value = outputs[offset + h * K + k];
      if (Number.isNaN(value)) throw new InferenceError(`the model gave no finite forecast of ${shape.targets[k]} at step ${h + 1}`);
      return value;
    }),
  );
}
