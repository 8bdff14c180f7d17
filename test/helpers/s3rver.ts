/**
 * A real S3 server (s3rver) for tests, in a child process on a free port with its own temp directory.
 *
 * Why a child process: s3rver 3.7 signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3
 * (Node ≥ 17) moved to its legacy provider, so every paged listing answers 500 in a plain Node process.
 * The provider can only be enabled at start-up (--openssl-legacy-provider), so the server gets its own
 * process. It exits when its stdin closes — on `stop()`, or when the test process dies.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RunningS3rver {
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

const LAUNCHER = `
const [s3rverPath, directory, bucket] = process.argv.slice(1);
const S3rver = require(s3rverPath);
process.stdin.on('end', () => process.exit(0)).resume();
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run()
  .then(({ port }) => console.log(JSON.stringify({ port })), (error) => { console.error(error); process.exit(1); });
`;

export async function startS3rver(bucket: string): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'kybernet-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', LAUNCHER, require.resolve('s3rver'), directory, bucket], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening: ${stderr}`)));
  });

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    async stop() {
      child.stdin.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
