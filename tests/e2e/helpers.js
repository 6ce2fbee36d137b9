// Shared helpers for the browser tests: start the real `obrol` binary on a free port with a
// temporary database, create agents through its CLI, launch Debian's Chromium through
// playwright-core, and small API/page shortcuts. Not a test file itself (node --test picks
// only *.test.js).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function binary() {
  const candidates = [process.env.OBROL_BIN, path.join(ROOT, 'target', 'debug', 'obrol'), path.join(ROOT, 'target', 'release', 'obrol')];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error('obrol binary not found: run `cargo build` first or set OBROL_BIN');
  return found;
}

function cli(args) {
  return execFileSync(binary(), args, { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'error' } }).trim();
}

/**
 * Start `obrol serve` on 127.0.0.1:0 with a fresh database.
 * agents: [{email, name, password, role?, maxChats?}] created with `obrol agent add` first.
 */
async function startServer({ agents = [], args = [], env = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'obrol-e2e-'));
  const db = path.join(dir, 'obrol.db');
  const created = {};
  for (const a of agents) {
    const extra = [];
    if (a.role) extra.push('--role', a.role);
    if (a.maxChats) extra.push('--max-chats', String(a.maxChats));
    if (a.department) extra.push('--department', a.department);
    const out = cli(['agent', 'add', '--db', db, '--email', a.email, '--name', a.name, '--password', a.password, ...extra]);
    created[a.email] = out.split(/\s+/).pop();
  }
  const proc = spawn(binary(), ['serve', '--addr', '127.0.0.1:0', '--db', db, ...args], {
    env: { ...process.env, OBROL_RATE_LIMIT: 'off', RUST_LOG: process.env.RUST_LOG || 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; if (process.env.E2E_SERVER_LOG) process.stderr.write(d); });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 20 s\n' + out + err)), 20000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    };
    proc.stdout.on('data', check);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code})\n${out}${err}`)); });
    check();
  });
  // the setup code line comes with the startup banner when no agent exists
  await sleep(150);
  const code = /setup code:\s*(\S+)/.exec(out);
  return {
    url,
    db,
    dir,
    agentIds: created,
    setupCode: code ? code[1] : null,
    output: () => out + err,
    cli: (...a) => cli([...a, '--db', db]),
    async stop() {
      if (proc.exitCode == null) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(5000)]);
        if (proc.exitCode == null) proc.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A context whose page errors and console errors are collected (tests assert none). */
async function newPage(browser, opts = {}) {
  // reduced motion: no entry animations, so boxes are measured and screenshotted at rest
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', ...opts });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('dialog', (d) => { page.errors.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(250); // let entry animations finish
  await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

// ---------------------------------------------------------------- HTTP API shortcuts
async function api(server, method, p, body, token, headers = {}) {
  const res = await fetch(server.url + p, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: 'Bearer ' + token } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const e = new Error(`${method} ${p} → ${res.status} ${text}`);
    e.status = res.status;
    e.body = data;
    throw e;
  }
  return data;
}
async function agentToken(server, email, password) {
  return (await api(server, 'POST', '/api/agent/login', { email, password })).token;
}

// ---------------------------------------------------------------- page shortcuts
/** Sign in on /agent/ and set presence (online by default). */
async function consoleLogin(page, server, email, password, presence = 'online') {
  await page.goto(server.url + '/agent/');
  await page.locator('[data-c=login-form]').waitFor();
  await page.fill('[data-c=auth-email]', email);
  await page.fill('[data-c=auth-password]', password);
  await page.click('[data-c=auth-submit]');
  await page.locator('[data-c=presence]').waitFor();
  if (presence) {
    const done = page.waitForResponse((r) => r.url().endsWith('/api/agent/presence') && r.request().method() === 'PUT');
    await page.selectOption('[data-c=presence]', presence);
    const res = await done;
    if (!res.ok()) throw new Error('presence → ' + res.status());
  }
}

/** Open the widget and start a conversation; fills the contact form when it is asked for. */
async function startWidgetChat(page, { topic, message, name = 'Budi Santoso', email = 'budi@example.com' }) {
  const panel = page.locator('[data-ob=panel]');
  if (!(await panel.isVisible())) await page.click('[data-ob=launcher]');
  await page.locator('[data-ob=start-form]').waitFor();
  await page.fill('[data-ob=topic]', topic);
  if (message) await page.fill('[data-ob=first-message]', message);
  await page.click('[data-ob=start]');
  await page.locator('[data-ob=contact-form], [data-ob=composer]').first().waitFor();
  if (await page.locator('[data-ob=contact-form]').isVisible()) {
    await page.fill('[data-ob=contact-contact_name]', name);
    await page.fill('[data-ob=contact-contact_email]', email);
    await page.click('[data-ob=contact-submit]');
  }
  await page.locator('[data-ob=composer]').waitFor();
}

async function widgetSend(page, text) {
  await page.fill('[data-ob=input]', text);
  await page.press('[data-ob=input]', 'Enter');
}

/** A tiny static HTTP server on another port (another origin) serving `html`. */
async function hostPage(html) {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(typeof html === 'function' ? html(req) : html);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://localhost:${srv.address().port}`, close: () => new Promise((r) => srv.close(r)) };
}

module.exports = {
  startServer, launch, newPage, shot, api, agentToken, consoleLogin, startWidgetChat, widgetSend, hostPage, sleep, cli,
};
