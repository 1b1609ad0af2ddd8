import { ErrorCode, HeraldError } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { listenFailed } from './listen-failure.js';

/** A Node error of `listen`, as `net` makes them. */
const nodeError = (code: string, syscall = 'listen'): NodeJS.ErrnoException => Object.assign(new Error(`${syscall} ${code} 127.0.0.1:80`), { code, errno: -13, syscall });

describe('listenFailed: the mapping of a Node listen error to LISTEN_FAILED', () => {
  it.each([
    ['EADDRINUSE', true],
    ['EADDRNOTAVAIL', false],
    ['ENOTFOUND', false],
    ['EAI_AGAIN', true],
    ['EACCES', false],
    ['EPERM', false],
    ['EMFILE', false],
  ])('%s: LISTEN_FAILED with the Node error as cause, retryable %s, an advice of its own', (code, retryable) => {
    const cause = nodeError(code);
    const error = listenFailed(cause, { options: 'port and host', port: 80, host: '127.0.0.1' });
    expect(error).toBeInstanceOf(HeraldError);
    expect([error.code, error.cause, error.retryable]).toEqual([ErrorCode.LISTEN_FAILED, cause, retryable]);
  });

  it('gives EACCES and EPERM (a privileged port) the same advice, and one that no other code gets', () => {
    // The message without the code itself (which it names): what is left is the advice.
    const advice = (code: string): string => listenFailed(nodeError(code), { options: 'server' }).message.replaceAll(code, '');
    expect(advice('EACCES')).toBe(advice('EPERM'));
    expect(['EADDRINUSE', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EMFILE'].map(advice)).not.toContain(advice('EACCES'));
  });
});
