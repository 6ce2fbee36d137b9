// Message text, topics and contact names that look like HTML are shown as text, in the widget
// and in the console, and nothing in them runs.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

const AGENT = { email: 'agen@example.com', name: 'Agen Satu', password: 'rahasia-agen-1' };
const IMG = '<img src=x onerror="window.__pwned=1;document.title=\'pwned\'">';
const SCRIPT = '<script>window.__pwned=2<\/script>';
const SVG = '"><svg onload=window.__pwned=3><b>tebal</b>';
const TOPIC = '<img src=x onerror=window.__pwned=4> topik';
const NAME = '<script>window.__pwned=5</script>Mallory';

async function assertInert(page, where) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, `${where}: injected code ran`);
  assert.notEqual(await page.title(), 'pwned', `${where}: injected code ran`);
  assert.deepEqual(page.errors, [], `${where}: page errors or dialogs`);
}

describe('HTML in messages is shown as text and never runs', () => {
  let server, browser, agent, visitor;
  before(async () => {
    server = await H.startServer({ agents: [AGENT] });
    browser = await H.launch();
    agent = await H.newPage(browser, { viewport: { width: 1440, height: 900 } });
    visitor = await H.newPage(browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('visitor sends <img onerror>, <script> and <svg onload>: both sides show the exact text', async () => {
    await H.consoleLogin(agent, server, AGENT.email, AGENT.password);
    await visitor.goto(server.url + '/');
    await H.startWidgetChat(visitor, { topic: TOPIC, name: NAME, email: 'mallory@example.com' });
    for (const text of [IMG, SCRIPT, SVG]) {
      await H.widgetSend(visitor, text);
      await visitor.locator('[data-ob=message][data-state=sent]').filter({ hasText: text }).waitFor();
    }
    const bubbles = await visitor.locator('[data-ob=message][data-sender=customer] [data-ob=text]').allTextContents();
    assert.deepEqual(bubbles.slice(-3), [IMG, SCRIPT, SVG]);
    assert.equal(await visitor.locator('[data-ob=messages] img, [data-ob=messages] script, [data-ob=messages] svg:not(.ob-icon), [data-ob=messages] b').count(), 0);
    assert.equal(await visitor.locator('[data-ob=topic-line] .ob-topic-text').textContent(), TOPIC);

    await agent.click('[data-c=tab-mine]');
    await agent.locator('[data-c=item]').first().click({ timeout: 10000 });
    for (const text of [IMG, SCRIPT, SVG]) {
      await agent.locator('[data-c=message][data-sender=customer] [data-c=text]').filter({ hasText: text }).waitFor({ timeout: 10000 });
    }
    const seen = await agent.locator('[data-c=message][data-sender=customer] [data-c=text]').allTextContents();
    assert.deepEqual(seen.slice(-3), [IMG, SCRIPT, SVG]);
    assert.equal(await agent.locator('[data-c=conv-name]').textContent(), NAME);
    assert.equal(await agent.locator('[data-c=conv-topic]').textContent(), TOPIC);
    assert.equal(await agent.locator('[data-c=item-name]').first().textContent(), NAME);
    assert.equal(await agent.locator('[data-c=messages] img, [data-c=messages] script, [data-c=messages] b, [data-c=list] img, [data-c=details] img').count(), 0);
  });

  it('agent replies with HTML: the visitor sees text', async () => {
    await agent.fill('[data-c=reply]', IMG + ' ' + SCRIPT);
    await agent.press('[data-c=reply]', 'Enter');
    const reply = visitor.locator('[data-ob=message][data-sender=agent] [data-ob=text]');
    await reply.first().waitFor({ timeout: 10000 });
    assert.equal(await reply.last().textContent(), IMG + ' ' + SCRIPT);
    assert.equal(await visitor.locator('[data-ob=messages] img, [data-ob=messages] script').count(), 0);
    // the preview card and the history list render the same text safely
    await visitor.click('[data-ob=back]');
    await visitor.locator('[data-ob=continue]').waitFor();
    await H.shot(visitor, 'xss-01-widget');
    await H.shot(agent, 'xss-02-console');
  });

  it('after everything rendered, nothing ran in either page', async () => {
    await visitor.waitForTimeout(300);
    await assertInert(visitor, 'widget');
    await assertInert(agent, 'console');
  });
});
