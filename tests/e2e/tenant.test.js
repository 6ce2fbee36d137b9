// Tenant mode: a host portal passes a tenant token and tenant id; the same widget talks to the
// tenant livechat family (/api/livechat, Bearer token, X-Tenant-ID) and the agent answers from
// the console.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

const AGENT = { email: 'support@example.com', name: 'Support Satu', password: 'rahasia-support-1' };

describe('tenant mode', () => {
  let server, browser, host, page, agent, token;
  before(async () => {
    server = await H.startServer({ agents: [AGENT] });
    token = server.cli('token', 'create', '--user', '501', '--role', 'umkm_admin', '--tenant', '7').split(/\s+/).pop();
    browser = await H.launch();
    host = await H.hostPage(() => `<!doctype html><html><head><meta charset="utf-8"><title>Portal UMKM</title></head><body>
<h1>Portal UMKM</h1>
<script>window.obrolSettings = ${JSON.stringify({ tenantToken: token, tenantId: 7, title: 'Bantuan UMKM' })};</script>
<script src="${server.url}/widget.js" async></script></body></html>`);
    page = await H.newPage(browser);
    agent = await H.newPage(browser, { viewport: { width: 1440, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await server?.stop();
  });

  it('the tenant user opens a session and sends a message with Bearer + X-Tenant-ID', async () => {
    await H.consoleLogin(agent, server, AGENT.email, AGENT.password);
    const calls = [];
    page.on('request', (r) => { if (r.url().includes('/api/livechat/')) calls.push({ url: r.url(), headers: r.headers() }); });
    await page.goto(host.url + '/');
    await page.click('[data-ob=launcher]');
    await page.locator('[data-ob=start-form]').waitFor();
    assert.equal(await page.locator('[data-ob=topic]').count(), 0, 'no topic field in tenant mode');
    await page.fill('[data-ob=first-message]', 'Halo, saya butuh bantuan untuk laporan UMKM.');
    await page.click('[data-ob=start]');
    await page.locator('[data-ob=message][data-state=sent]', { hasText: 'laporan UMKM' }).waitFor();
    const post = calls.find((c) => /\/api\/livechat\/sessions$/.test(c.url));
    assert.ok(post, 'POST /api/livechat/sessions');
    assert.equal(post.headers.authorization, 'Bearer ' + token);
    assert.equal(post.headers['x-tenant-id'], '7');
    await H.shot(page, 'tenant-01-widget');
  });

  it('the agent sees a tenant conversation and the reply reaches the widget', async () => {
    await agent.click('[data-c=tab-mine]');
    const item = agent.locator('[data-c=item]', { hasText: 'Tenant #7' });
    await item.waitFor({ timeout: 10000 });
    await item.click();
    await agent.locator('[data-c=message]', { hasText: 'laporan UMKM' }).waitFor();
    await agent.fill('[data-c=reply]', 'Halo, laporan bisa diunggah dari menu Laporan.');
    await agent.press('[data-c=reply]', 'Enter');
    await page.locator('[data-ob=message][data-sender=agent]', { hasText: 'menu Laporan' }).waitFor({ timeout: 10000 });
    await H.shot(page, 'tenant-02-reply');
    await H.shot(agent, 'tenant-03-console');
    assert.deepEqual(page.errors, []);
  });

  it('the conversation resumes after a reload (one open session per tenant)', async () => {
    await page.reload();
    await page.locator('[data-ob=message][data-sender=customer]', { hasText: 'laporan UMKM' }).waitFor({ timeout: 10000 });
    await page.locator('[data-ob=composer]').waitFor();
    await H.shot(page, 'tenant-04-after-reload');
  });
});
