/**
 * `dpuflow serve [--port 8080] [--dir <folder>]`: serves a folder of static files (by default the built
 * playground, playground/dist) on 127.0.0.1 with Node's http module. Paths are confined to the folder.
 */
import type { Command } from 'commander';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { UsageError } from '../../errors.js';

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
    .option('--dir <folder>', 'folder to serve', 'playground/dist')
    .action(async (o: { port: string; dir: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('E_USAGE_PORT', `bad port '${o.port}'`, { fix: 'pass --port 1..65535' });
      if (!fs.existsSync(path.join(o.dir, 'index.html'))) throw new UsageError('E_USAGE_FILE', `'${o.dir}' has no index.html`, { file: o.dir, fix: 'build the playground first (npm run build:playground) or pass --dir' });
      const s = await startStaticServer(o.dir, port);
      const a = s.address();
      process.stdout.write(`serving ${path.resolve(o.dir)} on http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}/ (Ctrl-C stops)\n`);
    });
}
