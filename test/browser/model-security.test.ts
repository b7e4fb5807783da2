import { afterEach, describe, expect, it } from 'vitest';
import { createResourcePool, type ResourcePool } from '../../src/index';
import { catalogModel } from '../../demo/models';
import { rejectsWith } from './faultKit';

const cls = catalogModel('ocr-cls');
let pool: ResourcePool;
afterEach(() => pool?.dispose());

async function sha256Hex(url: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await (await fetch(url)).arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('model integrity', () => {
  it('refuses bytes whose SHA-256 does not match before any connection starts, caches nothing, and loads the right ones', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const starts: string[] = [];
    pool.events.on('connection:start', (e) => starts.push(e.connectionId));
    const good = await sha256Hex(cls.url);
    const bad = good.replace(/^./, (c) => (c === '0' ? '1' : '0'));

    const error = await rejectsWith(pool.getModel({ type: 'vision', name: cls.id, source: cls.url, sha256: bad }));

    expect([error.category, error.code, error.scope]).toEqual(['MODEL_INCOMPATIBLE', 'INTEGRITY_MISMATCH', 'model']);
    expect(starts).toEqual([]);
    expect(pool.stats().models).toEqual([]);
    const handle = await pool.getModel({ type: 'vision', name: cls.id, source: cls.url, sha256: good.toUpperCase() });
    expect(handle.backend).toBe('wasm');
  });
});

describe('model URLs', () => {
  it.each([
    ['javascript:', 'javascript:alert(1)', /must be https:, http:, blob:/],
    ['file:', 'file:///etc/passwd', /must be https:, http:, blob:/],
    ['embedded credentials', `${location.protocol}//user:secret@${location.host}${cls.url}`, /must not embed credentials/],
    ['data: by default', 'data:application/octet-stream;base64,AAAA', /data: model URLs are refused/],
  ])('refuses %s', async (_, source, message) => {
    pool = createResourcePool({ priority: ['wasm'] });

    const error = await rejectsWith(pool.getModel({ type: 'vision', name: 'x', source }));

    expect([error.category, error.code]).toEqual(['INVALID_INPUT', 'URL_REFUSED']);
    expect(error.message).toMatch(message);
    expect(pool.stats().connections).toEqual([]);
  });

  it('accepts a data: URL when allowed', async () => {
    pool = createResourcePool({ priority: ['wasm'], allowDataUrls: true });
    const bytes = new Uint8Array(await (await fetch(cls.url)).arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);

    const handle = await pool.getModel({ type: 'vision', name: 'inline', source: `data:application/octet-stream;base64,${btoa(binary)}` });

    expect(handle.inputNames).toEqual(['x']);
  });

  it('stops a download as soon as it passes the size cap', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxModelMb: 0.25 });
    const det = catalogModel('ocr-det');
    const progress: number[] = [];

    const error = await rejectsWith(pool.getModel({ type: 'vision', name: det.id, source: det.url, onProgress: (p) => progress.push(p.loaded) }));

    expect([error.category, error.code]).toEqual(['RESOURCE', 'MODEL_TOO_LARGE']);
    expect(Math.max(0, ...progress)).toBeLessThanOrEqual(0.25 * 2 ** 20);
    expect(pool.stats().connections).toEqual([]);
  });
});
