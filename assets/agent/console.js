/*!
 * obrol agent console — plain JavaScript, no build step.
 * Talks to /api/agent (bearer token from login) and /api/agent/ws for live updates.
 * Every piece of text that comes from a visitor or an agent is placed with textContent.
 */
(function () {
  'use strict';
  var W = window;
  var D = document;
  var API = new URL('../api/agent/', location.href).href;
  var KEY = 'obrol-agent:';

  // ------------------------------------------------------------------ strings
  var STR = {
    id: {
      console: 'Konsol agen',
      signIn: 'Masuk',
      signInTitle: 'Masuk ke konsol agen',
      signInSub: 'Balas pengunjung situs dan pengguna tenant secara langsung.',
      email: 'Email',
      password: 'Kata sandi',
      name: 'Nama',
      setupTitle: 'Selamat datang di obrol',
      setupSub: 'Belum ada akun agen. Buat akun admin pertama dengan kode setup yang dicetak oleh obrol serve saat mulai.',
      setupCode: 'Kode setup',
      setupCreate: 'Buat akun admin',
      setupDone: 'Akun admin dibuat. Masuk…',
      wrongCredentials: 'Email atau kata sandi salah.',
      inbox: 'Kotak masuk',
      admin: 'Admin',
      search: 'Cari percakapan…',
      tab_waiting: 'Antrean',
      tab_mine: 'Chat saya',
      tab_team: 'Tim',
      tab_closed: 'Selesai',
      empty_waiting: 'Tidak ada yang menunggu. Kerja bagus!',
      empty_mine: 'Belum ada chat yang Anda tangani.',
      empty_team: 'Tidak ada chat aktif lain.',
      empty_closed: 'Belum ada percakapan selesai.',
      noResults: 'Tidak ada hasil untuk pencarian ini.',
      pickConversation: 'Pilih percakapan',
      pickConversationSub: 'Chat baru muncul di Antrean. Terima untuk mulai membalas.',
      visitor: 'Pengunjung',
      anonymous: 'Anonim',
      loggedIn: 'Pengguna terdaftar',
      accept: 'Terima chat',
      transfer: 'Alihkan',
      close: 'Tutup chat',
      closeConfirm: 'Tutup percakapan ini?',
      closeConfirmSub: 'Pengunjung akan melihat bahwa percakapan telah ditutup.',
      cancel: 'Batal',
      reply: 'Tulis balasan…  (Enter untuk kirim, Shift+Enter baris baru)',
      send: 'Kirim',
      waitingBanner: 'Pengunjung ini menunggu di antrean.',
      waitingFor: 'menunggu {t}',
      queuePos: 'antrean #{n}',
      handledBy: 'Ditangani oleh {name}. Hanya agen yang ditugaskan yang dapat membalas.',
      closedBanner: 'Percakapan ini telah ditutup.',
      typing: 'Pengunjung sedang mengetik…',
      pending: 'Mengirim…',
      failed: 'Gagal terkirim.',
      retry: 'Coba lagi',
      you: 'Anda',
      contact: 'Kontak',
      noContact: 'Pengunjung belum mengisi data kontak.',
      phone: 'Telepon',
      company: 'Perusahaan',
      position: 'Jabatan',
      visitorInfo: 'Pengunjung',
      ossUser: 'ID pengguna',
      ip: 'Alamat IP',
      page: 'Halaman',
      userAgent: 'Browser',
      session: 'Percakapan',
      topic: 'Topik',
      priority: 'Prioritas',
      status: 'Status',
      department: 'Departemen',
      agent: 'Agen',
      family: 'Kanal',
      family_oss: 'Widget situs',
      family_tenant: 'Tenant',
      tenant: 'Tenant',
      tenantUser: 'Pengguna #{n}',
      started: 'Dimulai',
      ended: 'Selesai',
      queue: 'Posisi antrean',
      none: '—',
      status_waiting: 'Menunggu',
      status_active: 'Aktif',
      status_closed: 'Selesai',
      priority_low: 'Rendah',
      priority_normal: 'Normal',
      priority_high: 'Tinggi',
      priority_urgent: 'Mendesak',
      presence_online: 'Online',
      presence_away: 'Away',
      presence_offline: 'Offline',
      presence: 'Status kehadiran',
      transferTitle: 'Alihkan percakapan',
      transferSub: 'Pilih agen atau departemen tujuan.',
      toAgent: 'Ke agen',
      toDepartment: 'Ke departemen (kembali ke antrean departemen)',
      noAgents: 'Tidak ada agen lain.',
      noDepartments: 'Belum ada departemen.',
      cantList: 'Daftar tidak tersedia untuk akun Anda.',
      doTransfer: 'Alihkan',
      agents: 'Agen',
      departments: 'Departemen',
      addAgent: 'Tambah agen',
      addDepartment: 'Tambah departemen',
      role: 'Peran',
      role_admin: 'Admin',
      role_agent: 'Agen',
      maxChats: 'Maks. chat',
      number: 'Nomor',
      disabled: 'Nonaktif',
      active: 'Aktif',
      disable: 'Nonaktifkan',
      enable: 'Aktifkan',
      create: 'Simpan',
      departmentName: 'Nama departemen',
      noDepartment: 'Tanpa departemen',
      logout: 'Keluar',
      language: 'English',
      sound: 'Suara notifikasi',
      notifications: 'Notifikasi browser',
      notificationsOn: 'Notifikasi aktif',
      notificationsBlocked: 'Notifikasi diblokir browser',
      newChat: 'Chat baru',
      newChatFrom: 'Chat baru: {topic}',
      assigned: 'Chat ditugaskan ke Anda: {topic}',
      newMessage: 'Pesan baru dari {name}',
      error: 'Terjadi kesalahan. Silakan coba lagi.',
      networkError: 'Tidak dapat terhubung ke server.',
      reconnecting: 'Koneksi langsung terputus — menyambung ulang…',
      required: 'Wajib diisi',
      saved: 'Tersimpan',
      today: 'Hari ini',
      yesterday: 'Kemarin',
      min: '{n} mnt',
      hour: '{n} j',
      justNow: 'baru saja',
      justArrived: 'baru masuk',
      back: 'Kembali',
      details: 'Detail',
      me: 'saya'
    },
    en: {
      console: 'Agent console',
      signIn: 'Sign in',
      signInTitle: 'Sign in to the agent console',
      signInSub: 'Answer website visitors and tenant users live.',
      email: 'Email',
      password: 'Password',
      name: 'Name',
      setupTitle: 'Welcome to obrol',
      setupSub: 'There is no agent account yet. Create the first admin with the setup code that obrol serve printed when it started.',
      setupCode: 'Setup code',
      setupCreate: 'Create admin account',
      setupDone: 'Admin account created. Signing in…',
      wrongCredentials: 'Wrong email or password.',
      inbox: 'Inbox',
      admin: 'Admin',
      search: 'Search conversations…',
      tab_waiting: 'Queue',
      tab_mine: 'My chats',
      tab_team: 'Team',
      tab_closed: 'Closed',
      empty_waiting: 'Nobody is waiting. Nice work!',
      empty_mine: 'You have no active chats.',
      empty_team: 'No other active chats.',
      empty_closed: 'No closed conversations yet.',
      noResults: 'Nothing matches this search.',
      pickConversation: 'Pick a conversation',
      pickConversationSub: 'New chats appear in the Queue. Accept one to start replying.',
      visitor: 'Visitor',
      anonymous: 'Anonymous',
      loggedIn: 'Signed-in user',
      accept: 'Accept chat',
      transfer: 'Transfer',
      close: 'Close chat',
      closeConfirm: 'Close this conversation?',
      closeConfirmSub: 'The visitor will see that the conversation has been closed.',
      cancel: 'Cancel',
      reply: 'Write a reply…  (Enter to send, Shift+Enter for a new line)',
      send: 'Send',
      waitingBanner: 'This visitor is waiting in the queue.',
      waitingFor: 'waiting {t}',
      queuePos: 'queue #{n}',
      handledBy: 'Handled by {name}. Only the assigned agent can reply.',
      closedBanner: 'This conversation is closed.',
      typing: 'The visitor is typing…',
      pending: 'Sending…',
      failed: 'Not sent.',
      retry: 'Retry',
      you: 'You',
      contact: 'Contact',
      noContact: 'The visitor has not left contact details.',
      phone: 'Phone',
      company: 'Company',
      position: 'Position',
      visitorInfo: 'Visitor',
      ossUser: 'User id',
      ip: 'IP address',
      page: 'Page',
      userAgent: 'Browser',
      session: 'Conversation',
      topic: 'Topic',
      priority: 'Priority',
      status: 'Status',
      department: 'Department',
      agent: 'Agent',
      family: 'Channel',
      family_oss: 'Website widget',
      family_tenant: 'Tenant',
      tenant: 'Tenant',
      tenantUser: 'User #{n}',
      started: 'Started',
      ended: 'Ended',
      queue: 'Queue position',
      none: '—',
      status_waiting: 'Waiting',
      status_active: 'Active',
      status_closed: 'Closed',
      priority_low: 'Low',
      priority_normal: 'Normal',
      priority_high: 'High',
      priority_urgent: 'Urgent',
      presence_online: 'Online',
      presence_away: 'Away',
      presence_offline: 'Offline',
      presence: 'Presence',
      transferTitle: 'Transfer conversation',
      transferSub: 'Pick the agent or department to hand it to.',
      toAgent: 'To an agent',
      toDepartment: 'To a department (back to its queue)',
      noAgents: 'No other agents.',
      noDepartments: 'No departments yet.',
      cantList: 'Not available for your account.',
      doTransfer: 'Transfer',
      agents: 'Agents',
      departments: 'Departments',
      addAgent: 'Add agent',
      addDepartment: 'Add department',
      role: 'Role',
      role_admin: 'Admin',
      role_agent: 'Agent',
      maxChats: 'Max chats',
      number: 'Number',
      disabled: 'Disabled',
      active: 'Active',
      disable: 'Disable',
      enable: 'Enable',
      create: 'Save',
      departmentName: 'Department name',
      noDepartment: 'No department',
      logout: 'Sign out',
      language: 'Bahasa Indonesia',
      sound: 'Notification sound',
      notifications: 'Browser notifications',
      notificationsOn: 'Notifications on',
      notificationsBlocked: 'Notifications blocked by the browser',
      newChat: 'New chat',
      newChatFrom: 'New chat: {topic}',
      assigned: 'Chat assigned to you: {topic}',
      newMessage: 'New message from {name}',
      error: 'Something went wrong. Please try again.',
      networkError: 'Cannot reach the server.',
      reconnecting: 'Live connection lost — reconnecting…',
      required: 'Required',
      saved: 'Saved',
      today: 'Today',
      yesterday: 'Yesterday',
      min: '{n} min',
      hour: '{n} h',
      justNow: 'just now',
      justArrived: 'just arrived',
      back: 'Back',
      details: 'Details',
      me: 'me'
    }
  };
  var lang = localStorage.getItem(KEY + 'lang') === 'en' ? 'en' : 'id';
  function t(k, vars) {
    var s = STR[lang][k];
    if (s == null) s = STR.id[k] != null ? STR.id[k] : k;
    if (vars) s = s.replace(/\{(\w+)\}/g, function (_, x) { return vars[x] != null ? vars[x] : ''; });
    return s;
  }
  function locale() { return lang === 'en' ? 'en-GB' : 'id-ID'; }

  // ------------------------------------------------------------------ helpers
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
  function clear(el) { while (el && el.firstChild) el.removeChild(el.firstChild); }
  function uuid() {
    try { if (W.crypto && crypto.randomUUID) return crypto.randomUUID(); } catch (e) { /* insecure context */ }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var x = '';
    for (var i = 0; i < 16; i++) { x += (b[i] + 256).toString(16).slice(1); if (i === 3 || i === 5 || i === 7 || i === 9) x += '-'; }
    return x;
  }
  function initials(name) {
    var p = String(name || '').trim().split(/\s+/).map(function (w) { return w.replace(/^[^0-9A-Za-z\u00C0-\uFFFF]+/, ''); }).filter(Boolean);
    if (!p.length) return '?';
    return (p[0][0] + (p.length > 1 ? p[p.length - 1][0] : '')).toUpperCase();
  }
  // a stable pastel colour per visitor, so the list is easy to scan
  var HUES = [172, 200, 220, 262, 292, 330, 20, 38, 88, 140];
  function hueFor(s) { var n = 0; s = String(s || ''); for (var i = 0; i < s.length; i++) n = (n * 31 + s.charCodeAt(i)) >>> 0; return HUES[n % HUES.length]; }
  function avatar(name, seed, cls) {
    var hue = hueFor(seed || name);
    var el = h('div', { class: 'c-avatar ' + (cls || '') }, initials(name));
    el.style.background = 'hsl(' + hue + ' 70% 92%)';
    el.style.color = 'hsl(' + hue + ' 55% 32%)';
    return el;
  }
  function toDate(iso) { var d = new Date(iso); return isNaN(d.getTime()) ? null : d; }
  function sameDay(a, b) { return a && b && a.toDateString() === b.toDateString(); }
  function fmtTime(iso) { var d = toDate(iso); return d ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }) : ''; }
  function fmtDateTime(iso) { var d = toDate(iso); return d ? d.toLocaleString(locale(), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }) : t('none'); }
  function fmtShort(iso) {
    var d = toDate(iso);
    if (!d) return '';
    if (sameDay(d, new Date())) return fmtTime(iso);
    var y = new Date(Date.now() - 864e5);
    if (sameDay(d, y)) return t('yesterday');
    return d.toLocaleDateString(locale(), { day: 'numeric', month: 'short' });
  }
  function fmtDay(d) {
    if (sameDay(d, new Date())) return t('today');
    if (sameDay(d, new Date(Date.now() - 864e5))) return t('yesterday');
    return d.toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  }
  function waited(iso) {
    var d = toDate(iso);
    if (!d || Date.now() - d.getTime() < 60000) return t('justArrived');
    return t('waitingFor', { t: ago(iso) });
  }
  function ago(iso) {
    var d = toDate(iso);
    if (!d) return '';
    var m = Math.floor((Date.now() - d.getTime()) / 60000);
    if (m < 1) return t('justNow');
    if (m < 60) return t('min', { n: m });
    return t('hour', { n: Math.floor(m / 60) });
  }
  // "Chrome 120 · Windows" from a user agent string (the full string stays in the title)
  function shortUA(ua) {
    if (!ua) return t('none');
    var b = /Edg\/(\d+)/.exec(ua) ? 'Edge ' + /Edg\/(\d+)/.exec(ua)[1]
      : /OPR\/(\d+)/.exec(ua) ? 'Opera ' + /OPR\/(\d+)/.exec(ua)[1]
      : /Firefox\/(\d+)/.exec(ua) ? 'Firefox ' + /Firefox\/(\d+)/.exec(ua)[1]
      : /Chrom(e|ium)\/(\d+)/.exec(ua) ? 'Chrome ' + /Chrom(?:e|ium)\/(\d+)/.exec(ua)[1]
      : /Version\/(\d+).*Safari/.exec(ua) ? 'Safari ' + /Version\/(\d+)/.exec(ua)[1] : null;
    var os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
      : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
    return [b, os].filter(Boolean).join(' · ') || ua.slice(0, 40);
  }
  function textNodes(text) {
    var out = [];
    var re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
    var last = 0;
    var m;
    text = String(text == null ? '' : text);
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
  function safeHref(u) { try { var x = new URL(u); return x.protocol === 'http:' || x.protocol === 'https:' ? x.href : null; } catch (e) { return null; } }

  var SVGNS = 'http://www.w3.org/2000/svg';
  var ICONS = {
    logo: 'fill:M12 3C6.48 3 2 6.94 2 11.8c0 2.6 1.3 4.93 3.37 6.53-.2 1.42-.86 2.76-1.9 3.82 2.06-.1 3.96-.86 5.42-2.05.98.28 2.02.43 3.11.43 5.52 0 10-3.94 10-8.8S17.52 3 12 3z',
    inbox: 'M22 12h-6l-2 3h-4l-2-3H2|M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z',
    users: 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2|M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z|M23 21v-2a4 4 0 0 0-3-3.87|M16 3.13a4 4 0 0 1 0 7.75',
    bell: 'M18 8A6 6 0 0 0 6 8c0 7-3 9-3 9h18s-3-2-3-9|M13.73 21a2 2 0 0 1-3.46 0',
    sound: 'M11 5 6 9H2v6h4l5 4V5z|M19.07 4.93a10 10 0 0 1 0 14.14|M15.54 8.46a5 5 0 0 1 0 7.07',
    mute: 'M11 5 6 9H2v6h4l5 4V5z|M23 9l-6 6|M17 9l6 6',
    out: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4|M16 17l5-5-5-5|M21 12H9',
    globe: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z|M2 12h20|M12 2a15.3 15.3 0 0 1 4 10 15.3 15.3 0 0 1-4 10 15.3 15.3 0 0 1-4-10 15.3 15.3 0 0 1 4-10z',
    search: 'M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16z|M21 21l-4.35-4.35',
    send: 'fill:M3.4 20.4 21.85 12.5a.55.55 0 0 0 0-1L3.4 3.6a.5.5 0 0 0-.7.6L5 11l9 1-9 1-2.3 6.8a.5.5 0 0 0 .7.6z',
    check: 'M20 6 9 17l-5-5',
    clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z|M12 7v5l3 2',
    alert: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z|M12 8v4|M12 16h.01',
    retry: 'M23 4v6h-6|M20.49 15a9 9 0 1 1-2.12-9.36L23 10',
    transfer: 'M17 1l4 4-4 4|M3 11V9a4 4 0 0 1 4-4h14|M7 23l-4-4 4-4|M21 13v2a4 4 0 0 1-4 4H3',
    x: 'M18 6 6 18|M6 6l12 12',
    lock: 'M6 11h12v10H6z|M8 11V7a4 4 0 0 1 8 0v4',
    plus: 'M12 5v14|M5 12h14',
    back: 'M15 18l-6-6 6-6',
    info: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z|M12 16v-4|M12 8h.01',
    chat: 'M21 11.5a8.38 8.38 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.38 8.38 0 0 1-3.8-.9L3 21l1.9-5.7a8.38 8.38 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.38 8.38 0 0 1 3.8-.9h.5a8.48 8.48 0 0 1 8 8v.5z',
    mail: 'M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z|M22 6l-10 7L2 6',
    link: 'M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71|M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71',
    wifi: 'M1 1l22 22|M16.72 11.06A10.94 10.94 0 0 1 19 12.55|M5 12.55a10.94 10.94 0 0 1 5.17-2.39|M10.71 5.05A16 16 0 0 1 22.58 9|M1.42 9a15.91 15.91 0 0 1 4.7-2.88|M8.53 16.11a6 6 0 0 1 6.95 0|M12 20h.01',
    flag: 'M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z|M4 22v-7'
  };
  function icon(name, cls) {
    var spec = ICONS[name];
    var filled = spec.indexOf('fill:') === 0;
    if (filled) spec = spec.slice(5);
    var s = D.createElementNS(SVGNS, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('class', 'c-icon' + (filled ? ' c-icon-fill' : '') + (cls ? ' ' + cls : ''));
    spec.split('|').forEach(function (d) { var p = D.createElementNS(SVGNS, 'path'); p.setAttribute('d', d); s.appendChild(p); });
    return s;
  }

  // ------------------------------------------------------------------ HTTP
  function ApiError(status, body) {
    this.status = status;
    this.body = body;
    var msg = body && (body.error || body.message) || '';
    if (body && body.details) msg += (msg ? ': ' : '') + body.details;
    this.message = msg || (status === 0 ? t('networkError') : t('error'));
  }
  function api(method, path, body, query) {
    var url = new URL(path, API);
    if (query) for (var k in query) if (query[k] != null && query[k] !== '') url.searchParams.set(k, query[k]);
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (C.token) headers.Authorization = 'Bearer ' + C.token;
    return fetch(url.href, { method: method, headers: headers, body: body !== undefined ? JSON.stringify(body) : undefined, cache: 'no-store' })
      .then(function (res) {
        return res.text().then(function (txt) {
          var data = null;
          try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
          if (!res.ok) {
            var err = new ApiError(res.status, data);
            if (res.status === 401 && C.token && path !== 'login' && path !== 'logout') signedOut();
            throw err;
          }
          return data;
        });
      }, function () { throw new ApiError(0, null); });
  }
  function listOf(r, key) {
    if (Array.isArray(r)) return r;
    if (r && Array.isArray(r[key])) return r[key];
    if (r && Array.isArray(r.data)) return r.data;
    return [];
  }

  // ------------------------------------------------------------------ state
  var C = {
    token: localStorage.getItem(KEY + 'token') || null,
    me: null,
    view: 'inbox', // inbox | admin
    tab: 'waiting',
    q: '',
    convs: {}, // id → conversation
    lists: { waiting: [], match: {} },
    closedLoaded: false,
    selected: null,
    messages: {}, // id → [message]
    drafts: {},
    unread: {},
    typing: {},
    read: readMap(),
    ws: null,
    wsState: 'connecting',
    waitingCount: 0,
    agents: null,
    departments: null,
    sound: localStorage.getItem(KEY + 'sound') !== 'off',
    mobilePane: 'list',
    showDetails: true,
    rung: {},
    inboxLoaded: false
  };
  function readMap() { try { return JSON.parse(localStorage.getItem(KEY + 'read') || '{}') || {}; } catch (e) { return {}; } }
  function saveRead() {
    var keys = Object.keys(C.read);
    if (keys.length > 500) keys.slice(0, keys.length - 500).forEach(function (k) { delete C.read[k]; });
    try { localStorage.setItem(KEY + 'read', JSON.stringify(C.read)); } catch (e) { /* full */ }
  }

  var app = D.getElementById('app');
  var E = {}; // element references of the current screen

  // ------------------------------------------------------------------ boot / auth
  function boot() {
    if (C.token) {
      api('GET', 'me').then(function (me) { C.me = me.agent || me; startApp(); }, function (e) {
        if (e.status === 401) { C.token = null; localStorage.removeItem(KEY + 'token'); showAuth(); } else showAuth(e.message);
      });
    } else showAuth();
  }

  function showAuth(msg) {
    api('GET', 'setup').then(function (r) { renderAuth(r && r.required ? 'setup' : 'login', msg); }, function () { renderAuth('login', msg); });
  }

  function signedOut() {
    C.token = null;
    localStorage.removeItem(KEY + 'token');
    if (C.ws) { C.ws.onclose = null; try { C.ws.close(); } catch (e) { /* ignore */ } C.ws = null; }
    clearTimeout(C.wsTimer);
    clearInterval(C.tick);
    clearInterval(C.pollTimer);
    C.me = null;
    showAuth();
  }

  function renderAuth(mode, msg) {
    app.className = 'c-auth';
    clear(app);
    var err = h('div', { class: 'c-alert c-alert-error', role: 'alert', 'data-c': 'auth-error', hidden: !msg }, msg || '');
    function field(name, label, type, auto) {
      return h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, label),
        h('input', { class: 'c-input', name: name, type: type, required: true, autocomplete: auto, 'data-c': 'auth-' + name }));
    }
    var setup = mode === 'setup';
    var btn = h('button', { class: 'c-btn c-btn-primary c-btn-block', type: 'submit', 'data-c': 'auth-submit' }, setup ? t('setupCreate') : t('signIn'));
    var form = h('form', { class: 'c-auth-card', 'data-c': setup ? 'setup-form' : 'login-form' },
      h('div', { class: 'c-auth-logo' }, icon('logo'), h('span', null, 'obrol')),
      h('h1', { class: 'c-auth-title' }, setup ? t('setupTitle') : t('signInTitle')),
      h('p', { class: 'c-auth-sub' }, setup ? t('setupSub') : t('signInSub')),
      err,
      setup ? field('code', t('setupCode'), 'text', 'one-time-code') : null,
      setup ? field('name', t('name'), 'text', 'name') : null,
      field('email', t('email'), 'email', 'username'),
      field('password', t('password'), 'password', setup ? 'new-password' : 'current-password'),
      btn,
      h('button', { class: 'c-linkbtn c-auth-lang', type: 'button', onclick: function () { switchLang(); renderAuth(mode, msg); } }, icon('globe'), t('language')));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var v = function (n) { return form.elements[n] ? form.elements[n].value.trim() : ''; };
      var pw = form.elements.password.value;
      if (!v('email') || !pw || (setup && (!v('code') || !v('name')))) { err.textContent = t('required'); err.hidden = false; return; }
      btn.disabled = true;
      err.hidden = true;
      unlockAudio();
      var p = setup
        ? api('POST', 'setup', { code: v('code'), email: v('email'), name: v('name'), password: pw }).then(function () { return login(v('email'), pw); })
        : login(v('email'), pw);
      p.catch(function (e2) {
        btn.disabled = false;
        err.textContent = e2.status === 401 && !setup ? t('wrongCredentials') : e2.message;
        err.hidden = false;
      });
    });
    app.appendChild(form);
    setTimeout(function () { var f = form.querySelector('input'); if (f) f.focus(); }, 0);
  }

  function login(email, password) {
    return api('POST', 'login', { email: email, password: password }).then(function (r) {
      C.token = r.token;
      localStorage.setItem(KEY + 'token', r.token);
      C.me = r.agent;
      startApp();
    });
  }

  function logout() {
    api('POST', 'logout', {}).catch(function () { /* token may be gone already */ }).then(signedOut);
  }

  function switchLang() {
    lang = lang === 'en' ? 'id' : 'en';
    localStorage.setItem(KEY + 'lang', lang);
    D.documentElement.lang = lang;
  }

  // ------------------------------------------------------------------ app shell
  function startApp() {
    D.documentElement.lang = lang;
    var hash = location.hash;
    if (hash === '#/admin' && C.me.role === 'admin') C.view = 'admin';
    var m = /^#\/c\/([\w-]+)$/.exec(hash);
    if (m) { C.selected = m[1]; C.tab = null; }
    renderShell();
    loadInbox().then(function () {
      if (C.selected && C.convs[C.selected]) { C.tab = tabFor(C.convs[C.selected]); renderList(); selectConv(C.selected); }
      else if (C.selected) selectConv(C.selected);
      else C.tab = C.tab || 'waiting';
    });
    connectWs();
    clearInterval(C.tick);
    C.tick = setInterval(function () { if (C.view === 'inbox') renderList(); }, 30000);
    if (C.view === 'admin') loadAdmin();
  }

  function renderShell() {
    app.className = 'c-app' + (C.selected ? ' c-has-selection' : '') + ' c-pane-' + C.mobilePane;
    clear(app);
    var me = C.me;
    var isAdmin = me.role === 'admin';
    E.rail = h('nav', { class: 'c-rail', 'aria-label': 'obrol' },
      h('div', { class: 'c-rail-logo', title: 'obrol' }, icon('logo')),
      h('button', { class: 'c-rail-btn' + (C.view === 'inbox' ? ' c-active' : ''), type: 'button', title: t('inbox'), 'aria-label': t('inbox'), 'data-c': 'nav-inbox', onclick: function () { setView('inbox'); } },
        icon('inbox'), E.railBadge = h('span', { class: 'c-rail-badge', hidden: true })),
      isAdmin ? h('button', { class: 'c-rail-btn' + (C.view === 'admin' ? ' c-active' : ''), type: 'button', title: t('admin'), 'aria-label': t('admin'), 'data-c': 'nav-admin', onclick: function () { setView('admin'); } }, icon('users')) : null,
      h('div', { class: 'c-rail-spacer' }),
      E.bell = h('button', { class: 'c-rail-btn', type: 'button', 'data-c': 'notify', onclick: askNotify }, icon('bell')),
      E.soundBtn = h('button', { class: 'c-rail-btn', type: 'button', 'data-c': 'sound', onclick: function () { C.sound = !C.sound; localStorage.setItem(KEY + 'sound', C.sound ? 'on' : 'off'); if (C.sound) { unlockAudio(); ding(); } renderRailToggles(); } }),
      h('button', { class: 'c-rail-btn', type: 'button', title: t('language'), 'aria-label': t('language'), 'data-c': 'lang', onclick: function () { switchLang(); renderShell(); if (C.view === 'admin') loadAdmin(); } }, icon('globe')),
      h('div', { class: 'c-rail-me', title: me.name + ' · ' + me.email },
        avatar(me.name, me.email, 'c-avatar-sm'),
        E.meDot = h('span', { class: 'c-presence-dot c-p-' + (me.status || 'offline') })),
      h('button', { class: 'c-rail-btn', type: 'button', title: t('logout'), 'aria-label': t('logout'), 'data-c': 'logout', onclick: logout }, icon('out')));
    renderRailToggles();

    if (C.view === 'admin') {
      E.admin = h('main', { class: 'c-admin', 'data-c': 'admin' });
      app.appendChild(E.rail);
      app.appendChild(E.admin);
      renderAdmin();
      updateTitle();
      return;
    }

    E.search = h('input', { class: 'c-search-input', type: 'search', placeholder: t('search'), 'aria-label': t('search'), value: C.q, 'data-c': 'search' });
    var searchTimer;
    E.search.addEventListener('input', function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () { C.q = E.search.value.trim(); C.closedLoaded = false; loadInbox(); }, 300);
    });
    E.presence = h('select', { class: 'c-presence-select', 'aria-label': t('presence'), 'data-c': 'presence', onchange: function () { setPresence(E.presence.value); } },
      ['online', 'away', 'offline'].map(function (s) { return h('option', { value: s, selected: (me.status || 'offline') === s }, t('presence_' + s)); }));
    E.presenceWrap = h('label', { class: 'c-presence c-p-' + (me.status || 'offline') }, h('span', { class: 'c-presence-dot' }), E.presence);
    E.tabs = h('div', { class: 'c-tabs', role: 'tablist' });
    E.list = h('div', { class: 'c-list', 'data-c': 'list', role: 'listbox' });
    E.conn = h('div', { class: 'c-conn', hidden: true, 'data-c': 'conn' }, icon('wifi'), t('reconnecting'));
    var listCol = h('section', { class: 'c-inbox' },
      h('div', { class: 'c-inbox-head' },
        h('div', { class: 'c-inbox-title' }, h('h1', null, t('inbox')), E.presenceWrap),
        h('div', { class: 'c-search' }, icon('search'), E.search),
        E.tabs),
      E.conn,
      E.list);
    E.conv = h('section', { class: 'c-conv', 'data-c': 'conversation' });
    E.details = h('aside', { class: 'c-details', 'data-c': 'details' });
    app.appendChild(E.rail);
    app.appendChild(listCol);
    app.appendChild(E.conv);
    app.appendChild(E.details);
    renderTabs();
    renderList();
    renderConv();
    renderConn();
    updateTitle();
  }

  function renderRailToggles() {
    if (!E.soundBtn) return;
    clear(E.soundBtn);
    E.soundBtn.appendChild(icon(C.sound ? 'sound' : 'mute'));
    E.soundBtn.title = t('sound') + (C.sound ? ' ✓' : '');
    E.soundBtn.setAttribute('aria-label', t('sound'));
    E.soundBtn.setAttribute('aria-pressed', C.sound ? 'true' : 'false');
    var perm = W.Notification ? Notification.permission : 'denied';
    E.bell.classList.toggle('c-on', perm === 'granted');
    E.bell.title = perm === 'granted' ? t('notificationsOn') : perm === 'denied' ? t('notificationsBlocked') : t('notifications');
    E.bell.setAttribute('aria-label', E.bell.title);
  }

  function setView(v) {
    C.view = v;
    history.replaceState(null, '', v === 'admin' ? '#/admin' : (C.selected ? '#/c/' + C.selected : '#/'));
    renderShell();
    if (v === 'admin') loadAdmin();
    else loadInbox();
  }

  function setPresence(status) {
    var prev = C.me.status;
    C.me.status = status;
    updatePresenceUI();
    api('PUT', 'presence', { status: status }).then(function (r) {
      if (r && r.status) C.me.status = r.status;
      updatePresenceUI();
      loadInbox();
    }, function (e) {
      C.me.status = prev;
      updatePresenceUI();
      toast(e.message, 'error');
    });
  }
  function updatePresenceUI() {
    var s = C.me.status || 'offline';
    if (E.presenceWrap) { E.presenceWrap.className = 'c-presence c-p-' + s; E.presence.value = s; }
    if (E.meDot) E.meDot.className = 'c-presence-dot c-p-' + s;
  }

  // ------------------------------------------------------------------ inbox data
  function isMine(c) { return c && c.agent && C.me && c.agent.id === C.me.id; }
  function tabFor(c) {
    if (c.status === 'waiting') return 'waiting';
    if (c.status === 'closed') return 'closed';
    return isMine(c) ? 'mine' : 'team';
  }
  function idsFor(tab) {
    var all = Object.keys(C.convs).map(function (id) { return C.convs[id]; });
    var out;
    if (tab === 'waiting') {
      out = C.lists.waiting.map(function (id) { return C.convs[id]; }).filter(function (c) { return c && c.status === 'waiting' && matches(c); });
      all.forEach(function (c) { if (c.status === 'waiting' && matches(c) && out.indexOf(c) < 0) out.push(c); });
      return out.sort(function (a, b) { return (a.queue_position || 1e9) - (b.queue_position || 1e9); });
    }
    out = all.filter(function (c) { return tabFor(c) === tab && matches(c); });
    return out.sort(function (a, b) { return lastAt(b) < lastAt(a) ? -1 : lastAt(b) > lastAt(a) ? 1 : 0; });
  }
  function matches(c) { return !C.q || C.lists.match[c.id]; }
  function lastAt(c) { return (c.last_message && c.last_message.created_at) || c.ended_at || c.started_at || ''; }

  var inboxGen = 0;
  function loadInbox() {
    var gen = ++inboxGen;
    var q = C.q || undefined;
    var wantClosed = C.tab === 'closed' || C.q;
    return Promise.all([
      api('GET', 'conversations', undefined, { status: 'waiting', q: q }),
      api('GET', 'conversations', undefined, { status: 'active', q: q }),
      wantClosed ? api('GET', 'conversations', undefined, { status: 'closed', q: q }) : Promise.resolve(null)
    ]).then(function (rs) {
      if (gen !== inboxGen) return;
      var waiting = listOf(rs[0], 'conversations');
      var active = listOf(rs[1], 'conversations');
      var closed = rs[2] ? listOf(rs[2], 'conversations') : null;
      var keep = {};
      if (C.selected && C.convs[C.selected]) keep[C.selected] = C.convs[C.selected];
      if (!closed) Object.keys(C.convs).forEach(function (id) { if (C.convs[id].status === 'closed') keep[id] = C.convs[id]; });
      C.convs = keep;
      C.lists = { waiting: waiting.map(function (c) { return c.id; }), match: {} };
      [waiting, active, closed || []].forEach(function (l) { l.forEach(function (c) { C.convs[c.id] = c; C.lists.match[c.id] = true; }); });
      if (closed) C.closedLoaded = true;
      C.waitingCount = waiting.length;
      for (var id in C.convs) seedUnread(C.convs[id]);
      // new chats found by a reload (polling, reconnect) ring like live ones; the first load
      // only learns what is already there
      waiting.forEach(function (c) { if (C.inboxLoaded && !q) notifyNew(c); else C.rung['new:' + c.id] = true; });
      active.forEach(function (c) { if (isMine(c)) { if (C.inboxLoaded && !q) notifyAssigned(c); else C.rung['mine:' + c.id] = true; } });
      C.inboxLoaded = true;
      if (C.view === 'inbox') { renderTabs(); renderList(); if (C.selected) { renderConvHeader(); renderDetails(); } }
      updateTitle();
    }, function (e) {
      if (gen !== inboxGen || e.status === 401) return;
      if (C.view === 'inbox' && E.list) { clear(E.list); E.list.appendChild(h('div', { class: 'c-empty' }, e.message)); }
    });
  }
  // a conversation whose last message is the visitor's and not yet read here counts as unread
  function seedUnread(c) {
    var lm = c.last_message;
    if (!lm || lm.sender_type !== 'customer' || c.status === 'closed') return;
    if (C.read[c.id] === lm.id || c.id === C.selected) return;
    if (!C.unread[c.id]) C.unread[c.id] = 1;
  }
  function markRead(id) {
    var c = C.convs[id];
    var msgs = C.messages[id];
    var last = msgs && msgs.length ? msgs[msgs.length - 1] : c && c.last_message;
    if (last && last.id) { C.read[id] = last.id; saveRead(); }
    if (C.unread[id]) { delete C.unread[id]; renderList(); renderTabs(); updateTitle(); }
  }

  function renderTabs() {
    if (!E.tabs) return;
    clear(E.tabs);
    ['waiting', 'mine', 'team', 'closed'].forEach(function (tab) {
      var list = idsFor(tab);
      var n = tab === 'closed' ? null : list.length;
      var unread = list.reduce(function (s, c) { return s + (C.unread[c.id] ? 1 : 0); }, 0);
      E.tabs.appendChild(h('button', {
        class: 'c-tab' + (C.tab === tab ? ' c-active' : '') + (tab === 'waiting' && n ? ' c-tab-alert' : ''), type: 'button', role: 'tab',
        'aria-selected': C.tab === tab ? 'true' : 'false', 'data-c': 'tab-' + tab,
        onclick: function () { C.tab = tab; if (tab === 'closed' && !C.closedLoaded) loadInbox(); renderTabs(); renderList(); }
      }, t('tab_' + tab), n ? h('span', { class: 'c-count' + (unread ? ' c-count-unread' : ''), 'data-c': 'count-' + tab }, String(n)) : null));
    });
  }

  function displayName(c) {
    if (c.contact && c.contact.contact_name) return c.contact.contact_name;
    var v = c.visitor || {};
    if (v.email) return v.email;
    if (v.oss_user_id) return v.oss_user_id;
    if (c.family === 'tenant') return t('tenant') + ' #' + c.tenant_id;
    return t('visitor') + ' ' + String((v.browser_uuid || c.id || '').slice(0, 4)).toUpperCase();
  }

  function renderList() {
    if (!E.list || C.view !== 'inbox') return;
    var scroll = E.list.scrollTop;
    clear(E.list);
    var tab = C.tab || 'waiting';
    var list = idsFor(tab);
    if (!list.length) {
      E.list.appendChild(h('div', { class: 'c-empty c-empty-list' }, icon(tab === 'waiting' ? 'check' : 'inbox'), h('div', null, C.q ? t('noResults') : t('empty_' + tab))));
      return;
    }
    list.forEach(function (c) { E.list.appendChild(listItem(c)); });
    E.list.scrollTop = scroll;
  }

  function listItem(c) {
    var name = displayName(c);
    var lm = c.last_message;
    var unread = C.unread[c.id] || 0;
    var prio = c.priority === 'high' || c.priority === 'urgent' ? h('span', { class: 'c-prio c-prio-' + c.priority }, icon('flag'), t('priority_' + c.priority)) : null;
    var preview = lm ? (lm.sender_type === 'agent' ? (lm.sender_id === C.me.number || (lm.sender_name && lm.sender_name === C.me.name) ? t('you') + ': ' : (lm.sender_name || t('agent')) + ': ') : '') + lm.message : (c.topic || '');
    var meta = c.status === 'waiting'
      ? h('span', { class: 'c-wait' }, icon('clock'), waited(c.started_at))
      : c.status === 'active' && !isMine(c) && c.agent ? h('span', { class: 'c-owner' }, c.agent.name) : null;
    return h('button', {
      class: 'c-item' + (c.id === C.selected ? ' c-selected' : '') + (unread ? ' c-unread' : ''), type: 'button', role: 'option',
      'aria-selected': c.id === C.selected ? 'true' : 'false', 'data-c': 'item', 'data-id': c.id, 'data-status': c.status,
      onclick: function () { selectConv(c.id); }
    },
      avatar(name, (c.visitor && (c.visitor.chat_user_id || c.visitor.browser_uuid)) || c.id),
      h('div', { class: 'c-item-main' },
        h('div', { class: 'c-item-row' },
          h('span', { class: 'c-item-name', 'data-c': 'item-name' }, name),
          h('span', { class: 'c-item-time' }, fmtShort(lastAt(c)))),
        h('div', { class: 'c-item-topic' }, c.family === 'tenant' ? h('span', { class: 'c-tag c-tag-tenant' }, t('family_tenant')) : null, c.topic || ''),
        h('div', { class: 'c-item-row' },
          h('span', { class: 'c-item-preview', 'data-c': 'item-preview' }, preview),
          unread ? h('span', { class: 'c-unread-badge', 'data-c': 'unread' }, String(unread)) : null),
        prio || meta ? h('div', { class: 'c-item-meta' }, prio, meta) : null));
  }

  // ------------------------------------------------------------------ conversation
  function selectConv(id) {
    C.selected = id;
    C.mobilePane = 'conv';
    app.classList.add('c-has-selection');
    app.classList.remove('c-pane-list');
    app.classList.add('c-pane-conv');
    history.replaceState(null, '', '#/c/' + id);
    C.typing[id] = false;
    renderList();
    renderConv();
    loadConversation(id);
  }

  function loadConversation(id) {
    return api('GET', 'conversations/' + encodeURIComponent(id)).then(function (c) {
      var msgs = c.messages || [];
      delete c.messages;
      C.convs[id] = c;
      var local = (C.messages[id] || []).filter(function (m) { return !m.id; });
      C.messages[id] = msgs.concat(local.filter(function (m) { return !msgs.some(function (x) { return x.client_id && x.client_id === m.client_id; }); }));
      if (!C.tab) C.tab = tabFor(c);
      if (C.selected === id) { renderTabs(); renderList(); renderConv(); markRead(id); }
    }, function (e) {
      if (e.status === 404 && C.selected === id) { C.selected = null; app.classList.remove('c-has-selection'); history.replaceState(null, '', '#/'); renderConv(); toast(e.message, 'error'); }
    });
  }

  function renderConv() {
    if (!E.conv || C.view !== 'inbox') return;
    clear(E.conv);
    E.msgList = E.typing = E.composer = E.convHeader = E.footer = null;
    var c = C.selected && C.convs[C.selected];
    if (!c) {
      E.conv.appendChild(h('div', { class: 'c-conv-empty' },
        h('div', { class: 'c-conv-empty-icon' }, icon('chat')),
        h('h2', null, t('pickConversation')),
        h('p', null, t('pickConversationSub'))));
      renderDetails();
      return;
    }
    E.convHeader = h('header', { class: 'c-conv-head', 'data-c': 'conv-head' });
    E.msgList = h('div', { class: 'c-msgs', 'data-c': 'messages', role: 'log', 'aria-live': 'polite' });
    E.typing = h('div', { class: 'c-typing', hidden: true, 'data-c': 'typing' }, h('span', { class: 'c-typing-dots' }, h('i'), h('i'), h('i')), t('typing'));
    E.scroll = h('div', { class: 'c-msgs-scroll' }, E.msgList, E.typing);
    E.footer = h('div', { class: 'c-conv-foot' });
    E.conv.appendChild(E.convHeader);
    E.conv.appendChild(E.scroll);
    E.conv.appendChild(E.footer);
    renderConvHeader();
    renderMessages(true);
    renderTyping();
    renderFooter();
    renderDetails();
  }

  function renderConvHeader() {
    var c = C.convs[C.selected];
    if (!E.convHeader || !c) return;
    clear(E.convHeader);
    var actions = h('div', { class: 'c-actions' });
    if (c.status === 'waiting') actions.appendChild(h('button', { class: 'c-btn c-btn-primary', type: 'button', 'data-c': 'accept', onclick: function () { accept(c.id); } }, icon('check'), t('accept')));
    if (c.status !== 'closed') {
      actions.appendChild(h('button', { class: 'c-btn c-btn-light', type: 'button', 'data-c': 'transfer', onclick: function () { openTransfer(c.id); } }, icon('transfer'), h('span', { class: 'c-hide-sm' }, t('transfer'))));
      actions.appendChild(h('button', { class: 'c-btn c-btn-light c-btn-danger-text', type: 'button', 'data-c': 'close', onclick: function () { confirmClose(c.id); } }, icon('lock'), h('span', { class: 'c-hide-sm' }, t('close'))));
    }
    actions.appendChild(h('button', { class: 'c-btn c-btn-icon c-btn-light c-details-toggle', type: 'button', title: t('details'), 'aria-label': t('details'), onclick: function () { app.classList.toggle('c-show-details'); } }, icon('info')));
    var name = displayName(c);
    E.convHeader.appendChild(h('button', { class: 'c-btn c-btn-icon c-back', type: 'button', 'aria-label': t('back'), onclick: function () { app.classList.remove('c-pane-conv'); app.classList.add('c-pane-list'); } }, icon('back')));
    E.convHeader.appendChild(avatar(name, (c.visitor && (c.visitor.chat_user_id || c.visitor.browser_uuid)) || c.id));
    E.convHeader.appendChild(h('div', { class: 'c-conv-title' },
      h('div', { class: 'c-conv-name', 'data-c': 'conv-name' }, name),
      h('div', { class: 'c-conv-sub' },
        h('span', { class: 'c-status c-status-' + c.status, 'data-c': 'conv-status' }, t('status_' + c.status)),
        c.topic ? h('span', { class: 'c-conv-topic', 'data-c': 'conv-topic' }, c.topic) : null,
        c.agent && c.status !== 'waiting' ? h('span', { class: 'c-conv-agent' }, '· ' + (isMine(c) ? t('you') : c.agent.name)) : null)));
    E.convHeader.appendChild(actions);
  }

  function atBottom() { var s = E.scroll; return !s || s.scrollHeight - s.scrollTop - s.clientHeight < 80; }
  function scrollDown() { if (E.scroll) E.scroll.scrollTop = E.scroll.scrollHeight; }

  function renderMessages(force) {
    if (!E.msgList) return;
    var stick = force || atBottom();
    clear(E.msgList);
    var c = C.convs[C.selected];
    var msgs = C.messages[C.selected] || [];
    if (c && c.topic) E.msgList.appendChild(h('div', { class: 'c-msg-topic' }, h('span', null, t('topic')), c.topic));
    var prevDay = null;
    msgs.forEach(function (m, i) {
      var d = toDate(m.created_at) || new Date();
      if (!prevDay || !sameDay(prevDay, d)) E.msgList.appendChild(h('div', { class: 'c-day' }, h('span', null, fmtDay(d))));
      prevDay = d;
      var prev = msgs[i - 1];
      var next = msgs[i + 1];
      E.msgList.appendChild(renderMessage(m, !prev || !group(prev, m), !next || !group(m, next)));
    });
    if (stick) scrollDown();
  }
  function group(a, b) {
    if (a.sender_type !== b.sender_type || a.sender_type === 'system') return false;
    if (a.sender_type === 'agent' && (a.sender_name || '') !== (b.sender_name || '')) return false;
    var da = toDate(a.created_at), db = toDate(b.created_at);
    return !da || !db || (Math.abs(db - da) < 5 * 60000 && sameDay(da, db));
  }
  function renderMessage(m, first, last) {
    if (m.sender_type === 'system') {
      return h('div', { class: 'c-sys', 'data-c': 'message', 'data-sender': 'system' }, h('span', { 'data-c': 'text' }, m.message), h('time', null, fmtTime(m.created_at)));
    }
    var c = C.convs[C.selected];
    var mine = m.sender_type === 'agent';
    var myOwn = mine && (m._local || m.sender_id === C.me.number || m.sender_name === C.me.name);
    var who = mine ? (myOwn ? t('you') : (m.sender_name || t('agent')))
      : c && c.family === 'tenant' && m.sender_id != null ? t('tenantUser', { n: m.sender_id }) : displayName(c);
    var row = h('div', { class: 'c-msg ' + (mine ? 'c-msg-agent' : 'c-msg-visitor') + (first ? ' c-first' : '') + (last ? ' c-last' : ''),
      'data-c': 'message', 'data-sender': m.sender_type, 'data-state': m._state || 'sent', 'data-id': m.id || '' });
    if (first) row.appendChild(h('div', { class: 'c-msg-name' }, who));
    row.appendChild(h('div', { class: 'c-bubble', 'data-c': 'text' }, textNodes(m.message)));
    if (m._state === 'failed') {
      row.appendChild(h('div', { class: 'c-msg-meta c-failed' }, icon('alert'), t('failed'),
        h('button', { class: 'c-retry', type: 'button', 'data-c': 'retry', onclick: function () { deliver(c.id, m); } }, icon('retry'), t('retry'))));
    } else if (last || m._state === 'pending') {
      row.appendChild(h('div', { class: 'c-msg-meta' }, m._state === 'pending' ? t('pending') : fmtTime(m.created_at),
        mine ? icon(m._state === 'pending' ? 'clock' : 'check') : null));
    }
    return row;
  }
  function renderTyping() {
    if (!E.typing) return;
    var on = !!C.typing[C.selected];
    E.typing.hidden = !on;
    if (on && atBottom()) scrollDown();
  }

  function renderFooter() {
    var c = C.convs[C.selected];
    if (!E.footer || !c) return;
    clear(E.footer);
    E.composer = null;
    if (c.status === 'closed') {
      E.footer.appendChild(h('div', { class: 'c-foot-note', 'data-c': 'closed-note' }, icon('lock'), t('closedBanner'), c.ended_at ? ' ' + fmtDateTime(c.ended_at) : ''));
      return;
    }
    if (c.status === 'waiting') {
      E.footer.appendChild(h('div', { class: 'c-foot-note c-foot-waiting' },
        h('div', { class: 'c-foot-text' }, icon('clock'), h('span', null, t('waitingBanner'), ' ', c.queue_position ? t('queuePos', { n: c.queue_position }) + ' · ' : '', waited(c.started_at))),
        h('button', { class: 'c-btn c-btn-primary', type: 'button', 'data-c': 'accept-footer', onclick: function () { accept(c.id); } }, icon('check'), t('accept'))));
      return;
    }
    if (!isMine(c)) {
      E.footer.appendChild(h('div', { class: 'c-foot-note' }, icon('info'), t('handledBy', { name: c.agent ? c.agent.name : t('agent') })));
      return;
    }
    var ta = h('textarea', { class: 'c-compose-input', rows: '1', maxlength: '4000', placeholder: t('reply'), 'aria-label': t('reply'), 'data-c': 'reply' });
    ta.value = C.drafts[c.id] || '';
    var btn = h('button', { class: 'c-btn c-btn-primary c-send', type: 'submit', 'data-c': 'send', disabled: !ta.value.trim() }, icon('send'), h('span', { class: 'c-hide-sm' }, t('send')));
    var form = h('form', { class: 'c-composer' }, ta, btn);
    function size() { ta.style.height = 'auto'; ta.style.height = Math.min(ta.scrollHeight, 160) + 'px'; }
    ta.addEventListener('input', function () { C.drafts[c.id] = ta.value; btn.disabled = !ta.value.trim(); size(); typingInput(c.id, !!ta.value.trim()); });
    ta.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); } });
    function submit() {
      var text = ta.value.replace(/^\s+|\s+$/g, '');
      if (!text) return;
      ta.value = '';
      C.drafts[c.id] = '';
      btn.disabled = true;
      size();
      typingStop(c.id);
      sendReply(c.id, text);
      ta.focus();
    }
    form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
    E.footer.appendChild(form);
    E.composer = ta;
    setTimeout(function () { size(); if (D.activeElement === D.body || !D.activeElement) ta.focus(); }, 0);
  }

  function detailRow(label, value, opts) {
    opts = opts || {};
    var v;
    if (value == null || value === '') v = h('span', { class: 'c-muted' }, t('none'));
    else if (opts.href) v = h('a', { href: opts.href, target: opts.blank ? '_blank' : null, rel: 'noopener noreferrer', title: String(value) }, String(value));
    else v = h('span', { title: opts.title || String(value) }, String(value));
    return h('div', { class: 'c-dl-row', 'data-c': opts.key ? 'd-' + opts.key : null }, h('dt', null, label), h('dd', null, v));
  }
  function renderDetails() {
    if (!E.details) return;
    clear(E.details);
    var c = C.selected && C.convs[C.selected];
    if (!c) return;
    var ct = c.contact;
    var v = c.visitor || {};
    var name = displayName(c);
    E.details.appendChild(h('div', { class: 'c-d-head' },
      avatar(name, v.chat_user_id || v.browser_uuid || c.id, 'c-avatar-lg'),
      h('div', { class: 'c-d-name' }, name),
      h('div', { class: 'c-d-kind' }, c.family === 'tenant' ? t('tenant') + ' #' + c.tenant_id : (v.is_anonymous === false ? t('loggedIn') : t('anonymous')))));
    E.details.appendChild(h('div', { class: 'c-card' },
      h('h3', null, t('contact')),
      ct ? h('dl', { class: 'c-dl' },
        detailRow(t('name'), ct.contact_name, { key: 'contact-name' }),
        detailRow(t('email'), ct.contact_email, { href: ct.contact_email ? 'mailto:' + ct.contact_email : null, key: 'contact-email' }),
        detailRow(t('phone'), ct.contact_phone, { href: ct.contact_phone ? 'tel:' + ct.contact_phone : null }),
        detailRow(t('company'), ct.company_name),
        detailRow(t('position'), ct.position))
        : h('p', { class: 'c-muted c-small' }, t('noContact'))));
    E.details.appendChild(h('div', { class: 'c-card' },
      h('h3', null, t('session')),
      h('dl', { class: 'c-dl' },
        detailRow(t('topic'), c.topic, { key: 'topic' }),
        detailRow(t('priority'), c.priority ? t('priority_' + c.priority) : null, { key: 'priority' }),
        detailRow(t('status'), t('status_' + c.status)),
        c.status === 'waiting' ? detailRow(t('queue'), c.queue_position) : null,
        detailRow(t('family'), t('family_' + (c.family || 'oss'))),
        c.family === 'tenant' ? detailRow(t('tenant'), c.tenant_id) : null,
        detailRow(t('department'), c.department && c.department.name),
        detailRow(t('agent'), c.agent && c.agent.name, { key: 'agent' }),
        detailRow(t('started'), fmtDateTime(c.started_at)),
        c.ended_at ? detailRow(t('ended'), fmtDateTime(c.ended_at)) : null)));
    if (c.visitor) {
      var page = safeHref(v.page_url);
      E.details.appendChild(h('div', { class: 'c-card' },
        h('h3', null, t('visitorInfo')),
        h('dl', { class: 'c-dl' },
          v.oss_user_id ? detailRow(t('ossUser'), v.oss_user_id) : null,
          v.email ? detailRow(t('email'), v.email) : null,
          detailRow(t('page'), v.page_url, { href: page, blank: true, key: 'page' }),
          detailRow(t('userAgent'), shortUA(v.user_agent), { title: v.user_agent || '', key: 'ua' }),
          detailRow(t('ip'), v.ip_address, { key: 'ip' }))));
    }
  }

  // ------------------------------------------------------------------ actions
  function accept(id) {
    api('POST', 'conversations/' + encodeURIComponent(id) + '/accept', {}).then(function (c) {
      if (c && c.id) upsert(c);
      C.tab = 'mine';
      loadConversation(id);
      renderTabs();
      renderList();
    }, function (e) { toast(e.message, 'error'); loadInbox(); });
  }

  function confirmClose(id) {
    modal(t('closeConfirm'), h('p', { class: 'c-muted' }, t('closeConfirmSub')), [
      { label: t('cancel') },
      { label: t('close'), cls: 'c-btn-danger', key: 'confirm-close', run: function () {
        return api('POST', 'conversations/' + encodeURIComponent(id) + '/close', {}).then(function (c) {
          if (c && c.id) upsert(c); else if (C.convs[id]) { C.convs[id].status = 'closed'; refreshSelected(id); }
          loadConversation(id);
        });
      } }
    ]);
  }

  function openTransfer(id) {
    var choice = null;
    var body = h('div', { class: 'c-transfer', 'data-c': 'transfer-dialog' }, h('p', { class: 'c-muted' }, t('transferSub')));
    var agentsBox = h('div', { class: 'c-choice-list', 'data-c': 'transfer-agents' }, h('div', { class: 'c-muted c-small' }, '…'));
    var deptBox = h('div', { class: 'c-choice-list', 'data-c': 'transfer-departments' }, h('div', { class: 'c-muted c-small' }, '…'));
    body.appendChild(h('h4', null, t('toAgent')));
    body.appendChild(agentsBox);
    body.appendChild(h('h4', null, t('toDepartment')));
    body.appendChild(deptBox);
    var m = modal(t('transferTitle'), body, [
      { label: t('cancel') },
      { label: t('doTransfer'), cls: 'c-btn-primary', key: 'do-transfer', disabled: true, run: function () {
        if (!choice) return Promise.reject(new ApiError(400, { error: t('required') }));
        return api('POST', 'conversations/' + encodeURIComponent(id) + '/transfer', choice).then(function (c) {
          if (c && c.id) upsert(c);
          loadConversation(id);
          loadInbox();
        });
      } }
    ]);
    function choose(el, value) {
      body.querySelectorAll('.c-choice').forEach(function (x) { x.classList.remove('c-chosen'); x.setAttribute('aria-checked', 'false'); });
      el.classList.add('c-chosen');
      el.setAttribute('aria-checked', 'true');
      choice = value;
      m.button('do-transfer').disabled = false;
    }
    var conv = C.convs[id];
    // /directory lists agents and departments for every agent (GET /agents is admin-only)
    api('GET', 'directory').then(function (r) { fillAgents(listOf(r, 'agents')); fillDepts(listOf(r && r.departments, 'departments')); }, function () {
      api('GET', 'agents').then(function (r) { fillAgents(listOf(r, 'agents')); }, function () { cant(agentsBox); });
      api('GET', 'departments').then(function (r) { fillDepts(listOf(r, 'departments')); }, function () { cant(deptBox); });
    });
    function cant(box) { clear(box); box.appendChild(h('div', { class: 'c-muted c-small' }, t('cantList'))); }
    function fillAgents(all) {
      var list = all.filter(function (a) { return a.id !== C.me.id && !a.disabled && !(conv && conv.agent && conv.agent.id === a.id); });
      clear(agentsBox);
      if (!list.length) agentsBox.appendChild(h('div', { class: 'c-muted c-small' }, t('noAgents')));
      list.sort(function (a, b) { return (a.status === 'online' ? 0 : 1) - (b.status === 'online' ? 0 : 1) || String(a.name).localeCompare(b.name); });
      list.forEach(function (a) {
        var el = h('button', { class: 'c-choice', type: 'button', role: 'radio', 'aria-checked': 'false', 'data-c': 'transfer-agent', 'data-id': a.id, 'data-email': a.email },
          avatar(a.name, a.email, 'c-avatar-sm'),
          h('span', { class: 'c-choice-main' }, h('b', null, a.name), h('small', null, a.email + (deptName(a) ? ' · ' + deptName(a) : ''))),
          h('span', { class: 'c-presence-dot c-p-' + (a.status || 'offline'), title: t('presence_' + (a.status || 'offline')) }));
        el.addEventListener('click', function () { choose(el, { agent_id: a.id }); });
        agentsBox.appendChild(el);
      });
    }
    function fillDepts(list) {
      clear(deptBox);
      if (!list.length) deptBox.appendChild(h('div', { class: 'c-muted c-small' }, t('noDepartments')));
      list.forEach(function (d) {
        var el = h('button', { class: 'c-choice', type: 'button', role: 'radio', 'aria-checked': 'false', 'data-c': 'transfer-department', 'data-id': d.id },
          h('span', { class: 'c-choice-icon' }, icon('users')), h('span', { class: 'c-choice-main' }, h('b', null, d.name)));
        el.addEventListener('click', function () { choose(el, { department_id: d.id }); });
        deptBox.appendChild(el);
      });
    }
  }
  function deptName(a) { var d = a.department; return d ? (typeof d === 'string' ? d : d.name) : ''; }

  function sendReply(id, text) {
    var m = { id: null, session_id: id, message: text, sender_type: 'agent', sender_id: C.me.number, sender_name: C.me.name, created_at: new Date().toISOString(), client_id: uuid(), _state: 'pending', _local: true };
    (C.messages[id] = C.messages[id] || []).push(m);
    if (C.selected === id) renderMessages(true);
    deliver(id, m);
  }
  function deliver(id, m) {
    m._state = 'pending';
    if (C.selected === id) renderMessages(false);
    api('POST', 'conversations/' + encodeURIComponent(id) + '/messages', { message: m.message, client_id: m.client_id }).then(function (r) {
      var list = C.messages[id] || [];
      // keep one copy: ours if still listed, else the one a refetch or the socket brought
      if (list.indexOf(m) >= 0) {
        var dup = list.filter(function (x) { return x !== m && x.id && x.id === r.id; })[0];
        if (dup) list.splice(list.indexOf(dup), 1);
      }
      m.id = r.id;
      m.created_at = r.created_at || m.created_at;
      m._state = 'sent';
      var c = C.convs[id];
      if (c) c.last_message = r;
      if (C.selected === id) renderMessages(false);
      renderList();
    }, function (e) {
      m._state = 'failed';
      if (C.selected === id) renderMessages(false);
      if (e.status === 409) loadConversation(id);
    });
  }

  var typingState = {};
  function typingInput(id, has) {
    var s = typingState[id] = typingState[id] || { on: false, at: 0, timer: null };
    clearTimeout(s.timer);
    if (!has) { typingStop(id); return; }
    if (!s.on || Date.now() - s.at > 4000) {
      s.on = true;
      s.at = Date.now();
      api('POST', 'conversations/' + encodeURIComponent(id) + '/typing', { typing: true }).catch(function () { /* best effort */ });
    }
    s.timer = setTimeout(function () { typingStop(id); }, 3000);
  }
  function typingStop(id) {
    var s = typingState[id];
    if (!s) return;
    clearTimeout(s.timer);
    if (!s.on) return;
    s.on = false;
    api('POST', 'conversations/' + encodeURIComponent(id) + '/typing', { typing: false }).catch(function () { /* best effort */ });
  }

  // ------------------------------------------------------------------ live updates
  function upsert(c) {
    var prev = C.convs[c.id];
    C.convs[c.id] = prev ? Object.assign(prev, c) : c;
    if (c.status === 'waiting') { if (C.lists.waiting.indexOf(c.id) < 0) C.lists.waiting.push(c.id); }
    else C.lists.waiting = C.lists.waiting.filter(function (x) { return x !== c.id; });
    if (C.q) C.lists.match[c.id] = C.lists.match[c.id] || false;
    else C.lists.match[c.id] = true;
    refreshSelected(c.id);
    renderTabs();
    renderList();
    updateTitle();
    return prev;
  }
  function refreshSelected(id) {
    if (C.selected !== id) return;
    renderConvHeader();
    renderFooter();
    renderDetails();
  }

  function onEvent(ev) {
    if (!ev || !ev.type) return;
    var d = ev.data || {};
    if (ev.type === 'message.created') {
      var id = d.session_id;
      var c = C.convs[id];
      var list = C.messages[id];
      if (list) {
        var known = list.some(function (x) { return x.id && x.id === d.id; });
        if (!known) {
          var local = d.client_id && list.filter(function (x) { return !x.id && x.client_id === d.client_id; })[0];
          if (local) { local.id = d.id; local.created_at = d.created_at; local._state = 'sent'; }
          else {
            var at = list.length;
            for (var i = 0; i < list.length; i++) if (!list[i].id) { at = i; break; }
            list.splice(at, 0, d);
          }
        }
      }
      if (c) c.last_message = d;
      if (d.sender_type === 'customer') {
        C.typing[id] = false;
        var visible = C.selected === id && C.view === 'inbox' && D.visibilityState === 'visible';
        if (!visible && c && c.status !== 'closed') {
          C.unread[id] = (C.unread[id] || 0) + 1;
          if (isMine(c) || c.status === 'waiting') notify(t('newMessage', { name: displayName(c) }), d.message, id);
        }
      }
      if (!c) scheduleReload();
      if (C.selected === id) { renderMessages(d.sender_type === 'agent' && d.sender_id === C.me.number); renderTyping(); if (D.visibilityState === 'visible') markRead(id); }
      renderTabs();
      renderList();
      updateTitle();
    } else if (ev.type === 'session.updated') {
      var conv = d.id ? d : null;
      if (!conv) { scheduleReload(); return; }
      var before = C.convs[conv.id] ? { status: C.convs[conv.id].status, agent: C.convs[conv.id].agent } : null;
      upsert(conv);
      if (conv.status === 'waiting' && (!before || before.status !== 'waiting')) {
        delete C.rung['new:' + conv.id];
        notifyNew(conv);
      } else if (conv.status === 'active' && isMine(conv) && !(before && before.agent && before.agent.id === C.me.id)) {
        notifyAssigned(conv);
      }
      if (C.selected === conv.id && before && before.status !== conv.status) loadConversation(conv.id);
    } else if (ev.type === 'typing') {
      if (d.sender_type && d.sender_type !== 'customer') return;
      C.typing[d.session_id] = !!d.typing;
      clearTimeout(C['typingTimer' + d.session_id]);
      if (d.typing) C['typingTimer' + d.session_id] = setTimeout(function () { C.typing[d.session_id] = false; if (C.selected === d.session_id) renderTyping(); }, 8000);
      if (C.selected === d.session_id) renderTyping();
    } else if (ev.type === 'queue.updated') {
      var n = d.waiting;
      if (typeof n === 'number' && n !== idsFor('waiting').length) scheduleReload();
    } else if (ev.type === 'agent.updated' || ev.type === 'presence.updated') {
      if (d.id === C.me.id && d.status) { C.me.status = d.status; updatePresenceUI(); }
    }
  }
  var reloadTimer = null;
  function scheduleReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(loadInbox, 250);
  }

  function connectWs() {
    if (!C.token) return;
    if (C.ws) { C.ws.onclose = null; try { C.ws.close(); } catch (e) { /* ignore */ } }
    var u = new URL('ws', API);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('access_token', C.token);
    var ws;
    try { ws = new WebSocket(u.href); } catch (e) { startPolling(); return; }
    C.ws = ws;
    var opened = false;
    ws.onopen = function () {
      opened = true;
      C.wsFailures = 0;
      C.wsRetry = 0;
      setConn('live');
      stopPolling();
      // whatever happened while disconnected: reload instead of replaying
      if (C.wsEverOpened) { loadInbox(); if (C.selected) loadConversation(C.selected); }
      C.wsEverOpened = true;
    };
    ws.onmessage = function (e) { var d; try { d = JSON.parse(e.data); } catch (x) { return; } onEvent(d); };
    ws.onclose = function () {
      if (C.ws !== ws) return;
      C.ws = null;
      if (!C.token) return;
      if (!opened) C.wsFailures = (C.wsFailures || 0) + 1;
      setConn(C.wsEverOpened ? 'down' : 'polling');
      if (C.wsFailures >= 2) startPolling();
      var delay = Math.min(30000, 1000 * Math.pow(2, C.wsRetry = (C.wsRetry || 0) + 1));
      clearTimeout(C.wsTimer);
      C.wsTimer = setTimeout(connectWs, delay);
    };
  }
  // without a socket (proxy without WebSocket support, or the server not offering it) the
  // console still works: the inbox and the open conversation are polled
  function startPolling() {
    if (C.pollTimer) return;
    C.pollTimer = setInterval(function () {
      if (!C.token) return;
      loadInbox();
      if (C.selected) pollSelected(C.selected);
    }, 4000);
  }
  function stopPolling() { clearInterval(C.pollTimer); C.pollTimer = null; }
  function pollSelected(id) {
    var known = (C.messages[id] || []).filter(function (m) { return m.id; }).length;
    api('GET', 'conversations/' + encodeURIComponent(id)).then(function (c) {
      var msgs = c.messages || [];
      delete c.messages;
      var before = C.convs[id];
      var changed = !before || before.status !== c.status || JSON.stringify(before.agent) !== JSON.stringify(c.agent) || msgs.length !== known;
      if (!changed) return;
      C.convs[id] = c;
      var local = (C.messages[id] || []).filter(function (m) { return !m.id; });
      C.messages[id] = msgs.concat(local.filter(function (m) { return !msgs.some(function (x) { return x.client_id && x.client_id === m.client_id; }); }));
      if (C.selected === id) { renderConvHeader(); renderMessages(false); renderFooter(); renderDetails(); markRead(id); }
    }, function () { /* next tick */ });
  }
  function setConn(s) {
    C.wsState = s;
    renderConn();
  }
  function renderConn() {
    if (!E.conn) return;
    E.conn.hidden = C.wsState !== 'down';
  }

  // ------------------------------------------------------------------ notifications
  var audio = null;
  function unlockAudio() {
    try {
      var AC = W.AudioContext || W.webkitAudioContext;
      if (!AC) return;
      if (!audio) audio = new AC();
      if (audio.state === 'suspended') audio.resume();
    } catch (e) { /* no audio */ }
  }
  D.addEventListener('pointerdown', unlockAudio, { once: true });
  function ding() {
    if (!C.sound || !audio) return;
    try {
      var now = audio.currentTime;
      [[880, 0], [1318.5, 0.13]].forEach(function (n) {
        var o = audio.createOscillator();
        var g = audio.createGain();
        o.type = 'sine';
        o.frequency.value = n[0];
        g.gain.setValueAtTime(0.0001, now + n[1]);
        g.gain.exponentialRampToValueAtTime(0.18, now + n[1] + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, now + n[1] + 0.32);
        o.connect(g);
        g.connect(audio.destination);
        o.start(now + n[1]);
        o.stop(now + n[1] + 0.35);
      });
    } catch (e) { /* ignore */ }
  }
  function askNotify() {
    unlockAudio();
    if (!W.Notification) return;
    if (Notification.permission === 'default') Notification.requestPermission().then(renderRailToggles);
    else renderRailToggles();
  }
  function notifyNew(c) {
    if (C.rung['new:' + c.id]) return;
    C.rung['new:' + c.id] = true;
    notify(t('newChat'), t('newChatFrom', { topic: c.topic || displayName(c) }), c.id);
  }
  function notifyAssigned(c) {
    if (C.rung['mine:' + c.id]) return;
    C.rung['mine:' + c.id] = true;
    notify(t('newChat'), t('assigned', { topic: c.topic || displayName(c) }), c.id);
  }
  var lastNotify = 0;
  function notify(title, body, id) {
    C.notified = (C.notified || 0) + 1;
    var now = Date.now();
    if (now - lastNotify > 800) ding();
    lastNotify = now;
    if (W.Notification && Notification.permission === 'granted' && D.visibilityState !== 'visible') {
      try {
        var n = new Notification(title, { body: String(body || '').slice(0, 160), tag: 'obrol-' + id });
        n.onclick = function () { W.focus(); if (C.view !== 'inbox') setView('inbox'); selectConv(id); n.close(); };
      } catch (e) { /* some browsers need a service worker */ }
    }
  }
  function updateTitle() {
    // conversations that need attention: unread ones and waiting ones, each counted once
    var need = {};
    Object.keys(C.unread).forEach(function (id) { need[id] = true; });
    idsFor('waiting').forEach(function (c) { need[c.id] = true; });
    var n = Object.keys(need).length;
    D.title = (n ? '(' + n + ') ' : '') + 'obrol — ' + t('console');
    if (E.railBadge) { E.railBadge.hidden = !n; E.railBadge.textContent = n > 99 ? '99+' : String(n); }
  }
  D.addEventListener('visibilitychange', function () { if (D.visibilityState === 'visible' && C.selected && C.view === 'inbox') markRead(C.selected); });

  // ------------------------------------------------------------------ modal and toast
  function modal(title, body, buttons) {
    var back = h('div', { class: 'c-modal-back', 'data-c': 'modal' });
    var err = h('div', { class: 'c-alert c-alert-error', hidden: true, role: 'alert' });
    var btnEls = {};
    var foot = h('div', { class: 'c-modal-foot' });
    function close() { if (back.parentNode) back.parentNode.removeChild(back); D.removeEventListener('keydown', onKey); }
    function onKey(e) { if (e.key === 'Escape') close(); }
    buttons.forEach(function (b) {
      var el = h('button', { class: 'c-btn ' + (b.cls || 'c-btn-light'), type: 'button', 'data-c': b.key || null, disabled: !!b.disabled }, b.label);
      el.addEventListener('click', function () {
        if (!b.run) { close(); return; }
        el.disabled = true;
        err.hidden = true;
        Promise.resolve().then(b.run).then(close, function (e) { el.disabled = false; err.textContent = e.message || t('error'); err.hidden = false; });
      });
      if (b.key) btnEls[b.key] = el;
      foot.appendChild(el);
    });
    var box = h('div', { class: 'c-modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      h('div', { class: 'c-modal-head' }, h('h2', null, title), h('button', { class: 'c-btn c-btn-icon', type: 'button', 'aria-label': t('cancel'), onclick: close }, icon('x'))),
      h('div', { class: 'c-modal-body' }, body, err), foot);
    back.appendChild(box);
    back.addEventListener('mousedown', function (e) { if (e.target === back) close(); });
    D.addEventListener('keydown', onKey);
    D.body.appendChild(back);
    var first = box.querySelector('.c-modal-foot .c-btn:last-child');
    if (first && !first.disabled) first.focus();
    return { close: close, button: function (k) { return btnEls[k]; } };
  }
  function toast(msg, kind) {
    var el = h('div', { class: 'c-toast' + (kind === 'error' ? ' c-toast-error' : ''), role: 'status', 'data-c': 'toast' }, msg);
    D.body.appendChild(el);
    setTimeout(function () { el.classList.add('c-toast-out'); setTimeout(function () { if (el.parentNode) el.parentNode.removeChild(el); }, 300); }, 3500);
  }

  // ------------------------------------------------------------------ admin
  function loadAdmin() {
    return Promise.all([
      api('GET', 'agents').then(function (r) { return listOf(r, 'agents'); }),
      api('GET', 'departments').then(function (r) { return listOf(r, 'departments'); })
    ]).then(function (rs) {
      C.agents = rs[0];
      C.departments = rs[1];
      if (C.view === 'admin') renderAdmin();
    }, function (e) { toast(e.message, 'error'); });
  }

  function renderAdmin() {
    if (!E.admin) return;
    clear(E.admin);
    E.admin.appendChild(h('header', { class: 'c-admin-head' }, h('h1', null, t('admin')), h('p', { class: 'c-muted' }, C.me.name + ' · ' + C.me.email)));
    var agents = C.agents;
    var depts = C.departments || [];
    // agents
    var table = h('table', { class: 'c-table', 'data-c': 'agents-table' },
      h('thead', null, h('tr', null, h('th', null, t('name')), h('th', null, t('number')), h('th', null, t('role')), h('th', null, t('department')), h('th', null, t('maxChats')), h('th', null, t('status')), h('th', null, ''))));
    var tbody = h('tbody');
    table.appendChild(tbody);
    (agents || []).forEach(function (a) {
      var dis = !!a.disabled;
      tbody.appendChild(h('tr', { class: dis ? 'c-row-disabled' : '', 'data-c': 'agent-row', 'data-email': a.email },
        h('td', null, h('div', { class: 'c-cell-person' }, avatar(a.name, a.email, 'c-avatar-sm'), h('div', null, h('b', null, a.name), h('small', null, a.email)))),
        h('td', null, a.number != null ? '#' + a.number : ''),
        h('td', null, h('span', { class: 'c-tag' + (a.role === 'admin' ? ' c-tag-admin' : '') }, t('role_' + (a.role || 'agent')))),
        h('td', null, deptName(a) || h('span', { class: 'c-muted' }, t('none'))),
        h('td', null, a.max_chats != null ? String(a.max_chats) : ''),
        h('td', null, dis ? h('span', { class: 'c-tag c-tag-off' }, t('disabled')) : h('span', { class: 'c-presence-inline' }, h('span', { class: 'c-presence-dot c-p-' + (a.status || 'offline') }), t('presence_' + (a.status || 'offline')))),
        h('td', { class: 'c-td-actions' }, a.id === C.me.id ? h('span', { class: 'c-muted c-small' }, '(' + t('me') + ')') : h('button', {
          class: 'c-btn c-btn-light c-btn-sm' + (dis ? '' : ' c-btn-danger-text'), type: 'button', 'data-c': dis ? 'enable-agent' : 'disable-agent',
          onclick: function (e) {
            e.target.disabled = true;
            api('PATCH', 'agents/' + encodeURIComponent(a.id), { disabled: !dis }).then(function () { loadAdmin(); }, function (er) { toast(er.message, 'error'); loadAdmin(); });
          }
        }, dis ? t('enable') : t('disable')))));
    });
    if (!agents) tbody.appendChild(h('tr', null, h('td', { colspan: '7', class: 'c-muted' }, '…')));

    var f = {};
    var deptSelect = h('select', { class: 'c-input', name: 'department_id', 'data-c': 'new-agent-department' },
      h('option', { value: '' }, t('noDepartment')), depts.map(function (d) { return h('option', { value: d.id }, d.name); }));
    var addErr = h('div', { class: 'c-alert c-alert-error', hidden: true, role: 'alert' });
    var addForm = h('form', { class: 'c-card c-admin-form', 'data-c': 'add-agent-form' },
      h('h3', null, t('addAgent')),
      h('div', { class: 'c-grid' },
        h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, t('name')), f.name = h('input', { class: 'c-input', name: 'name', required: true, 'data-c': 'new-agent-name' })),
        h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, t('email')), f.email = h('input', { class: 'c-input', name: 'email', type: 'email', required: true, 'data-c': 'new-agent-email' })),
        h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, t('password')), f.password = h('input', { class: 'c-input', name: 'password', type: 'password', autocomplete: 'new-password', required: true, 'data-c': 'new-agent-password' })),
        h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, t('role')), f.role = h('select', { class: 'c-input', name: 'role', 'data-c': 'new-agent-role' }, h('option', { value: 'agent' }, t('role_agent')), h('option', { value: 'admin' }, t('role_admin')))),
        h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, t('department')), deptSelect),
        h('label', { class: 'c-field' }, h('span', { class: 'c-label' }, t('maxChats')), f.max = h('input', { class: 'c-input', name: 'max_chats', type: 'number', min: '1', max: '100', value: '5', 'data-c': 'new-agent-max' }))),
      addErr,
      h('div', { class: 'c-form-actions' }, h('button', { class: 'c-btn c-btn-primary', type: 'submit', 'data-c': 'new-agent-submit' }, icon('plus'), t('addAgent'))));
    addForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var body = { name: f.name.value.trim(), email: f.email.value.trim(), password: f.password.value, role: f.role.value };
      if (deptSelect.value) body.department_id = deptSelect.value;
      if (f.max.value) body.max_chats = Number(f.max.value);
      if (!body.name || !body.email || !body.password) { addErr.textContent = t('required'); addErr.hidden = false; return; }
      api('POST', 'agents', body).then(function () { toast(t('saved')); loadAdmin(); }, function (er) { addErr.textContent = er.message; addErr.hidden = false; });
    });

    var deptInput = h('input', { class: 'c-input', name: 'name', placeholder: t('departmentName'), required: true, 'data-c': 'new-department-name' });
    var deptErr = h('div', { class: 'c-alert c-alert-error', hidden: true, role: 'alert' });
    var deptForm = h('form', { class: 'c-inline-form', 'data-c': 'add-department-form' }, deptInput, h('button', { class: 'c-btn c-btn-primary', type: 'submit', 'data-c': 'new-department-submit' }, icon('plus'), t('addDepartment')));
    deptForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var name = deptInput.value.trim();
      if (!name) return;
      api('POST', 'departments', { name: name }).then(function () { toast(t('saved')); loadAdmin(); }, function (er) { deptErr.textContent = er.message; deptErr.hidden = false; });
    });
    var deptList = h('ul', { class: 'c-dept-list', 'data-c': 'departments-list' }, depts.map(function (d) {
      var n = (agents || []).filter(function (a) { return deptName(a) === d.name; }).length;
      return h('li', null, h('span', { class: 'c-choice-icon' }, icon('users')), h('b', null, d.name), h('span', { class: 'c-muted c-small' }, n + ' ' + t('agents').toLowerCase()));
    }));
    if (!depts.length) deptList.appendChild(h('li', { class: 'c-muted' }, t('noDepartments')));

    E.admin.appendChild(h('div', { class: 'c-admin-grid' },
      h('section', { class: 'c-admin-main' }, h('div', { class: 'c-card c-card-flush' }, h('h3', { class: 'c-card-pad' }, t('agents')), h('div', { class: 'c-table-wrap' }, table)), addForm),
      h('section', { class: 'c-admin-side' }, h('div', { class: 'c-card' }, h('h3', null, t('departments')), deptList, deptForm, deptErr))));
  }

  boot();
})();
