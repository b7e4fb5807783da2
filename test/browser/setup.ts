import { deleteDB } from 'idb';
import { afterAll, beforeEach } from 'vitest';

/**
 * Every test starts with no history, and every file leaves none behind: the pool's default
 * database is shared by the whole origin, so what one test measured or crashed would otherwise
 * steer the next one's routing (a pool a file creates at import reads it before any hook runs).
 */
async function forgetHistory(): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const blocked = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deleting the history database was blocked for 5 s')), 5000);
  });
  try {
    await Promise.race([deleteDB('webaccel'), blocked]);
  } finally {
    clearTimeout(timer);
  }
}

beforeEach(forgetHistory);
afterAll(forgetHistory);
