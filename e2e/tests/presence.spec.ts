import { expect, expectPresenceInSync, test, snapshot } from './fixtures.js';

test.describe('presence', () => {
  test('shows subscribers join and drop as Node processes start, close cleanly and get killed', async ({ demo, openPage, spawnMember }) => {
    const page = await openPage({ name: 'Browser-e2e' });
    await expect(page.locator('#state')).toHaveText('open');
    // The page subscribes to the feed, so it is a member of its own presence panel.
    await expectPresenceInSync(page, demo.router, ['Browser-e2e']);
    await expect(page.locator('[data-member-name="Browser-e2e"]')).toHaveAttribute('data-self', '');

    const kirk = spawnMember('Kirk');
    await expectPresenceInSync(page, demo.router, ['Browser-e2e', 'Kirk']);
    const spock = spawnMember('Spock');
    const uhura = spawnMember('Uhura');
    await expectPresenceInSync(page, demo.router, ['Browser-e2e', 'Kirk', 'Spock', 'Uhura']);

    // Each row says who it is and since when it is connected.
    const kirkRow = page.locator('[data-member-name="Kirk"]');
    await expect(kirkRow.locator('.member-name')).toHaveText('Kirk');
    await expect(kirkRow.locator('.member-meta')).toHaveText('node · e2e');
    await expect(kirkRow.locator('.member-since time')).toHaveText(/^since \d\d:\d\d:\d\d$/);
    const since = await kirkRow.locator('.member-since time').getAttribute('datetime');
    const kirkClient = demo.router.clients().find((client) => client.name === 'Kirk');
    expect(since).toBe(kirkClient?.connectedAt.toISOString());
    await snapshot(page, 'presence.png');

    // A clean exit: SIGTERM makes the member close its client.
    expect(await kirk.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await expectPresenceInSync(page, demo.router, ['Browser-e2e', 'Spock', 'Uhura']);
    await expect(page.locator('#presence-activity')).toContainText('Kirk left');

    // An abrupt one: SIGKILL, the router only sees the socket go.
    expect(await spock.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await expectPresenceInSync(page, demo.router, ['Browser-e2e', 'Uhura']);
    await expect(page.locator('#presence-activity')).toContainText('Spock dropped');

    // And one comes back under the same name.
    spawnMember('Kirk');
    await expectPresenceInSync(page, demo.router, ['Browser-e2e', 'Kirk', 'Uhura']);
    await uhura.stop('SIGTERM');
    await expectPresenceInSync(page, demo.router, ['Browser-e2e', 'Kirk']);
  });

  test('two browser pages see each other', async ({ demo, openPage }) => {
    const alice = await openPage({ name: 'Browser-A' });
    await expectPresenceInSync(alice, demo.router, ['Browser-A']);
    const bob = await openPage({ name: 'Browser-B' });
    await expectPresenceInSync(bob, demo.router, ['Browser-A', 'Browser-B']);
    await expectPresenceInSync(alice, demo.router, ['Browser-A', 'Browser-B']);
    await expect(alice.locator('[data-member-name="Browser-B"] .member-meta')).toHaveText(/^browser · Chrome \d+$/);
    // Each page marks itself, not the other.
    await expect(alice.locator('[data-self]')).toHaveAttribute('data-member-name', 'Browser-A');
    await expect(bob.locator('[data-self]')).toHaveAttribute('data-member-name', 'Browser-B');

    await bob.close();
    await expectPresenceInSync(alice, demo.router, ['Browser-A']);
    await expect(alice.locator('#presence-activity')).toContainText('Browser-B left');
  });
});
