// An anonymous visitor chats, then logs in on the host site (obrol('login') → link-user): the
// conversation becomes part of the account's history, on this browser and on another device.
// obrol('logout') starts a fresh anonymous browser identity.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

const USER = { ossUserId: 'USER123', email: 'user@example.com' };
const TOPIC = 'Pertanyaan sebelum login';

describe('login keeps history, logout forgets the browser', () => {
  let server, browser, page, anonUuid;
  before(async () => {
    server = await H.startServer();
    browser = await H.launch();
    page = await H.newPage(browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('an anonymous visitor chats (nobody online: the message waits)', async () => {
    await page.goto(server.url + '/');
    await H.startWidgetChat(page, { topic: TOPIC, message: 'Pesan sebagai anonim' });
    await page.locator('[data-ob=message][data-state=sent]', { hasText: 'Pesan sebagai anonim' }).waitFor();
    await page.locator('[data-ob=banner]').waitFor();
    await H.shot(page, 'widget-20-anonymous-waiting');
    anonUuid = await page.evaluate(() => localStorage.getItem('browser_uuid'));
    assert.match(anonUuid, /^[0-9a-f-]{36}$/);
  });

  it("obrol('login') links the browser: the account's history holds the anonymous conversation", async () => {
    const linked = page.waitForResponse((r) => r.url().includes('/link-user'));
    await page.evaluate((u) => obrol('login', u), USER);
    const res = await linked;
    assert.equal(res.status(), 200);
    const body = JSON.parse(res.request().postData());
    assert.equal(body.browser_uuid, anonUuid);
    assert.equal(body.oss_user_id, USER.ossUserId);
    const hist = await H.api(server, 'GET', `/api/chat/history?oss_user_id=${USER.ossUserId}`);
    assert.ok(hist.sessions.some((s) => s.topic === TOPIC), 'history by oss_user_id includes the anonymous session');
    // the widget keeps the conversation going under the account
    await H.widgetSend(page, 'Pesan setelah login');
    await page.locator('[data-ob=message][data-state=sent]', { hasText: 'setelah login' }).waitFor();
  });

  it('on another device, the logged-in user sees the conversation among their chats', async () => {
    const other = await H.newPage(browser);
    await other.addInitScript((u) => { window.obrolSettings = { ossUserId: u.ossUserId, email: u.email }; }, USER);
    await other.goto(server.url + '/');
    await other.click('[data-ob=launcher]');
    // the open conversation is picked up from history and offered to continue
    await other.locator('[data-ob=continue]', { hasText: TOPIC }).waitFor({ timeout: 10000 });
    await other.click('[data-ob=continue]');
    await other.locator('[data-ob=message]', { hasText: 'Pesan sebagai anonim' }).waitFor();
    await other.locator('[data-ob=message]', { hasText: 'setelah login' }).waitFor();
    await H.shot(other, 'widget-21-other-device');
    assert.deepEqual(other.errors, []);
    await other.context().close();
  });

  it("obrol('logout') forgets the conversation and gets a fresh browser_uuid", async () => {
    await page.evaluate(() => obrol('logout'));
    const fresh = await page.evaluate(() => localStorage.getItem('browser_uuid'));
    assert.match(fresh, /^[0-9a-f-]{36}$/);
    assert.notEqual(fresh, anonUuid);
    await page.locator('[data-ob=start-form]').waitFor();
    assert.equal(await page.locator('[data-ob=history-item]').count(), 0);
    await page.reload();
    await page.locator('[data-ob=start-form]').waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[data-ob=history-item]').count(), 0, 'the new anonymous identity has no history');
    assert.deepEqual(page.errors, []);
  });
});
