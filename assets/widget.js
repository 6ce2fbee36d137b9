/*!
 * obrol chat widget — plain JavaScript, no build step.
 *
 * Embed:   <script src="https://chat.example.com/widget.js" async></script>
 * Options: data-* attributes on that script tag, or window.obrolSettings (wins over data-*):
 *   ossUserId, email, userHash        logged-in user of the host site (user_hash when identity
 *                                     verification is on)
 *   language        'id' (default) | 'en'
 *   color           brand colour, e.g. '#0f766e'
 *   tenantToken + tenantId            tenant mode (talks to /api/livechat)
 *   contactName, contactEmail, contactPhone, companyName, contactPosition   contact prefill
 *   departmentId, priority, topics ('A|B|C' or an array of suggested topics)
 *   title, mode ('widget' | 'page'), container (CSS selector, page mode), open, hideLauncher,
 *   position ('right' | 'left'), server (API origin; default: where widget.js came from),
 *   transport ('auto' | 'poll')
 * API (calls made before the script loads are queued):
 *   window.obrol = window.obrol || function(){(obrol.q=obrol.q||[]).push(arguments)};
 *   obrol('open') obrol('close') obrol('toggle')
 *   obrol('login', {ossUserId, email, userHash})   links this browser to the account
 *   obrol('logout')                                forgets the chat, new browser_uuid
 *   obrol('update', {language, color, ...})
 *
 * Message text is only ever placed with textContent / text nodes: nothing a message says is
 * interpreted as HTML.
 */
(function () {
  'use strict';
  var W = window;
  var D = document;
  if (W.__obrolWidget) return;
  W.__obrolWidget = true;

  // ------------------------------------------------------------------ script, base URL, settings
  var scriptEl = D.currentScript;
  if (!scriptEl || !/widget\.js(\?|#|$)/.test(scriptEl.src || '')) {
    var found = D.querySelectorAll('script[src*="widget.js"]');
    scriptEl = found[found.length - 1] || null;
  }
  var scriptSrc = scriptEl && scriptEl.src ? scriptEl.src : new URL('/widget.js', location.href).href;
  var BASE = new URL('.', scriptSrc).href; // ends with '/'
  var ASSET_BASE = BASE;

  function parseBool(v) {
    if (typeof v === 'boolean') return v;
    if (v == null) return false;
    v = String(v).toLowerCase();
    return v === '' || v === 'true' || v === '1' || v === 'yes';
  }

  var cfg = {};
  function readSettings(extra) {
    var s = {};
    var k;
    if (scriptEl) for (k in scriptEl.dataset) s[k] = scriptEl.dataset[k];
    var ws = W.obrolSettings || {};
    for (k in ws) s[k] = ws[k];
    if (extra) for (k in extra) s[k] = extra[k];
    s.language = String(s.language || s.lang || 'id').toLowerCase().slice(0, 2) === 'en' ? 'en' : 'id';
    s.mode = s.mode === 'page' ? 'page' : 'widget';
    s.open = parseBool(s.open);
    s.hideLauncher = parseBool(s.hideLauncher);
    s.position = s.position === 'left' ? 'left' : 'right';
    s.transport = s.transport === 'poll' ? 'poll' : 'auto';
    if (typeof s.topics === 'string') s.topics = s.topics.split('|');
    s.topics = (Array.isArray(s.topics) ? s.topics : []).map(function (x) { return String(x).trim(); }).filter(Boolean).slice(0, 6);
    if (s.server) BASE = new URL(String(s.server).replace(/\/?$/, '/'), location.href).href;
    s.tenant = !!(s.tenantToken && s.tenantId != null && s.tenantId !== '');
    return s;
  }
  cfg = readSettings();

  // ------------------------------------------------------------------ strings
  var STR = {
    id: {
      title: 'Chat dengan kami',
      greeting: 'Halo!',
      intro: 'Ada yang bisa kami bantu? Tim kami siap menjawab pertanyaan Anda.',
      online: '{n} agen online',
      onlineOne: 'Agen online sekarang',
      offline: 'Kami sedang offline',
      offlineNotice: 'Saat ini tidak ada agen yang online. Tinggalkan pesan Anda — kami akan membalas secepatnya.',
      tenantOffline: 'Saat ini tidak ada agen yang online. Silakan coba lagi nanti.',
      newConversation: 'Mulai percakapan',
      topicLabel: 'Topik',
      topicPlaceholder: 'Mis. Pertanyaan tentang izin usaha',
      messageLabel: 'Pesan',
      messageOptional: '(opsional)',
      messagePlaceholder: 'Ceritakan apa yang bisa kami bantu…',
      startChat: 'Mulai chat',
      leaveMessage: 'Tinggalkan pesan',
      contactTitle: 'Bagaimana kami bisa menghubungi Anda?',
      contactIntro: 'Isi data kontak agar agen dapat menindaklanjuti percakapan ini.',
      name: 'Nama',
      email: 'Email',
      phone: 'Telepon',
      company: 'Perusahaan',
      position: 'Jabatan',
      optional: 'opsional',
      continue: 'Lanjutkan',
      inputPlaceholder: 'Tulis pesan…',
      send: 'Kirim',
      waiting: 'Menunggu agen…',
      waitingSub: 'Agen berikutnya akan segera membalas',
      queue: 'Posisi Anda dalam antrean: {n}',
      queueNext: 'Anda berikutnya dalam antrean',
      typing: '{name} sedang mengetik…',
      agent: 'Agen',
      active: 'Online',
      pending: 'Mengirim…',
      sent: 'Terkirim',
      failed: 'Gagal terkirim.',
      retry: 'Coba lagi',
      closed: 'Percakapan ini telah ditutup.',
      closedSub: 'Terima kasih telah menghubungi kami.',
      newChat: 'Mulai chat baru',
      endChat: 'Akhiri percakapan',
      endConfirm: 'Akhiri percakapan ini?',
      endConfirmSub: 'Anda tidak dapat mengirim pesan lagi di percakapan ini.',
      cancel: 'Batal',
      history: 'Percakapan sebelumnya',
      seeAll: 'Lihat semua',
      noHistory: 'Belum ada percakapan sebelumnya.',
      loadMore: 'Muat lebih banyak',
      continueChat: 'Lanjutkan percakapan',
      back: 'Kembali',
      close: 'Tutup',
      open: 'Buka chat',
      minimize: 'Perkecil',
      today: 'Hari ini',
      yesterday: 'Kemarin',
      status_waiting: 'Menunggu',
      status_active: 'Aktif',
      status_closed: 'Selesai',
      topic: 'Topik',
      error: 'Terjadi kesalahan. Silakan coba lagi.',
      networkError: 'Tidak dapat terhubung ke server. Periksa koneksi Anda.',
      required: 'Wajib diisi',
      invalidEmail: 'Alamat email tidak valid',
      tooLong: 'Maksimal {n} karakter',
      reconnecting: 'Koneksi terputus, menghubungkan ulang…',
      poweredBy: 'Didukung oleh obrol',
      newMessage: 'Pesan baru',
      you: 'Anda',
      noMessages: 'Belum ada pesan.',
      tenantIntro: 'Tim support kami siap membantu. Tulis pesan Anda untuk memulai.',
      loading: 'Memuat…'
    },
    en: {
      title: 'Chat with us',
      greeting: 'Hi there!',
      intro: 'How can we help? Our team is happy to answer your questions.',
      online: '{n} agents online',
      onlineOne: 'An agent is online now',
      offline: 'We are offline',
      offlineNotice: 'Nobody is online right now. Leave a message and we will get back to you as soon as we can.',
      tenantOffline: 'Nobody is online right now. Please try again later.',
      newConversation: 'Start a conversation',
      topicLabel: 'Topic',
      topicPlaceholder: 'E.g. A question about my business permit',
      messageLabel: 'Message',
      messageOptional: '(optional)',
      messagePlaceholder: 'Tell us how we can help…',
      startChat: 'Start chat',
      leaveMessage: 'Leave a message',
      contactTitle: 'How can we reach you?',
      contactIntro: 'Leave your contact details so an agent can follow up on this conversation.',
      name: 'Name',
      email: 'Email',
      phone: 'Phone',
      company: 'Company',
      position: 'Position',
      optional: 'optional',
      continue: 'Continue',
      inputPlaceholder: 'Write a message…',
      send: 'Send',
      waiting: 'Waiting for an agent…',
      waitingSub: 'The next available agent will reply shortly',
      queue: 'Your place in the queue: {n}',
      queueNext: 'You are next in the queue',
      typing: '{name} is typing…',
      agent: 'Agent',
      active: 'Online',
      pending: 'Sending…',
      sent: 'Sent',
      failed: 'Not sent.',
      retry: 'Retry',
      closed: 'This conversation has been closed.',
      closedSub: 'Thank you for contacting us.',
      newChat: 'Start a new chat',
      endChat: 'End conversation',
      endConfirm: 'End this conversation?',
      endConfirmSub: 'You will not be able to send more messages in it.',
      cancel: 'Cancel',
      history: 'Previous conversations',
      seeAll: 'See all',
      noHistory: 'No previous conversations yet.',
      loadMore: 'Load more',
      continueChat: 'Continue the conversation',
      back: 'Back',
      close: 'Close',
      open: 'Open chat',
      minimize: 'Minimise',
      today: 'Today',
      yesterday: 'Yesterday',
      status_waiting: 'Waiting',
      status_active: 'Active',
      status_closed: 'Closed',
      topic: 'Topic',
      error: 'Something went wrong. Please try again.',
      networkError: 'Cannot reach the server. Check your connection.',
      required: 'Required',
      invalidEmail: 'Invalid email address',
      tooLong: 'At most {n} characters',
      reconnecting: 'Connection lost, reconnecting…',
      poweredBy: 'Powered by obrol',
      newMessage: 'New message',
      you: 'You',
      noMessages: 'No messages yet.',
      tenantIntro: 'Our support team is here to help. Write your message to start.',
      loading: 'Loading…'
    }
  };
  function t(key, vars) {
    var s = (STR[cfg.language] || STR.id)[key];
    if (s == null) s = STR.id[key] || key;
    if (vars) s = s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k] != null ? vars[k] : ''; });
    return s;
  }
  function locale() { return cfg.language === 'en' ? 'en-GB' : 'id-ID'; }

  // ------------------------------------------------------------------ utilities
  function uuid() {
    try { if (W.crypto && W.crypto.randomUUID) return W.crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    var b = new Uint8Array(16);
    if (W.crypto && W.crypto.getRandomValues) W.crypto.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var x = '';
    for (var j = 0; j < 16; j++) {
      x += (b[j] + 256).toString(16).slice(1);
      if (j === 3 || j === 5 || j === 7 || j === 9) x += '-';
    }
    return x;
  }
  var UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function assign(a) {
    for (var i = 1; i < arguments.length; i++) {
      var b = arguments[i];
      if (b) for (var k in b) if (b[k] !== undefined) a[k] = b[k];
    }
    return a;
  }
  function initials(name) {
    var parts = String(name || '').trim().split(/\s+/).filter(Boolean);
    if (!parts.length) return '?';
    return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  }
  function toDate(iso) { var d = new Date(iso); return isNaN(d.getTime()) ? null : d; }
  function fmtTime(iso) {
    var d = toDate(iso);
    return d ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }) : '';
  }
  function sameDay(a, b) { return a && b && a.toDateString() === b.toDateString(); }
  function fmtDay(d) {
    var now = new Date();
    if (sameDay(d, now)) return t('today');
    var y = new Date(now.getTime() - 864e5);
    if (sameDay(d, y)) return t('yesterday');
    return d.toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
  }
  function fmtShort(iso) {
    var d = toDate(iso);
    if (!d) return '';
    if (sameDay(d, new Date())) return fmtTime(iso);
    return d.toLocaleDateString(locale(), { day: 'numeric', month: 'short' });
  }
  function validEmail(s) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s); }

  // localStorage, falling back to memory when it is blocked (third-party iframes, privacy modes)
  var memStore = {};
  var store = {
    get: function (k) { try { return W.localStorage.getItem(k); } catch (e) { return k in memStore ? memStore[k] : null; } },
    set: function (k, v) { try { W.localStorage.setItem(k, v); } catch (e) { memStore[k] = String(v); } },
    del: function (k) { try { W.localStorage.removeItem(k); } catch (e) { delete memStore[k]; } }
  };
  // 'browser_uuid' is the key the OSS chat API's own integration guide uses, so a host page that
  // already calls link-user itself shares the same id with the widget.
  function browserUuid() {
    var v = store.get('browser_uuid');
    if (!v || !UUID_RE.test(v)) { v = uuid(); store.set('browser_uuid', v); }
    return v;
  }
  function nsKey(k) { return cfg.tenant ? 'obrol:t' + cfg.tenantId + ':' + k : 'obrol:' + k; }

  // ------------------------------------------------------------------ DOM helpers
  function h(tag, props) {
    var el = D.createElement(tag);
    if (props) {
      for (var k in props) {
        var v = props[k];
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k === 'value') el.value = v;
        else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, kid) {
    if (kid == null || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof kid === 'string' || typeof kid === 'number' ? D.createTextNode(String(kid)) : kid);
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  var SVGNS = 'http://www.w3.org/2000/svg';
  var ICONS = {
    chat: 'fill:M12 3C6.48 3 2 6.94 2 11.8c0 2.6 1.3 4.93 3.37 6.53-.2 1.42-.86 2.76-1.9 3.82 2.06-.1 3.96-.86 5.42-2.05.98.28 2.02.43 3.11.43 5.52 0 10-3.94 10-8.8S17.52 3 12 3z',
    x: 'M18 6 6 18|M6 6l12 12',
    down: 'M6 9l6 6 6-6',
    back: 'M15 18l-6-6 6-6',
    send: 'fill:M3.4 20.4 21.85 12.5a.55.55 0 0 0 0-1L3.4 3.6a.5.5 0 0 0-.7.6L5 11l9 1-9 1-2.3 6.8a.5.5 0 0 0 .7.6z',
    clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z|M12 7v5l3 2',
    check: 'M20 6 9 17l-5-5',
    alert: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z|M12 8v4|M12 16h.01',
    end: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4|M16 17l5-5-5-5|M21 12H9',
    history: 'M3 3v5h5|M3.05 13A9 9 0 1 0 6 5.3L3 8|M12 7v5l4 2',
    arrow: 'M5 12h14|M12 5l7 7-7 7',
    retry: 'M23 4v6h-6|M20.49 15a9 9 0 1 1-2.12-9.36L23 10',
    lock: 'M6 11h12v10H6z|M8 11V7a4 4 0 0 1 8 0v4',
    plus: 'M12 5v14|M5 12h14',
    user: 'M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2|M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z',
    wifi: 'M1 1l22 22|M16.72 11.06A10.94 10.94 0 0 1 19 12.55|M5 12.55a10.94 10.94 0 0 1 5.17-2.39|M10.71 5.05A16 16 0 0 1 22.58 9|M1.42 9a15.91 15.91 0 0 1 4.7-2.88|M8.53 16.11a6 6 0 0 1 6.95 0|M12 20h.01'
  };
  function icon(name, cls) {
    var spec = ICONS[name];
    var filled = spec.indexOf('fill:') === 0;
    if (filled) spec = spec.slice(5);
    var s = D.createElementNS(SVGNS, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    s.setAttribute('class', 'ob-icon' + (filled ? ' ob-icon-fill' : '') + (cls ? ' ' + cls : ''));
    spec.split('|').forEach(function (d) {
      var p = D.createElementNS(SVGNS, 'path');
      p.setAttribute('d', d);
      s.appendChild(p);
    });
    return s;
  }

  // Message text -> nodes. Plain text nodes only; http(s) URLs become links whose text and href
  // are set through DOM properties, never parsed as markup.
  function textNodes(text) {
    var out = [];
    var re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
    var last = 0;
    var m;
    while ((m = re.exec(text))) {
      if (m.index > last) out.push(D.createTextNode(text.slice(last, m.index)));
      var a = D.createElement('a');
      a.href = m[0];
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      a.textContent = m[0];
      out.push(a);
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(D.createTextNode(text.slice(last)));
    return out;
  }

  // ------------------------------------------------------------------ colour
  function parseColor(c) {
    if (!c) return null;
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(c).trim());
    if (!m) return null;
    var x = m[1];
    if (x.length === 3) x = x[0] + x[0] + x[1] + x[1] + x[2] + x[2];
    return [parseInt(x.slice(0, 2), 16), parseInt(x.slice(2, 4), 16), parseInt(x.slice(4, 6), 16)];
  }
  function applyColor() {
    var rgb = parseColor(cfg.color) || [13, 148, 136];
    var hex = '#' + rgb.map(function (v) { return (v + 256).toString(16).slice(1); }).join('');
    var lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
    var dark = rgb.map(function (v) { return Math.round(v * 0.78); });
    root.style.setProperty('--ob-brand', hex);
    root.style.setProperty('--ob-brand-rgb', rgb.join(','));
    root.style.setProperty('--ob-brand-dark', 'rgb(' + dark.join(',') + ')');
    root.style.setProperty('--ob-on-brand', lum > 0.62 ? '#111827' : '#ffffff');
  }

  // ------------------------------------------------------------------ HTTP
  function ApiError(status, body, cause) {
    this.status = status;
    this.body = body;
    this.cause = cause;
    var msg = '';
    if (body) {
      msg = body.error || body.message || '';
      if (body.details) msg += (msg ? ': ' : '') + body.details;
      if (body.errors && typeof body.errors === 'object') {
        var first = Object.keys(body.errors)[0];
        if (first && body.errors[first] && body.errors[first][0]) msg += (msg ? ': ' : '') + body.errors[first][0];
      }
    }
    this.message = msg || (status === 0 ? t('networkError') : t('error'));
  }
  function http(method, path, opts) {
    opts = opts || {};
    var url = new URL(path, BASE);
    if (opts.query) {
      for (var k in opts.query) {
        var v = opts.query[k];
        if (v != null && v !== '') url.searchParams.set(k, String(v));
      }
    }
    var headers = { Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    assign(headers, opts.headers);
    var ctrl = W.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, opts.timeout || 20000);
    return fetch(url.href, {
      method: method,
      headers: headers,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      credentials: 'omit',
      mode: 'cors',
      cache: 'no-store',
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      clearTimeout(timer);
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!res.ok) throw new ApiError(res.status, data);
        return data;
      });
    }, function (err) {
      clearTimeout(timer);
      throw new ApiError(0, null, err);
    });
  }
  function wsUrl(path, query) {
    var u = new URL(path, BASE);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    for (var k in query) if (query[k] != null && query[k] !== '') u.searchParams.set(k, String(query[k]));
    return u.href;
  }

  // ------------------------------------------------------------------ API adapters
  // Both adapters produce the same normalised shapes:
  //   session { id, status: waiting|active|closed, topic, agent:{name,...}|null, queuePosition,
  //             contact, startedAt, endedAt, lastMessage }
  //   message { id, key, text, senderType: customer|agent|system, senderName, createdAt,
  //             clientId, state: sent|pending|failed }
  var seq = 0;
  function normMessage(m, senderType) {
    return {
      id: m.id,
      key: m.id || ('k' + (++seq)),
      sessionId: m.session_id,
      text: m.message == null ? '' : String(m.message),
      senderType: senderType || m.sender_type || 'customer',
      senderName: m.sender_name || null,
      createdAt: m.created_at,
      clientId: m.client_id || null,
      state: 'sent'
    };
  }

  var OSS = {
    p: 'api/chat/',
    canClose: true,
    canWait: true,
    hasTopic: true,
    ident: function (withEmail) {
      var u = S.user;
      if (u && u.ossUserId) {
        var o = { oss_user_id: String(u.ossUserId) };
        if (u.userHash) o.user_hash = u.userHash;
        if (withEmail && u.email) o.email = u.email;
        return o;
      }
      return { browser_uuid: browserUuid() };
    },
    normSession: function (s) {
      return {
        id: s.session_id || s.id,
        status: s.status,
        topic: s.topic,
        priority: s.priority,
        agent: s.agent || null,
        department: s.department || null,
        contact: s.contact || null,
        queuePosition: s.queue_position,
        startedAt: s.started_at,
        endedAt: s.ended_at,
        lastMessage: s.last_message ? normMessage(s.last_message) : null
      };
    },
    normPartial: function (s) {
      var o = { status: s.status };
      if ('agent' in s) o.agent = s.agent;
      if ('queue_position' in s) o.queuePosition = s.queue_position;
      return o;
    },
    start: function (topic) {
      var body = assign({
        topic: topic,
        priority: cfg.priority || 'normal',
        user_agent: navigator.userAgent,
        page_url: cfg.pageUrl || location.href,
        department_id: cfg.departmentId || undefined
      }, OSS.ident(true));
      if (body.oss_user_id) body.browser_uuid = browserUuid();
      return http('POST', OSS.p + 'start', { body: body }).then(function (r) {
        return {
          session: { id: r.session_id, status: r.status || 'waiting', topic: topic, agent: null, contact: null, startedAt: new Date().toISOString() },
          requiresContact: r.requires_contact !== false
        };
      });
    },
    contact: function (sid, c) {
      return http('POST', OSS.p + 'contact', { body: assign({ session_id: sid }, c) });
    },
    link: function (u) {
      return http('POST', OSS.p + 'link-user', {
        body: { browser_uuid: browserUuid(), oss_user_id: String(u.ossUserId), email: u.email || '', user_hash: u.userHash || undefined }
      });
    },
    history: function (limit, offset) {
      return http('GET', OSS.p + 'history', { query: assign({ limit: limit, offset: offset }, OSS.ident()) }).then(function (r) {
        return { items: (r.sessions || []).map(OSS.normSession), total: r.total };
      });
    },
    session: function (id) {
      return http('GET', OSS.p + 'session/' + encodeURIComponent(id), { query: OSS.ident() }).then(function (r) {
        return { session: OSS.normSession(r), messages: (r.messages || []).map(function (m) { return normMessage(m); }) };
      });
    },
    send: function (id, text, clientId) {
      return http('POST', OSS.p + 'session/' + encodeURIComponent(id) + '/messages', {
        body: assign({ message: text, client_id: clientId }, OSS.ident())
      }).then(function (m) { return normMessage(m, 'customer'); });
    },
    poll: function (id, after, wait) {
      return http('GET', OSS.p + 'session/' + encodeURIComponent(id) + '/messages', {
        query: assign({ after: after, wait: wait || undefined, limit: 100 }, OSS.ident()),
        timeout: ((wait || 0) + 15) * 1000
      }).then(function (r) {
        return {
          messages: (r.messages || []).map(function (m) { return normMessage(m); }),
          session: r.session ? OSS.normPartial(r.session) : null
        };
      });
    },
    close: function (id) {
      return http('POST', OSS.p + 'session/' + encodeURIComponent(id) + '/close', { body: OSS.ident() });
    },
    typing: function (id, on) {
      return http('POST', OSS.p + 'session/' + encodeURIComponent(id) + '/typing', { body: assign({ typing: on }, OSS.ident()) });
    },
    availability: function () {
      return http('GET', OSS.p + 'availability', { query: { department_id: cfg.departmentId } });
    },
    socket: function (id, after) {
      return wsUrl(OSS.p + 'session/' + encodeURIComponent(id) + '/ws', assign({ after: after }, OSS.ident()));
    },
    eventMessage: function (d) { return normMessage(d); },
    eventSession: function (d) { return OSS.normPartial(d); },
    findOpen: function () {
      return OSS.history(5, 0).then(function (r) {
        return r.items.filter(function (s) { return s.status !== 'closed'; })[0] || null;
      });
    }
  };

  // Tenant family: Bearer token + X-Tenant-ID, APIResponse envelope, sessions OPEN|CLOSED.
  var TEN = {
    p: 'api/livechat/',
    canClose: false, // only support agents (or the assigned agent) close tenant sessions
    canWait: false,
    hasTopic: false,
    headers: function () { return { Authorization: 'Bearer ' + cfg.tenantToken, 'X-Tenant-ID': String(cfg.tenantId) }; },
    data: function (r) { return r && typeof r === 'object' && 'data' in r ? r.data : r; },
    me: function () {
      var v = store.get(nsKey('me'));
      if (v != null && v !== '') return Number(v);
      // a JWT minted by the host names the user in `sub`
      var parts = String(cfg.tenantToken).split('.');
      if (parts.length === 3) {
        try {
          var p = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')));
          if (p.sub != null && !isNaN(Number(p.sub))) return Number(p.sub);
        } catch (e) { /* opaque token */ }
      }
      return null;
    },
    normSession: function (s) {
      var agent = s.agent || null;
      if (!agent && s.agent_id != null) agent = { number: s.agent_id, name: s.agent_name || null };
      return {
        id: s.id,
        status: s.status === 'CLOSED' ? 'closed' : (s.agent_id != null || s.agent ? 'active' : 'waiting'),
        topic: s.topic || null,
        agent: agent,
        contact: null,
        queuePosition: s.queue_position,
        startedAt: s.created_at,
        endedAt: s.status === 'CLOSED' ? (s.ended_at || s.updated_at) : null,
        lastMessage: s.last_message ? TEN.normMessage(s.last_message) : null
      };
    },
    normMessage: function (m) {
      var type = m.sender_type;
      if (type !== 'agent' && type !== 'system') {
        if (type) type = 'customer';
        else {
          var me = TEN.me();
          var agentNo = S.session && S.session.agent ? S.session.agent.number : null;
          if (me != null) type = Number(m.sender_id) === me ? 'customer' : 'agent';
          else type = agentNo != null && Number(m.sender_id) === Number(agentNo) ? 'agent' : 'customer';
        }
      }
      return normMessage(m, type);
    },
    start: function () {
      return http('POST', TEN.p + 'sessions', { body: {}, headers: TEN.headers() }).then(function (r) {
        return { session: TEN.normSession(TEN.data(r)), requiresContact: false };
      });
    },
    history: function (limit) {
      return http('GET', TEN.p + 'sessions', { query: { limit: limit }, headers: TEN.headers() }).then(function (r) {
        return { items: (TEN.data(r) || []).map(TEN.normSession), total: null };
      });
    },
    session: function (id) {
      var base = TEN.p + 'sessions/' + encodeURIComponent(id);
      return http('GET', base, { headers: TEN.headers() }).then(function (s) {
        var session = TEN.normSession(TEN.data(s));
        return http('GET', base + '/messages', { query: { limit: 100 }, headers: TEN.headers() }).then(function (m) {
          return { session: session, messages: (TEN.data(m) || []).slice().reverse().map(TEN.normMessage) };
        });
      });
    },
    send: function (id, text, clientId) {
      return http('POST', TEN.p + 'sessions/' + encodeURIComponent(id) + '/messages', {
        body: { message: text, client_id: clientId }, headers: TEN.headers()
      }).then(function (r) {
        var m = TEN.data(r);
        if (m && m.sender_id != null) store.set(nsKey('me'), String(m.sender_id));
        return normMessage(m, 'customer');
      });
    },
    poll: function (id, after) {
      var base = TEN.p + 'sessions/' + encodeURIComponent(id);
      var q = after ? { cursor: after, direction: 'newer', limit: 100 } : { limit: 100 };
      return Promise.all([
        http('GET', base + '/messages', { query: q, headers: TEN.headers() }),
        http('GET', base, { headers: TEN.headers() })
      ]).then(function (rs) {
        var s = TEN.normSession(TEN.data(rs[1]));
        return {
          messages: (TEN.data(rs[0]) || []).slice().reverse().map(TEN.normMessage),
          session: { status: s.status, agent: s.agent, queuePosition: s.queuePosition }
        };
      });
    },
    close: function () { return Promise.reject(new ApiError(403, null)); },
    typing: function (id, on) {
      return http('POST', TEN.p + 'sessions/' + encodeURIComponent(id) + '/typing', { body: { typing: on }, headers: TEN.headers() });
    },
    availability: function () { return http('GET', OSS.p + 'availability'); },
    socket: function (id, after) {
      return wsUrl(TEN.p + 'sessions/' + encodeURIComponent(id) + '/ws', { access_token: cfg.tenantToken, tenant_id: cfg.tenantId, after: after });
    },
    eventMessage: function (d) { return TEN.normMessage(d); },
    eventSession: function (d) {
      var s = TEN.normSession(d);
      return { status: s.status, agent: s.agent, queuePosition: s.queuePosition };
    },
    findOpen: function () {
      return http('GET', TEN.p + 'sessions', { query: { status: 'OPEN', limit: 1 }, headers: TEN.headers() }).then(function (r) {
        var d = TEN.data(r) || [];
        return d.length ? TEN.normSession(d[0]) : null;
      });
    }
  };
  function api() { return cfg.tenant ? TEN : OSS; }

  // ------------------------------------------------------------------ state
  var S = {
    user: cfg.ossUserId ? { ossUserId: cfg.ossUserId, email: cfg.email, userHash: cfg.userHash } : null,
    open: false,
    view: 'home', // home | contact | chat | history
    session: null, // the conversation on screen
    current: null, // id of this browser's open conversation
    messages: [],
    unread: Number(store.get(nsKey('unread')) || 0) || 0,
    availability: null,
    history: null,
    historyTotal: 0,
    agentTyping: null,
    drafts: {},
    conn: 'ok',
    confirmEnd: false,
    busy: false,
    formError: '',
    preview: null
  };

  function saveCurrent() {
    if (S.current) store.set(nsKey('session'), S.current);
    else store.del(nsKey('session'));
  }
  function setUnread(n) {
    S.unread = Math.max(0, n);
    store.set(nsKey('unread'), String(S.unread));
    renderLauncher();
  }
  function isOpenSession(s) { return !!s && s.status !== 'closed'; }
  function viewingCurrent() { return S.session && S.current && S.session.id === S.current; }

  // ------------------------------------------------------------------ mount (Shadow DOM)
  var host, root, els = {};
  function mount() {
    host = D.createElement('obrol-widget');
    // Inline !important beats any host-page rule for the host element itself; the shadow root
    // keeps the host's styles away from everything inside.
    host.setAttribute('style', cfg.mode === 'page'
      ? 'all:initial !important;display:block !important;width:100% !important;height:100% !important;'
      : 'all:initial !important;display:block !important;position:static !important;');
    var shadow = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    root = h('div', { class: 'ob-root ob-mode-' + cfg.mode + ' ob-pos-' + cfg.position, 'data-ob': 'root', lang: cfg.language });
    root.style.visibility = 'hidden';
    var css = h('link', { rel: 'stylesheet', href: new URL('widget.css', ASSET_BASE).href });
    var shown = false;
    function show() { if (!shown) { shown = true; root.style.visibility = ''; } }
    css.addEventListener('load', show);
    css.addEventListener('error', show);
    setTimeout(show, 3000);
    shadow.appendChild(css);
    shadow.appendChild(root);

    els.preview = h('div', { class: 'ob-preview', 'data-ob': 'preview', hidden: true });
    els.panel = h('div', { class: 'ob-panel', role: 'dialog', 'aria-label': cfg.title || t('title'), 'data-ob': 'panel', hidden: cfg.mode !== 'page' });
    els.launcher = h('button', {
      class: 'ob-launcher', type: 'button', 'data-ob': 'launcher', 'aria-label': t('open'), 'aria-expanded': 'false',
      onclick: function () { toggle(); }
    }, icon('chat', 'ob-l-open'), icon('down', 'ob-l-close'), h('span', { class: 'ob-badge', 'data-ob': 'badge', hidden: true }));
    root.appendChild(els.preview);
    root.appendChild(els.panel);
    if (cfg.mode !== 'page') root.appendChild(els.launcher);
    if (cfg.hideLauncher) els.launcher.hidden = true;

    var container = null;
    if (cfg.mode === 'page') {
      try { container = cfg.container ? D.querySelector(cfg.container) : D.getElementById('obrol-chat'); } catch (e) { container = null; }
    }
    (container || D.body || D.documentElement).appendChild(host);
    applyColor();

    root.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && cfg.mode !== 'page' && S.open) {
        if (S.confirmEnd) { S.confirmEnd = false; render(); } else closePanel();
      }
    });
    D.addEventListener('visibilitychange', function () { if (D.visibilityState === 'visible') markRead(); });
  }

  // ------------------------------------------------------------------ rendering
  function render() {
    if (!els.panel) return;
    root.setAttribute('lang', cfg.language);
    root.classList.toggle('ob-is-open', S.open || cfg.mode === 'page');
    els.panel.hidden = !(S.open || cfg.mode === 'page');
    clear(els.panel);
    els.list = els.typing = els.input = null;
    var v = S.view;
    if (v === 'chat' && S.session) renderChat();
    else if (v === 'contact' && S.session) renderContact();
    else if (v === 'history') renderHistory();
    else { S.view = 'home'; renderHome(); }
    renderLauncher();
  }

  function headerButtons() {
    if (cfg.mode === 'page') return null;
    return h('button', { class: 'ob-hbtn', type: 'button', 'aria-label': t('minimize'), title: t('minimize'), 'data-ob': 'minimize', onclick: closePanel }, icon('down'));
  }

  function renderLauncher() {
    if (!els.launcher) return;
    var open = S.open;
    els.launcher.classList.toggle('ob-open', open);
    els.launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
    els.launcher.setAttribute('aria-label', open ? t('close') : t('open'));
    var badge = els.launcher.querySelector('.ob-badge');
    badge.hidden = !S.unread || open;
    badge.textContent = S.unread > 9 ? '9+' : String(S.unread);
    if (S.preview && !open && cfg.mode !== 'page') {
      clear(els.preview);
      var p = S.preview;
      add(els.preview, [
        h('button', { class: 'ob-preview-x', type: 'button', 'aria-label': t('close'), onclick: function (e) { e.stopPropagation(); S.preview = null; renderLauncher(); } }, icon('x')),
        h('div', { class: 'ob-preview-body', role: 'button', tabindex: '0', onclick: function () { openPanel(); } },
          h('div', { class: 'ob-avatar ob-avatar-sm' }, initials(p.name)),
          h('div', { class: 'ob-preview-main' },
            h('div', { class: 'ob-preview-name' }, p.name),
            h('div', { class: 'ob-preview-text', 'data-ob': 'preview-text' }, p.text)))
      ]);
      els.preview.hidden = false;
    } else {
      els.preview.hidden = true;
    }
  }

  // ---------- home
  // The home view is built once per visit and then updated slot by slot, so a late answer
  // (availability, history) never wipes what the visitor is typing.
  function presenceLine() {
    var a = S.availability;
    if (!a) return h('div', { class: 'ob-presence ob-presence-unknown' }, h('span', { class: 'ob-dot' }), '\u00a0');
    var on = !!a.online;
    var n = a.agents_online || 0;
    return h('div', { class: 'ob-presence', 'data-ob': 'presence', 'data-online': on ? 'true' : 'false' },
      h('span', { class: 'ob-dot' + (on ? ' ob-dot-on' : '') }),
      on ? (n > 1 ? t('online', { n: n }) : t('onlineOne')) : t('offline'));
  }

  function renderHome() {
    els.presence = h('div', { class: 'ob-presence-slot' }, presenceLine());
    var hdr = h('header', { class: 'ob-header ob-header-home' },
      h('div', { class: 'ob-header-top' },
        h('div', { class: 'ob-brand' }, h('span', { class: 'ob-brand-mark' }, icon('chat')), cfg.title || t('title')),
        h('div', { class: 'ob-hbtns' },
          h('button', { class: 'ob-hbtn', type: 'button', 'aria-label': t('history'), title: t('history'), 'data-ob': 'open-history', onclick: function () { go('history'); } }, icon('history')),
          headerButtons())),
      h('div', { class: 'ob-hello' }, t('greeting')),
      h('div', { class: 'ob-intro' }, cfg.tenant ? t('tenantIntro') : t('intro')),
      els.presence);
    els.homeMain = h('div', { class: 'ob-home-main' });
    els.homeHist = h('div', { class: 'ob-home-hist' });
    var body = h('div', { class: 'ob-body ob-home', 'data-ob': 'home' },
      els.homeMain, els.homeHist, h('div', { class: 'ob-powered' }, t('poweredBy')));
    els.panel.appendChild(hdr);
    els.panel.appendChild(body);
    fillHomeMain();
    fillHomeHistory();
  }

  function homeShowsContinue() { return !!(S.current && S.currentSession && isOpenSession(S.currentSession)); }

  function fillHomeMain() {
    if (!els.homeMain) return;
    clear(els.homeMain);
    els.startForm = null;
    var cur = S.currentSession;
    if (homeShowsContinue()) {
      els.homeMain.setAttribute('data-kind', 'continue');
      els.homeMain.appendChild(h('button', { class: 'ob-card ob-card-link ob-continue', type: 'button', 'data-ob': 'continue', onclick: function () { openConversation(S.current); } },
        h('div', { class: 'ob-card-kicker' }, h('span', { class: 'ob-dot ob-dot-on' }), t('continueChat')),
        h('div', { class: 'ob-row-between' },
          h('div', { class: 'ob-continue-main' },
            h('div', { class: 'ob-continue-topic' }, cur.topic || t('title')),
            h('div', { class: 'ob-continue-sub' }, lastLine(cur))),
          h('span', { class: 'ob-go' }, icon('arrow')))));
    } else {
      els.homeMain.setAttribute('data-kind', 'start');
      els.startForm = renderStartForm();
      els.homeMain.appendChild(els.startForm);
    }
  }

  function fillHomeHistory() {
    if (!els.homeHist) return;
    clear(els.homeHist);
    var hist = (S.history || []).filter(function (s) { return s.id !== S.current; }).slice(0, 3);
    if (!hist.length) return;
    els.homeHist.appendChild(h('div', { class: 'ob-card ob-card-list' },
      h('div', { class: 'ob-card-head' },
        h('div', { class: 'ob-card-title' }, t('history')),
        h('button', { class: 'ob-link', type: 'button', 'data-ob': 'see-history', onclick: function () { go('history'); } }, t('seeAll'))),
      hist.map(historyItem)));
  }

  function updateHome() {
    if (S.view !== 'home' || !els.homeMain || !els.homeMain.parentNode) return;
    clear(els.presence);
    els.presence.appendChild(presenceLine());
    var kind = homeShowsContinue() ? 'continue' : 'start';
    if (kind === 'continue' || els.homeMain.getAttribute('data-kind') !== kind) fillHomeMain();
    else updateStartFormOffline();
    fillHomeHistory();
  }

  function lastLine(s) {
    var m = s.lastMessage;
    if (!m) return s.status === 'waiting' ? t('waiting') : t('status_' + s.status);
    var who = m.senderType === 'customer' ? t('you') + ': ' : '';
    return who + m.text;
  }

  function draftInput(tag, props, key) {
    var el = h(tag, props);
    if (S.drafts[key] != null) el.value = S.drafts[key];
    el.addEventListener('input', function () { S.drafts[key] = el.value; });
    return el;
  }

  function offlineNotice() {
    return h('div', { class: 'ob-notice', 'data-ob': 'offline' }, icon('clock'), h('span', null, cfg.tenant ? t('tenantOffline') : t('offlineNotice')));
  }
  function updateStartFormOffline() {
    var f = els.startForm;
    if (!f) return;
    var offline = !!(S.availability && !S.availability.online);
    var slot = f.querySelector('.ob-notice-slot');
    clear(slot);
    if (offline) slot.appendChild(offlineNotice());
    var label = f.querySelector('[data-ob=start] .ob-btn-label');
    if (label) label.textContent = offline && !cfg.tenant ? t('leaveMessage') : t('startChat');
  }

  function renderStartForm() {
    var hasTopic = api().hasTopic;
    var topic = hasTopic ? draftInput('input', {
      class: 'ob-input', id: 'ob-topic', name: 'topic', maxlength: '255', autocomplete: 'off',
      placeholder: t('topicPlaceholder'), 'data-ob': 'topic', value: cfg.topic || ''
    }, 'topic') : null;
    var msg = draftInput('textarea', {
      class: 'ob-input ob-textarea', id: 'ob-first', name: 'message', rows: '3', maxlength: '4000',
      placeholder: t('messagePlaceholder'), 'data-ob': 'first-message'
    }, 'first');
    var err = h('div', { class: 'ob-form-error', role: 'alert', 'data-ob': 'form-error' }, S.formError || '');
    err.hidden = !S.formError;
    var btn = h('button', { class: 'ob-btn ob-btn-primary ob-btn-block', type: 'submit', 'data-ob': 'start' },
      h('span', { class: 'ob-btn-label' }, t('startChat')), icon('send'));
    var chips = hasTopic && cfg.topics.length ? h('div', { class: 'ob-chips' }, cfg.topics.map(function (tp) {
      return h('button', { class: 'ob-chip', type: 'button', onclick: function () { topic.value = tp; S.drafts.topic = tp; topic.dispatchEvent(new Event('input')); msg.focus(); } }, tp);
    })) : null;
    var form = h('form', { class: 'ob-card ob-start', 'data-ob': 'start-form', novalidate: true },
      h('div', { class: 'ob-card-title' }, t('newConversation')),
      h('div', { class: 'ob-notice-slot' }),
      hasTopic ? h('label', { class: 'ob-label', for: 'ob-topic' }, t('topicLabel')) : null,
      topic, chips,
      h('label', { class: 'ob-label', for: 'ob-first' }, t('messageLabel'), hasTopic ? h('span', { class: 'ob-muted' }, ' ' + t('messageOptional')) : null),
      msg, err, btn);
    els.startForm = form;
    updateStartFormOffline();
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (S.busy) return;
      var tv = topic ? topic.value.trim() : '';
      var mv = msg.value.trim();
      if (hasTopic && !tv) { showFieldError(topic, t('required')); return; }
      if (!hasTopic && !mv) { showFieldError(msg, t('required')); return; }
      startConversation(tv, msg.value.replace(/^\s+|\s+$/g, ''), btn);
    });
    msg.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); btn.click(); }
    });
    return form;
  }

  function showFieldError(input, text) {
    input.classList.add('ob-invalid');
    input.setAttribute('aria-invalid', 'true');
    var next = input.nextElementSibling;
    if (!next || !next.classList.contains('ob-field-error')) {
      next = h('div', { class: 'ob-field-error' });
      input.parentNode.insertBefore(next, input.nextSibling);
    }
    next.textContent = text;
    input.focus();
    input.addEventListener('input', function once() {
      input.classList.remove('ob-invalid');
      input.removeAttribute('aria-invalid');
      if (next.parentNode) next.parentNode.removeChild(next);
      input.removeEventListener('input', once);
    });
  }

  function historyItem(s) {
    return h('button', { class: 'ob-hist', type: 'button', 'data-ob': 'history-item', 'data-status': s.status, onclick: function () { openConversation(s.id); } },
      h('div', { class: 'ob-avatar ob-avatar-sm' + (s.agent && s.agent.name ? '' : ' ob-avatar-muted') }, s.agent && s.agent.name ? initials(s.agent.name) : icon('chat')),
      h('div', { class: 'ob-hist-main' },
        h('div', { class: 'ob-row-between' },
          h('div', { class: 'ob-hist-topic' }, s.topic || (s.agent && s.agent.name) || t('title')),
          h('div', { class: 'ob-hist-date' }, fmtShort((s.lastMessage && s.lastMessage.createdAt) || s.startedAt))),
        h('div', { class: 'ob-row-between' },
          h('div', { class: 'ob-hist-last' }, lastLine(s)),
          h('span', { class: 'ob-pill ob-pill-' + s.status }, t('status_' + s.status)))));
  }

  // ---------- history
  function renderHistory() {
    els.panel.appendChild(h('header', { class: 'ob-header ob-header-bar' },
      h('button', { class: 'ob-hbtn', type: 'button', 'aria-label': t('back'), 'data-ob': 'back', onclick: function () { go('home'); } }, icon('back')),
      h('div', { class: 'ob-htitle' }, t('history')),
      headerButtons()));
    var body = h('div', { class: 'ob-body ob-history', 'data-ob': 'history' });
    els.panel.appendChild(body);
    if (S.history == null) { body.appendChild(h('div', { class: 'ob-empty' }, t('loading'))); return; }
    if (!S.history.length) { body.appendChild(h('div', { class: 'ob-empty' }, icon('history'), h('div', null, t('noHistory')))); return; }
    body.appendChild(h('div', { class: 'ob-card ob-card-list' }, S.history.map(historyItem)));
    if (S.historyTotal && S.history.length < S.historyTotal) {
      body.appendChild(h('button', { class: 'ob-btn ob-btn-ghost ob-btn-block', type: 'button', onclick: function () { loadHistory(true); } }, t('loadMore')));
    }
  }

  // ---------- contact
  function renderContact() {
    els.panel.appendChild(h('header', { class: 'ob-header ob-header-bar' },
      h('button', { class: 'ob-hbtn', type: 'button', 'aria-label': t('back'), onclick: function () { go('home'); } }, icon('back')),
      h('div', { class: 'ob-htitle' }, S.session.topic || t('title')),
      headerButtons()));
    function field(name, label, type, required, value, auto) {
      return h('div', { class: 'ob-field' },
        h('label', { class: 'ob-label', for: 'ob-c-' + name }, label, required ? null : h('span', { class: 'ob-muted' }, ' (' + t('optional') + ')')),
        draftInput('input', { class: 'ob-input', id: 'ob-c-' + name, name: name, type: type, maxlength: '255', value: value || '', autocomplete: auto, 'data-ob': 'contact-' + name }, 'c_' + name));
    }
    var u = S.user || {};
    var form = h('form', { class: 'ob-card', 'data-ob': 'contact-form', novalidate: true },
      h('div', { class: 'ob-contact-icon' }, icon('user')),
      h('div', { class: 'ob-card-title' }, t('contactTitle')),
      h('p', { class: 'ob-card-text' }, t('contactIntro')),
      field('contact_name', t('name'), 'text', true, cfg.contactName, 'name'),
      field('contact_email', t('email'), 'email', true, cfg.contactEmail || u.email || cfg.email, 'email'),
      field('contact_phone', t('phone'), 'tel', false, cfg.contactPhone, 'tel'),
      field('company_name', t('company'), 'text', false, cfg.companyName, 'organization'),
      field('position', t('position'), 'text', false, cfg.contactPosition, 'organization-title'),
      h('div', { class: 'ob-form-error', role: 'alert', hidden: !S.formError }, S.formError || ''),
      h('button', { class: 'ob-btn ob-btn-primary ob-btn-block', type: 'submit', 'data-ob': 'contact-submit' }, t('continue'), icon('arrow')));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (S.busy) return;
      var get = function (n) { return form.elements[n].value.trim(); };
      if (!get('contact_name')) return showFieldError(form.elements.contact_name, t('required'));
      if (!validEmail(get('contact_email'))) return showFieldError(form.elements.contact_email, get('contact_email') ? t('invalidEmail') : t('required'));
      var c = { contact_name: get('contact_name'), contact_email: get('contact_email') };
      ['contact_phone', 'company_name', 'position'].forEach(function (n) { if (get(n)) c[n] = get(n); });
      submitContact(c, form.querySelector('[type=submit]'));
    });
    var body = h('div', { class: 'ob-body ob-contact' }, form);
    els.panel.appendChild(body);
  }

  // ---------- chat
  function headerSub(s) {
    if (s.status === 'closed') return t('status_closed');
    if (s.status === 'waiting') return t('waiting');
    return t('active');
  }
  // the assigned agent's name; tenant sessions only carry agent_id, so fall back to the name
  // on the latest agent message
  function currentAgentName() {
    var s = S.session;
    if (s && s.agent && s.agent.name) return s.agent.name;
    if (!s || !s.agent) return null;
    for (var i = S.messages.length - 1; i >= 0; i--) {
      if (S.messages[i].senderType === 'agent' && S.messages[i].senderName) return S.messages[i].senderName;
    }
    return null;
  }

  function renderChatHeader() {
    var s = S.session;
    var agentName = currentAgentName();
    var hdr = h('header', { class: 'ob-header ob-header-bar ob-header-chat', 'data-ob': 'chat-header' },
      h('button', { class: 'ob-hbtn', type: 'button', 'aria-label': t('back'), title: t('back'), 'data-ob': 'back', onclick: function () { go('home'); } }, icon('back')),
      h('div', { class: 'ob-avatar' + (agentName ? '' : ' ob-avatar-team') }, agentName ? initials(agentName) : icon('chat')),
      h('div', { class: 'ob-hinfo' },
        h('div', { class: 'ob-htitle', 'data-ob': 'agent-name' }, agentName || cfg.title || t('title')),
        h('div', { class: 'ob-hsub', 'data-ob': 'session-status', 'data-status': s.status },
          s.status === 'active' ? h('span', { class: 'ob-dot ob-dot-on' }) : null,
          headerSub(s))),
      api().canClose && isOpenSession(s) ? h('button', {
        class: 'ob-hbtn', type: 'button', 'aria-label': t('endChat'), title: t('endChat'), 'data-ob': 'end',
        onclick: function () { S.confirmEnd = true; renderChatOverlay(); }
      }, icon('end')) : null,
      headerButtons());
    return hdr;
  }

  function renderChat() {
    var s = S.session;
    els.chatHeader = renderChatHeader();
    els.panel.appendChild(els.chatHeader);
    els.banner = h('div', { class: 'ob-banner', 'data-ob': 'banner', hidden: true });
    els.list = h('div', { class: 'ob-messages', role: 'log', 'aria-live': 'polite', 'data-ob': 'messages' });
    els.typing = h('div', { class: 'ob-typing', 'data-ob': 'typing', hidden: true });
    els.footer = h('div', { class: 'ob-footer' });
    els.overlay = h('div', { class: 'ob-overlay', hidden: true });
    var body = h('div', { class: 'ob-body ob-chat', 'data-ob': 'chat', 'data-session': s.id },
      els.banner,
      h('div', { class: 'ob-scroll' }, els.list, els.typing),
      els.footer,
      els.overlay);
    els.panel.appendChild(body);
    els.scroll = body.querySelector('.ob-scroll');
    renderBanner();
    renderMessages(true);
    renderTyping();
    renderFooter();
    renderChatOverlay();
  }

  function refreshChatChrome() {
    if (S.view !== 'chat' || !els.chatHeader || !els.chatHeader.parentNode) return;
    var hdr = renderChatHeader();
    els.panel.replaceChild(hdr, els.chatHeader);
    els.chatHeader = hdr;
    renderBanner();
    renderFooter();
  }

  function renderBanner() {
    if (!els.banner) return;
    var s = S.session;
    clear(els.banner);
    els.banner.className = 'ob-banner';
    var show = true;
    if (S.conn === 'reconnecting' && isOpenSession(s) && viewingCurrent()) {
      els.banner.classList.add('ob-banner-warn');
      add(els.banner, [icon('wifi'), h('span', null, t('reconnecting'))]);
    } else if (s.status === 'waiting') {
      var offline = S.availability && !S.availability.online;
      var q = s.queuePosition;
      add(els.banner, [
        h('span', { class: 'ob-spinner' }),
        h('div', null,
          h('div', { class: 'ob-banner-title' }, offline ? t('offline') : t('waiting')),
          h('div', { class: 'ob-banner-sub', 'data-ob': 'queue' },
            offline ? t('offlineNotice') : (q != null && q > 0 ? (q === 1 ? t('queueNext') : t('queue', { n: q })) : t('waitingSub'))))
      ]);
      if (q != null) els.banner.setAttribute('data-queue', String(q));
    } else {
      show = false;
    }
    els.banner.hidden = !show;
  }

  function atBottom() {
    var sc = els.scroll;
    return !sc || sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60;
  }
  function scrollDown() {
    var sc = els.scroll;
    if (sc) sc.scrollTop = sc.scrollHeight;
  }

  function renderMessages(forceBottom) {
    if (!els.list) return;
    var stick = forceBottom || atBottom();
    clear(els.list);
    var s = S.session;
    if (s.topic) {
      els.list.appendChild(h('div', { class: 'ob-topic', 'data-ob': 'topic-line' },
        h('span', { class: 'ob-topic-label' }, t('topic')), h('span', { class: 'ob-topic-text' }, s.topic)));
    }
    var msgs = S.messages;
    var prevDay = null;
    for (var i = 0; i < msgs.length; i++) {
      var m = msgs[i];
      var d = toDate(m.createdAt) || new Date();
      if (!prevDay || !sameDay(prevDay, d)) {
        els.list.appendChild(h('div', { class: 'ob-day' }, h('span', null, fmtDay(d))));
      }
      prevDay = d;
      var prev = msgs[i - 1];
      var next = msgs[i + 1];
      var first = !prev || !sameGroup(prev, m);
      var last = !next || !sameGroup(m, next);
      els.list.appendChild(renderMessage(m, first, last));
    }
    if (!msgs.length && !s.topic) els.list.appendChild(h('div', { class: 'ob-empty' }, t('noMessages')));
    if (stick) scrollDown();
  }

  function sameGroup(a, b) {
    if (a.senderType !== b.senderType || a.senderType === 'system') return false;
    if ((a.senderName || '') !== (b.senderName || '') && a.senderType === 'agent') return false;
    var da = toDate(a.createdAt), db = toDate(b.createdAt);
    if (!da || !db) return true;
    return Math.abs(db - da) < 5 * 60 * 1000 && sameDay(da, db);
  }

  function agentName(m) {
    return m.senderName || currentAgentName() || t('agent');
  }

  function renderMessage(m, first, last) {
    if (m.senderType === 'system') {
      return h('div', { class: 'ob-system', 'data-ob': 'message', 'data-sender': 'system', 'data-id': m.id || '' },
        h('span', { class: 'ob-system-text', 'data-ob': 'text' }, m.text),
        h('span', { class: 'ob-system-time' }, fmtTime(m.createdAt)));
    }
    var mine = m.senderType === 'customer';
    var bubble = h('div', { class: 'ob-bubble', 'data-ob': 'text' }, textNodes(m.text));
    var row = h('div', { class: 'ob-msg ' + (mine ? 'ob-mine' : 'ob-theirs') + (first ? ' ob-first' : '') + (last ? ' ob-last' : ''),
      'data-ob': 'message', 'data-sender': m.senderType, 'data-state': m.state, 'data-id': m.id || '', 'data-client-id': m.clientId || '' });
    if (!mine && first) row.appendChild(h('div', { class: 'ob-msg-name', 'data-ob': 'sender-name' }, agentName(m)));
    var line = h('div', { class: 'ob-msg-line' });
    if (!mine) line.appendChild(last ? h('div', { class: 'ob-avatar ob-avatar-xs' }, initials(agentName(m))) : h('div', { class: 'ob-avatar-gap' }));
    line.appendChild(bubble);
    row.appendChild(line);
    if (m.state === 'failed') {
      row.appendChild(h('div', { class: 'ob-meta ob-meta-failed' },
        icon('alert'), h('span', null, t('failed')),
        isOpenSession(S.session) ? h('button', { class: 'ob-retry', type: 'button', 'data-ob': 'retry', onclick: function () { deliver(m); } }, icon('retry'), t('retry')) : null));
    } else if (last || m.state === 'pending') {
      row.appendChild(h('div', { class: 'ob-meta' },
        h('span', { class: 'ob-time', title: m.createdAt ? new Date(m.createdAt).toLocaleString(locale()) : '' }, m.state === 'pending' ? t('pending') : fmtTime(m.createdAt)),
        mine ? h('span', { class: 'ob-state', 'aria-label': m.state === 'pending' ? t('pending') : t('sent') }, icon(m.state === 'pending' ? 'clock' : 'check')) : null));
    }
    return row;
  }

  function renderTyping() {
    if (!els.typing) return;
    var tp = S.agentTyping;
    clear(els.typing);
    els.typing.hidden = !tp;
    if (tp) {
      var name = tp.name || (S.session.agent && S.session.agent.name) || t('agent');
      add(els.typing, [
        h('div', { class: 'ob-avatar ob-avatar-xs' }, initials(name)),
        h('div', { class: 'ob-typing-bubble' }, h('i'), h('i'), h('i')),
        h('span', { class: 'ob-typing-text' }, t('typing', { name: name }))
      ]);
      if (atBottom()) scrollDown();
    }
  }

  function renderFooter() {
    if (!els.footer) return;
    clear(els.footer);
    var s = S.session;
    if (!isOpenSession(s)) {
      els.input = null;
      els.footer.appendChild(h('div', { class: 'ob-closed', 'data-ob': 'closed' },
        h('div', { class: 'ob-closed-icon' }, icon('lock')),
        h('div', { class: 'ob-closed-title' }, t('closed')),
        h('div', { class: 'ob-closed-sub' }, t('closedSub')),
        h('button', { class: 'ob-btn ob-btn-primary', type: 'button', 'data-ob': 'new-chat', onclick: newChat }, icon('plus'), t('newChat'))));
      return;
    }
    var ta = h('textarea', { class: 'ob-compose-input', rows: '1', maxlength: '4000', placeholder: t('inputPlaceholder'), 'aria-label': t('inputPlaceholder'), 'data-ob': 'input' });
    var btn = h('button', { class: 'ob-send', type: 'submit', 'aria-label': t('send'), title: t('send'), 'data-ob': 'send', disabled: true }, icon('send'));
    var form = h('form', { class: 'ob-composer', 'data-ob': 'composer' }, ta, btn);
    ta.value = S.draft || '';
    btn.disabled = !ta.value.trim();
    function autosize() { ta.style.height = 'auto'; ta.style.height = Math.min(ta.scrollHeight, 120) + 'px'; }
    ta.addEventListener('input', function () {
      S.draft = ta.value;
      btn.disabled = !ta.value.trim();
      autosize();
      typingInput(!!ta.value.trim());
    });
    ta.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    function submit() {
      var text = ta.value.replace(/^\s+|\s+$/g, '');
      if (!text) return;
      ta.value = '';
      S.draft = '';
      btn.disabled = true;
      autosize();
      sendText(text);
      ta.focus();
    }
    form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
    els.input = ta;
    els.footer.appendChild(form);
    setTimeout(autosize, 0);
  }

  function renderChatOverlay() {
    if (!els.overlay) return;
    clear(els.overlay);
    els.overlay.hidden = !S.confirmEnd;
    if (!S.confirmEnd) return;
    els.overlay.appendChild(h('div', { class: 'ob-dialog', role: 'alertdialog', 'aria-label': t('endConfirm'), 'data-ob': 'confirm-end' },
      h('div', { class: 'ob-dialog-title' }, t('endConfirm')),
      h('div', { class: 'ob-dialog-text' }, t('endConfirmSub')),
      h('div', { class: 'ob-dialog-actions' },
        h('button', { class: 'ob-btn ob-btn-ghost', type: 'button', onclick: function () { S.confirmEnd = false; renderChatOverlay(); } }, t('cancel')),
        h('button', { class: 'ob-btn ob-btn-danger', type: 'button', 'data-ob': 'confirm-end-yes', onclick: endConversation }, t('endChat')))));
  }

  // ------------------------------------------------------------------ navigation
  function go(view) {
    S.view = view;
    S.confirmEnd = false;
    S.formError = '';
    if (view === 'home') {
      if (!viewingCurrent() && S.session) { S.session = null; S.messages = []; }
      refreshHome();
    }
    if (view === 'history') loadHistory(false);
    render();
    focusFirst();
  }

  function openPanel() {
    if (cfg.mode === 'page') return;
    S.open = true;
    S.preview = null;
    store.set(nsKey('open'), '1');
    render();
    if (S.view === 'home' && homeShowsContinue()) openConversation(S.current);
    else if (S.view === 'home') refreshHome();
    markRead();
    focusFirst();
  }
  function closePanel() {
    if (cfg.mode === 'page') return;
    S.open = false;
    S.confirmEnd = false;
    store.set(nsKey('open'), '0');
    render();
    try { els.launcher.focus({ preventScroll: true }); } catch (e) { /* ignore */ }
  }
  function toggle() { if (S.open) closePanel(); else openPanel(); }
  function focusFirst() {
    if (!W.matchMedia || !W.matchMedia('(pointer: fine)').matches) return;
    if (!(S.open || cfg.mode === 'page')) return;
    setTimeout(function () {
      var el = els.input || els.panel.querySelector('[data-ob=topic], [data-ob=first-message], [data-ob=contact-contact_name]');
      if (el && el.isConnected) try { el.focus({ preventScroll: true }); } catch (e) { /* ignore */ }
    }, 30);
  }

  // Unread = agent messages of this browser's open conversation after the last one seen on
  // screen; the id of that one is kept in localStorage, so the badge survives page changes.
  function panelVisible() { return (S.open || cfg.mode === 'page') && (!D.visibilityState || D.visibilityState === 'visible'); }
  function markRead() {
    if (panelVisible() && S.view === 'chat' && viewingCurrent()) {
      var last = lastServerId();
      if (last) store.set(nsKey('seen'), last);
      if (S.unread) setUnread(0);
    }
  }
  function recountUnread() {
    if (!S.current || !S.session || S.session.id !== S.current) return;
    var seen = store.get(nsKey('seen'));
    var n = 0;
    for (var i = S.messages.length - 1; i >= 0; i--) {
      var m = S.messages[i];
      if (seen && m.id === seen) break;
      if (m.senderType === 'agent') n++;
    }
    if (n !== S.unread) setUnread(n);
  }

  var homeLoadedAt = 0;
  function refreshHome() {
    if (Date.now() - homeLoadedAt < 3000) return;
    homeLoadedAt = Date.now();
    api().availability().then(function (a) {
      S.availability = a;
      if (S.view === 'home') updateHome();
      else if (S.view === 'chat') renderBanner();
    }, function () { /* leave unknown */ });
    loadHistory(false);
  }

  var historyGen = 0;
  function loadHistory(more) {
    var gen = ++historyGen;
    var offset = more && S.history ? S.history.length : 0;
    api().history(20, offset).then(function (r) {
      if (gen !== historyGen) return;
      S.history = more ? (S.history || []).concat(r.items) : r.items;
      S.historyTotal = r.total == null ? S.history.length : r.total;
      if (!S.current) {
        // an open conversation this browser did not know about (after login, another tab)
        var open = r.items.filter(isOpenSession)[0];
        if (open) adoptCurrent(open);
      } else {
        var mine = r.items.filter(function (s) { return s.id === S.current; })[0];
        if (mine) S.currentSession = assign(S.currentSession || {}, mine);
      }
      if (S.view === 'home') updateHome();
      else if (S.view === 'history') render();
    }, function () {
      if (gen !== historyGen) return;
      if (S.history == null) S.history = [];
      if (S.view === 'history') render();
    });
  }

  function adoptCurrent(s) {
    S.current = s.id;
    S.currentSession = s;
    saveCurrent();
    connect(s.id);
  }

  // ------------------------------------------------------------------ conversation lifecycle
  function startConversation(topic, firstMessage, btn) {
    S.busy = true;
    S.formError = '';
    if (btn) btn.disabled = true;
    var a = api();
    a.start(topic).then(function (r) {
      var s = r.session;
      S.drafts.topic = S.drafts.first = '';
      S.session = s;
      S.messages = [];
      S.agentTyping = null;
      adoptCurrent(s);
      store.set(nsKey('seen'), '');
      S.history = null;
      homeLoadedAt = 0;
      if (firstMessage) sendText(firstMessage);
      // messages the server wrote at start (e.g. routing's "agent joined") come before ours:
      // a cursor after our first message would skip them, so fetch the conversation once
      syncSession(s.id);
      if (r.requiresContact && a === OSS) {
        if (cfg.contactName && validEmail(cfg.contactEmail || '')) {
          var c = { contact_name: cfg.contactName, contact_email: cfg.contactEmail };
          if (cfg.contactPhone) c.contact_phone = cfg.contactPhone;
          if (cfg.companyName) c.company_name = cfg.companyName;
          if (cfg.contactPosition) c.position = cfg.contactPosition;
          return a.contact(s.id, c).then(function () { s.contact = c; S.view = 'chat'; }, function () { S.view = 'contact'; });
        }
        S.view = 'contact';
      } else {
        S.view = 'chat';
      }
    }).then(function () {
      S.busy = false;
      render();
      focusFirst();
    }, function (e) {
      S.busy = false;
      if (btn) btn.disabled = false;
      if (cfg.tenant && e.status === 400) {
        // a tenant has at most one open session: resume it if that is why
        return TEN.findOpen().then(function (open) {
          if (open) { adoptCurrent(open); return openConversation(open.id); }
          S.formError = e.message;
          render();
        }, function () { S.formError = e.message; render(); });
      }
      S.formError = e.message || t('error');
      render();
    });
  }

  function submitContact(c, btn) {
    S.busy = true;
    if (btn) btn.disabled = true;
    var s = S.session;
    OSS.contact(s.id, c).then(function () {
      S.busy = false;
      s.contact = c;
      if (S.currentSession && S.currentSession.id === s.id) S.currentSession.contact = c;
      S.formError = '';
      S.view = 'chat';
      render();
      focusFirst();
    }, function (e) {
      S.busy = false;
      S.formError = e.message;
      render();
    });
  }

  function openConversation(id) {
    S.confirmEnd = false;
    S.formError = '';
    if (!S.session || S.session.id !== id) {
      var known = (S.history || []).filter(function (x) { return x.id === id; })[0] || (S.currentSession && S.currentSession.id === id ? S.currentSession : null);
      S.session = known ? assign({}, known) : { id: id, status: 'active', topic: null, agent: null };
      S.messages = [];
      S.agentTyping = null;
    }
    S.view = 'chat';
    render();
    return api().session(id).then(function (r) {
      if (!S.session || S.session.id !== id) return;
      S.session = r.session;
      mergeServerList(r.messages);
      if (isOpenSession(r.session)) {
        if (S.current !== id) { S.current = id; saveCurrent(); }
        S.currentSession = r.session;
        if (T.sid !== id) connect(id);
      } else if (id === S.current) {
        S.currentSession = r.session;
        stopTransport();
      }
      S.currentSession && r.messages.length && S.current === id && (S.currentSession.lastMessage = r.messages[r.messages.length - 1]);
      if (S.view === 'chat' && id === S.current && isOpenSession(r.session) && api() === OSS && r.session.contact == null) {
        S.view = 'contact';
      }
      render();
      recountUnread();
      markRead();
      focusFirst();
    }, function (e) {
      if (e.status === 404 || e.status === 401 || e.status === 403) {
        if (id === S.current) forgetCurrent();
        S.session = null;
        S.view = 'home';
        render();
      }
    });
  }

  function syncSession(id) {
    return api().session(id).then(function (r) {
      if (!S.session || S.session.id !== id) return;
      var contact = S.session.contact;
      assign(S.session, r.session);
      if (contact && !r.session.contact) S.session.contact = contact;
      if (S.currentSession && S.currentSession.id === id && S.currentSession !== S.session) assign(S.currentSession, r.session);
      mergeServerList(r.messages);
      if (S.view === 'chat') { refreshChatChrome(); renderMessages(false); }
    }, function () { /* the socket's catch-up covers it */ });
  }

  function newChat() {
    if (S.current && S.currentSession && !isOpenSession(S.currentSession)) forgetCurrent();
    S.session = null;
    S.messages = [];
    S.view = 'home';
    homeLoadedAt = 0;
    refreshHome();
    render();
    focusFirst();
  }

  function forgetCurrent() {
    stopTransport();
    typingStop();
    S.current = null;
    S.currentSession = null;
    S.agentTyping = null;
    saveCurrent();
    store.set(nsKey('seen'), '');
    if (S.unread) setUnread(0);
  }

  function endConversation() {
    var s = S.session;
    S.confirmEnd = false;
    renderChatOverlay();
    api().close(s.id).then(function () {
      applySession({ status: 'closed' });
    }, function (e) {
      if (e.status === 409) applySession({ status: 'closed' });
    });
  }

  // ------------------------------------------------------------------ messages
  function lastServerId() {
    for (var i = S.messages.length - 1; i >= 0; i--) if (S.messages[i].id) return S.messages[i].id;
    return null;
  }

  // Merge a server message: a known id is a duplicate; our own unsent message with the same
  // client_id (or, when the server does not echo client_id, the same text) becomes it; anything
  // else goes before the local messages that are still pending or failed.
  function mergeMessage(m) {
    var list = S.messages;
    var i;
    for (i = 0; i < list.length; i++) if (list[i].id && list[i].id === m.id) return false;
    if (m.senderType === 'customer') {
      for (i = 0; i < list.length; i++) {
        var x = list[i];
        if (!x.id && ((m.clientId && x.clientId === m.clientId) || (!m.clientId && x.state === 'pending' && x.text === m.text))) {
          x.id = m.id;
          x.createdAt = m.createdAt || x.createdAt;
          x.state = 'sent';
          return true;
        }
      }
    }
    var at = list.length;
    for (i = 0; i < list.length; i++) if (!list[i].id) { at = i; break; }
    list.splice(at, 0, m);
    return true;
  }
  // a freshly fetched page replaces what we had; unsent local messages stay at the end unless
  // the server already has them (same client_id)
  function mergeServerList(msgs) {
    var local = S.messages.filter(function (m) { return !m.id; });
    S.messages = msgs.slice();
    local.forEach(function (m) {
      var stored = m.clientId && msgs.filter(function (y) { return y.clientId === m.clientId; })[0];
      if (!stored) S.messages.push(m);
      else { m.id = stored.id; m.state = 'sent'; }
    });
  }

  var unreadSeen = {};
  function incoming(m, fromLive) {
    if (!S.current || (m.sessionId && m.sessionId !== S.current)) return;
    var onScreen = viewingCurrent();
    if (onScreen) {
      if (!mergeMessage(m)) return;
    } else {
      if (m.id && unreadSeen[m.id]) return;
    }
    if (m.id) unreadSeen[m.id] = true;
    if (S.currentSession) S.currentSession.lastMessage = m;
    if (m.senderType !== 'customer' && S.agentTyping) { S.agentTyping = null; renderTyping(); }
    var seen = panelVisible() && S.view === 'chat' && onScreen;
    if (m.senderType === 'agent' && !seen) {
      if (onScreen) recountUnread(); else setUnread(S.unread + 1);
      if (fromLive && !S.open && cfg.mode !== 'page') {
        S.preview = { name: m.senderName || (S.currentSession && S.currentSession.agent && S.currentSession.agent.name) || t('agent'), text: m.text };
        renderLauncher();
      }
    }
    if (onScreen && S.view === 'chat') {
      renderMessages(m.senderType === 'customer');
      if (m.senderType === 'agent' && m.senderName && !(S.session.agent && S.session.agent.name)) refreshChatChrome();
      markRead();
    }
    else if (S.view === 'home') updateHome();
  }

  function sendText(text) {
    var m = {
      id: null, key: 'l' + (++seq), text: text, senderType: 'customer', senderName: null,
      createdAt: new Date().toISOString(), clientId: uuid(), state: 'pending'
    };
    S.messages.push(m);
    typingStop();
    renderMessages(true);
    deliver(m);
  }

  function deliver(m) {
    var sid = S.session && S.session.id;
    if (!sid) return;
    m.state = 'pending';
    renderMessages(false);
    api().send(sid, m.text, m.clientId).then(function (r) {
      // the socket or a refetch may have brought the server copy first: if our optimistic copy
      // is still listed, it stays (in place) and the server copy goes; if a refetch already
      // replaced it, the server copy stays
      if (S.messages.indexOf(m) >= 0) {
        var dup = S.messages.filter(function (x) { return x !== m && x.id && x.id === r.id; })[0];
        if (dup) S.messages.splice(S.messages.indexOf(dup), 1);
      }
      m.id = r.id;
      m.createdAt = r.createdAt || m.createdAt;
      m.state = 'sent';
      if (S.currentSession && sid === S.current) S.currentSession.lastMessage = m;
      if (S.session && S.session.id === sid) renderMessages(false);
    }, function (e) {
      m.state = 'failed';
      if (e.status === 409 || (cfg.tenant && e.status === 404)) applySession({ status: 'closed' });
      if (S.session && S.session.id === sid) renderMessages(false);
    });
  }

  // ------------------------------------------------------------------ typing (both ways)
  var typingState = { on: false, at: 0, timer: null };
  function typingInput(hasText) {
    if (!S.current || !viewingCurrent() || !isOpenSession(S.session)) return;
    clearTimeout(typingState.timer);
    if (!hasText) { typingStop(); return; }
    var now = Date.now();
    if (!typingState.on || now - typingState.at > 4000) {
      typingState.on = true;
      typingState.at = now;
      api().typing(S.current, true).catch(function () { /* best effort */ });
    }
    typingState.timer = setTimeout(typingStop, 3000);
  }
  function typingStop() {
    clearTimeout(typingState.timer);
    if (!typingState.on) return;
    typingState.on = false;
    if (S.current) api().typing(S.current, false).catch(function () { /* best effort */ });
  }
  var agentTypingTimer = null;
  function agentTyping(d) {
    if (d.sender_type === 'customer') return;
    clearTimeout(agentTypingTimer);
    S.agentTyping = d.typing ? { name: d.name || d.sender_name || null } : null;
    if (d.typing) agentTypingTimer = setTimeout(function () { S.agentTyping = null; renderTyping(); }, 8000);
    renderTyping();
  }

  // ------------------------------------------------------------------ session updates
  function applySession(p) {
    var targets = [];
    if (S.currentSession) targets.push(S.currentSession);
    if (S.session && S.session.id === S.current && targets.indexOf(S.session) < 0) targets.push(S.session);
    targets.forEach(function (s) {
      if (p.status) {
        if (p.status === 'closed' && s.status !== 'closed') s.endedAt = new Date().toISOString();
        s.status = p.status;
      }
      if ('agent' in p) s.agent = p.agent || null;
      if ('queuePosition' in p) s.queuePosition = p.queuePosition;
      if (p.status && p.status !== 'waiting') s.queuePosition = null;
    });
    if (p.status === 'closed') {
      S.agentTyping = null;
      typingStop();
      stopTransport();
    }
    if (S.view === 'chat') { refreshChatChrome(); renderMessages(false); renderTyping(); }
    else if (S.view === 'home') render();
  }

  // ------------------------------------------------------------------ real time
  var T = { gen: 0, ws: null, timer: null, retry: 0, failures: 0, sid: null, mode: null, downTimer: null };
  function setConn(state) {
    if (state === 'reconnecting') {
      if (T.downTimer) return;
      T.downTimer = setTimeout(function () { S.conn = 'reconnecting'; renderBanner(); }, 3000);
      return;
    }
    clearTimeout(T.downTimer);
    T.downTimer = null;
    if (S.conn !== state) { S.conn = state; renderBanner(); }
  }
  function stopTransport() {
    T.gen++;
    clearTimeout(T.timer);
    if (T.ws) { try { T.ws.close(); } catch (e) { /* ignore */ } }
    T.ws = null;
    T.sid = null;
    setConn('ok');
  }
  function connect(sid) {
    stopTransport();
    T.sid = sid;
    T.retry = 0;
    T.failures = 0;
    var gen = T.gen;
    if (cfg.transport === 'poll' || !W.WebSocket) pollLoop(gen);
    else openSocket(gen);
  }
  function alive(gen) { return gen === T.gen && S.current === T.sid && (!S.currentSession || isOpenSession(S.currentSession)); }

  function openSocket(gen) {
    var ws;
    try { ws = new WebSocket(api().socket(T.sid, lastServerIdFor(T.sid))); } catch (e) { pollLoop(gen); return; }
    T.ws = ws;
    T.mode = 'ws';
    var opened = false;
    var openedAt = 0;
    var heard = false;
    ws.onopen = function () {
      if (gen !== T.gen) { ws.close(); return; }
      opened = true;
      openedAt = Date.now();
      setConn('ok');
      catchUp(gen);
    };
    ws.onmessage = function (ev) {
      if (gen !== T.gen) return;
      heard = true;
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      onEvent(d);
    };
    ws.onclose = function () {
      if (gen !== T.gen) return;
      T.ws = null;
      // a socket that never opened, or was dropped at once without a word (a proxy that does not
      // pass WebSockets), counts as a failure; two in a row and we long-poll instead
      if (!opened || (!heard && Date.now() - openedAt < 5000)) T.failures++;
      else { T.failures = 0; T.retry = 0; }
      if (!alive(gen)) return;
      if (T.failures >= 2) { pollLoop(gen); return; }
      setConn('reconnecting');
      var delay = Math.min(15000, 1000 * Math.pow(2, T.retry++)) + Math.floor(Math.random() * 400);
      T.timer = setTimeout(function () { if (alive(gen)) openSocket(gen); }, delay);
    };
  }
  function lastServerIdFor(sid) {
    if (S.session && S.session.id === sid) return lastServerId();
    var lm = S.currentSession && S.currentSession.lastMessage;
    return lm && lm.id ? lm.id : null;
  }

  // fetch what arrived while no socket was listening (also picks up status changes)
  function catchUp(gen) {
    var sid = T.sid;
    return api().poll(sid, lastServerIdFor(sid), 0).then(function (r) {
      if (gen !== T.gen) return;
      r.messages.forEach(function (m) { m.sessionId = m.sessionId || sid; incoming(m, false); });
      if (r.session) applySession(r.session);
    }, function (e) { if (gen === T.gen) lost(e); });
  }

  function pollLoop(gen) {
    T.mode = 'poll';
    var a = api();
    var sid = T.sid;
    var first = true;
    setConn('ok');
    (function next() {
      if (!alive(gen)) return;
      var startedAt = Date.now();
      var wait = a.canWait && !first ? 25 : 0;
      var delay = a.canWait ? 0 : (first ? 0 : 3000);
      sleep(delay).then(function () {
        if (!alive(gen)) return null;
        return a.poll(sid, lastServerIdFor(sid), wait);
      }).then(function (r) {
        if (!r || !alive(gen)) return;
        first = false;
        setConn('ok');
        r.messages.forEach(function (m) { m.sessionId = m.sessionId || sid; incoming(m, true); });
        if (r.session) applySession(r.session);
        // never spin if the server answers a wait at once
        var quick = Date.now() - startedAt < 1000 && !r.messages.length;
        return sleep(quick && a.canWait ? 1500 : 0).then(next);
      }, function (e) {
        if (!alive(gen)) return;
        if (lost(e)) return;
        setConn('reconnecting');
        return sleep(3000).then(next);
      });
    })();
  }

  // the conversation is gone or no longer ours (logout elsewhere, wrong identity)
  function lost(e) {
    if (e && (e.status === 404 || e.status === 401 || e.status === 403)) {
      var wasOnScreen = viewingCurrent();
      forgetCurrent();
      if (wasOnScreen) { S.session = null; S.view = 'home'; render(); }
      return true;
    }
    return false;
  }

  function onEvent(ev) {
    if (!ev || !ev.type) return;
    var d = ev.data || {};
    var a = api();
    if (ev.type === 'message.created') {
      var m = a.eventMessage(d);
      m.sessionId = d.session_id || T.sid;
      incoming(m, true);
    } else if (ev.type === 'session.updated') {
      if (d.session_id && d.session_id !== S.current) return;
      if (d.id && !d.session_id && d.id !== S.current) return;
      applySession(a.eventSession(d));
    } else if (ev.type === 'typing') {
      if (d.session_id && d.session_id !== S.current) return;
      if (viewingCurrent()) agentTyping(d);
    }
  }

  // ------------------------------------------------------------------ identity (login / logout)
  function login(u) {
    u = u || {};
    var user = { ossUserId: u.ossUserId || u.oss_user_id, email: u.email, userHash: u.userHash || u.user_hash };
    if (!user.ossUserId) return Promise.reject(new Error('obrol login: ossUserId is required'));
    return OSS.link(user).catch(function (e) {
      // 404: this browser never chatted, nothing to link
      if (e.status !== 404) throw e;
    }).then(function () {
      S.user = user;
      homeLoadedAt = 0;
      S.history = null;
      if (S.open && (S.view === 'home' || S.view === 'history')) { refreshHome(); render(); }
      if (S.current) connect(S.current); // reconnect with the account identity
      return true;
    });
  }
  function logout() {
    typingStop();
    forgetCurrent();
    S.user = null;
    cfg.ossUserId = cfg.email = cfg.userHash = undefined;
    store.set('browser_uuid', uuid());
    S.session = null;
    S.messages = [];
    S.history = null;
    S.availability = null;
    S.preview = null;
    homeLoadedAt = 0;
    setUnread(0);
    S.view = 'home';
    if (S.open || cfg.mode === 'page') refreshHome();
    render();
    return Promise.resolve(true);
  }

  function update(o) {
    var tenantBefore = cfg.tenant;
    cfg = readSettings(assign({}, cfg, o || {}));
    if (o && (o.ossUserId || o.oss_user_id)) S.user = { ossUserId: o.ossUserId || o.oss_user_id, email: o.email, userHash: o.userHash || o.user_hash };
    if (tenantBefore !== cfg.tenant) { forgetCurrent(); S.session = null; S.view = 'home'; }
    applyColor();
    render();
  }

  // ------------------------------------------------------------------ public API
  function command(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    try {
      switch (name) {
        case 'open': openPanel(); return Promise.resolve(true);
        case 'close': closePanel(); return Promise.resolve(true);
        case 'toggle': toggle(); return Promise.resolve(true);
        case 'login': return login(args[0]);
        case 'logout': return logout();
        case 'update': update(args[0]); return Promise.resolve(true);
        case 'newChat': newChat(); openPanel(); return Promise.resolve(true);
        default:
          if (W.console) W.console.warn('obrol: unknown command', name);
          return Promise.resolve(false);
      }
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ------------------------------------------------------------------ boot
  function boot() {
    var queued = (W.obrol && W.obrol.q) || [];
    var fn = function () { return command.apply(null, arguments); };
    fn.q = [];
    fn.version = '1';
    W.obrol = fn;
    mount();
    S.open = cfg.mode !== 'page' && (cfg.open || store.get(nsKey('open')) === '1');
    var stored = store.get(nsKey('session'));
    var visible = S.open || cfg.mode === 'page';
    render();
    if (stored && UUID_RE.test(stored)) {
      // resume this browser's conversation after a reload
      S.current = stored;
      S.currentSession = { id: stored, status: 'active', topic: null, agent: null };
      if (visible) {
        openConversation(stored);
      } else {
        api().session(stored).then(function (r) {
          if (S.current !== stored) return;
          if (!isOpenSession(r.session)) { forgetCurrent(); return; }
          S.currentSession = r.session;
          r.session.lastMessage = r.messages.length ? r.messages[r.messages.length - 1] : null;
          if (!S.session) { S.session = assign({}, r.session); S.messages = r.messages; }
          recountUnread();
          connect(stored);
        }, function (e) { if (S.current === stored) lost(e); });
      }
    } else if (visible) {
      refreshHome();
    }
    queued.forEach(function (args) { command.apply(null, Array.prototype.slice.call(args)); });
  }

  if (D.body) boot();
  else D.addEventListener('DOMContentLoaded', boot);
})();
