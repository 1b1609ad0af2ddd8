/** The demo page's feed of sensor readings, as the specs that check it for gaps read it. */
import type { Page } from '@playwright/test';

/** The `seq` of every sensor reading on the page, oldest first (the feed shows newest first). */
export function readingSeqs(page: Page): Promise<number[]> {
  return page
    .locator('#feed .feed-item[data-topic^="demo.sensors."][data-seq]')
    .evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.seq)).reverse());
}

/** The highest `seq` on the page, 0 before the first reading. */
export async function lastSeq(page: Page): Promise<number> {
  const seqs = await readingSeqs(page);
  return seqs.length === 0 ? 0 : Math.max(...seqs);
}
