import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * A key prefix no one else uses (`bwtest:<label>:<random>:`), for work on a Redis
 * that others share (REDIS_URL): put every key under it, then {@link deleteByPrefix}.
 */
export function uniquePrefix(label = 'test'): string {
  return `bwtest:${label}:${randomBytes(6).toString('hex')}:`;
}

/**
 * Removes every key under `prefix` (SCAN + UNLINK), on a server the caller does
 * not own: nothing else on it is touched, and never a flush of the whole database.
 */
export async function deleteByPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
