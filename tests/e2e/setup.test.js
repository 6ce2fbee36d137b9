// First run: with no agent in the database /agent/ offers to create the first admin with the
// setup code `obrol serve` printed; the admin then adds a department and an agent, and disables
// the agent, from the console.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./helpers');

describe('first run and admin panel', () => {
  let server, browser, page;
  before(async () => {
    server = await H.startServer();
    browser = await H.launch();
    page = await H.newPage(browser, { viewport: { width: 1440, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serve prints a setup code and /agent/ shows the setup form', async () => {
    assert.ok(server.setupCode, 'obrol serve printed "setup code: …"\n' + server.output());
    await page.goto(server.url + '/agent/');
    await page.locator('[data-c=setup-form]').waitFor();
    await H.shot(page, 'console-20-first-run-setup');
  });

  it('a wrong code is refused; the right one creates the admin and signs in', async () => {
    await page.fill('[data-c=auth-code]', 'wrong-code');
    await page.fill('[data-c=auth-name]', 'Admin Pertama');
    await page.fill('[data-c=auth-email]', 'admin@example.com');
    await page.fill('[data-c=auth-password]', 'rahasia-admin-1');
    await page.click('[data-c=auth-submit]');
    await page.locator('[data-c=auth-error]:not([hidden])').waitFor();
    await page.fill('[data-c=auth-code]', server.setupCode);
    await page.click('[data-c=auth-submit]');
    await page.locator('[data-c=presence]').waitFor();
    // setup is now closed
    const again = await fetch(server.url + '/api/agent/setup').then((r) => r.json());
    assert.equal(again.required, false);
  });

  it('the admin adds a department and an agent, then disables the agent', async () => {
    await page.click('[data-c=nav-admin]');
    await page.locator('[data-c=agents-table]').waitFor();
    await page.fill('[data-c=new-department-name]', 'Perizinan');
    await page.click('[data-c=new-department-submit]');
    await page.locator('[data-c=departments-list] li', { hasText: 'Perizinan' }).waitFor();
    await page.locator('[data-c=new-agent-department] option', { hasText: 'Perizinan' }).waitFor({ state: 'attached' });

    await page.fill('[data-c=new-agent-name]', 'Dewi Agen');
    await page.fill('[data-c=new-agent-email]', 'dewi@example.com');
    await page.fill('[data-c=new-agent-password]', 'rahasia-dewi-1');
    await page.selectOption('[data-c=new-agent-department]', { label: 'Perizinan' });
    await page.fill('[data-c=new-agent-max]', '3');
    await page.click('[data-c=new-agent-submit]');
    const row = page.locator('[data-c=agent-row][data-email="dewi@example.com"]');
    await row.waitFor();
    assert.match(await row.textContent(), /Perizinan/);
    await H.shot(page, 'console-21-admin');

    // the new agent can sign in …
    await H.agentToken(server, 'dewi@example.com', 'rahasia-dewi-1');
    // … until disabled
    await row.locator('[data-c=disable-agent]').click();
    await page.locator('[data-c=agent-row][data-email="dewi@example.com"] [data-c=enable-agent]').waitFor();
    await assert.rejects(H.agentToken(server, 'dewi@example.com', 'rahasia-dewi-1'), (e) => e.status === 401);
    await H.shot(page, 'console-22-admin-disabled');
    assert.deepEqual(page.errors, []);
  });
});
