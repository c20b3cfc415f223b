/**
 * `dpuflow serve [--port 8080] [--dir <folder>]`: serves a folder of static files (by default the built
 * playground, playground/dist) on 127.0.0.1 with Node's http module. Paths are confined to the folder.
 */
import type { Command } from 'commander';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../errors.js';

/**
 * The folder `dpuflow serve` uses without --dir: playground/dist under the working directory when it holds a
 * built app, else the one of this package (dist/src/cli/commands → the package root).
 */
export function defaultServeDir(): string {
  const local = path.resolve('playground', 'dist');
  if (fs.existsSync(path.join(local, 'index.html'))) return local;
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  return path.join(pkg, 'playground', 'dist');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.onnx': 'application/octet-stream', '.xmodel': 'application/octet-stream',
};

/** Starts the static server; resolves once listening (port 0 = any free port). */
export function startStaticServer(dir: string, port: number): Promise<http.Server> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    let rel: string;
    try { rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname); } catch { res.writeHead(400).end(); return; }
    let file = path.resolve(root, `.${rel}`);
    if (file !== root && !file.startsWith(root + path.sep)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the built playground (or --dir) on http://127.0.0.1:<port>')
    .option('--port <n>', 'port', '8080')
    .option('--dir <folder>', 'folder to serve (default: the built playground, playground/dist)')
    .action(async (o: { port: string; dir?: string }) => {
      const dir = o.dir ?? defaultServeDir();
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('E_USAGE_PORT', `bad port '${o.port}'`, { fix: 'pass --port 1..65535' });
      if (!fs.existsSync(path.join(dir, 'index.html'))) throw new UsageError('E_USAGE_FILE', `'${dir}' has no index.html`, { file: dir, fix: o.dir ? 'pass a folder with an index.html' : 'build the playground first: npm run build:playground (or npm run playground, which builds and serves it)' });
      const s = await startStaticServer(dir, port);
      const a = s.address();
      process.stdout.write(`serving ${path.resolve(dir)} on http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}/ (Ctrl-C stops)\n`);
    });
}
