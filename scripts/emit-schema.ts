/** Writes src/schema/schema.graphql from the resolvers (run by `npm run schema`; a test checks it is current). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printKybernetSchema } from '../src/server/schema';

printKybernetSchema().then((sdl) => {
  writeFileSync(resolve(__dirname, '../src/schema/schema.graphql'), sdl);
  console.log('wrote src/schema/schema.graphql');
});
