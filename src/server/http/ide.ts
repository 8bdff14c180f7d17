/**
 * The GraphQL IDE for a person with a browser: GET /graphql with Accept: text/html answers the page
 * built from web/ide (GraphiQL, bundled by Vite into dist/web by `npm run build:web`, part of
 * `npm run build`), and /web/* its assets. Everything the page loads comes from this server (its
 * Content-Security-Policy allows nothing else), so it works without internet. Without a build the
 * page says how to make one (503).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The checkout's (or installed package's) root: the nearest folder above this file with Kybernet's package.json. */
function packageRoot(): string {
  let folder = __dirname;
  while (!existsSync(join(folder, 'package.json')) || !existsSync(join(folder, 'migrations'))) {
    const parent = resolve(folder, '..');
    if (parent === folder) return process.cwd();
    folder = parent;
  }
  return folder;
}

const WEB_BUILD_DIR = join(packageRoot(), 'dist/web');

/** Whether the request is a browser navigating (it prefers HTML to JSON). */
function wantsHtml(request: Request): boolean {
  return (
    request.method === 'GET' && request.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html'
  );
}

function contentSecurityPolicy(request: Request): string {
  const host = /^[\w.:[\]-]+$/.test(request.headers.host ?? '') ? request.headers.host : undefined;
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `connect-src 'self'${sockets}`,
    "script-src 'self'",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Routes: /web/* (the built assets) and, mounted on /graphql before the API, the page for browsers. */
export function ideRoutes(buildDir = WEB_BUILD_DIR): {
  assets: Router;
  page: (request: Request, response: Response, next: NextFunction) => void;
} {
  const assets = express.Router();
  assets.use(express.static(buildDir, { index: false, immutable: true, maxAge: '365d', fallthrough: true }));
  const page = (request: Request, response: Response, next: NextFunction) => {
    if (!wantsHtml(request) || request.path !== '/') return next();
    const index = join(buildDir, 'ide/index.html');
    response.setHeader('cache-control', 'no-cache');
    response.setHeader('x-content-type-options', 'nosniff');
    if (!existsSync(index)) {
      response
        .status(503)
        .type('text/plain')
        .send('The GraphQL IDE is not built. Run `npm run build` (or `npm run build:web`) in the Kybernet checkout, then reload.\n');
      return;
    }
    response.setHeader('content-security-policy', contentSecurityPolicy(request));
    response.sendFile(index);
  };
  return { assets, page };
}
