// A visitor (widget on the demo page) and an agent (console) chat live in both directions,
// with typing indicators; the visitor reloads and resumes; the agent closes and the visitor sees
// the closed state. Two browser contexts, the real server.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

const SITI = { email: 'siti@example.com', name: 'Siti Rahma', password: 'rahasia-siti-1', role: 'admin' };
const TOPIC = 'Pertanyaan tentang izin usaha';

describe('visitor ↔ agent live chat', () => {
  let server, browser, agent, visitor;

  before(async () => {
    server = await H.startServer({ agents: [SITI] });
    browser = await H.launch();
    agent = await H.newPage(browser, { viewport: { width: 1440, height: 900 } });
    visitor = await H.newPage(browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the agent signs in to the console and goes online', async () => {
    await H.consoleLogin(agent, server, SITI.email, SITI.password);
    await agent.locator('[data-c=presence]').evaluate((el) => el.value).then((v) => assert.equal(v, 'online'));
    await H.shot(agent, 'console-01-inbox');
  });

  it('the visitor opens the widget on the demo page and starts a chat', async () => {
    await visitor.goto(server.url + '/');
    await visitor.click('[data-ob=launcher]');
    await visitor.locator('[data-ob=start-form]').waitFor();
    await visitor.locator('[data-ob=presence][data-online=true]').waitFor();
    await H.shot(visitor, 'widget-01-home');
    await visitor.fill('[data-ob=topic]', TOPIC);
    await visitor.fill('[data-ob=first-message]', 'Halo, bagaimana cara mengurus NIB?');
    await visitor.click('[data-ob=start]');
    await visitor.locator('[data-ob=contact-form]').waitFor();
    await H.shot(visitor, 'widget-02-contact-form');
    await visitor.fill('[data-ob=contact-contact_name]', 'Budi Santoso');
    await visitor.fill('[data-ob=contact-contact_email]', 'budi@example.com');
    await visitor.fill('[data-ob=contact-company_name]', 'PT. Contoh');
    await visitor.click('[data-ob=contact-submit]');
    await visitor.locator('[data-ob=composer]').waitFor();
    await visitor.locator('[data-ob=message][data-sender=customer][data-state=sent]', { hasText: 'mengurus NIB' }).waitFor();
  });

  it('the conversation reaches the agent live, with contact and visitor details', async () => {
    // auto routing assigns it to the only online agent
    await agent.click('[data-c=tab-mine]');
    const item = agent.locator('[data-c=item]', { hasText: TOPIC });
    await item.waitFor({ timeout: 10000 });
    await item.click();
    await agent.locator('[data-c=message][data-sender=customer]', { hasText: 'mengurus NIB' }).waitFor();
    await assert.equal(await agent.locator('[data-c=d-contact-name] dd').textContent(), 'Budi Santoso');
    assert.equal(await agent.locator('[data-c=d-topic] dd').textContent(), TOPIC);
    assert.match(await agent.locator('[data-c=d-page] dd').textContent(), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(await agent.locator('[data-c=d-ua] dd').textContent(), /Chrome/);
    await agent.locator('[data-c=reply]').waitFor();
  });

  it('agent → visitor: the reply arrives live with the agent name (typing shown first)', async () => {
    await agent.fill('[data-c=reply]', 'Halo Budi, saya Siti. NIB diurus lewat OSS: https://oss.go.id');
    await visitor.locator('[data-ob=typing]:not([hidden])').waitFor({ timeout: 8000 });
    await H.shot(visitor, 'widget-03-agent-typing');
    await agent.press('[data-c=reply]', 'Enter');
    const reply = visitor.locator('[data-ob=message][data-sender=agent]', { hasText: 'saya Siti' });
    await reply.waitFor({ timeout: 10000 });
    assert.equal(await reply.locator('[data-ob=sender-name]').textContent(), SITI.name);
    assert.equal(await visitor.locator('[data-ob=agent-name]').textContent(), SITI.name);
    // the link is a real link, its text the URL
    assert.equal(await reply.locator('a').getAttribute('href'), 'https://oss.go.id');
    assert.equal(await visitor.locator('[data-ob=typing]').isHidden(), true);
    await agent.locator('[data-c=message][data-sender=agent][data-state=sent]').waitFor();
  });

  it('visitor → agent: a message arrives live (typing shown first)', async () => {
    await visitor.fill('[data-ob=input]', 'Terima kasih, Bu Siti!');
    await visitor.dispatchEvent('[data-ob=input]', 'input');
    await agent.locator('[data-c=typing]:not([hidden])').waitFor({ timeout: 8000 });
    await visitor.press('[data-ob=input]', 'Enter');
    await agent.locator('[data-c=message][data-sender=customer]', { hasText: 'Terima kasih, Bu Siti!' }).waitFor({ timeout: 10000 });
    await visitor.locator('[data-ob=message][data-state=sent]', { hasText: 'Terima kasih, Bu Siti!' }).waitFor();
    await H.shot(visitor, 'widget-04-conversation');
    await H.shot(agent, 'console-02-conversation');
  });

  it('after a reload the visitor is back in the same conversation', async () => {
    const before = await visitor.locator('[data-ob=message]').count();
    await visitor.reload();
    await visitor.locator('[data-ob=chat]').waitFor();
    await visitor.locator('[data-ob=message][data-sender=agent]', { hasText: 'saya Siti' }).waitFor();
    assert.equal(await visitor.locator('[data-ob=message]').count(), before);
    await visitor.locator('[data-ob=composer]').waitFor();
    await H.widgetSend(visitor, 'Saya kembali setelah memuat ulang halaman.');
    await agent.locator('[data-c=message][data-sender=customer]', { hasText: 'memuat ulang' }).waitFor({ timeout: 10000 });
    // and live delivery still works after the reload
    await agent.fill('[data-c=reply]', 'Baik, masih tersambung.');
    await agent.press('[data-c=reply]', 'Enter');
    await visitor.locator('[data-ob=message][data-sender=agent]', { hasText: 'masih tersambung' }).waitFor({ timeout: 10000 });
    await H.shot(visitor, 'widget-05-after-reload');
  });

  it('the closed widget counts unread agent messages on its launcher badge', async () => {
    await visitor.click('[data-ob=minimize]');
    await visitor.locator('[data-ob=panel]').waitFor({ state: 'hidden' });
    await agent.fill('[data-c=reply]', 'Ada lagi yang bisa saya bantu?');
    await agent.press('[data-c=reply]', 'Enter');
    await visitor.locator('[data-ob=badge]:not([hidden])').waitFor({ timeout: 10000 });
    assert.equal(await visitor.locator('[data-ob=badge]').textContent(), '1');
    await visitor.locator('[data-ob=preview-text]', { hasText: 'Ada lagi' }).waitFor();
    await H.shot(visitor, 'widget-06-unread-badge');
    await visitor.click('[data-ob=launcher]');
    await visitor.locator('[data-ob=message][data-sender=agent]', { hasText: 'Ada lagi' }).waitFor();
    assert.equal(await visitor.locator('[data-ob=badge]').isHidden(), true);
  });

  it('the agent closes the conversation: the visitor sees it closed, input locked, and can start anew', async () => {
    await agent.click('[data-c=close]');
    await agent.click('[data-c=confirm-close]');
    await agent.locator('[data-c=closed-note]').waitFor({ timeout: 10000 });
    await visitor.locator('[data-ob=closed]').waitFor({ timeout: 10000 });
    assert.equal(await visitor.locator('[data-ob=input]').count(), 0, 'no message input once closed');
    assert.equal(await visitor.locator('[data-ob=session-status]').getAttribute('data-status'), 'closed');
    await H.shot(visitor, 'widget-07-closed');
    await H.shot(agent, 'console-03-closed');
    await visitor.click('[data-ob=new-chat]');
    await visitor.locator('[data-ob=start-form]').waitFor();
    // the closed conversation is listed as a previous conversation
    await visitor.locator('[data-ob=history-item][data-status=closed]', { hasText: TOPIC }).waitFor({ timeout: 10000 });
    await H.shot(visitor, 'widget-08-new-chat-with-history');
    assert.deepEqual(visitor.errors, []);
    assert.deepEqual(agent.errors, []);
  });
});
