import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { allowsHttp1 } from './allow-http1.js';

const cert = readFileSync(new URL('../test/fixtures/localhost-cert.pem', import.meta.url));
const key = readFileSync(new URL('../test/fixtures/localhost-key.pem', import.meta.url));

/** An ALPN list in wire format, as tls.Server keeps it. */
const alpn = (...names: string[]): Buffer => Buffer.concat(names.map((name) => Buffer.concat([Buffer.from([name.length]), Buffer.from(name)])));

describe('allowsHttp1', () => {
  it("reads this Node's HTTP/2 secure servers: true only with allowHTTP1: true", () => {
    expect(allowsHttp1(createSecureServer({ cert, key, allowHTTP1: true }))).toBe(true);
    expect(allowsHttp1(createSecureServer({ cert, key }))).toBe(false);
    expect(allowsHttp1(createSecureServer({ cert, key, allowHTTP1: false }))).toBe(false);
  });

  it('falls back to the ALPN list when the options are not kept (another Node, another runtime)', () => {
    expect(allowsHttp1({ ALPNProtocols: alpn('h2', 'http/1.1') })).toBe(true);
    expect(allowsHttp1({ ALPNProtocols: alpn('h2') })).toBe(false);
    // An options symbol holding something else is not taken for the server's options.
    expect(allowsHttp1({ [Symbol('options')]: { allowHTTP1: false }, ALPNProtocols: alpn('h2', 'http/1.1') })).toBe(true);
  });

  it('says nothing (undefined: the server is taken, as before) when neither is there', () => {
    expect(allowsHttp1({})).toBeUndefined();
    expect(allowsHttp1({ ALPNProtocols: ['h2'] })).toBeUndefined();
  });
});
