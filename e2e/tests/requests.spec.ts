import { test } from './fixtures.js';

test.describe('requests', () => {
  test('a request from the page gets its typed reply, and an error reply is shown as an error', () => {
    test.fixme(true, 'requests (client.request / client.handle) are not in @herald/client yet; the page has a placeholder panel');
  });
});
