/**
 * Whether a TCP port can be listened on, asked by listening on it for a moment: the one answer that
 * holds for every kind of holder (another server, a stopped server's socket in TIME_WAIT does not count).
 */
import { createServer } from 'node:net';

/** Resolves true when `port` on `host` is free, false when it is taken (EADDRINUSE); other errors reject. */
export function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
