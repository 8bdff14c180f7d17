/**
 * Where the sequence engine's Python is, and whether it has PyTorch. Debian's own interpreter
 * (/usr/bin/python3, with python3-torch) is used unless KYBERNET_PYTHON names another: a python3
 * earlier on PATH (a version manager's) usually lacks Debian's torch.
 */
import { spawnSync } from 'node:child_process';
import type { FamilyAvailability } from '../../contract';

const DEBIAN_PYTHON = '/usr/bin/python3';
export const TORCH_INSTALL_HINT = 'run scripts/setup, or as root: apt-get install -y python3-torch libopenblas0-pthread';

export function pythonExecutable(): string {
  return process.env.KYBERNET_PYTHON || DEBIAN_PYTHON;
}

const checked = new Map<string, FamilyAvailability>();

/** Whether the interpreter imports torch (asked once per interpreter and process: it takes about a second). */
export function torchAvailability(): FamilyAvailability {
  const python = pythonExecutable();
  const known = checked.get(python);
  if (known) return known;
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  const availability: FamilyAvailability =
    probe.status === 0
      ? { available: true }
      : {
          available: false,
          reason: probe.error
            ? `PyTorch's interpreter ${python} could not be started (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}); ${TORCH_INSTALL_HINT}`
            : `PyTorch is not installed for ${python}; ${TORCH_INSTALL_HINT}`,
        };
  checked.set(python, availability);
  return availability;
}
