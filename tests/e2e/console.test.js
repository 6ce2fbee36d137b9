// The agent console with manual routing: a conversation waits in the queue (the visitor sees
// their place in it), an agent accepts it, transfers it to a colleague who replies and closes it;
// search finds it afterwards.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

const SITI = { email: 'siti@example.com', name: 'Siti Rahma', password: 'rahasia-siti-1', role: 'admin' };
const BUDI = { email: 'budi.agen@example.com', name: 'Budi Agen', password: 'rahasia-budi-1' };
const TOPIC = 'Status pembayaran retribusi';
const TOPIC_CHECK = 'pembayaran retribusi';

describe('agent console: accept, transfer, close', () => {
  let server, browser, siti, budi, visitor;
  before(async () => {
    server = await H.startServer({ agents: [SITI, BUDI], args: ['--routing', 'manual'] });
    browser = await H.launch();
    siti = await H.newPage(browser, { viewport: { width: 1440, height: 900 } });
    budi = await H.newPage(browser, { viewport: { width: 1440, height: 900 } });
    visitor = await H.newPage(browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a new chat waits in the queue (with a sound and a browser notification); the visitor sees their place in it', async () => {
    // record WebAudio beeps and notifications; pretend Siti's tab is in the background
    await siti.context().grantPermissions(['notifications'], { origin: server.url });
    await siti.addInitScript(() => {
      window.__beeps = 0;
      window.__notes = [];
      const AC = window.AudioContext;
      const create = AC.prototype.createOscillator;
      AC.prototype.createOscillator = function () { window.__beeps++; return create.call(this); };
      const N = window.Notification;
      window.Notification = function (title, opts) { window.__notes.push({ title, body: opts && opts.body }); return { close() {} }; };
      window.Notification.permission = 'granted';
      window.Notification.requestPermission = () => Promise.resolve('granted');
      Object.defineProperty(document, 'visibilityState', { get: () => window.__hidden ? 'hidden' : 'visible' });
      void N;
    });
    await H.consoleLogin(siti, server, SITI.email, SITI.password);
    await siti.evaluate(() => { window.__hidden = true; });
    await H.consoleLogin(budi, server, BUDI.email, BUDI.password);
    await visitor.goto(server.url + '/');
    await H.startWidgetChat(visitor, { topic: TOPIC, message: 'Pembayaran saya belum terverifikasi.', name: 'Dewi Lestari', email: 'dewi@example.com' });
    const banner = visitor.locator('[data-ob=banner]');
    await banner.waitFor();
    await visitor.locator('[data-ob=banner][data-queue="1"]').waitFor({ timeout: 10000 });
    await H.shot(visitor, 'widget-10-queue-position');
    const item = siti.locator('[data-c=item][data-status=waiting]', { hasText: TOPIC });
    await item.waitFor({ timeout: 10000 });
    // the visitor's unread message is counted on the item
    await item.locator('[data-c=unread]').waitFor({ timeout: 10000 });
    await siti.locator('[data-c=count-waiting]', { hasText: '1' }).waitFor();
    await siti.waitForFunction(() => window.__notes.length > 0, null, { timeout: 10000 });
    const notes = await siti.evaluate(() => window.__notes);
    assert.ok(notes.some((n) => (n.body || '').includes(TOPIC_CHECK)), JSON.stringify(notes));
    assert.ok(await siti.evaluate(() => window.__beeps) > 0, 'a notification sound played');
    await siti.evaluate(() => { window.__hidden = false; });
    await H.shot(siti, 'console-10-queue');
  });

  it('Siti accepts it and replies; the visitor sees her name', async () => {
    await siti.locator('[data-c=item][data-status=waiting]', { hasText: TOPIC }).click();
    // opening it reads it
    await siti.locator('[data-c=item][data-status=waiting] [data-c=unread]').waitFor({ state: 'detached' });
    await siti.click('[data-c=accept]');
    await siti.locator('[data-c=reply]').waitFor({ timeout: 10000 });
    assert.equal(await siti.locator('[data-c=conv-status]').textContent(), 'Aktif');
    await siti.fill('[data-c=reply]', 'Halo Bu Dewi, saya cek dulu ya.');
    await siti.press('[data-c=reply]', 'Enter');
    await visitor.locator('[data-ob=message][data-sender=agent]', { hasText: 'saya cek dulu' }).waitFor({ timeout: 10000 });
    await visitor.locator('[data-ob=agent-name]', { hasText: SITI.name }).waitFor({ timeout: 10000 });
    assert.equal(await visitor.locator('[data-ob=banner]').isHidden(), true, 'no queue banner once active');
  });

  it('Siti transfers it to Budi, who gets it live and replies', async () => {
    await siti.click('[data-c=transfer]');
    const choice = siti.locator(`[data-c=transfer-agent][data-email="${BUDI.email}"]`);
    await choice.waitFor();
    await H.shot(siti, 'console-11-transfer-dialog');
    await choice.click();
    await siti.click('[data-c=do-transfer]');
    await siti.locator('[data-c=modal]').waitFor({ state: 'detached' });
    // Siti can no longer reply: the conversation is Budi's
    await siti.locator('[data-c=reply]').waitFor({ state: 'detached', timeout: 10000 });

    await budi.click('[data-c=tab-mine]');
    const item = budi.locator('[data-c=item]', { hasText: TOPIC });
    await item.waitFor({ timeout: 10000 });
    await item.click();
    await budi.locator('[data-c=message][data-sender=customer]', { hasText: 'belum terverifikasi' }).waitFor();
    await budi.fill('[data-c=reply]', 'Halo, saya Budi. Pembayaran Anda sudah terverifikasi.');
    await budi.press('[data-c=reply]', 'Enter');
    const msg = visitor.locator('[data-ob=message][data-sender=agent]', { hasText: 'saya Budi' });
    await msg.waitFor({ timeout: 10000 });
    assert.equal(await msg.locator('[data-ob=sender-name]').textContent(), BUDI.name);
    await visitor.locator('[data-ob=agent-name]', { hasText: BUDI.name }).waitFor({ timeout: 10000 });
    await H.shot(budi, 'console-12-after-transfer');
  });

  it('Budi closes it; the visitor sees the closed state', async () => {
    await budi.click('[data-c=close]');
    await budi.click('[data-c=confirm-close]');
    await budi.locator('[data-c=closed-note]').waitFor({ timeout: 10000 });
    await visitor.locator('[data-ob=closed]').waitFor({ timeout: 10000 });
    assert.equal(await visitor.locator('[data-ob=input]').count(), 0);
  });

  it('search finds the closed conversation by its topic', async () => {
    await siti.click('[data-c=tab-closed]');
    await siti.fill('[data-c=search]', 'retribusi');
    await siti.locator('[data-c=item][data-status=closed]', { hasText: TOPIC }).waitFor({ timeout: 10000 });
    await siti.fill('[data-c=search]', 'tidak-ada-yang-cocok-xyz');
    await siti.locator('[data-c=item]').first().waitFor({ state: 'detached', timeout: 10000 });
    await siti.fill('[data-c=search]', '');
    assert.deepEqual(siti.errors, []);
    assert.deepEqual(budi.errors, []);
    assert.deepEqual(visitor.errors, []);
  });
});
