/** Every migration, in order. Listed explicitly so they load the same from source and from dist/. */
import { Foundation1795300000000 } from './1795300000000-foundation';
import { Policies1795300000100 } from './1795300000100-policies';

export const migrations = [Foundation1795300000000, Policies1795300000100];
