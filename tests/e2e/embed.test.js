// The widget embedded with the one-line snippet on a page of another origin, whose CSS is
// hostile: calls queued before the script loads run, styles leak neither way, the chat works
// across origins, and the widget works on a 375 px wide phone.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

const AGENT = { email: 'agen@example.com', name: 'Agen Embed', password: 'rahasia-agen-1' };

function hostHtml(server, settings) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portal host</title>
<style>
  /* a host page with aggressive global styles */
  * { font-family: "Courier New", monospace !important; color: rgb(255, 0, 0) !important; letter-spacing: 3px !important; line-height: 3 !important; }
  button { background: rgb(255, 255, 0) !important; border: 5px solid rgb(0, 0, 255) !important; padding: 30px !important; }
  div, form, input, textarea { border: 3px dashed rgb(0, 128, 0) !important; box-sizing: content-box !important; }
  obrol-widget, [data-ob] { display: none !important; }
  body { font-size: 30px; margin: 0; }
</style>
<script>
  window.obrolSettings = ${JSON.stringify(settings)};
  window.obrol = window.obrol || function(){(obrol.q=obrol.q||[]).push(arguments)};
  obrol('open');
</script>
</head><body>
<h1 id="host-title">Portal host</h1>
<button id="host-btn" type="button">Host button</button>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>
<script src="${server.url}/widget.js" async></script>
</body></html>`;
}

describe('embedded on another origin', () => {
  let server, browser, host, page, token;
  before(async () => {
    server = await H.startServer({ agents: [AGENT] });
    browser = await H.launch();
    host = await H.hostPage(() => hostHtml(server, { language: 'en', color: '#7c3aed' }));
    page = await H.newPage(browser);
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await server?.stop();
  });

  it('the queued obrol("open") runs once the async script has loaded', async () => {
    assert.notEqual(new URL(host.url).origin, new URL(server.url).origin);
    await page.goto(host.url + '/');
    await page.locator('[data-ob=panel]').waitFor({ state: 'visible' });
    await page.locator('[data-ob=start-form]').waitFor();
    // language 'en' from window.obrolSettings; nobody is online yet, so it offers to leave a message
    assert.equal((await page.locator('[data-ob=start] .ob-btn-label').textContent()).trim(), 'Leave a message');
    await page.locator('[data-ob=offline]', { hasText: 'Nobody is online' }).waitFor();
    await H.shot(page, 'embed-01-other-origin');
  });

  it('host styles do not reach into the widget', async () => {
    const s = await page.locator('[data-ob=launcher]').evaluate((el) => {
      const c = getComputedStyle(el);
      return { bg: c.backgroundColor, border: c.borderTopWidth, padding: c.paddingTop };
    });
    assert.equal(s.bg, 'rgb(124, 58, 237)', 'launcher uses the configured colour');
    assert.equal(s.border, '0px');
    assert.equal(s.padding, '0px');
    const title = await page.locator('.ob-hello').evaluate((el) => {
      const c = getComputedStyle(el);
      return { font: c.fontFamily, color: c.color, spacing: c.letterSpacing };
    });
    assert.doesNotMatch(title.font, /Courier/);
    assert.notEqual(title.color, 'rgb(255, 0, 0)');
    const input = await page.locator('[data-ob=topic]').evaluate((el) => getComputedStyle(el).borderTopStyle);
    assert.equal(input, 'solid');
  });

  it('widget styles do not leak into the host page', async () => {
    const r = await page.evaluate(() => {
      const b = getComputedStyle(document.getElementById('host-btn'));
      const h = getComputedStyle(document.getElementById('host-title'));
      return {
        btnBg: b.backgroundColor, btnBorder: b.borderTopWidth, font: h.fontFamily,
        sheets: document.querySelectorAll('style, link[rel=stylesheet]').length,
        hostEls: document.querySelectorAll('body > *:not(script)').length,
      };
    });
    assert.equal(r.btnBg, 'rgb(255, 255, 0)');
    assert.equal(r.btnBorder, '5px');
    assert.match(r.font, /Courier/);
    assert.equal(r.sheets, 1, 'the widget added no stylesheet to the host document');
    assert.equal(r.hostEls, 4, 'the widget added exactly one element (its shadow host) to the page');
  });

  it('a chat started on the other origin reaches the agent, and the reply comes back', async () => {
    token = await H.agentToken(server, AGENT.email, AGENT.password);
    await H.api(server, 'PUT', '/api/agent/presence', { status: 'online' }, token);
    await H.startWidgetChat(page, { topic: 'Embedded on a portal', message: 'Hello from another origin', name: 'Nia', email: 'nia@example.com' });
    await page.locator('[data-ob=message][data-state=sent]', { hasText: 'Hello from another origin' }).waitFor();
    const list = await H.api(server, 'GET', '/api/agent/conversations?status=active', undefined, token);
    const conv = list.conversations.find((c) => c.topic === 'Embedded on a portal');
    assert.ok(conv, 'the agent sees the conversation');
    assert.match(conv.visitor.page_url, /^http:\/\/localhost:\d+\/$/, 'page_url is the host page');
    await H.api(server, 'POST', `/api/agent/conversations/${conv.id}/messages`, { message: 'Hello back across origins' }, token);
    await page.locator('[data-ob=message][data-sender=agent]', { hasText: 'Hello back across origins' }).waitFor({ timeout: 10000 });
    await H.shot(page, 'embed-02-conversation');
    assert.deepEqual(page.errors, []);
  });
});

describe('phone-sized viewport (375 px)', () => {
  let server, browser, page;
  before(async () => {
    server = await H.startServer();
    browser = await H.launch();
    page = await H.newPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the launcher sits inside the viewport and the page does not scroll sideways', async () => {
    await page.goto(server.url + '/');
    const box = await page.locator('[data-ob=launcher]').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375 && box.y + box.height <= 740, JSON.stringify(box));
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375));
    await H.shot(page, 'mobile-01-launcher');
  });

  it('the open widget fills the screen and the chat works', async () => {
    await page.locator('[data-ob=launcher]').tap();
    await page.locator('[data-ob=start-form]').waitFor();
    const panel = await page.locator('[data-ob=panel]').boundingBox();
    assert.deepEqual([panel.x, panel.y, panel.width, panel.height], [0, 0, 375, 740]);
    assert.equal(await page.locator('[data-ob=launcher]').isVisible(), false, 'launcher hidden under the full-screen panel');
    await H.shot(page, 'mobile-02-open');
    // the "nobody online" notice: there is no agent at all
    await page.locator('[data-ob=offline]').waitFor();
    await H.startWidgetChat(page, { topic: 'Dari HP', message: 'Pesan dari layar kecil yang cukup panjang untuk dibungkus menjadi beberapa baris.' });
    await page.locator('[data-ob=message][data-state=sent]').first().waitFor();
    const composer = await page.locator('[data-ob=composer]').boundingBox();
    assert.ok(composer.y + composer.height <= 740 && composer.width <= 375);
    const bubble = await page.locator('[data-ob=message] [data-ob=text]').first().boundingBox();
    assert.ok(bubble.x >= 0 && bubble.x + bubble.width <= 375, 'bubbles wrap inside the screen');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375));
    await H.shot(page, 'mobile-03-chat');
    await page.locator('[data-ob=minimize]').tap();
    await page.locator('[data-ob=launcher]').waitFor();
    assert.deepEqual(page.errors, []);
  });

  it('the full-page chat (/chat) fits the phone too', async () => {
    await page.goto(server.url + '/chat');
    await page.locator('[data-ob=chat], [data-ob=start-form]').first().waitFor();
    const panel = await page.locator('[data-ob=panel]').boundingBox();
    assert.equal(Math.round(panel.width), 375);
    assert.equal(await page.locator('[data-ob=launcher]').count(), 0, 'no launcher in page mode');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375));
    await H.shot(page, 'mobile-04-chat-page');
  });
});
