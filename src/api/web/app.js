// loaxa's operator page: the shell (API client, token, language, router, small DOM helpers).
// Plain ES modules, no build step; every text the operator reads comes from i18n.js.
// Station data is only ever put into the page as text (never as HTML).

import { DICT, codeText } from "/assets/i18n.js";
import { PAGES } from "/assets/pages.js";

const TOKEN_KEY = "loaxa.token";
const LANG_KEY = "loaxa.lang";

export const ctx = {
  info: { name: "", timezone: "Asia/Ho_Chi_Minh", topics: {}, require_approval: false, max_upload_bytes: 0 },
  lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "vi",
};

// ---------- text ----------

/** The text for `key` in the chosen language; `{name}` is replaced from `vars`. */
export function t(key, vars = {}) {
  const text = DICT[ctx.lang][key] ?? DICT.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? `{${k}}`));
}

function applyStaticText() {
  document.documentElement.lang = ctx.lang;
  document.title = `${t("app_title")} — ${ctx.info.name || "loaxa"}`;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  document.getElementById("lang-select").value = ctx.lang;
  const version = document.getElementById("version");
  if (version) version.textContent = ctx.info.version ? t("version_line", { version: ctx.info.version, built: ctx.info.built ?? "" }) : "";
}

// ---------- DOM ----------

/** `h("p", {class: "x", onclick: f}, "text", child)`: an element; strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A labelled form field: `<div class=field><label>…</label><input id=…></div>`. */
export function field(id, label, input, help) {
  input.id = id;
  if (!input.name) input.name = id;
  const helpEl = help ? h("small", { id: `${id}-help` }, help) : null;
  if (helpEl) input.setAttribute("aria-describedby", helpEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, helpEl);
}

export function select(options, value) {
  const el = h("select");
  for (const [v, label] of options) el.append(h("option", { value: v, selected: v === value }, label));
  return el;
}

/** Shows a message in the status line (errors stay until the next message). */
export function say(text, kind = "ok") {
  const box = document.getElementById("status");
  box.replaceChildren(text ? h("p", { class: `msg ${kind}`, role: kind === "error" ? "alert" : null }, text) : "");
  if (kind === "ok" && text) setTimeout(() => { if (box.textContent === text) box.replaceChildren(); }, 6000);
}

export function sayError(e) {
  const text = e instanceof ApiError ? `${e.message}${e.hint ? ` — ${e.hint}` : ""}` : String(e?.message ?? e);
  say(`${t("error")}: ${text}`, "error");
}

/** Asks the operator to confirm; resolves true for the OK button. */
export function confirmBox(title, text, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// ---------- times, in the station's time zone ----------

function fmt(iso, opts) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(ctx.lang === "vi" ? "vi-VN" : "en-GB", { timeZone: ctx.info.timezone, ...opts }).format(d);
}
export const fmtTime = (iso) => fmt(iso, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
export const fmtDateTime = (iso) => fmt(iso, { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
export const fmtDay = (iso) => fmt(iso, { weekday: "long", day: "2-digit", month: "2-digit" });

/** `YYYY-MM-DD` of `date` at the station. */
export function stationDate(date = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: ctx.info.timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

export function fmtDuration(ms) {
  const s = Math.max(0, Math.round((ms ?? 0) / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`;
}

export const topicLabel = (slug) => (slug === "station" ? t("topic_station") : ctx.info.topics[slug] ?? slug);

// ---------- the API ----------

export class ApiError extends Error {
  constructor(status, message, hint) {
    super(message);
    this.status = status;
    this.hint = hint;
  }
}

let asking = null;

/** Asks for the token once (shared by every request that got a 401). */
function askToken(wrong) {
  if (asking) return asking;
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  document.getElementById("token-error").textContent = wrong ? t("token_wrong") : "";
  input.value = "";
  asking = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      asking = null;
      resolve();
    }, { once: true });
  });
  dialog.showModal();
  input.focus();
  return asking;
}

/** The token, and the header without which the daemon refuses a change (a page on
 *  another site cannot send it: see "Security model" in the README). */
function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  // The server words what it still words itself (hints) in the page's language.
  const headers = { "X-Loaxa-Request": "1", "Accept-Language": ctx.lang };
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

async function failure(res) {
  let body = {};
  try { body = await res.json(); } catch { /* not JSON */ }
  // The message from the code and its parameters; the server's text for a code it has no words for.
  const message = body.code ? codeText(ctx.lang, "error", body) : body.error;
  return new ApiError(res.status, message || body.error || `HTTP ${res.status}`, body.hint);
}

/** Calls `/api/v1{path}`; `json` is sent as the body; `raw` returns the Response. */
export async function api(path, { method = "GET", json, body, raw = false } = {}) {
  const headers = authHeaders();
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const res = await fetch(`/api/v1${path}`, { method, headers, body });
  if (res.status === 401) {
    await askToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
    return api(path, { method, json, body: json === undefined ? body : undefined, raw });
  }
  if (!res.ok) throw await failure(res);
  if (raw) return res;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/**
 * Listens to the server-sent events of `/api/v1{path}`: `on(name, data)` for each event, its
 * JSON data parsed. Read with fetch rather than EventSource, so the access token goes along
 * as a header (EventSource cannot send one). Reconnects after a drop (after the `retry:` the
 * server asks for); a server without the stream (404, 405) or with no room for one more (503)
 * gets `fallback()` called once instead. Returns the function that stops listening.
 */
export function subscribe(path, on, fallback) {
  let stopped = false;
  let ctrl = null;
  let timer = null;
  let retry = 3000;
  const dispatch = (block) => {
    let name = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
      else if (line.startsWith("retry: ")) retry = Number(line.slice(7)) || retry;
    }
    if (data) on(name, JSON.parse(data));
  };
  const run = async () => {
    if (stopped) return;
    ctrl = new AbortController();
    try {
      const headers = { ...authHeaders(), Accept: "text/event-stream" };
      const res = await fetch(`/api/v1${path}`, { headers, signal: ctrl.signal });
      if (stopped) return;
      if (res.status === 401) {
        await askToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
        return run();
      }
      if ([404, 405, 406, 503].includes(res.status) || !res.body) {
        fallback();
        return;
      }
      if (!res.ok) throw await failure(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          dispatch(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (stopped) return;
      if (e instanceof ApiError) sayError(e);
    }
    if (!stopped) timer = setTimeout(run, retry);
  };
  run();
  return () => { stopped = true; clearTimeout(timer); ctrl?.abort(); };
}

/** POSTs a multipart form with upload progress (`onProgress(sent, total)`). */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1${path}`);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded, e.total));
    xhr.addEventListener("error", () => reject(new ApiError(0, t("network_error"))));
    xhr.addEventListener("load", async () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 401) {
        await askToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
        upload(path, form, onProgress).then(resolve, reject);
      } else if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body?.error ?? `HTTP ${xhr.status}`, body?.hint));
    });
    xhr.send(form);
  });
}

/** Fetches `path` with the token and saves it under the server's file name. */
export async function download(path, fallbackName) {
  const res = await api(path, { raw: true });
  const cd = res.headers.get("content-disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(cd)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** A URL the browser can load for `path`: direct without a token, else a fetched blob. */
export async function mediaUrl(path) {
  if (!sessionStorage.getItem(TOKEN_KEY) && !ctx.info.token_required) return `/api/v1${path}`;
  const res = await api(path, { raw: true });
  return URL.createObjectURL(await res.blob());
}

// ---------- router ----------

let cleanup = null;

async function route() {
  const name = location.hash.replace(/^#/, "") || "now";
  const page = PAGES[name] ?? PAGES.now;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (cleanup) cleanup();
  cleanup = null;
  const main = document.getElementById("main");
  main.replaceChildren();
  main.dataset.page = name;
  try {
    cleanup = (await page(main)) ?? null;
  } catch (e) {
    sayError(e);
  }
}

function tickClock() {
  const el = document.getElementById("station-clock");
  el.textContent = fmt(new Date().toISOString(), { weekday: "long", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

async function start() {
  document.getElementById("lang-select").addEventListener("change", (e) => {
    ctx.lang = e.target.value === "en" ? "en" : "vi";
    localStorage.setItem(LANG_KEY, ctx.lang);
    applyStaticText();
    tickClock();
    route();
  });
  document.getElementById("token-form").addEventListener("submit", () => {});
  window.addEventListener("hashchange", route);
  applyStaticText();
  try {
    ctx.info = await api("/station");
  } catch (e) {
    sayError(e);
  }
  document.getElementById("station-name").textContent = ctx.info.name;
  applyStaticText();
  tickClock();
  setInterval(tickClock, 15_000);
  await route();
  document.body.dataset.ready = "1";
}

start();
