/** The signature of a sequence model from its shape (see SequenceShape in contract.ts for the layout). */
import type { ModelSignature, SequenceShape } from '../contract';

/** `${target}@${step}`, step-major: every target at step 1, then at step 2, … */
export function forecastOutputNames(targets: string[], horizon: number): string[] {
  return Array.from({ length: horizon }, (_, h) => targets.map((target) => `${target}@${h + 1}`)).flat();
}

export function sequenceSignature(shape: SequenceShape): ModelSignature {
  return {
    task: 'forecast',
    inputWidth: shape.inputLength * shape.inputChannels.length,
    outputs: forecastOutputNames(shape.targets, shape.horizon),
    allowsMissing: false,
    sequence: shape,
  };
}
