// Optimistic sending: a message whose response was lost shows as failed, and its retry reuses
// the same client_id, so the server stores it exactly once. Without a WebSocket the widget falls
// back to long-polling.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

async function serverMessages(server, sid, uuid) {
  const r = await H.api(server, 'GET', `/api/chat/session/${sid}/messages?browser_uuid=${uuid}&limit=100`);
  return r.messages;
}

describe('optimistic send and retry', () => {
  let server, browser, page, sid, uuid;
  before(async () => {
    server = await H.startServer();
    browser = await H.launch();
    page = await H.newPage(browser);
    await page.goto(server.url + '/');
    await H.startWidgetChat(page, { topic: 'Uji kirim ulang' });
    sid = await page.locator('[data-ob=chat]').getAttribute('data-session');
    uuid = await page.evaluate(() => localStorage.getItem('browser_uuid'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a lost response shows "failed"; retry reuses the client_id and never duplicates', async () => {
    const sent = [];
    page.on('request', (r) => { if (r.method() === 'POST' && /\/session\/[^/]+\/messages$/.test(r.url())) sent.push(JSON.parse(r.postData())); });
    // the first POST reaches the server (which stores the message) but the browser never sees
    // the answer
    let first = true;
    await page.route('**/api/chat/session/*/messages', async (route) => {
      if (route.request().method() === 'POST' && first) {
        first = false;
        await route.fetch();
        await route.abort('connectionreset');
        return;
      }
      await route.continue();
    });
    await H.widgetSend(page, 'Pesan yang jawabannya hilang');
    const msg = page.locator('[data-ob=message]', { hasText: 'jawabannya hilang' });
    await msg.and(page.locator('[data-state=failed]')).waitFor();
    await msg.locator('[data-ob=retry]').waitFor();
    await H.shot(page, 'widget-30-failed-retry');
    await msg.locator('[data-ob=retry]').click();
    await msg.and(page.locator('[data-state=sent]')).waitFor();
    assert.equal(sent.length, 2);
    assert.match(sent[0].client_id, /^[0-9a-f-]{36}$/);
    assert.equal(sent[1].client_id, sent[0].client_id, 'the retry reuses the client_id');
    const stored = (await serverMessages(server, sid, uuid)).filter((m) => m.message === 'Pesan yang jawabannya hilang');
    assert.equal(stored.length, 1, 'stored exactly once');
    await page.unroute('**/api/chat/session/*/messages');
  });

  it('a request that never reached the server is retried once and stored once', async () => {
    await page.route('**/api/chat/session/*/messages', (route) =>
      route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.continue());
    await H.widgetSend(page, 'Pesan saat offline');
    const msg = page.locator('[data-ob=message]', { hasText: 'saat offline' });
    await msg.and(page.locator('[data-state=failed]')).waitFor();
    await page.unroute('**/api/chat/session/*/messages');
    await msg.locator('[data-ob=retry]').click();
    await msg.and(page.locator('[data-state=sent]')).waitFor();
    const stored = (await serverMessages(server, sid, uuid)).filter((m) => m.message === 'Pesan saat offline');
    assert.equal(stored.length, 1);
    // after a reload the list shows each message once, in order
    await page.reload();
    await page.locator('[data-ob=message]', { hasText: 'saat offline' }).waitFor();
    const texts = await page.locator('[data-ob=message][data-sender=customer] [data-ob=text]').allTextContents();
    assert.deepEqual(texts, ['Pesan yang jawabannya hilang', 'Pesan saat offline']);
    assert.deepEqual(page.errors, []);
  });
});

describe('a slow acknowledgement racing a refetch', () => {
  let server, browser;
  before(async () => {
    server = await H.startServer();
    browser = await H.launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the first message shows exactly once when its 201 arrives after the conversation was refetched', async () => {
    const page = await H.newPage(browser);
    // the server stores the first message at once, but the browser gets the answer 1.5 s later,
    // after the widget's post-start refetch already brought the stored copy
    await page.route('**/api/chat/session/*/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const res = await route.fetch();
      await H.sleep(1500);
      await route.fulfill({ response: res });
    });
    await page.goto(server.url + '/');
    await H.startWidgetChat(page, { topic: 'Balasan lambat', message: 'Pesan pertama yang lambat dikonfirmasi' });
    const msg = page.locator('[data-ob=message]', { hasText: 'lambat dikonfirmasi' });
    await msg.and(page.locator('[data-state=sent]')).waitFor();
    await H.sleep(2000);
    assert.equal(await msg.count(), 1, 'shown once, and still shown');
    assert.equal(await msg.getAttribute('data-state'), 'sent');
    assert.deepEqual(page.errors, []);
  });
});

describe('long-poll fallback', () => {
  let server, browser;
  before(async () => {
    server = await H.startServer();
    browser = await H.launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('when WebSockets are dropped, the widget long-polls and still gets messages and status', async () => {
    const page = await H.newPage(browser);
    // a proxy that accepts the upgrade and hangs up at once, every time
    await page.routeWebSocket(/\/ws(\?|$)/, (ws) => ws.close({ code: 1011, reason: 'no websockets here' }));
    const polls = [];
    page.on('request', (r) => { if (r.method() === 'GET' && /\/messages\?.*wait=/.test(r.url())) polls.push(r.url()); });
    await page.goto(server.url + '/');
    await H.startWidgetChat(page, { topic: 'Uji long-poll' });
    const sid = await page.locator('[data-ob=chat]').getAttribute('data-session');
    const uuid = await page.evaluate(() => localStorage.getItem('browser_uuid'));
    await page.waitForFunction(() => true);
    await H.sleep(3500); // two failed sockets, then long-poll
    assert.ok(polls.length >= 1, 'long-poll requests (wait=) were made');
    // a message from elsewhere (the same visitor in another tab) arrives through the poll
    await H.api(server, 'POST', `/api/chat/session/${sid}/messages`, { browser_uuid: uuid, message: 'Dari tab lain', client_id: crypto.randomUUID() });
    await page.locator('[data-ob=message]', { hasText: 'Dari tab lain' }).waitFor({ timeout: 10000 });
    // and so does a status change
    await H.api(server, 'POST', `/api/chat/session/${sid}/close`, { browser_uuid: uuid });
    await page.locator('[data-ob=closed]').waitFor({ timeout: 10000 });
    assert.deepEqual(page.errors, []);
  });

  it("transport 'poll' never opens a socket", async () => {
    const page = await H.newPage(browser);
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.addInitScript(() => { window.obrolSettings = { transport: 'poll' }; });
    await page.goto(server.url + '/');
    await H.startWidgetChat(page, { topic: 'Hanya polling' });
    const sid = await page.locator('[data-ob=chat]').getAttribute('data-session');
    const uuid = await page.evaluate(() => localStorage.getItem('browser_uuid'));
    await H.sleep(500);
    await H.api(server, 'POST', `/api/chat/session/${sid}/messages`, { browser_uuid: uuid, message: 'Lewat polling', client_id: crypto.randomUUID() });
    await page.locator('[data-ob=message]', { hasText: 'Lewat polling' }).waitFor({ timeout: 10000 });
    assert.deepEqual(sockets, []);
  });
});
