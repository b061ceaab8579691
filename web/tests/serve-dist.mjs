// Serves a built console (web/dist) in front of a running node, with the
// node's security headers, forwarding everything else to the node: a way to
// try console changes without rebuilding the binary.
//
//   node tests/serve-dist.mjs [--dist DIR] [--node 127.0.0.1:8080] [--listen 127.0.0.1:5173]
import { createServer, request } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

export function serveDist({ dist, nodeHost = '127.0.0.1', nodePort, host = '127.0.0.1', port = 0 }) {
  const root = normalize(dist);
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const path = decodeURIComponent(req.url.split('?')[0]);
      if (req.method === 'GET' && (path === '/' || path.startsWith('/assets/'))) {
        const file = normalize(join(root, path === '/' ? 'index.html' : path));
        if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, {
          'Content-Type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
          'Content-Security-Policy': CSP,
          'X-Content-Type-Options': 'nosniff',
          'X-Frame-Options': 'DENY',
          'Referrer-Policy': 'no-referrer',
        });
        res.end(readFileSync(file));
        return;
      }
      const up = request({ host: nodeHost, port: nodePort, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    s.listen(port, host, () => resolve(s));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const [nodeHost, nodePort] = arg('--node', '127.0.0.1:8080').split(':');
  const [host, port] = arg('--listen', '127.0.0.1:5173').split(':');
  const dist = arg('--dist', fileURLToPath(new URL('../dist/', import.meta.url)));
  const s = await serveDist({ dist, nodeHost, nodePort: Number(nodePort), host, port: Number(port) });
  console.log(`console from ${dist} at http://${host}:${s.address().port}/ (API: ${nodeHost}:${nodePort})`);
}
