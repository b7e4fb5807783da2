import { deleteDB } from 'idb';
import { beforeEach } from 'vitest';

/**
 * Every test starts with no history: the pool's default database is shared by the whole origin,
 * so what one test measured or crashed would otherwise steer the next one's routing.
 */
beforeEach(async () => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const blocked = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deleting the history database was blocked for 5 s')), 5000);
  });
  try {
    await Promise.race([deleteDB('webaccel'), blocked]);
  } finally {
    clearTimeout(timer);
  }
});
