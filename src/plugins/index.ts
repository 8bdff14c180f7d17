/**
 * The family registry: the built-in families plus those exported by the npm packages named in
 * KYBERNET_PLUGINS (a package's default export — or `families` export — is a ModelFamily or an
 * array of them). Ids are unique; a second family with a known id is refused at start.
 */
import { z } from 'zod';
import { NotFoundError, quote } from '../lib/errors';
import { parseHyperparameters } from './base/hyperparameters';
import type { ModelFamily } from './contract';
import { lightgbmFamily } from './lightgbm';
import { nhitsFamily } from './nhits';
import { patchtstFamily } from './patchtst';
import { metaStrategyFamily, positionSizingFamily } from './rl';
import { xgboostFamily } from './xgboost';

const builtinFamilies: ModelFamily<any>[] = [
  xgboostFamily,
  lightgbmFamily,
  nhitsFamily,
  patchtstFamily,
  metaStrategyFamily,
  positionSizingFamily,
];

export class FamilyRegistry {
  private readonly byId = new Map<string, ModelFamily<any>>();

  constructor(families: ModelFamily<any>[]) {
    for (const family of families) this.add(family);
  }

  add(family: ModelFamily<any>): void {
    if (this.byId.has(family.id)) throw new Error(`model family "${family.id}" is registered twice`);
    this.byId.set(family.id, family);
  }

  list(): ModelFamily<any>[] {
    return [...this.byId.values()];
  }

  get(id: string): ModelFamily<any> {
    const family = this.byId.get(id);
    if (!family) {
      throw new NotFoundError(`expects a model family among ${[...this.byId.keys()].join(', ')}, but got ${quote(id)}`, {
        field: 'family',
      });
    }
    return family;
  }

  /** Validates and defaults hyperparameters; an invalid field is refused with its path. */
  parseHyperparameters(id: string, raw: unknown): Record<string, unknown> {
    return parseHyperparameters(this.get(id).hyperparameters, raw) as Record<string, unknown>;
  }

  /** The JSON Schema of a family's hyperparameters, for `families`. */
  hyperparameterSchema(id: string): unknown {
    return z.toJSONSchema(this.get(id).hyperparameters, { io: 'input', unrepresentable: 'any' });
  }
}

function isFamily(value: unknown): value is ModelFamily<any> {
  const candidate = value as ModelFamily<any>;
  return !!candidate && typeof candidate.id === 'string' && typeof candidate.train === 'function' && typeof candidate.load === 'function';
}

export async function loadFamilies(pluginPackages: string[]): Promise<FamilyRegistry> {
  const registry = new FamilyRegistry(builtinFamilies);
  for (const name of pluginPackages) {
    const module = (await import(name)) as { default?: unknown; families?: unknown };
    const exported = module.families ?? module.default;
    const families = Array.isArray(exported) ? exported : [exported];
    if (!families.every(isFamily)) {
      throw new Error(`plugin package "${name}" must export a ModelFamily (or an array of them) as default or "families"`);
    }
    for (const family of families) registry.add(family);
  }
  return registry;
}
