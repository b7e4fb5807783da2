import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/** A static server on the IPv4 loopback, and every path asked of it. */
export interface StaticSite {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The port, for pages that reach the same server as `localhost`, another site. */
  readonly port: number;
  /** Every request's path and query, in order of arrival. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** What the site serves: whole folders by path prefix, single files, and inline pages. */
export interface SiteContents {
  folders: Record<string, string>;
  files: Record<string, string>;
  pages: Record<string, string>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/**
 * Serves `contents` as a plain web server would, with no bundler in between. Every answer
 * allows any origin: sandboxed iframe hosts fetch their scripts with `Origin: null`.
 */
export async function serveSite(contents: SiteContents): Promise<StaticSite> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://site');
    requests.push(url.pathname + url.search);
    response.setHeader('Access-Control-Allow-Origin', '*');
    find(contents, url.pathname).then(
      (found) => {
        if (found === undefined) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, { 'Content-Type': found.type }).end(found.body);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

interface Found {
  body: Buffer | string;
  type: string;
}

async function find(contents: SiteContents, path: string): Promise<Found | undefined> {
  const page = contents.pages[path];
  if (page !== undefined) return { body: page, type: TYPES['.html']! };
  const file = contents.files[path] ?? inFolder(contents.folders, path);
  if (file === undefined) return undefined;
  return { body: await readFile(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}

function inFolder(folders: Record<string, string>, path: string): string | undefined {
  for (const [prefix, folder] of Object.entries(folders)) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(folder, `.${decodeURIComponent(path.slice(prefix.length - 1))}`);
    // Nothing outside the folder, whatever the path says.
    if (file.startsWith(folder + sep)) return file;
  }
  return undefined;
}
