/**
 * What a drift check of a sequence model (task 'forecast') compares per input channel. Pure.
 *
 * A logged forecast request is one window: L rows × C channels, time-major (channel c at step t is
 * value t·C + c; see SequenceShape). Consecutive requests over one series overlap — each new window
 * drops the oldest row and adds one — so pooling every value of every window would count each
 * observation up to L times, and the KS test would see L-fold more (and far from independent) values
 * than there are observations, flagging shifts too small to matter. The newest row of a window is the
 * one observation that request added, so each request contributes its last row: one value per channel,
 * compared with that channel's training distribution (reference.features) as a tabular feature is.
 */
import { InvalidInputError } from '../lib/errors';

/**
 * Each request's newest observation of each of `referenceNames`, in that order: column j holds, per
 * window, the value of channel `channels.indexOf(referenceNames[j])` in the window's last row. A name
 * that is not one of `channels` gets a column of NaN (missing), which the drift check reports as a
 * feature that stopped arriving.
 */
export function latestObservations(
  windows: readonly ArrayLike<number>[],
  channels: readonly string[],
  referenceNames: readonly string[],
): Float64Array[] {
  const C = channels.length;
  windows.forEach((window, w) => {
    if (C === 0 || window.length < C || window.length % C !== 0) {
      throw new InvalidInputError(
        `windows expects whole rows of ${C} channels (${channels.join(', ')}), but window ${w} has ${window.length} values`,
        { field: 'windows' },
      );
    }
  });
  return referenceNames.map((name) => {
    const c = channels.indexOf(name);
    return Float64Array.from(windows, (window) => (c < 0 ? NaN : window[window.length - C + c]));
  });
}
