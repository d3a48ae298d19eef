// The five pages of the operator's web page. Each takes the <main> element, fills it, and may
// return a function that stops its timers when the operator leaves the page.

import {
  ApiError, api, confirmBox, ctx, download, field, fmtDateTime, fmtDay, fmtDuration, fmtTime,
  h, mediaUrl, say, sayError, select, stationDate, subscribe, t, topicLabel, upload,
} from "/assets/app.js";
import { codeText } from "/assets/i18n.js";

const section = (id, title, ...body) =>
  h("section", { class: "card", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...body);

const priorityLabel = (p) => t(`priority_${p ?? "normal"}`);
const outcomeLabel = (o) => t(`outcome_${o}`);
const roleLabel = (r) => t(`role_${r}`);
// Reasons and warnings arrive as codes with parameters; their words are in i18n.js.
const reasonText = (r) => codeText(ctx.lang, "reason", r);
const warningText = (w) => codeText(ctx.lang, "warning", w);

function badge(text, kind) {
  return h("span", { class: `badge ${kind ?? ""}` }, text);
}

function topicOptions(withAll) {
  // Signature tunes (`station`) come from the config, never from an upload.
  const opts = Object.entries(ctx.info.topics).filter(([slug]) => withAll || slug !== "station");
  return withAll ? [["", t("all_topics")], ...opts] : opts;
}

const priorityOptions = () => ["normal", "priority", "emergency"].map((p) => [p, priorityLabel(p)]);

function segmentOptions(segments) {
  return segments.map((s) => [String(s.id), `#${s.id} — ${s.title} (${fmtDuration(s.duration_ms)})`]);
}

/** Why a segment may not air today, in words, or null: the server's verdict
 * (`air_today`, the planner's own rule), never decided again here. */
function problem(seg) {
  const air = seg.air_today;
  return air && air.state !== "yes" ? reasonText(air.reason) : null;
}

/** Whether the server says the segment's validity is over. */
const expired = (seg) => seg.air_today?.reason?.code === "expired";

/** `2026-06-14` → `14/06/2026`. */
const dmy = (day) => day.split("-").reverse().join("/");

/** Runs `f` now and every `ms`, until the returned stop function is called. */
function every(ms, f) {
  let stopped = false;
  let timer = null;
  const loop = async () => {
    if (stopped) return;
    try { await f(); } catch (e) { sayError(e); }
    if (!stopped) timer = setTimeout(loop, ms);
  };
  loop();
  return () => { stopped = true; clearTimeout(timer); };
}

// ---------------------------------------------------------------- Đang phát (now)

/** A station with no program switched on (a fresh install): nothing will air, so say what to
 * do next, step by step, instead of only "nothing coming up". */
function firstSteps() {
  const path = ctx.info.config_path || "/etc/loaxa/loaxa.toml";
  const code = (text) => h("code", {}, text);
  return [
    h("p", { class: "idle", id: "on-air-idle" }, t("no_program_yet")),
    h("div", { class: "first-steps", id: "first-steps" },
      h("p", {}, h("strong", {}, t("first_steps_title"))),
      h("ol", {},
        h("li", {}, t("first_steps_open"), " ", code(`sudo nano ${path}`)),
        h("li", {}, t("first_steps_program")),
        h("li", {}, t("first_steps_check"), " ", code("sudo -u loaxa loaxa check"), " ", t("first_steps_apply"), " ",
          code("sudo systemctl reload loaxa")),
        h("li", {}, t("first_steps_library")))),
  ];
}

export function onAirCard(now) {
  const a = now.on_air;
  if (!a && !now.next && ctx.info.programs === 0) return firstSteps();
  if (!a) {
    const next = now.next
      ? t("next_at", { program: now.next.program, time: fmtTime(now.next.at), day: fmtDay(now.next.at) })
      : t("no_next");
    return [h("p", { class: "idle", id: "on-air-idle" }, t("nothing_on_air")), h("p", {}, next)];
  }
  if (a.relay) return relayCard(a);
  return [
    h("p", { class: "on-air-title", id: "on-air-title" }, a.title),
    h("p", { class: "meta" },
      badge(a.priority === "emergency" ? t("priority_emergency") : t("on_air_badge"), a.priority === "emergency" ? "danger" : "live"), " ",
      t("on_air_meta", { topic: topicLabel(a.topic), program: a.program, i: a.index + 1, n: a.count })),
    progressBar(a),
    controls(t("skip"), t("done_skip")),
  ];
}

/** A relay on air: what airs now (the source's URL, or the fallback or silence during a
 * dropout), the source's stream title, the level going out and the times so far. */
function relayCard(a) {
  const r = a.relay;
  const airs = r.to === "source"
    ? h("span", { class: "relay-url", id: "relay-source" }, r.url)
    : badge(t(`relay_${r.to}`), "warn");
  return [
    h("p", { class: "on-air-title", id: "on-air-title" }, a.title),
    h("p", { class: "meta" }, badge(t("relay_badge"), "relay"), " ", t("relay_meta", { program: a.program })),
    h("p", { class: "relay-airs", id: "relay-airs", "data-to": r.to }, h("strong", {}, `${t("relay_source")}: `), airs),
    r.stream_title ? h("p", { class: "meta", id: "relay-stream-title" }, `${t("relay_stream_title")}: `, r.stream_title) : null,
    h("div", { class: "level" },
      h("label", { for: "relay-level" }, t("relay_level")),
      h("meter", { id: "relay-level", min: -60, max: 0, low: -40, high: -3, optimum: -18 }),
      h("span", { id: "relay-level-text" })),
    h("p", { class: "meta", id: "relay-times" }),
    progressBar(a),
    // Skipping a relay ends its window; the program goes on.
    controls(t("relay_skip"), t("relay_done_skip")),
  ].filter(Boolean);
}

/** Puts a relay's live values (pushed about twice a second) into the drawn card, in place:
 * the card is not redrawn for them, so the keyboard focus stays where it is. */
export function updateRelay(r) {
  const meter = document.getElementById("relay-level");
  if (!r || !meter) return;
  const level = Math.max(-60, Math.min(0, Number(r.level_dbfs)));
  meter.value = level;
  document.getElementById("relay-level-text").textContent = r.level_dbfs <= -60 ? t("relay_level_none") : `${Math.round(r.level_dbfs)} dBFS`;
  document.getElementById("relay-times").textContent =
    t("relay_times", { relayed: fmtDuration(r.relayed_ms), dropout: fmtDuration(r.dropout_ms) });
}

/** `now` without a relay's and a live broadcast's moving values (levels, times): what
 * decides whether the cards are drawn again. */
// Each stream output (Icecast) and its connection: on the air, connecting, retrying, idle.
function streamsList(streams) {
  if (!streams?.length) return [];
  const kind = { on_air: "completed", connecting: "waiting", retrying: "failed", idle: "" };
  return [h("h3", {}, t("streams_title")), h("ul", { class: "streams", id: "stream-list" }, streams.map((s) => h("li", { "data-stream": s.name, "data-phase": s.phase },
    badge(t(`stream_phase_${s.phase}`), kind[s.phase]), " ",
    h("strong", {}, s.name), ` · ${s.url}`,
    s.zones?.length ? ` · ${t("stream_zones")}: ${s.zones.join(", ")}` : "",
    ` · ${t("stream_since")} ${fmtTime(s.since)}`,
    s.error ? h("div", { class: "hint" }, `${t(`stream_fault_${s.error.fault}`)} (${s.error.detail})`) : null)))];
}

// The link to the province's database: what it holds of this station's log, what waits.
function provinceLine(p) {
  if (!p) return [];
  const kind = { up_to_date: "completed", sending: "waiting", connecting: "waiting", retrying: "failed", stopped: "failed" };
  return [h("h3", {}, t("province_title")), h("p", { id: "province-link", "data-phase": p.phase },
    badge(t(`province_phase_${p.phase}`), kind[p.phase]), " ",
    h("strong", {}, p.station_code),
    ` · ${t("province_has", { id: p.province_has })} · ${t("province_unsent", { n: p.unsent })}`,
    p.error ? h("div", { class: "hint" }, `${t(`province_fault_${p.error.fault}`)} (${p.error.detail})`) : null)];
}

function cardKey(now) {
  let key = now;
  const r = now.on_air?.relay;
  if (r) {
    const { level_dbfs, relayed_ms, dropout_ms, ...rest } = r;
    key = { ...key, on_air: { ...key.on_air, relay: rest } };
  }
  if (now.live) {
    const { input_dbfs, output_dbfs, left_s, ...rest } = now.live;
    key = { ...key, live: rest };
  }
  return key;
}

// ---------------------------------------------------------------- Phát trực tiếp (live)

/** The live broadcast: off — a form and the big button; asked for — its state (on air, or
 * waiting for the item on air), the microphone's level and the stop button. */
function liveCard(live) {
  if (!live) {
    const by = h("input", { type: "text", maxlength: 200, autocomplete: "name" });
    const title = h("input", { type: "text", maxlength: 500, placeholder: t("live_default_title") });
    const priority = select(priorityOptions(), "normal");
    const form = h("form", { class: "form-grid", id: "live-form" },
      field("live-by", t("live_by"), by),
      field("live-title-field", t("title"), title),
      field("live-priority", t("priority"), priority, t("live_priority_help")),
      h("div", { class: "actions wide" }, h("button", { type: "submit", class: "big live-button", id: "live-button" }, `🎙 ${t("live_button")}`)));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { priority: priority.value };
      if (by.value.trim()) body.by = by.value.trim();
      if (title.value.trim()) body.title = title.value.trim();
      try { await api("/live", { method: "POST", json: body }); say(t("live_ok")); } catch (err) { sayError(err); }
    });
    return [h("p", {}, t("live_help")), form];
  }
  const stop = h("button", { type: "button", class: "danger big", id: "live-stop" }, `■ ${t("live_stop")}`);
  stop.addEventListener("click", async () => {
    try { await api("/live/stop", { method: "POST" }); say(t("live_stopped")); } catch (err) { sayError(err); }
  });
  return [
    h("p", { class: "on-air-title", id: "live-state", "data-on-air": String(live.on_air) },
      badge(live.on_air ? t("live_on_air") : t("live_waiting"), live.on_air ? "danger" : "warn"), " ", live.title),
    h("p", { class: "meta" }, t("live_meta", { by: live.by, priority: priorityLabel(live.priority) })),
    h("div", { class: "level" },
      h("label", { for: "live-input" }, t("live_input")),
      h("meter", { id: "live-input", min: -60, max: 0, low: -40, high: -3, optimum: -18 }),
      h("span", { id: "live-input-text" })),
    h("p", { class: "meta", id: "live-left" }),
    h("div", { class: "actions" }, stop),
  ];
}

/** Puts the live broadcast's moving values into the drawn card, in place. */
export function updateLive(live) {
  const meter = document.getElementById("live-input");
  if (!live || !meter) return;
  meter.value = Math.max(-60, Math.min(0, Number(live.input_dbfs)));
  document.getElementById("live-input-text").textContent =
    live.input_dbfs <= -60 ? t("relay_level_none") : `${Math.round(live.input_dbfs)} dBFS`;
  document.getElementById("live-left").textContent =
    live.left_s == null ? "" : t("live_left", { left: fmtDuration(live.left_s * 1000) });
}

function progressBar(a) {
  const elapsed = Math.min(a.duration_ms, Math.max(0, Date.now() - Date.parse(a.started_at)));
  return h("div", { class: "progress" },
    h("progress", { id: "on-air-progress", max: a.duration_ms, value: elapsed, "aria-label": t("progress") }),
    h("span", { id: "on-air-time", "data-start": a.started_at, "data-duration": a.duration_ms },
      `${fmtDuration(elapsed)} / ${fmtDuration(a.duration_ms)}`));
}

/** Skip (`skip`, said `done` when done) and stop, the stop asked first. */
function controls(skip, done) {
  return h("div", { class: "actions" },
    h("button", { type: "button", onclick: () => control("/skip", done) }, skip),
    h("button", {
      type: "button", class: "danger", onclick: async () => {
        if (await confirmBox(t("stop"), t("confirm_stop"), t("stop"))) control("/stop", t("done_stop"));
      },
    }, t("stop")));
}

/** Under a relay record's title in the log: its source (or that none aired) and its
 * dropout time; nothing for other records. */
export function relayNote(r) {
  const p = r.relay;
  if (!p) return null;
  const source = p.url ? t("relay_log_source", { url: p.url }) : t("relay_log_no_source");
  return h("div", { class: "relay-note" }, `${source} · ${t("relay_log_dropout", { dropout: fmtDuration(p.dropout_ms) })}`,
    p.stream_title ? ` · ${t("relay_stream_title")}: ${p.stream_title}` : "");
}

async function control(path, done) {
  try {
    await api(path, { method: "POST", json: {} });
    say(done);
  } catch (e) { sayError(e); }
}

function tickProgress() {
  const time = document.getElementById("on-air-time");
  const bar = document.getElementById("on-air-progress");
  if (!time || !bar) return;
  const dur = Number(time.dataset.duration);
  const elapsed = Math.min(dur, Math.max(0, Date.now() - Date.parse(time.dataset.start)));
  bar.value = elapsed;
  time.textContent = `${fmtDuration(elapsed)} / ${fmtDuration(dur)}`;
}

function warningItems(now, segments, schedule) {
  const out = now.warnings.map((w) => [warningText(w), "danger"]);
  const pending = segments.filter((s) => s.approval?.state === "pending");
  if (pending.length) out.push([t("warn_pending", { n: pending.length }), "warn"]);
  const seen = new Set();
  for (const p of schedule) {
    for (const w of p.warnings) {
      // Items that will not air for a reason the operator can fix: expired, not approved, missing or broken.
      const fixable = w.code === "item_cannot_air"
        || (w.code === "item_skipped" && ["expired", "not_approved"].includes(w.reason?.code));
      const key = JSON.stringify(w);
      if (!fixable || seen.has(key)) continue;
      seen.add(key);
      out.push([`${fmtDay(p.at)} ${fmtTime(p.at)} · ${p.title ?? p.program}: ${warningText(w)}`, "warn"]);
    }
  }
  for (const s of segments) {
    if (expired(s) && s.topic !== "station") {
      out.push([t("warn_expired", { id: s.id, title: s.title, day: s.valid_until }), "info"]);
    }
  }
  return out;
}

function recentRows(records) {
  return records.slice().reverse().map((r) => h("tr", {},
    h("td", {}, fmtDateTime(r.started_at ?? r.scheduled_at)),
    h("td", {}, r.title, relayNote(r)),
    h("td", {}, r.program),
    h("td", {}, fmtDuration(r.played_ms)),
    h("td", {}, badge(outcomeLabel(r.outcome), r.outcome))));
}

async function nowPage(main) {
  const onAir = section("on-air", t("on_air"));
  const body = h("div", { id: "on-air-body", "aria-live": "polite" });
  onAir.append(body);
  const warnings = section("warnings", t("warnings"), h("ul", { id: "warning-list" }));
  const next = section("next", t("next_today"), h("div", { id: "next-list" }));
  const recent = section("recent", t("recent"), h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ...["time", "title", "program", "played", "outcome"].map((k) => h("th", { scope: "col" }, t(`col_${k}`))))),
    h("tbody", { id: "recent-body" }))));
  const live = section("live", t("live_title"));
  const liveBody = h("div", { id: "live-body", "aria-live": "polite" });
  live.append(liveBody);
  main.append(h("h1", {}, t("nav_now")), h("div", { class: "grid" }, onAir, warnings), live, next, recent);
  let liveKey = null;

  let last = "";
  let segments = [];
  let schedule = [];
  // The day's plan changes when a program fires (the next one moves on) or time passes it.
  const loadPlan = async () => {
    [segments, schedule] = await Promise.all([api("/segments"), api("/schedule?days=1")]);
    const today = stationDate();
    const todays = schedule.filter((p) => p.at.slice(0, 10) === today);
    document.getElementById("next-list").replaceChildren(todays.length
      ? h("ul", { class: "programs" }, todays.slice(0, 8).map((p) => h("li", {},
        h("strong", {}, `${fmtTime(p.at)} · ${p.title ?? p.program}`),
        ` — ${t("items_n", { n: p.items.filter((i) => i.role === "item").length })}, ${fmtDuration(p.duration_ms)}`,
        p.warnings.length ? h("ul", { class: "warn-list" }, p.warnings.map((w) => h("li", {}, warningText(w)))) : null)),
        todays.length > 8 ? h("li", {}, t("and_more", { n: todays.length - 8 })) : null)
      : h("p", {}, t("no_more_today")));
    redraw();
  };
  const stopSlow = every(60_000, loadPlan);
  let planTimer = null;
  // The next program as last pushed: when it moves on, a program fired and the plan changed.
  let nextKey = null;
  // What is on air and the latest records come pushed over the event stream (an open page
  // polls nothing); only the progress bar ticks here, locally.
  let now = null;
  let log = [];
  let drawing = false;
  const draw = () => {
    drawing = false;
    if (!now) return;
    const items = warningItems(now, segments, schedule);
    const key = JSON.stringify([cardKey(now), log.map((r) => [r.id, r.outcome, r.played_ms]), items]);
    updateRelay(now.on_air?.relay);
    updateLive(now.live);
    if (key === last) return;
    last = key;
    body.replaceChildren(...onAirCard(now), ...streamsList(now.streams), ...provinceLine(now.province));
    updateRelay(now.on_air?.relay);
    // The form keeps what the operator is typing: drawn again only when the live changes.
    const nextLive = JSON.stringify(cardKey(now).live ?? null);
    if (nextLive !== liveKey) {
      liveKey = nextLive;
      liveBody.replaceChildren(...liveCard(now.live));
    }
    updateLive(now.live);
    document.getElementById("warning-list").replaceChildren(...(items.length
      ? items.map(([w, kind]) => h("li", { class: kind }, w))
      : [h("li", { class: "ok" }, t("no_warnings"))]));
    document.getElementById("recent-body").replaceChildren(...recentRows(log));
    if (!performance.getEntriesByName("loaxa-now-drawn").length) performance.mark("loaxa-now-drawn");
    if (now.emergencies.length) {
      document.getElementById("warning-list").append(...now.emergencies.map((r) =>
        h("li", { class: "warn" }, t("repeat_line", { id: r.segment, every: r.every_s / 3600, next: fmtDateTime(r.next_at), until: fmtDateTime(r.until) }))));
    }
    tickProgress();
  };
  // Events of one read arrive together: one drawing for all of them.
  const redraw = () => { if (!drawing) { drawing = true; queueMicrotask(draw); } };
  let stopPolling = () => {};
  const stopListening = subscribe("/events?log=10", (name, data) => {
    if (name === "status") {
      const next = JSON.stringify(data.next ?? null);
      if (nextKey !== null && next !== nextKey) {
        clearTimeout(planTimer);
        planTimer = setTimeout(() => loadPlan().catch(sayError), 1000);
      }
      nextKey = next;
      now = data;
    } else if (name === "log") {
      log = [...log.filter((r) => r.id !== data.id), data].sort((a, b) => a.id - b.id).slice(-10);
    }
    redraw();
  }, () => {
    // No event stream (an older daemon, or too many tabs open): poll, slowly.
    stopPolling = every(5000, async () => {
      [now, log] = await Promise.all([api("/now"), api("/log?limit=10")]);
      redraw();
    });
  });
  const ticker = setInterval(tickProgress, 1000);
  return () => { stopSlow(); stopListening(); stopPolling(); clearInterval(ticker); clearTimeout(planTimer); };
}

// ---------------------------------------------------------------- Bản tin (library)

/** The fields a new segment is described by (title, topic, unit, validity, level), ids
 * prefixed by `p`: shared by the upload and the recording forms. */
function metaFields(p) {
  const title = h("input", { type: "text", autocomplete: "off", maxlength: 500 });
  const topic = select(topicOptions(false), topicOptions(false)[0]?.[0]);
  const unit = h("input", { type: "text", maxlength: 200 });
  const from = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  const priority = select(priorityOptions(), "normal");
  const fields = [
    field(`${p}-title`, t("title"), title, t("title_help")),
    field(`${p}-topic`, t("topic"), topic),
    field(`${p}-unit`, t("unit"), unit),
    field(`${p}-from`, t("valid_from"), from),
    field(`${p}-until`, t("valid_until"), until),
    field(`${p}-priority`, t("priority"), priority),
  ];
  const appendTo = (data) => {
    for (const [k, el] of [["title", title], ["topic", topic], ["unit", unit], ["valid_from", from], ["valid_until", until], ["priority", priority]]) {
      if (el.value.trim()) data.append(k, el.value.trim());
    }
  };
  return { fields, appendTo };
}

/** Uploads `data` to `/segments` with `bar` as its progress; the outcome of each file in
 * `results`. */
async function sendSegments(data, bar, results) {
  bar.hidden = false;
  bar.value = 0;
  results.replaceChildren();
  const out = await upload("/segments", data, (sent, total) => { bar.value = total ? sent / total : 0; });
  bar.value = 1;
  results.replaceChildren(...out.map((r) => h("li", { class: r.status === "failed" ? "error" : "ok" },
    r.status === "failed"
      ? t("upload_failed", { file: r.file, error: `${r.error?.code ? codeText(ctx.lang, "error", r.error) : r.error?.error ?? ""} ${r.error?.hint ?? ""}` })
      : t(r.status === "added" ? "upload_added" : "upload_present", { file: r.file, id: r.segment?.id, title: r.segment?.title }))));
}

function uploadForm(reload) {
  const files = h("input", { type: "file", multiple: true, required: true, accept: "audio/*,.mp3,.wav,.ogg,.oga,.opus,.webm,.flac,.m4a,.aac" });
  const meta = metaFields("up");
  const bar = h("progress", { id: "upload-progress", max: 1, value: 0, hidden: true, "aria-label": t("upload_progress") });
  const results = h("ul", { id: "upload-results", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, t("upload"));
  const form = h("form", { id: "upload-form", class: "form-grid" },
    field("up-file", t("files"), files, t("files_help")),
    ...meta.fields,
    h("div", { class: "actions wide" }, button, bar), results);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData();
    meta.appendTo(data);
    for (const f of files.files) data.append("file", f, f.name);
    button.disabled = true;
    try {
      await sendSegments(data, bar, results);
      form.reset();
      await reload();
    } catch (err) { sayError(err); } finally { button.disabled = false; }
  });
  return form;
}

/** The longest recording the page makes (a bulletin, not a programme). */
const MAX_RECORDING_S = 15 * 60;

/** The container and codec the browser records in, best first: Opus in WebM (Chromium),
 * Opus in Ogg (Firefox); loaxa decodes both. */
function recordingType() {
  const types = [["audio/webm;codecs=opus", "webm"], ["audio/ogg;codecs=opus", "ogg"], ["audio/webm", "webm"]];
  return types.find(([type]) => window.MediaRecorder?.isTypeSupported(type)) ?? null;
}

/** "Ghi âm": records a bulletin from the browser's microphone, plays it back, and adds it
 * as a segment (Opus, through the same upload and import checks as a file). */
function recorderForm(reload) {
  const start = h("button", { type: "button", id: "rec-start", class: "primary" }, t("rec_start"));
  const stop = h("button", { type: "button", id: "rec-stop", disabled: true }, t("rec_stop"));
  const meter = h("meter", { id: "rec-level", min: -60, max: 0, low: -30, high: -6, optimum: -18, value: -60, "aria-label": t("rec_level") });
  const clock = h("span", { id: "rec-time", "aria-live": "off" }, "0:00");
  const state = h("p", { id: "rec-state", "aria-live": "polite" }, t("rec_idle"));
  const playback = h("audio", { id: "rec-playback", controls: true, hidden: true });
  const meta = metaFields("rec");
  const bar = h("progress", { id: "rec-progress", max: 1, value: 0, hidden: true, "aria-label": t("upload_progress") });
  const results = h("ul", { id: "rec-results", "aria-live": "polite" });
  const send = h("button", { type: "submit", class: "primary", disabled: true }, t("rec_upload"));
  const form = h("form", { id: "record-form", class: "form-grid" },
    h("div", { class: "actions wide" }, start, stop, meter, clock),
    h("div", { class: "wide" }, state, playback),
    ...meta.fields,
    h("div", { class: "actions wide" }, send, bar), results);
  let recording = null; // { blob, ext, seconds }
  let active = null; // { recorder, stream, audio, timer, began }
  const finish = () => {
    if (!active) return;
    clearInterval(active.timer);
    active.stream.getTracks().forEach((tr) => tr.stop());
    active.audio.close();
    meter.value = -60;
    start.disabled = false;
    stop.disabled = true;
  };
  start.addEventListener("click", async () => {
    const type = recordingType();
    if (!navigator.mediaDevices?.getUserMedia || !type) {
      state.textContent = t(window.isSecureContext ? "rec_unsupported" : "rec_insecure");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    } catch (e) {
      state.textContent = t(e.name === "NotAllowedError" ? "rec_denied" : "rec_no_mic", { detail: e.message });
      return;
    }
    const recorder = new MediaRecorder(stream, { mimeType: type[0] });
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 2048;
    audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const chunks = [];
    recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
    recorder.addEventListener("stop", () => {
      const seconds = (performance.now() - active.began) / 1000;
      finish();
      recording = { blob: new Blob(chunks, { type: type[0] }), ext: type[1], seconds };
      playback.src = URL.createObjectURL(recording.blob);
      playback.hidden = false;
      send.disabled = false;
      state.textContent = t("rec_done", { duration: fmtDuration(Math.round(seconds * 1000)) });
      active = null;
    });
    active = { recorder, stream, audio, began: performance.now(), timer: 0 };
    active.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      const peak = samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      meter.value = Math.max(-60, 20 * Math.log10(peak || 1e-6));
      const seconds = (performance.now() - active.began) / 1000;
      clock.textContent = fmtDuration(Math.floor(seconds) * 1000);
      if (seconds >= MAX_RECORDING_S) recorder.stop();
    }, 100);
    recording = null;
    send.disabled = true;
    playback.hidden = true;
    results.replaceChildren();
    recorder.start(1000);
    start.disabled = true;
    stop.disabled = false;
    state.textContent = t("rec_on", { max: MAX_RECORDING_S / 60 });
  });
  stop.addEventListener("click", () => active?.recorder.stop());
  // Leaving the page ends a recording: the microphone is let go.
  form.stopRecording = () => active?.recorder.stop();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!recording) return;
    const data = new FormData();
    meta.appendTo(data);
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
    data.append("file", recording.blob, `ghi-am-${stamp}.${recording.ext}`);
    send.disabled = true;
    try {
      await sendSegments(data, bar, results);
      recording = null;
      playback.hidden = true;
      form.reset();
      await reload();
    } catch (err) { sayError(err); send.disabled = false; }
  });
  return form;
}

/** "Bản tin văn bản": text read aloud by the station's speech engine (POST /segments/text). */
function textForm(reload) {
  const text = h("textarea", { required: true, rows: 6, maxlength: 20000 });
  const voices = ctx.info.voices ?? [];
  const voice = select(voices.map((v) => [v, t(`voice_${v}`) === `voice_${v}` ? v : t(`voice_${v}`)]), voices[0]);
  const title = h("input", { type: "text", autocomplete: "off", maxlength: 500 });
  const topic = select(topicOptions(false), topicOptions(false)[0]?.[0]);
  const result = h("p", { id: "tts-result", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, t("tts_submit"));
  const form = h("form", { id: "tts-form", class: "form-grid" },
    field("tts-text", t("tts_text"), text, t("tts_text_help")),
    field("tts-voice", t("tts_voice"), voice),
    field("tts-title", t("title"), title, t("tts_title_help")),
    field("tts-topic", t("topic"), topic),
    h("div", { class: "actions wide" }, button), result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const json = { text: text.value, voice: voice.value, topic: topic.value };
    if (title.value.trim()) json.title = title.value.trim();
    button.disabled = true;
    result.textContent = t("tts_working");
    try {
      const out = await api("/segments/text", { method: "POST", json });
      result.textContent = t(out.status === "added" ? "tts_added" : "tts_present", { id: out.segment.id, title: out.segment.title });
      form.reset();
      await reload();
    } catch (err) { result.textContent = ""; sayError(err); } finally { button.disabled = false; }
  });
  return form;
}

function editRow(seg, reload) {
  const title = h("input", { type: "text", value: seg.title, required: true, maxlength: 500 });
  const topic = select(topicOptions(false), seg.topic);
  const unit = h("input", { type: "text", value: seg.unit ?? "", maxlength: 200 });
  const from = h("input", { type: "date", value: seg.valid_from ?? "" });
  const until = h("input", { type: "date", value: seg.valid_until ?? "" });
  const priority = select(priorityOptions(), seg.priority);
  const p = `edit-${seg.id}`;
  const form = h("form", { class: "form-grid" },
    field(`${p}-title`, t("title"), title), field(`${p}-topic`, t("topic"), topic), field(`${p}-unit`, t("unit"), unit),
    field(`${p}-from`, t("valid_from"), from), field(`${p}-until`, t("valid_until"), until), field(`${p}-priority`, t("priority"), priority),
    h("div", { class: "actions wide" },
      h("button", { type: "submit", class: "primary" }, t("save")),
      h("button", { type: "button", onclick: () => reload() }, t("cancel"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const patch = {
      title: title.value, unit: unit.value.trim() || null, valid_from: from.value || null,
      valid_until: until.value || null, priority: priority.value,
    };
    if (seg.topic !== "station") patch.topic = topic.value;
    try {
      await api(`/segments/${seg.id}`, { method: "PATCH", json: patch });
      say(t("saved", { id: seg.id }));
      await reload();
    } catch (err) { sayError(err); }
  });
  return h("tr", { class: "detail" }, h("td", { colspan: 7 }, form));
}

async function listen(seg, row) {
  const open = row.nextElementSibling?.classList.contains("player");
  if (open) { row.nextElementSibling.remove(); return; }
  try {
    const audio = h("audio", { controls: true, autoplay: true, preload: "auto", "aria-label": t("listen_to", { title: seg.title }) });
    audio.src = await mediaUrl(`/segments/${seg.id}/audio`);
    row.after(h("tr", { class: "detail player" }, h("td", { colspan: 7 }, audio)));
  } catch (e) { sayError(e); }
}

async function approve(seg, reload) {
  const by = window.prompt(t("approve_by"), localStorage.getItem("loaxa.approver") ?? "");
  if (!by || !by.trim()) return;
  localStorage.setItem("loaxa.approver", by.trim());
  try {
    await api(`/segments/${seg.id}/approve`, { method: "POST", json: { by: by.trim() } });
    say(t("approved_ok", { id: seg.id }));
    await reload();
  } catch (e) { sayError(e); }
}

async function remove(seg, reload) {
  if (!(await confirmBox(t("delete"), t("confirm_delete", { id: seg.id, title: seg.title }), t("delete")))) return;
  try {
    await api(`/segments/${seg.id}`, { method: "DELETE" });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 409)) return sayError(e);
    if (!(await confirmBox(t("delete"), `${e.message}. ${t("confirm_force")}`, t("delete_anyway")))) return;
    try { await api(`/segments/${seg.id}?force=true`, { method: "DELETE" }); } catch (e2) { return sayError(e2); }
  }
  say(t("deleted", { id: seg.id }));
  await reload();
}

async function queueOne(seg) {
  try {
    await api("/queue", { method: "POST", json: { ids: [seg.id] } });
    say(t("queued_ok", { id: seg.id, title: seg.title }));
  } catch (e) { sayError(e); }
}

function segmentRow(seg, reload) {
  const why = problem(seg);
  const approval = seg.approval?.state === "pending" ? badge(t("pending"), "warn")
    : seg.approval?.state === "approved" ? badge(t("approved_by", { by: seg.approval.by }), "ok") : null;
  const row = h("tr", { "data-id": seg.id },
    h("td", {}, `#${seg.id}`),
    h("td", {}, h("strong", { class: "seg-title" }, seg.title), h("br"), h("small", {}, seg.original_name)),
    h("td", {}, topicLabel(seg.topic), seg.unit ? h("br") : null, seg.unit ? h("small", {}, seg.unit) : null),
    h("td", {}, fmtDuration(seg.duration_ms)),
    h("td", {}, seg.valid_from || seg.valid_until ? `${seg.valid_from ?? "…"} → ${seg.valid_until ?? "…"}` : "—"),
    h("td", {}, badge(priorityLabel(seg.priority), seg.priority), " ", approval, why ? h("div", { class: "why" }, why) : null),
    h("td", { class: "row-actions" }));
  const label = (k) => t(k, { id: seg.id, title: seg.title });
  row.lastChild.append(...[
    h("button", { type: "button", "aria-label": label("aria_listen"), onclick: () => listen(seg, row) }, `▶ ${t("listen")}`),
    h("button", { type: "button", "aria-label": label("aria_queue"), onclick: () => queueOne(seg) }, t("to_queue")),
    h("button", {
      type: "button", "aria-label": label("aria_edit"), onclick: () => {
        if (row.nextElementSibling?.classList.contains("detail")) row.nextElementSibling.remove();
        row.after(editRow(seg, reload));
        row.nextElementSibling.querySelector("input")?.focus();
      },
    }, t("edit")),
    seg.approval?.state === "pending" ? h("button", { type: "button", class: "primary", "aria-label": label("aria_approve"), onclick: () => approve(seg, reload) }, t("approve")) : null,
    h("button", { type: "button", class: "danger", "aria-label": label("aria_delete"), onclick: () => remove(seg, reload) }, t("delete")),
  ].filter(Boolean));
  return row;
}

async function libraryPage(main) {
  const search = h("input", { type: "search", placeholder: t("search_placeholder") });
  const topic = select(topicOptions(true), "");
  const state = select([["", t("state_all")], ["airable", t("state_airable")], ["pending", t("pending")], ["expired", t("state_expired")]], "");
  const tbody = h("tbody", { id: "segment-rows" });
  const count = h("p", { id: "segment-count", "aria-live": "polite" });
  let segments = [];
  const render = () => {
    const words = search.value.toLowerCase().normalize("NFC").split(/\s+/).filter(Boolean);
    const shown = segments.filter((s) => {
      const text = `${s.title} ${s.unit ?? ""} ${s.original_name} #${s.id}`.toLowerCase().normalize("NFC");
      const why = problem(s);
      return words.every((w) => text.includes(w)) && (!topic.value || s.topic === topic.value)
        && (!state.value || (state.value === "airable" && !why) || (state.value === "pending" && s.approval?.state === "pending")
          || (state.value === "expired" && expired(s)));
    });
    count.textContent = t("shown_of", { n: shown.length, total: segments.length });
    tbody.replaceChildren(...shown.slice().reverse().map((s) => segmentRow(s, reload)));
  };
  const reload = async () => { segments = await api("/segments"); render(); };
  for (const el of [search, topic, state]) el.addEventListener("input", render);
  const recorder = recorderForm(reload);
  main.append(h("h1", {}, t("nav_library")),
    section("upload", t("upload_title"), uploadForm(reload)),
    section("record", t("rec_title"), recorder),
    section("tts", t("tts_title"), textForm(reload)),
    section("segments", t("library_title"),
      h("div", { class: "filters" }, field("seg-search", t("search"), search), field("seg-topic", t("topic"), topic), field("seg-state", t("state"), state)),
      count,
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...["id", "title", "topic", "duration", "validity", "level", "actions"].map((k) => h("th", { scope: "col" }, t(`col_${k}`))))),
        tbody))));
  await reload();
  return () => recorder.stopRecording();
}

// ---------------------------------------------------------------- Hàng chờ & phát (queue, play, emergency)

async function queuePage(main) {
  const [segments, programs] = await Promise.all([api("/segments"), api("/programs")]);
  const titles = new Map(segments.map((s) => [s.id, s.title]));
  const content = segments.filter((s) => s.topic !== "station").reverse();
  const opts = segmentOptions(content);
  const rows = h("tbody", { id: "queue-rows" });
  const reloadQueue = async () => {
    const queue = await api("/queue");
    rows.replaceChildren(...(queue.length ? queue.map((q, i) => h("tr", {},
      h("td", {}, String(i + 1)),
      h("td", {}, titles.get(q.segment) ?? `#${q.segment}`),
      h("td", {}, q.program ?? t("next_program")),
      h("td", {}, badge(priorityLabel(q.priority), q.priority)),
      h("td", {}, h("button", {
        type: "button", "aria-label": t("aria_unqueue", { title: titles.get(q.segment) ?? q.segment }), onclick: async () => {
          try { await api(`/queue/${q.qid}`, { method: "DELETE" }); await reloadQueue(); } catch (e) { sayError(e); }
        },
      }, t("remove"))))) : [h("tr", {}, h("td", { colspan: 5 }, t("queue_empty")))]));
  };

  // Queue form
  const qSeg = select(opts, opts[0]?.[0]);
  const qProg = select([["", t("next_program")], ...programs.filter((p) => p.queue && p.enabled).map((p) => [p.name, p.title ?? p.name])], "");
  const qPrio = select([["", t("its_level")], ["normal", priorityLabel("normal")], ["priority", priorityLabel("priority")]], "");
  const qForm = h("form", { class: "form-grid", id: "queue-form" },
    field("q-seg", t("segment"), qSeg), field("q-prog", t("program"), qProg), field("q-prio", t("priority"), qPrio),
    h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary" }, t("add_to_queue"))));
  qForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { ids: [Number(qSeg.value)] };
    if (qProg.value) body.program = qProg.value;
    if (qPrio.value) body.priority = qPrio.value;
    try { await api("/queue", { method: "POST", json: body }); say(t("queued_ok", { id: qSeg.value, title: titles.get(Number(qSeg.value)) })); await reloadQueue(); } catch (err) { sayError(err); }
  });

  // Manual play
  const pSeg = select(opts, opts[0]?.[0]);
  pSeg.multiple = true;
  pSeg.size = Math.min(6, Math.max(3, opts.length));
  const pNow = h("input", { type: "checkbox" });
  const pForm = h("form", { class: "form-grid", id: "play-form" },
    field("p-seg", t("segments_to_play"), pSeg, t("multi_help")),
    h("div", { class: "field check" }, pNow, h("label", { for: "p-now" }, t("play_now_cut"))),
    h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary" }, t("play"))));
  pNow.id = "p-now";
  pForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const ids = [...pSeg.selectedOptions].map((o) => Number(o.value));
    if (!ids.length) return say(t("choose_segment"), "error");
    if (pNow.checked && !(await confirmBox(t("play"), t("confirm_play_now"), t("play")))) return;
    try { await api("/play", { method: "POST", json: { ids, now: pNow.checked } }); say(t("play_ok")); } catch (err) { sayError(err); }
  });

  // Emergency
  const eSeg = select(opts, opts[0]?.[0]);
  const eRepeat = h("input", { type: "checkbox", id: "e-repeat" });
  const eEvery = h("input", { type: "number", min: 1, max: 24, step: 1, value: 2, inputmode: "numeric" });
  const eUntil = h("input", { type: "datetime-local" });
  const repeatBox = h("div", { class: "form-grid", hidden: true },
    field("e-every", t("every_hours"), eEvery), field("e-until", t("repeat_until"), eUntil));
  eRepeat.addEventListener("change", () => { repeatBox.hidden = !eRepeat.checked; });
  const eForm = h("form", { class: "form-grid emergency", id: "emergency-form" },
    field("e-seg", t("segment"), eSeg),
    h("div", { class: "field check" }, eRepeat, h("label", { for: "e-repeat" }, t("repeat"))),
    repeatBox,
    h("div", { class: "actions wide" }, h("button", { type: "submit", class: "danger big", id: "emergency-button" }, `⚠ ${t("emergency_button")}`)));
  eForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = Number(eSeg.value);
    const body = { id };
    let text = t("confirm_emergency", { title: titles.get(id) ?? id });
    if (eRepeat.checked) {
      if (!eUntil.value) return say(t("need_until"), "error");
      body.every = `${Number(eEvery.value) || 2}h`;
      body.until = eUntil.value.replace("T", " ");
      text += ` ${t("confirm_repeat", { every: eEvery.value, until: body.until })}`;
    }
    if (!(await confirmBox(t("emergency_button"), text, t("emergency_go")))) return;
    try { await api("/emergency", { method: "POST", json: body }); say(t("emergency_ok"), "warn"); location.hash = "#now"; } catch (err) { sayError(err); }
  });

  // Emergency repeats to come, each with a cancel button
  const repRows = h("tbody", { id: "repeat-rows" });
  const reloadRepeats = async () => {
    const reps = await api("/emergencies");
    repRows.replaceChildren(...(reps.length ? reps.map((r) => {
      const title = titles.get(r.segment) ?? `#${r.segment}`;
      const cancel = async () => {
        if (!(await confirmBox(t("cancel_repeat"), t("confirm_cancel_repeat", { title, until: fmtDateTime(r.until) }), t("cancel_repeat")))) return;
        try { await api(`/emergencies/${r.id}`, { method: "DELETE" }); say(t("repeat_cancelled", { title })); await reloadRepeats(); } catch (e) { sayError(e); }
      };
      return h("tr", { "data-repeat": r.id },
        h("td", {}, title),
        h("td", {}, t("every_n_hours", { n: Math.round((r.every_s / 3600) * 100) / 100 })),
        h("td", {}, fmtDateTime(r.next_at)),
        h("td", {}, fmtDateTime(r.until)),
        h("td", {}, h("button", { type: "button", class: "danger", "aria-label": t("aria_cancel_repeat", { title }), onclick: cancel }, t("cancel_repeat"))));
    }) : [h("tr", {}, h("td", { colspan: 5 }, t("no_repeats")))]));
  };

  main.append(h("h1", {}, t("nav_queue")),
    section("emergency", t("emergency_title"), h("p", {}, t("emergency_help")), eForm),
    section("repeats", t("repeats_title"), h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ...["title", "every", "next", "until", "actions"].map((k) => h("th", { scope: "col" }, t(`col_${k}`))))), repRows))),
    section("queue", t("queue_title"), h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ...["pos", "title", "program", "level", "actions"].map((k) => h("th", { scope: "col" }, t(`col_${k}`))))), rows)), qForm),
    section("play", t("play_title"), h("p", {}, t("play_help")), pForm));
  await Promise.all([reloadQueue(), reloadRepeats()]);
}

// ---------------------------------------------------------------- Lịch phát (schedule)

async function schedulePage(main) {
  const schedule = await api("/schedule?days=7");
  const days = new Map();
  for (const p of schedule) {
    const day = p.at.slice(0, 10);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(p);
  }
  const columns = [...days.entries()].map(([day, programs]) => h("section", { class: "day", "aria-label": fmtDay(programs[0].at) },
    h("h2", {}, fmtDay(programs[0].at)),
    programs.length > 40 ? h("p", { class: "meta" }, t("and_more", { n: programs.length - 40 })) : null,
    programs.slice(0, 40).map((p) => h("article", { class: `slot${p.warnings.length ? " has-warnings" : ""}`, "data-day": day },
      h("h3", {}, h("time", { datetime: p.at }, fmtTime(p.at)), " ", p.title ?? p.program),
      h("p", { class: "meta" }, `${fmtDuration(p.duration_ms)} · ${t("items_n", { n: p.items.filter((i) => i.role === "item").length })}`),
      h("ol", {}, p.items.map((i) => h("li", { class: i.role }, i.role === "item" ? "" : `${roleLabel(i.role)}: `, i.title, ` (${fmtDuration(i.duration_ms)})`))),
      p.warnings.length ? h("ul", { class: "warn-list", "aria-label": t("warnings") }, p.warnings.map((w) => h("li", {}, `⚠ ${warningText(w)}`))) : null))));
  main.append(h("h1", {}, t("schedule_title")),
    columns.length ? h("div", { class: "timetable" }, columns) : h("p", {}, t("no_programs")));
}

// ---------------------------------------------------------------- Nhật ký & báo cáo (log, report)

async function logPage(main) {
  const today = stationDate();
  const monthAgo = stationDate(new Date(Date.now() - 30 * 86400_000));
  const from = h("input", { type: "date", value: monthAgo });
  const to = h("input", { type: "date", value: today });
  const topic = select(topicOptions(true), "");
  const outcome = select([["", t("all_outcomes")], ...["completed", "interrupted", "failed", "skipped", "missed"].map((o) => [o, outcomeLabel(o)])], "");
  const words = h("input", { type: "search" });
  const rows = h("tbody", { id: "log-rows" });
  const count = h("p", { id: "log-count", "aria-live": "polite" });
  const query = () => {
    const q = new URLSearchParams();
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    if (topic.value) q.set("topic", topic.value);
    if (outcome.value) q.set("outcome", outcome.value);
    if (words.value.trim()) q.set("q", words.value.trim());
    return q;
  };
  const load = async () => {
    const records = await api(`/log?${query()}`);
    count.textContent = t("records_n", { n: records.length });
    rows.replaceChildren(...records.slice(-500).reverse().map((r) => h("tr", {},
      h("td", {}, String(r.id)),
      h("td", {}, fmtDateTime(r.started_at ?? r.scheduled_at)),
      h("td", {}, r.program),
      h("td", {}, r.title, r.role === "item" ? "" : ` (${roleLabel(r.role)})`, relayNote(r)),
      // A relay carries the station topic: it is no signature tune.
      h("td", {}, r.role === "relay" ? "" : topicLabel(r.topic)),
      h("td", {}, fmtDuration(r.played_ms)),
      h("td", {}, badge(outcomeLabel(r.outcome), r.outcome), r.priority === "emergency" ? [" ", badge(priorityLabel("emergency"), "danger")] : null,
        r.reason ? h("div", { class: "why" }, reasonText(r.reason)) : null))));
  };
  const filter = h("form", { class: "filters", id: "log-filter" },
    field("log-from", t("from_day"), from), field("log-to", t("to_day"), to), field("log-topic", t("topic"), topic),
    field("log-outcome", t("outcome"), outcome), field("log-q", t("search"), words),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("filter"))));
  filter.addEventListener("submit", (e) => { e.preventDefault(); load().catch(sayError); });
  const exportAs = async (format) => {
    const q = new URLSearchParams();
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    q.set("format", format);
    q.set("lang", ctx.lang);
    try { say(t("downloaded", { file: await download(`/log/export?${q}`, `nhat-ky-phat-song.${format}`) })); } catch (e) { sayError(e); }
  };

  const periods = await api("/report/periods");
  const period = select(periods.map((p) => [p.period, `${p.period} (${dmy(p.from)} – ${dmy(p.to)})`]), periods[0]?.period);
  const reportLink = h("p", { id: "report-link" });
  const openReport = async () => {
    try {
      const res = await api(`/report?period=${period.value}&format=html&lang=${ctx.lang}`, { raw: true });
      const url = URL.createObjectURL(new Blob([await res.text()], { type: "text/html" }));
      reportLink.replaceChildren(h("a", { href: url, target: "_blank", rel: "noopener", id: "report-open" }, t("open_report", { period: period.value })));
      window.open(url, "_blank", "noopener");
    } catch (e) { sayError(e); }
  };
  const reportXlsx = async () => {
    try { say(t("downloaded", { file: await download(`/report?period=${period.value}&format=xlsx&lang=${ctx.lang}`, "bao-cao.xlsx") })); } catch (e) { sayError(e); }
  };

  main.append(h("h1", {}, t("nav_log")),
    section("log", t("log_title"), filter,
      h("div", { class: "actions" },
        h("button", { type: "button", id: "export-csv", onclick: () => exportAs("csv") }, t("download_csv")),
        h("button", { type: "button", id: "export-xlsx", onclick: () => exportAs("xlsx") }, t("download_xlsx"))),
      count,
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...["id", "time", "program", "title", "topic", "played", "outcome"].map((k) => h("th", { scope: "col" }, t(`col_${k}`))))), rows))),
    section("report", t("report_title"), h("p", {}, t("report_help")),
      h("div", { class: "filters" }, field("report-period", t("period"), period),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", id: "report-html", onclick: openReport }, t("report_html")),
          h("button", { type: "button", onclick: reportXlsx }, t("report_xlsx")))),
      reportLink));
  await load();
}

export const PAGES = { now: nowPage, library: libraryPage, queue: queuePage, schedule: schedulePage, log: logPage };
