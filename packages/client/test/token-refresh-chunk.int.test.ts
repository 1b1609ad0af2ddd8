/**
 * The token refresh is a chunk loaded on first use, beside the first token. When it cannot be
 * loaded (a page whose build was replaced by a deploy, or offline), the connect fails with
 * MODULE_LOAD_FAILED, not as if the token function had failed, and the token function's own
 * failures keep their code.
 */
import { connect } from '@herald/client';
import { rejection, startRouter } from '@herald/testkit';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../src/token-refresh.js', () => {
  throw new TypeError('Failed to fetch dynamically imported module: /assets/token-refresh-x1y2.js');
});

describe('the token refresh chunk cannot be loaded', () => {
  it('rejects connect() with MODULE_LOAD_FAILED (retryable), after the token function ran and succeeded', async () => {
    await using router = await startRouter({ authenticate: () => ({ user: 'chekov', permissions: { allow: {} } }) });
    let tokens = 0;
    const error = (await rejection(connect(router.url, { token: async () => `t${++tokens}`, reconnect: false }))) as { code?: string; retryable?: boolean };
    expect(error.code).toBe('MODULE_LOAD_FAILED');
    expect(error.retryable).toBe(true);
    expect(tokens).toBe(1);
    expect(router.clients()).toEqual([]);
  });

  it('a failing token function is still reported as such (CONNECTION_FAILED)', async () => {
    await using router = await startRouter({ authenticate: () => ({ user: 'chekov', permissions: { allow: {} } }) });
    const error = (await rejection(connect(router.url, { token: () => Promise.reject(new Error('no session')), reconnect: false }))) as { code?: string };
    expect(error.code).toBe('CONNECTION_FAILED');
  });
});
