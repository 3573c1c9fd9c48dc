// OneBill's page for bank and customs officers: verify a document, follow a bill, search, see the chain.
// Built on the node's API alone (DESIGN §7), same origin only. Read-only: no keys, no signatures.
// Every value from the API or a file reaches the page through textContent or an attribute, never as
// HTML, so a hostile remark or name is shown, not run (the Content-Security-Policy forbids inline script
// as a second guard).
'use strict';

(() => {
  const TEXT = window.ONEBILL_TEXT;
  const LANGUAGE_KEY = 'onebill.language';
  const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;  // DESIGN §1: document 16 MiB
  const MAX_HISTORY_PAGES = 100;                  // bounds the pages of one bill's history read
  const RECENT_BLOCKS = 10;
  const SEARCH_PAGE = 50;
  const BILL_ID = /^0x[0-9a-fA-F]{64}$/;
  const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
  const LEG_STAGES = ['RECEIVED', 'DEPARTED', 'ARRIVED', 'HANDED_OVER'];

  // Known UN/LOCODEs of the corridor, for place names; any other code is shown as it is.
  const PLACES = {
    CNCKG: { en: 'Chongqing', zh: '重庆' },
    CNQZH: { en: 'Qinzhou', zh: '钦州' },
    SGSIN: { en: 'Singapore', zh: '新加坡' },
    CNCTU: { en: 'Chengdu', zh: '成都' },
    CNNNG: { en: 'Nanning', zh: '南宁' },
    CNKMG: { en: 'Kunming', zh: '昆明' },
    CNFAN: { en: 'Fangchenggang', zh: '防城港' },
    CNBHY: { en: 'Beihai', zh: '北海' },
    CNCAN: { en: 'Guangzhou', zh: '广州' },
    CNSZX: { en: 'Shenzhen', zh: '深圳' },
    CNSHA: { en: 'Shanghai', zh: '上海' },
    CNXIA: { en: 'Xi’an', zh: '西安' },
    MYPKG: { en: 'Port Klang', zh: '巴生港' },
    VNHPH: { en: 'Haiphong', zh: '海防' },
    THLCH: { en: 'Laem Chabang', zh: '林查班' },
    LAVTE: { en: 'Vientiane', zh: '万象' },
  };

  const state = {
    language: initialLanguage(),
    view: 'verify',
    verify: null,   // {fileName, verification, id, control} or {fileName, problem}
    bill: null,     // {id, bill, history} or {id, problem}
    search: null,   // {params, bills, next, problem}
    chain: null,    // {status, blocks} or {problem}
    names: new Map(),  // lowercase address -> registered name
    busy: { verify: false, bill: false, search: false, chain: false },
  };

  // ---------------------------------------------------------------- language

  function initialLanguage() {
    try {
      const saved = window.localStorage.getItem(LANGUAGE_KEY);
      if (saved === 'en' || saved === 'zh') return saved;
    } catch (_) { /* storage may be disabled */ }
    return String(navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
  }

  function t(key, params) {
    const table = TEXT[state.language] || TEXT.en;
    let text = table[key] !== undefined ? table[key] : TEXT.en[key] !== undefined ? TEXT.en[key] : key;
    if (params) text = text.replace(/\{(\w+)\}/g, (match, name) => (params[name] !== undefined ? String(params[name]) : match));
    return text;
  }

  // A translated word for a ledger code (status, mode, event, action), or the code itself.
  function term(prefix, code) {
    const key = `${prefix}_${code}`;
    const table = TEXT[state.language] || TEXT.en;
    return table[key] !== undefined ? table[key] : TEXT.en[key] !== undefined ? TEXT.en[key] : String(code);
  }

  function setLanguage(language) {
    state.language = language;
    try { window.localStorage.setItem(LANGUAGE_KEY, language); } catch (_) { /* not remembered */ }
    applyLanguage();
    renderAll();
  }

  function applyLanguage() {
    document.documentElement.lang = state.language === 'zh' ? 'zh-CN' : 'en';
    document.title = t('page_title');
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-aria]')) node.setAttribute('aria-label', t(node.dataset.i18nAria));
    for (const button of document.querySelectorAll('.lang button')) {
      button.setAttribute('aria-pressed', String(button.dataset.lang === state.language));
    }
    updateSearchForm();
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    setAttributes(node, attributes);
    appendChildren(node, children);
    return node;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attributes);
    appendChildren(node, children);
    return node;
  }

  function setAttributes(node, attributes) {
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.setAttribute('class', value);
      else if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  function appendChildren(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
  }

  function replace(container, ...children) {
    container.replaceChildren();
    appendChildren(container, children);
  }

  const $ = (id) => document.getElementById(id);

  function keyValues(pairs) {
    const list = el('dl', { class: 'kv' });
    for (const [label, value] of pairs) {
      if (value === undefined || value === null || value === false) continue;
      list.append(el('dt', { text: label }), el('dd', {}, value));
    }
    return list;
  }

  function mono(text, attributes) {
    return el('span', { class: 'mono', ...(attributes || {}) }, text);
  }

  function badge(kind, text) {
    return el('span', { class: `badge ${kind}` }, text);
  }

  // ---------------------------------------------------------------- formatting

  function formatTime(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
    const date = new Date(ms);
    const locale = state.language === 'zh' ? 'zh-CN' : 'en-GB';
    const local = new Intl.DateTimeFormat(locale, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
      timeZoneName: 'short',
    }).format(date);
    return local;
  }

  function timeElement(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return null;
    return el('time', { datetime: new Date(ms).toISOString(), title: new Date(ms).toISOString() }, formatTime(ms));
  }

  function place(code) {
    const known = PLACES[String(code).toUpperCase()];
    return known ? known[state.language] || known.en : String(code);
  }

  function placeWithCode(code) {
    const name = place(code);
    return name === String(code) ? String(code) : `${name} (${code})`;
  }

  function shortHash(hash) {
    const text = String(hash || '');
    return text.length > 18 ? `${text.slice(0, 10)}…${text.slice(-6)}` : text;
  }

  function normaliseBillId(text) {
    let value = String(text || '').trim();
    if (/^[0-9a-fA-F]{64}$/.test(value)) value = `0x${value}`;
    return BILL_ID.test(value) ? value.toLowerCase() : null;
  }

  function billLink(id, label) {
    return el('a', { href: `#/bill/${id}`, class: label ? null : 'mono' }, label || id);
  }

  // A party: its registered name when this page knows it, and always its address.
  function party(address) {
    if (address === null || address === undefined) return null;
    const name = state.names.get(String(address).toLowerCase());
    return el('span', { class: 'party' },
      name ? el('span', { class: 'who' }, name) : null,
      mono(String(address)));
  }

  // ---------------------------------------------------------------- API

  async function api(path, options) {
    let response;
    try {
      response = await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...(options || {}),
        headers: { Accept: 'application/json', ...((options && options.headers) || {}) } });
    } catch (_) {
      return { ok: false, status: 0, problem: { rule: 'network', detail: '' } };
    }
    const text = await response.text();
    let body = null;
    try { body = JSON.parse(text); } catch (_) { body = null; }
    if (response.ok && body !== null) return { ok: true, status: response.status, body };
    const problem = body && typeof body === 'object' ? body : { detail: text.slice(0, 300) };
    return { ok: false, status: response.status, problem };
  }

  function isOperatorHost() {
    const host = window.location.hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  }

  function learnName(address, name) {
    if (typeof address === 'string' && typeof name === 'string' && name) state.names.set(address.toLowerCase(), name);
  }

  // Participant details are a signed read (DESIGN §7) that the node's operator may make without a
  // signature; from elsewhere the page shows addresses with the names history entries carry.
  async function resolveNames(addresses) {
    if (!isOperatorHost()) return;
    const unknown = [...new Set(addresses.filter((a) => typeof a === 'string' && ADDRESS.test(a))
      .map((a) => a.toLowerCase()))].filter((a) => !state.names.has(a)).slice(0, 32);
    await Promise.all(unknown.map(async (address) => {
      const answer = await api(`/v1/participants/${address}`);
      if (answer.ok) learnName(address, answer.body.name);
    }));
  }

  function problemNotice(result, messageKey) {
    const status = result.status;
    const problem = result.problem || {};
    // The caller's words for this situation first; else words for the HTTP status.
    let headline = t('error_generic');
    if (messageKey && messageKey !== 'error_generic') headline = t(messageKey);
    else if (status === 0) headline = t('error_network');
    else if (status === 401) headline = t('error_unauthorized');
    else if (status === 403) headline = t('error_forbidden');
    else if (status === 503) headline = t('error_busy');
    const details = [problem.rule || problem.title, problem.detail].filter(Boolean).join(': ');
    return el('div', { class: 'notice bad', role: 'alert', 'data-status': String(status) },
      el('strong', {}, headline),
      details ? el('span', { class: 'sub' }, `${status ? `HTTP ${status} · ` : ''}${details}`) : null);
  }

  function loading(text) {
    return el('p', { class: 'hint', role: 'status' }, text || t('loading'));
  }

  // ---------------------------------------------------------------- navigation

  const VIEWS = ['verify', 'bill', 'search', 'chain'];

  function route(focus) {
    const match = /^#\/(verify|bill|search|chain)(?:\/(.*))?$/.exec(window.location.hash || '');
    const view = match ? match[1] : 'verify';
    const argument = match && match[2] ? decodeURIComponent(match[2]) : '';
    state.view = view;
    for (const name of VIEWS) {
      $(`view-${name}`).hidden = name !== view;
      const tab = $(`tab-${name}`);
      if (name === view) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    if (view === 'bill' && argument) openBill(argument);
    if (view === 'chain') loadChain();
    if (focus) {
      const heading = document.querySelector(`#view-${view} h1`);
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }

  function renderAll() {
    renderVerify();
    renderBill();
    renderSearch();
    renderChain();
  }

  // ---------------------------------------------------------------- verify

  function fragmentOf(verification, type) {
    const fragments = Array.isArray(verification.fragments) ? verification.fragments.filter((f) => f && f.type === type) : [];
    return fragments.find((f) => f.status !== 'SKIPPED') || fragments[0] || null;
  }

  function codeOf(fragment) {
    return fragment && fragment.reason && typeof fragment.reason.codeString === 'string' ? fragment.reason.codeString : '';
  }

  async function verifyFile(file) {
    if (state.busy.verify) return;
    if (file.size > MAX_DOCUMENT_BYTES) {
      state.verify = { fileName: file.name, problem: { status: 413, problem: { rule: 'too-large', detail: t('verify_too_large') } } };
      renderVerify();
      return;
    }
    state.busy.verify = true;
    state.verify = { fileName: file.name, pending: true };
    renderVerify();
    try {
      const text = await file.text();
      const answer = await api('/v1/documents/verify', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text,
      });
      if (!answer.ok) {
        state.verify = { fileName: file.name, problem: answer };
        return;
      }
      const verification = answer.body;
      const id = typeof verification.merkleRoot === 'string' ? normaliseBillId(verification.merkleRoot) : null;
      const integrity = fragmentOf(verification, 'DOCUMENT_INTEGRITY');
      const status = fragmentOf(verification, 'DOCUMENT_STATUS');
      const identity = fragmentOf(verification, 'ISSUER_IDENTITY');
      if (identity && identity.data) learnName(identity.data.address, identity.data.name);
      // Control is shown for an unchanged document whose bill is on the ledger (in force or not).
      let control = null;
      const onLedger = status && (status.status === 'VALID' ||
        ['BILL_SURRENDERED', 'BILL_VOIDED', 'LEDGER_MISMATCH'].includes(codeOf(status)));
      if (id && integrity && integrity.status === 'VALID' && onLedger) {
        control = await api(`/v1/bills/${id}/control`);
        if (control.ok) {
          const c = control.body;
          await resolveNames([c.possessor, c.title_holder, c.pledge && c.pledge.bank, c.pledge && c.pledge.pledgor]);
        }
      }
      state.verify = { fileName: file.name, verification, id, control };
    } finally {
      state.busy.verify = false;
      renderVerify();
    }
  }

  // The headline: the most serious finding first.
  function verdictOf(verification) {
    const integrity = fragmentOf(verification, 'DOCUMENT_INTEGRITY');
    const status = fragmentOf(verification, 'DOCUMENT_STATUS');
    const identity = fragmentOf(verification, 'ISSUER_IDENTITY');
    if (verification.valid === true) {
      const pending = status && status.data && status.data.status === 'PENDING_SURRENDER';
      return { kind: pending ? 'warn' : 'good', name: pending ? 'pending' : 'valid' };
    }
    if (!integrity || integrity.status !== 'VALID') {
      return { kind: 'bad', name: codeOf(integrity) === 'DOCUMENT_MALFORMED' ? 'malformed' : 'tampered' };
    }
    const statusCode = codeOf(status);
    if (statusCode === 'BILL_NOT_ISSUED') return { kind: 'bad', name: 'unknown' };
    if (statusCode === 'LEDGER_MISMATCH') return { kind: 'bad', name: 'mismatch' };
    if (statusCode === 'BILL_SURRENDERED') return { kind: 'bad', name: 'surrendered' };
    if (statusCode === 'BILL_VOIDED') return { kind: 'bad', name: 'voided' };
    if (status && status.status === 'ERROR') return { kind: 'warn', name: 'error' };
    if (identity && identity.status !== 'VALID') return { kind: 'bad', name: 'identity' };
    return { kind: 'bad', name: 'invalid' };
  }

  function statusBadge(fragment) {
    const status = fragment ? fragment.status : 'SKIPPED';
    if (status === 'VALID') return badge('good', `✓ ${t('check_passed')}`);
    if (status === 'INVALID') return badge('bad', `✗ ${t('check_failed')}`);
    if (status === 'ERROR') return badge('warn', `! ${t('check_error')}`);
    return badge('neutral', `– ${t('check_skipped')}`);
  }

  function cardKind(fragment) {
    const status = fragment ? fragment.status : 'SKIPPED';
    return status === 'VALID' ? 'good' : status === 'INVALID' ? 'bad' : status === 'ERROR' ? 'warn' : 'neutral';
  }

  function integrityWords(fragment) {
    if (!fragment) return t('check_not_done');
    if (fragment.status === 'VALID') return t('integrity_valid');
    if (codeOf(fragment) === 'DOCUMENT_MALFORMED') return t('integrity_malformed');
    if (fragment.status === 'INVALID') return t('integrity_tampered');
    return t('check_not_done');
  }

  function statusWords(fragment) {
    if (!fragment) return t('check_not_done');
    const code = codeOf(fragment);
    if (fragment.status === 'VALID') {
      const ledgerStatus = fragment.data && fragment.data.status;
      return ledgerStatus === 'PENDING_SURRENDER' ? t('status_valid_pending') : t('status_valid_issued');
    }
    if (fragment.status === 'ERROR') return t('status_error');
    if (fragment.status === 'SKIPPED') return t('check_not_done');
    if (code === 'BILL_NOT_ISSUED') return t('status_not_issued');
    if (code === 'BILL_SURRENDERED') return t('status_surrendered');
    if (code === 'BILL_VOIDED') return t('status_voided');
    if (code === 'LEDGER_MISMATCH') return t('status_mismatch');
    return t('status_invalid');
  }

  function identityWords(fragment) {
    if (!fragment) return t('check_not_done');
    const data = fragment.data || {};
    if (fragment.status === 'VALID') return t('identity_valid', { name: data.name || '', domain: data.domain || '' });
    if (fragment.status === 'INVALID') return t('identity_invalid');
    if (fragment.status === 'ERROR') return t('status_error');
    return t('check_not_done');
  }

  function fragmentDetails(fragment, extra) {
    if (!fragment) return null;
    const pairs = [[t('detail_check'), mono(fragment.name || '')], [t('detail_result'), mono(fragment.status || '')]];
    if (fragment.reason) {
      pairs.push([t('detail_code'), mono(`${fragment.reason.codeString || ''} (${fragment.reason.code})`)]);
      pairs.push([t('detail_message'), el('span', { lang: 'en' }, String(fragment.reason.message || ''))]);
    }
    const data = fragment.data;
    if (data && typeof data === 'object') {
      if (data.status) pairs.push([t('detail_ledger_status'), term('status', data.status)]);
      if (data.name) pairs.push([t('detail_registered_name'), data.name]);
      if (data.domain) pairs.push([t('detail_domain'), mono(data.domain)]);
      if (data.address) pairs.push([t('detail_address'), mono(data.address)]);
      if (Array.isArray(data.replaced_by) && data.replaced_by.length) {
        pairs.push([t('replaced_by'), data.replaced_by.map((id) => el('div', {}, billLink(id)))]);
      }
    }
    for (const pair of extra || []) pairs.push(pair);
    return el('details', {}, el('summary', {}, t('details')), keyValues(pairs));
  }

  function checkCard(type, title, fragment, words, extra) {
    return el('article', { class: `card ${cardKind(fragment)}`, 'data-check': type, 'data-status': fragment ? fragment.status : 'SKIPPED' },
      el('div', { class: 'check-head' }, el('h3', {}, title), statusBadge(fragment)),
      el('p', {}, words),
      fragmentDetails(fragment, extra));
  }

  function controlCard(control, id) {
    if (!control) return null;
    if (!control.ok) return problemNotice(control, 'error_control');
    const c = control.body;
    const pledge = pledgeView(c.pledge);
    return el('section', { class: 'card', 'aria-labelledby': 'control-title', id: 'control' },
      el('h2', { id: 'control-title' }, t('control_title')),
      keyValues([
        [t('possessor'), party(c.possessor)],
        [t('title_holder'), c.title_holder ? party(c.title_holder) : t('title_blank')],
        [t('pledge'), pledge],
        [t('status'), statusBadgeOf(c.status)],
        [t('valid_at'), el('span', {}, t('block_at', { height: c.height }), ' ', mono(c.block_hash || ''))],
      ]),
      el('p', {}, el('a', { class: 'button primary', href: `#/bill/${id}`, id: 'open-verified-bill' }, t('follow_bill'))));
  }

  function pledgeView(pledge) {
    if (!pledge) return t('pledge_none');
    return el('div', { class: 'pledge' },
      el('div', {}, el('span', { class: 'label' }, t('pledgee'), ': '), party(pledge.bank)),
      el('div', {}, el('span', { class: 'label' }, t('pledgor'), ': '), party(pledge.pledgor)),
      el('div', {}, el('span', { class: 'label' }, t('pledge_reference'), ': '), pledge.reference));
  }

  function statusBadgeOf(status) {
    const kind = status === 'ISSUED' ? 'good' : status === 'PENDING_SURRENDER' ? 'warn' : 'bad';
    return badge(kind, term('status', status));
  }

  function renderVerify() {
    const container = $('verify-result');
    const current = state.verify;
    $('file-name').textContent = current && current.fileName ? t('file_chosen', { name: current.fileName }) : '';
    if (!current) return replace(container);
    if (current.pending) return replace(container, loading(t('verify_checking')));
    if (current.problem) {
      const problem = current.problem;
      const key = problem.status === 400 || problem.status === 413 ? 'verify_unreadable' : 'error_generic';
      return replace(container, problemNotice(problem, key));
    }
    const verification = current.verification;
    const verdict = verdictOf(verification);
    const integrity = fragmentOf(verification, 'DOCUMENT_INTEGRITY');
    const status = fragmentOf(verification, 'DOCUMENT_STATUS');
    const identity = fragmentOf(verification, 'ISSUER_IDENTITY');
    const hashes = [
      [t('detail_merkle_root'), mono(String(verification.merkleRoot || '—'))],
      [t('detail_target_hash'), mono(String(verification.targetHash || '—'))],
    ];
    replace(container,
      el('div', { class: `verdict ${verdict.kind}-box`, id: 'verdict', 'data-verdict': verdict.name, role: 'status' },
        `${verdict.kind === 'good' ? '✓' : verdict.kind === 'warn' ? '!' : '✗'} ${t(`verdict_${verdict.name}`)}`,
        el('span', { class: 'sub' }, t(`verdict_${verdict.name}_sub`))),
      el('div', { class: 'cards' },
        checkCard('DOCUMENT_INTEGRITY', t('check_integrity'), integrity, integrityWords(integrity), hashes),
        checkCard('DOCUMENT_STATUS', t('check_status'), status, statusWords(status)),
        checkCard('ISSUER_IDENTITY', t('check_identity'), identity, identityWords(identity))),
      integrity && integrity.status !== 'VALID' ? el('p', { class: 'notice warn' }, t('control_not_shown')) : null,
      controlCard(current.control, current.id),
      !current.control && current.id && codeOf(status) !== 'BILL_NOT_ISSUED' && integrity && integrity.status === 'VALID'
        ? el('p', {}, el('a', { href: `#/bill/${current.id}` }, t('follow_bill'))) : null);
  }

  function setUpVerify() {
    const input = $('file');
    input.addEventListener('change', () => {
      if (input.files && input.files[0]) verifyFile(input.files[0]);
      input.value = '';
    });
    const drop = $('drop');
    const zone = $('view-verify');
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      drop.classList.add('over');
    });
    zone.addEventListener('dragleave', (event) => {
      if (!zone.contains(event.relatedTarget)) drop.classList.remove('over');
    });
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      drop.classList.remove('over');
      const file = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
      if (file) verifyFile(file);
    });
    // The label opens the picker with Enter or Space as well as a click.
    const label = document.querySelector('label[for="file"]');
    input.tabIndex = -1;  // one tab stop: the label below
    label.setAttribute('tabindex', '0');
    label.setAttribute('role', 'button');
    label.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        input.click();
      }
    });
  }

  // ---------------------------------------------------------------- bill

  async function openBill(text) {
    const id = normaliseBillId(text);
    $('bill-id').value = String(text || '').trim();
    if (!id) {
      state.bill = { id: null, invalid: true };
      renderBill();
      return;
    }
    if (state.busy.bill) return;
    state.busy.bill = true;
    state.bill = { id, pending: true };
    renderBill();
    try {
      const bill = await api(`/v1/bills/${id}`);
      if (!bill.ok) {
        state.bill = { id, problem: bill };
        return;
      }
      const entries = [];
      let from = 0;
      for (let page = 0; page < MAX_HISTORY_PAGES; ++page) {
        // The first page at the node's default size; `next` continues where a page stopped.
        const history = await api(`/v1/bills/${id}/history${from ? `?from=${from}` : ''}`);
        if (!history.ok) {
          state.bill = { id, problem: history };
          return;
        }
        for (const entry of history.body.entries || []) {
          entries.push(entry);
          learnName(entry.signer, entry.signer_name);
        }
        if (typeof history.body.next !== 'string' || !/^[0-9]+$/.test(history.body.next)) break;
        from = Number(history.body.next);
      }
      const b = bill.body;
      await resolveNames([b.issuer, b.holder, b.beneficiary, b.first_holder, b.nominee, b.prev_holder,
        b.pledge && b.pledge.bank, b.pledge && b.pledge.pledgor, b.pending && b.pending.requester,
        ...(b.legs || []).map((leg) => leg.carrier), ...entries.map((entry) => entry.recipient)]);
      state.bill = { id, bill: b, history: entries };
      if (state.view === 'bill') document.title = `${b.reference} · ${t('page_title')}`;
    } finally {
      state.busy.bill = false;
      renderBill();
    }
  }

  function legProgress(leg) {
    const events = Array.isArray(leg.events) ? leg.events : [];
    let stage = -1;
    for (const event of events) stage = Math.max(stage, LEG_STAGES.indexOf(event.event));
    return stage;  // -1: not started; else the index of the furthest event
  }

  const STAGE_FRACTION = [0.04, 0.5, 1, 1];

  // The legs as a route: stops joined by one line per leg, coloured by mode as far as the cargo got.
  // Drawn across on wide screens and down on narrow ones (CSS shows one of the two).
  function routeDrawing(legs) {
    const description = legs.map((leg, index) =>
      t('route_leg_aria', { n: index + 1, mode: term('mode', leg.mode), from: place(leg.from), to: place(leg.to),
        stage: term('stage', LEG_STAGES[legProgress(leg)] || 'NONE') })).join('; ');
    return el('div', { class: 'route-wrap' }, routeSvg(legs, description, false), routeSvg(legs, description, true));
  }

  function routeSvg(legs, description, down) {
    const spacing = down ? 150 : 260;
    const margin = down ? 40 : 90;
    const length = margin * 2 + spacing * legs.length;
    const width = down ? 340 : length;
    const height = down ? length - 20 : 170;
    const line = down ? 40 : 80;  // the x of a vertical route, the y of a horizontal one
    const at = (along, across) => (down ? { x: across, y: along } : { x: along, y: across });
    const stops = [legs[0].from, ...legs.map((leg) => leg.to)];
    const drawing = svg('svg', { class: `route ${down ? 'down' : 'across'}`, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': description, preserveAspectRatio: 'xMidYMid meet', id: down ? 'route-down' : 'route' });
    drawing.append(svg('title', {}, description));
    const segment = (className, from, to) => {
      const a = at(from, line);
      const b = at(to, line);
      return svg('line', { class: className, x1: a.x, y1: a.y, x2: b.x, y2: b.y });
    };
    legs.forEach((leg, index) => {
      const start = margin + spacing * index;
      const end = start + spacing;
      const stage = legProgress(leg);
      const mode = String(leg.mode);
      drawing.append(segment('track', start, end));
      if (stage >= 0) {
        const reach = start + (end - start) * STAGE_FRACTION[stage];
        drawing.append(segment(`progress ${mode}`, start, reach));
        if (stage < 2) {
          const cargo = at(reach, line);
          drawing.append(svg('circle', { class: `cargo ${mode}`, cx: cargo.x, cy: cargo.y, r: 11 }));
        }
      }
      const middle = (start + end) / 2;
      const modeAt = down ? { x: line + 34, y: middle - 4 } : { x: middle, y: line - 32 };
      const stageAt = down ? { x: line + 34, y: middle + 20 } : { x: middle, y: line - 12 };
      const anchor = down ? 'start' : 'middle';
      drawing.append(svg('text', { class: `mode ${mode}`, x: modeAt.x, y: modeAt.y, 'text-anchor': anchor }, term('mode', mode)));
      drawing.append(svg('text', { class: 'stage', x: stageAt.x, y: stageAt.y, 'text-anchor': anchor },
        term('stage', LEG_STAGES[stage] || 'NONE')));
    });
    stops.forEach((code, index) => {
      const along = margin + spacing * index;
      const centre = at(along, line);
      const reached = index === 0 ? legProgress(legs[0]) >= 0 : legProgress(legs[index - 1]) >= 2;
      drawing.append(svg('circle', { class: `stop${reached ? ' reached' : ''}`, cx: centre.x, cy: centre.y, r: 12 }));
      const nameAt = down ? { x: line + 34, y: along + 8 } : { x: along, y: line + 42 };
      const codeAt = down ? { x: width - 10, y: along + 8 } : { x: along, y: line + 66 };
      drawing.append(svg('text', { class: 'stop-name', x: nameAt.x, y: nameAt.y, 'text-anchor': down ? 'start' : 'middle' },
        place(code)));
      if (place(code) !== String(code)) {
        drawing.append(svg('text', { class: 'stop-code', x: codeAt.x, y: codeAt.y, 'text-anchor': down ? 'end' : 'middle' },
          String(code)));
      }
    });
    // Wide routes (many legs) scroll sideways rather than shrink below legibility.
    if (!down) drawing.style.minWidth = `${Math.max(0, legs.length - 2) * 150 + 300}px`;
    return drawing;
  }

  function legList(legs) {
    return el('ol', { class: 'legs' }, legs.map((leg, index) => {
      const stage = legProgress(leg);
      const byStage = new Map();
      for (const event of leg.events || []) byStage.set(event.event, event);
      return el('li', { 'data-leg': index },
        el('span', { class: `mode-name ${leg.mode}` }, term('mode', leg.mode)), ' · ',
        `${placeWithCode(leg.from)} → ${placeWithCode(leg.to)}`, ' · ',
        el('span', {}, t('carrier'), ': '), party(leg.carrier),
        el('ol', { class: 'steps', 'aria-label': t('leg_progress') }, LEG_STAGES.map((name, stageIndex) => {
          const event = byStage.get(name);
          return el('li', { class: stageIndex <= stage ? 'done' : '' },
            `${stageIndex <= stage ? '✓ ' : ''}${term('event', name)}`,
            event ? el('span', { class: 'visually-hidden' }, ` ${event.location} ${event.time}`) : null);
        })));
    }));
  }

  function describeDetails(entry, bill) {
    const details = entry.details && typeof entry.details === 'object' ? entry.details : {};
    const lines = [];
    if (entry.action === 'leg.record') {
      const leg = (bill.legs || [])[details.leg] || {};
      lines.push(el('p', { class: 'entry-line' },
        t('leg_event_line', { n: Number(details.leg) + 1, mode: term('mode', leg.mode || ''), event: term('event', details.event),
          place: placeWithCode(details.location || '') })));
      if (details.time) lines.push(el('p', { class: 'entry-line' }, t('event_time'), ': ', el('time', { datetime: details.time }, details.time)));
      if (details.conveyance) lines.push(el('p', { class: 'entry-line' }, t('conveyance'), ': ', details.conveyance));
      if (details.implied_handed_over !== undefined) {
        lines.push(el('p', { class: 'entry-line' }, t('implied_handed_over', { n: Number(details.implied_handed_over) + 1 })));
      }
      return lines;
    }
    const pairs = [];
    for (const [key, value] of Object.entries(details)) {
      const label = term('field', key);
      if (value === null) pairs.push([label, key === 'beneficiary' ? t('title_blank') : '—']);
      else if (typeof value === 'string' && ADDRESS.test(value)) pairs.push([label, party(value)]);
      else if (typeof value === 'string' && BILL_ID.test(value)) pairs.push([label, billLink(value)]);
      else if (Array.isArray(value)) pairs.push([label, value.map((v) => el('div', {}, typeof v === 'string' && BILL_ID.test(v) ? billLink(v) : JSON.stringify(v)))]);
      else if (typeof value === 'object') pairs.push([label, mono(JSON.stringify(value))]);
      else pairs.push([label, key === 'status' ? term('status', value) : String(value)]);
    }
    if (pairs.length) lines.push(keyValues(pairs));
    return lines;
  }

  function timeline(entries, bill) {
    if (!entries.length) return el('p', {}, t('timeline_empty'));
    return el('ol', { class: 'timeline', id: 'timeline' }, entries.map((entry) => {
      const isLeg = entry.action === 'leg.record';
      return el('li', { class: isLeg ? 'leg-entry' : '', 'data-action': entry.action, 'data-seq': entry.seq },
        el('div', { class: 'entry-head' },
          el('span', { class: 'entry-title' }, term('action', entry.action)),
          entry.dcsa ? badge('neutral', `DCSA ${entry.dcsa}`) : null,
          el('span', { class: 'entry-meta' }, timeElement(entry.time_ms), ' · ',
            el('a', { href: `#/chain`, title: t('block') }, t('block_at', { height: entry.height })))),
        el('p', { class: 'entry-line' }, t('by'), ' ', party(entry.signer)),
        entry.recipient ? el('p', { class: 'entry-line' }, t('to'), ' ', party(entry.recipient)) : null,
        describeDetails(entry, bill),
        entry.remark ? el('p', { class: 'entry-line remark' }, t('remark'), ': ', entry.remark) : null,
        el('details', {}, el('summary', {}, t('transaction')), mono(String(entry.tx || ''))));
    }));
  }

  function billSummary(b) {
    const kind = b.kind === 'SWB' ? t('kind_SWB') : b.to_order ? t('kind_BOL_order') : t('kind_BOL_straight');
    const pledge = pledgeView(b.pledge);
    const pending = b.pending
      ? el('span', {}, `${term('purpose', b.pending.purpose)}${b.pending.reason ? ` (${b.pending.reason})` : ''} · `, t('requested_by'), ' ', party(b.pending.requester))
      : null;
    return el('section', { class: 'card', 'aria-labelledby': 'bill-summary-title' },
      el('h2', { id: 'bill-summary-title' }, `${t('reference')} ${b.reference} `, statusBadgeOf(b.status)),
      keyValues([
        [t('bill_id'), mono(b.id)],
        [t('kind'), kind],
        [t('issuer'), party(b.issuer)],
        [t('possessor'), party(b.holder)],
        [t('title_holder'), b.beneficiary ? party(b.beneficiary) : t('title_blank')],
        [t('nominee'), b.nominee ? party(b.nominee) : null],
        [t('pledge'), pledge],
        [t('surrender'), pending],
        [t('first_holder'), party(b.first_holder)],
        [t('replaces'), b.replaces && b.replaces.length ? b.replaces.map((id) => el('div', {}, billLink(id))) : null],
        [t('replaced_by'), b.replaced_by && b.replaced_by.length ? b.replaced_by.map((id) => el('div', {}, billLink(id))) : null],
        [t('issued_at'), t('block_at', { height: b.issued_height })],
        [t('valid_at'), b.valid_at ? el('span', {}, t('block_at', { height: b.valid_at.height }), ' ', mono(b.valid_at.block_hash)) : null],
      ]));
  }

  function renderBill() {
    const container = $('bill-result');
    const current = state.bill;
    if (!current) return replace(container, el('p', { class: 'hint' }, t('bill_hint')));
    if (current.invalid) return replace(container, el('div', { class: 'notice bad', role: 'alert' }, t('bill_id_invalid')));
    if (current.pending) return replace(container, loading());
    if (current.problem) {
      return replace(container, problemNotice(current.problem, current.problem.status === 404 ? 'bill_not_found' : 'error_generic'));
    }
    const b = current.bill;
    const legs = Array.isArray(b.legs) ? b.legs : [];
    replace(container,
      billSummary(b),
      el('section', { 'aria-labelledby': 'route-title' },
        el('h2', { id: 'route-title' }, t('route_title')),
        legs.length ? routeDrawing(legs) : null,
        legList(legs)),
      el('section', { 'aria-labelledby': 'timeline-title' },
        el('h2', { id: 'timeline-title' }, t('timeline_title', { count: current.history.length })),
        timeline(current.history, b)));
  }

  function setUpBill() {
    $('bill-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const id = normaliseBillId($('bill-id').value);
      if (!id) {
        state.bill = { id: null, invalid: true };
        renderBill();
        return;
      }
      if (window.location.hash === `#/bill/${id}`) {
        state.bill = null;
        openBill(id);
      } else {
        window.location.hash = `#/bill/${id}`;
      }
    });
  }

  // ---------------------------------------------------------------- search

  function updateSearchForm() {
    const by = $('search-by').value;
    $('search-reference-field').hidden = by !== 'issuer';
    $('search-status-field').hidden = by !== 'status';
    $('search-value').closest('.field').hidden = by === 'status';
    $('search-value-label').textContent = t(by === 'to' ? 'search_value_place' : 'search_value_address');
    $('search-value').placeholder = by === 'to' ? 'SGSIN' : '0x…';
  }

  function searchQuery(after) {
    const by = $('search-by').value;
    const params = new URLSearchParams();
    if (by === 'status') {
      params.set('status', $('search-status').value);
    } else {
      let value = $('search-value').value.trim();
      if (by === 'to') value = value.toUpperCase();
      params.set(by, value);
      const reference = $('search-reference').value.trim();
      if (by === 'issuer' && reference) params.set('reference', reference);
    }
    params.set('limit', String(SEARCH_PAGE));
    if (after) params.set('after', after);
    return params;
  }

  async function runSearch(after) {
    if (state.busy.search) return;
    const by = $('search-by').value;
    if (by !== 'status' && !$('search-value').value.trim()) {
      state.search = { missing: true };
      renderSearch();
      return;
    }
    const params = searchQuery(after);
    state.busy.search = true;
    const previous = after && state.search && state.search.bills ? state.search.bills : [];
    state.search = { pending: true, bills: previous };
    renderSearch();
    try {
      const answer = await api(`/v1/bills?${params.toString()}`);
      if (!answer.ok) {
        state.search = { problem: answer };
        return;
      }
      const body = answer.body;
      const found = Array.isArray(body) ? body : Array.isArray(body.bills) ? body.bills : Array.isArray(body.items) ? body.items : [];
      const bills = previous.concat(found);
      await resolveNames(found.flatMap((b) => (b && typeof b === 'object' ? [b.holder, b.beneficiary, b.issuer] : [])));
      state.search = { bills, next: typeof body.next === 'string' && body.next ? body.next : null };
    } finally {
      state.busy.search = false;
      renderSearch();
    }
  }

  function renderSearch() {
    const container = $('search-result');
    const current = state.search;
    container.dataset.state = current && current.pending ? 'pending' : 'done';
    if (!current) return replace(container, isOperatorHost() ? null : el('p', { class: 'notice info' }, t('search_not_operator')));
    if (current.missing) return replace(container, el('div', { class: 'notice bad', role: 'alert' }, t('search_missing')));
    if (current.problem) {
      const status = current.problem.status;
      const key = status === 401 || status === 403 ? 'search_unauthorized' : status === 404 ? 'search_unavailable' : 'error_generic';
      return replace(container, problemNotice(current.problem, key),
        status === 401 || status === 403 ? el('p', {}, t('search_unauthorized_help')) : null);
    }
    const bills = current.bills || [];
    const items = bills.map((b) => {
      if (typeof b === 'string') return el('li', {}, billLink(b));
      const legs = Array.isArray(b.legs) ? b.legs : [];
      return el('li', {},
        el('div', { class: 'check-head' }, el('h3', {}, billLink(b.id, `${t('reference')} ${b.reference}`)), b.status ? statusBadgeOf(b.status) : null),
        keyValues([
          [t('route'), legs.length ? [legs[0].from, ...legs.map((l) => l.to)].map(placeWithCode).join(' → ') : null],
          [t('possessor'), party(b.holder)],
          [t('title_holder'), b.beneficiary ? party(b.beneficiary) : b.beneficiary === null ? t('title_blank') : null],
          [t('bill_id'), mono(b.id)],
        ]));
    });
    replace(container,
      current.pending && !bills.length ? loading() : null,
      !current.pending ? el('p', { role: 'status' }, t('search_count', { count: bills.length })) : null,
      el('ul', { class: 'plain results', id: 'search-list' }, items),
      current.next ? el('button', { type: 'button', class: 'button', onclick: () => runSearch(current.next) }, t('more')) : null);
  }

  function setUpSearch() {
    $('search-by').addEventListener('change', updateSearchForm);
    $('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      runSearch(null);
    });
  }

  // ---------------------------------------------------------------- chain

  async function loadChain() {
    if (state.busy.chain) return;
    state.busy.chain = true;
    if (!state.chain) {
      state.chain = { pending: true };
      renderChain();
    }
    try {
      const status = await api('/v1/status');
      if (!status.ok) {
        state.chain = { problem: status };
        return;
      }
      const height = Number(status.body.height) || 0;
      const heights = [];
      for (let h = height; h >= 1 && heights.length < RECENT_BLOCKS; --h) heights.push(h);
      const blocks = await Promise.all(heights.map((h) => api(`/v1/blocks/${h}`)));
      state.chain = { status: status.body, blocks: blocks.filter((b) => b.ok).map((b) => b.body) };
    } finally {
      state.busy.chain = false;
      renderChain();
    }
  }

  function blockEntry(block) {
    const header = block.header || {};
    const commit = block.commit;
    const precommits = commit && Array.isArray(commit.precommits) ? commit.precommits : [];
    return el('details', { 'data-height': block.height },
      el('summary', {},
        el('strong', {}, t('block_at', { height: block.height })), ' · ', timeElement(header.time_ms), ' · ',
        t('tx_count', { count: block.transaction_count }), ' · ',
        commit ? t('commit_signatures', { count: precommits.length }) : t('no_commit'), ' · ',
        mono(shortHash(block.hash))),
      keyValues([
        [t('block_hash'), mono(block.hash)],
        [t('prev_hash'), mono(header.prev_hash)],
        [t('state_root'), mono(header.state_root)],
        [t('tx_root'), mono(header.tx_root)],
        [t('validators_hash'), mono(header.validators_hash)],
        [t('next_validators_hash'), mono(header.next_validators_hash)],
        [t('proposer'), party(header.proposer)],
        [t('commit'), commit ? el('div', {},
          el('p', {}, t('commit_round', { round: commit.round })),
          el('ul', { class: 'plain' }, precommits.map((vote) => el('li', {}, party(vote.validator),
            el('span', { class: 'mono' }, shortHash(vote.signature)))))) : t('no_commit')],
      ]));
  }

  function renderChain() {
    const container = $('chain-result');
    const current = state.chain;
    if (!current) return replace(container);
    if (current.pending) return replace(container, loading());
    if (current.problem) return replace(container, problemNotice(current.problem, 'error_generic'));
    const s = current.status;
    const validators = Array.isArray(s.validators) ? s.validators : [];
    replace(container,
      el('section', { class: 'card', 'aria-labelledby': 'node-title', id: 'node-status' },
        el('h2', { id: 'node-title' }, t('node_title')),
        keyValues([
          [t('chain_id'), mono(s.chain)],
          [t('height'), el('strong', { id: 'chain-height' }, String(s.height))],
          [t('latest_block'), mono(s.latest_block_hash)],
          [t('block_time'), timeElement(s.time_ms)],
          [t('state_root'), mono(s.state_root)],
          [t('registry'), mono(s.registry)],
          [t('rules_version'), String(s.rules_version)],
          [t('producing'), s.producing ? badge('good', t('yes')) : badge('neutral', t('no'))],
          [t('mempool'), s.mempool ? String(s.mempool.size) : null],
          [t('admins'), s.admins !== undefined ? String(s.admins) : null],
          [t('version'), s.version],
        ]),
        s.demo ? el('p', { class: 'notice warn' }, t('demo_warning')) : null),
      el('section', { 'aria-labelledby': 'validators-title' },
        el('h2', { id: 'validators-title' }, t('validators_title', { count: validators.length })),
        el('div', { class: 'table-wrap' }, el('table', {},
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('validator')), el('th', { scope: 'col' }, t('power')),
            el('th', { scope: 'col' }, t('consensus_key')))),
          el('tbody', {}, validators.map((v) => el('tr', {}, el('td', {}, party(v.address)), el('td', {}, String(v.power)),
            el('td', {}, mono(v.consensus_key)))))))),
      el('section', { 'aria-labelledby': 'blocks-title' },
        el('h2', { id: 'blocks-title' }, t('blocks_title')),
        current.blocks.length ? el('div', { class: 'block-list', id: 'block-list' }, current.blocks.map(blockEntry))
          : el('p', {}, t('no_blocks'))));
  }

  // ---------------------------------------------------------------- start

  function start() {
    for (const button of document.querySelectorAll('.lang button')) {
      button.addEventListener('click', () => setLanguage(button.dataset.lang));
    }
    $('chain-refresh').addEventListener('click', () => loadChain());
    setUpVerify();
    setUpBill();
    setUpSearch();
    applyLanguage();
    renderAll();
    window.addEventListener('hashchange', () => route(true));
    route(false);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
