// choreo review: the page. Plain JavaScript, no library, nothing fetched but this server's API
// (engine/review.py documents it). The song is laid out left to right in seconds (S.pxPerS pixels per
// second); the animatic shows frames the server draws on demand, kept in a cache that a pin change
// clears only where the picture changed.
"use strict";

const $ = (id) => document.getElementById(id);
const KIND_COLOURS = {intro: "#5fd3e0", verse: "#6c8cff", chorus: "#ff6b6b", bridge: "#e07bff", outro: "#7bd88f",
                      other: "#d8d8d8"};
const LANE_H = {grid: 38, waveform: 56, sections: 28, lyrics: 30, moves: 34, camera: 24, lighting: 30};
const FRAME_CACHE_MAX = 1500;
const MAX_CANVAS_PX = 32000;
const PREFETCH_S = 5;

const S = {
  session: null, library: null, peaks: null, bars: [], pxPerS: 36,
  undo: [], busy: false, lockMode: false,
  frames: new Map(), wanted: 0, shown: -1, fetching: false, prefetch: [], offlineUntil: 0,
  clock: {playing: false, t0: 0, at: 0},  // the playhead's clock when the song cannot be played
  last: {x: -1, text: ""},
};
const audio = $("audio");
const img = $("frame");

// ------------------------------------------------------------------------------------------------ helpers

async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `${url}: ${r.status}`);
  return body;
}

function el(tag, cls, parent, text) {
  const d = document.createElement(tag);
  if (cls) d.className = cls;
  if (text !== undefined) d.textContent = text;
  if (parent) parent.appendChild(d);
  return d;
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const fps = () => S.session.fps_value;
const duration = () => S.session.duration_s;
const xOf = (t) => t * S.pxPerS;
const xOfFrame = (f) => (f / fps()) * S.pxPerS;
const frameAt = (t) => clamp(Math.floor(t * fps() + 1e-6), 0, S.session.duration_frames - 1);

function fmtTime(t) {
  const m = Math.floor(t / 60);
  return `${m}:${(t - 60 * m).toFixed(1).padStart(4, "0")}`;
}

function status(text, kind) {
  const s = $("status");
  s.textContent = text;
  s.className = kind || "";
}

// The last item of a sorted list whose key is <= v (binary search), or the first.
function lastAtOrBefore(list, v, key) {
  let lo = 0, hi = list.length - 1, best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(list[mid]) <= v) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  return list[best];
}

const barAt = (t) => lastAtOrBefore(S.bars, t, (b) => b.t);
const beatAt = (t) => lastAtOrBefore(S.session.beats, t, (b) => b.t);

// ------------------------------------------------------------------------------------------------ time

function now() {
  if (S.session.audio) return audio.currentTime;
  const c = S.clock;
  return c.playing ? Math.min(duration(), c.at + (performance.now() - c.t0) / 1000) : c.at;
}

function playing() {
  return S.session.audio ? !audio.paused : S.clock.playing;
}

function seek(t) {
  t = clamp(t, 0, duration());
  if (S.session.audio) audio.currentTime = t;
  else Object.assign(S.clock, {at: t, t0: performance.now()});
}

function togglePlay() {
  if (S.session.audio) {
    if (audio.paused) audio.play().catch((e) => status(`cannot play: ${e.message}`, "error"));
    else audio.pause();
  } else {
    Object.assign(S.clock, {at: now(), t0: performance.now(), playing: !S.clock.playing});
  }
}

// ------------------------------------------------------------------------------------------------ frames

function rememberFrame(f, url) {
  S.frames.set(f, url);
  if (S.frames.size > FRAME_CACHE_MAX) {
    const [oldest, u] = S.frames.entries().next().value;
    S.frames.delete(oldest);
    URL.revokeObjectURL(u);
  }
}

function dropFrames(ranges) {
  for (const [f, u] of [...S.frames]) {
    if (ranges.some(([a, b]) => f >= a && f < b)) {
      S.frames.delete(f);
      URL.revokeObjectURL(u);
    }
  }
  S.shown = -1;
  // The changed frames near the playhead are fetched again at once; the rest when they are shown.
  const here = frameAt(now()), span = Math.round(PREFETCH_S * fps());
  S.prefetch = [];
  for (const [a, b] of ranges) {
    for (let f = Math.max(a, here - span); f < Math.min(b, here + span); f++) S.prefetch.push(f);
  }
  S.prefetch.sort((p, q) => Math.abs(p - here) - Math.abs(q - here));
  pump();
}

function nextToFetch() {
  if (!S.frames.has(S.wanted)) return S.wanted;
  while (S.prefetch.length) {
    const f = S.prefetch.shift();
    if (!S.frames.has(f)) return f;
  }
  return null;
}

async function pump() {
  if (S.fetching || performance.now() < S.offlineUntil) return;
  const f = nextToFetch();
  if (f === null) return;
  S.fetching = true;
  try {
    const r = await fetch(`/api/frame/${f}`);
    if (!r.ok) throw new Error((await r.json()).error);
    const blob = await r.blob();
    const version = Number(r.headers.get("X-Choreo-Version"));
    // A frame of another version is not kept: one drawn before our last pin change is fetched again, and
    // one drawn after another tab's change means this page is out of date.
    if (version === S.session.version) {
      const url = URL.createObjectURL(blob);
      rememberFrame(f, url);
      if (f === S.wanted) { img.src = url; S.shown = f; }
    } else if (version > S.session.version && !S.busy) {
      await resync("another tab changed the pins: this page shows them now");
    }
  } catch (e) {
    S.offlineUntil = performance.now() + 2000;
    status(`frame ${f}: ${e.message}`, "error");
  } finally {
    S.fetching = false;
  }
  if (nextToFetch() !== null) pump();
}

function showFrame(f) {
  S.wanted = f;
  const url = S.frames.get(f);
  if (url) {
    if (S.shown !== f) { img.src = url; S.shown = f; }
  } else {
    pump();
  }
}

// ------------------------------------------------------------------------------------------------ lanes

function laneList() {
  const s = S.session;
  const lanes = [{id: "grid", label: `bars · ${s.tempo.bpm.toFixed(1)} BPM`, h: LANE_H.grid},
                 {id: "waveform", label: "waveform", h: LANE_H.waveform},
                 {id: "sections", label: "sections", h: LANE_H.sections}];
  for (const ch of Object.keys(s.lyrics)) lanes.push({id: `lyrics:${ch}`, label: `lyrics ${ch}`, h: LANE_H.lyrics});
  for (const ch of s.characters) lanes.push({id: `moves:${ch}`, label: `moves ${ch}`, h: LANE_H.moves});
  lanes.push({id: "camera", label: "camera", h: LANE_H.camera}, {id: "lighting", label: "lighting", h: LANE_H.lighting});
  return lanes;
}

function block(lane, cls, x0, x1, text, title) {
  const d = el("div", `block ${cls}`, lane, text);
  d.style.left = `${x0}px`;
  d.style.width = `${Math.max(1, x1 - x0)}px`;
  if (title) d.title = title;
  return d;
}

function drawLanes() {
  const s = S.session;
  S.pxPerS = Math.min(S.pxPerS, MAX_CANVAS_PX / duration());
  const width = Math.ceil(xOf(duration()));
  const lanesEl = $("lanes"), labels = $("labels");
  for (const c of [...lanesEl.children]) if (c.id !== "playhead") c.remove();
  labels.textContent = "";
  lanesEl.style.width = `${width}px`;
  const byId = {};
  let height = 0;
  for (const lane of laneList()) {
    const div = el("div", "lane", lanesEl);
    div.dataset.lane = lane.id;
    div.style.setProperty("--h", `${lane.h}px`);
    const label = el("div", "", labels, lane.label);
    label.style.setProperty("--h", `${lane.h}px`);
    byId[lane.id] = {div, label, h: lane.h};
    height += lane.h + 1;
  }
  drawGrid(byId.grid, width);
  drawWaveform(byId.waveform, width);
  for (const sec of s.sections) {
    const b = block(byId.sections.div, "section", xOf(sec.start), xOf(sec.end), `${sec.label} ${sec.kind}`,
                    `section ${sec.index}: ${sec.label} ${sec.kind}, energy ${sec.energy.toFixed(2)}, ` +
                    `boundary confidence ${sec.confidence.toFixed(2)}`);
    b.style.background = KIND_COLOURS[sec.kind] || KIND_COLOURS.other;
    b.dataset.section = sec.index;
  }
  for (const [ch, ly] of Object.entries(s.lyrics)) {
    const lane = byId[`lyrics:${ch}`].div;
    for (const ln of ly.lines) {
      block(lane, ln.low ? "lyric low" : "lyric", xOf(ln.start), xOf(ln.end), ln.text,
            `${ln.text} (confidence ${ln.confidence.toFixed(2)}${ln.low ? ", low: check it" : ""})`);
    }
    for (const w of ly.words) {
      const tick = el("div", "flash", lane);
      tick.style.left = `${xOf(w.start)}px`;
      tick.style.height = "4px";
      tick.title = w.text;
    }
  }
  for (const m of s.moves) {
    const lane = byId[`moves:${m.character}`];
    if (!lane) continue;
    const energy = (S.library.byName[m.move] || {}).energy ?? 0.5;
    const b = block(lane.div, m.pinned ? "move pinned" : "move", xOfFrame(m.start_frame), xOfFrame(m.end_frame), m.move,
                    `${m.move}: bar ${m.bar} beat ${m.beat}, frames ${m.start_frame}-${m.end_frame - 1}, ` +
                    `energy ${energy.toFixed(2)}${m.pinned ? " (pinned)" : ""}`);
    b.style.background = `hsl(${220 - 220 * energy}, 65%, 68%)`;
    b.dataset.bar = m.bar;
  }
  for (const sh of s.shots) {
    block(byId.camera.div, sh.cut ? "shot cut" : "shot", xOfFrame(sh.start_frame), xOfFrame(sh.end_frame), sh.kind,
          `${sh.kind}${sh.cut ? " (cut)" : ""}, frames ${sh.start_frame}-${sh.end_frame - 1}`);
  }
  for (const p of s.lighting.palette) {
    const b = block(byId.lighting.div, "palette", xOfFrame(p.start_frame), xOfFrame(p.end_frame), "",
                    `hue ${p.hue}°, saturation ${p.saturation}`);
    b.style.background = `hsl(${p.hue}, ${Math.round(100 * p.saturation)}%, 55%)`;
  }
  for (const f of s.lighting.flashes) el("div", "flash", byId.lighting.div).style.left = `${xOfFrame(f)}px`;
  for (const bar of S.bars) {
    const line = el("div", "barline", lanesEl);
    line.style.left = `${xOf(bar.t)}px`;
    line.style.height = `${height}px`;
  }
  for (const p of s.pins.pins || []) {
    if (p.type !== "lock") continue;
    const lane = byId[`moves:${p.character}`];
    if (!lane) continue;
    const span = el("div", "lock-span", lane.div);
    span.style.left = `${xOfFrame(p.from_frame)}px`;
    span.style.width = `${xOfFrame(p.to_frame + 1) - xOfFrame(p.from_frame)}px`;
    span.title = `locked: frames ${p.from_frame}-${p.to_frame}`;
  }
  drawWarnings(byId);
  $("playhead").style.height = `${height}px`;
  S.last.x = -1;
}

function drawGrid(lane, width) {
  const cv = el("canvas", "", lane.div);
  cv.width = width;
  cv.height = lane.h;
  const g = cv.getContext("2d");
  g.fillStyle = "#c9cfdb";
  g.font = "11px system-ui, sans-serif";
  const every = Math.max(1, Math.ceil(28 / (S.pxPerS * (S.bars.length > 1 ? S.bars[1].t - S.bars[0].t : 2))));
  for (const b of S.session.beats) {
    const x = Math.round(xOf(b.t)) + 0.5;
    g.fillRect(x, b.beat === 1 ? 0 : lane.h - 8, 1, b.beat === 1 ? lane.h : 8);
    if (b.beat === 1 && b.bar % every === 0) g.fillText(String(b.bar), x + 3, 11);
  }
  const curve = S.session.tempo.curve;
  if (curve.length > 1) {
    const bpms = curve.map((c) => c[1]);
    const lo = Math.min(...bpms) - 1, hi = Math.max(...bpms) + 1;
    g.strokeStyle = "#ffb347";
    g.beginPath();
    curve.forEach(([t, bpm], i) => {
      const y = lane.h - 10 - ((bpm - lo) / (hi - lo)) * (lane.h - 24);
      if (i) g.lineTo(xOf(t), y); else g.moveTo(xOf(t), y);
    });
    g.stroke();
  }
}

function drawWaveform(lane, width) {
  const cv = el("canvas", "", lane.div);
  cv.width = width;
  cv.height = lane.h;
  const peaks = S.peaks.peaks, rate = S.peaks.rate_hz;
  if (!peaks.length) return;
  const g = cv.getContext("2d");
  const mid = lane.h / 2, top = peaks.reduce((m, p) => Math.max(m, p), 1e-3);
  g.fillStyle = "#6f86b8";
  for (let x = 0; x < width; x++) {
    const a = Math.floor((x / S.pxPerS) * rate), b = Math.max(a + 1, Math.floor(((x + 1) / S.pxPerS) * rate));
    let p = 0;
    for (let i = a; i < b && i < peaks.length; i++) p = Math.max(p, peaks[i]);
    const h = Math.max(1, (p / top) * (lane.h - 4));
    g.fillRect(x, mid - h / 2, 1, h);
  }
}

function drawWarnings(byId) {
  const whole = (sp) => sp[0] <= 0.01 && sp[1] >= duration() - 0.01;
  for (const w of S.session.warnings) {
    const ids = w.lane === "moves" ? S.session.characters.map((c) => `moves:${c}`) : [w.lane];
    for (const id of ids) {
      const lane = byId[id];
      if (!lane) continue;
      lane.label.classList.add("warn");
      lane.label.title = (lane.label.title ? `${lane.label.title}\n` : "") + w.text;
      if (!lane.label.textContent.startsWith("⚠")) lane.label.textContent = `⚠ ${lane.label.textContent}`;
      for (const sp of w.spans) {
        if (whole(sp)) continue;
        const d = el("div", "warn-span", lane.div);
        d.style.left = `${xOf(sp[0])}px`;
        d.style.width = `${Math.max(2, xOf(sp[1]) - xOf(sp[0]))}px`;
        d.title = w.text;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------ side panel

function sectionName(i) {
  const sec = S.session.sections[i];
  return sec ? `${i} (${sec.label} ${sec.kind})` : String(i);
}

function describePin(p) {
  const who = p.character ? ` (${p.character})` : "";
  switch (p.type) {
    case "move": return `${p.move} at bar ${p.bar}${who}`;
    case "hold": return `hold${p.move ? ` ${p.move}` : ""} in section ${sectionName(p.section)}${who}`;
    case "energy": return `energy ${p.energy} in section ${sectionName(p.section)}${who}`;
    case "style": return `tags ${(p.tags || []).join(", ")} in section ${sectionName(p.section)}${who}`;
    case "lock": return `lock ${p.character} frames ${p.from_frame}-${p.to_frame}`;
    default: return JSON.stringify(p);
  }
}

function pinTime(p) {
  if (p.type === "move") return (S.bars.find((b) => b.bar === p.bar) || {t: 0}).t;
  if (p.type === "lock") return p.from_frame / fps();
  return (S.session.sections[p.section] || {start: 0}).start;
}

function drawSide() {
  const list = $("pins");
  list.textContent = "";
  const pins = S.session.pins.pins || [];
  if (!pins.length) el("li", "dim", list, "none yet: click a bar of a character's lane");
  pins.forEach((p, i) => {
    const li = el("li", "pin", list);
    el("span", "", li, describePin(p));
    li.onclick = () => seek(pinTime(p));
    const x = el("button", "x", li, "×");
    x.type = "button";
    x.title = "remove this pin";
    x.onclick = (ev) => { ev.stopPropagation(); removePin(i); };
  });
  const warnings = $("warnings");
  warnings.textContent = "";
  if (!S.session.warnings.length) el("li", "dim", warnings, "none");
  for (const w of S.session.warnings) {
    const li = el("li", "", warnings);
    el("span", "", li, `${w.source}: ${w.text}`);
    li.onclick = () => {
      seek(w.spans.length ? w.spans[0][0] : 0);
      for (const lane of document.querySelectorAll(".lane")) {
        const id = lane.dataset.lane;
        if (id === w.lane || (w.lane === "moves" && id.startsWith("moves:"))) {
          lane.classList.remove("flashlane");
          void lane.offsetWidth;
          lane.classList.add("flashlane");
        }
      }
    };
  }
  const s = S.session;
  $("song").textContent = s.song;
  $("tempo").textContent = `${s.tempo.bpm.toFixed(1)} BPM · ${s.meter.time_signature} · ${s.fps} fps · ` +
                           `${s.characters.join(", ")} (${s.ensemble}) · version ${s.version}`;
  $("undo").disabled = S.busy || !S.undo.length;
}

async function refreshFiles() {
  const files = await getJSON("/api/files");
  const ul = $("files");
  ul.textContent = "";
  for (const f of files) {
    const li = el("li", "", ul);
    const a = el("a", "", li, f.name);
    a.href = `/api/files/${encodeURIComponent(f.name)}`;
    a.download = f.name;
    el("span", "dim", li, ` · ${f.what} · ${(f.bytes / 1024).toFixed(0)} KiB`);
    if (f.stale) el("span", "stale", li, " · stale: made before the last pin change (rerun choreo run)");
  }
}

// ------------------------------------------------------------------------------------------------ pins

function pinsDoc() {
  return JSON.parse(JSON.stringify(S.session.pins.schema ? S.session.pins : {schema: "choreo.pins/1", pins: []}));
}

async function putPins(doc, undoable = true) {
  if (S.busy) return false;
  S.busy = true;
  drawSide();
  const before = S.session.pins, t0 = performance.now();
  status("re-solving…");
  try {
    const r = await fetch("/api/pins", {method: "PUT", body: JSON.stringify(doc),
                                        headers: {"Content-Type": "application/json",
                                                  "If-Match": `"${S.session.version}"`}});
    const body = await r.json();
    if (!r.ok) {
      if (r.status === 409) await resync(body.error);
      else status(body.error || `error ${r.status}`, "error");
      return false;
    }
    if (undoable) S.undo.push(before);
    applySession(body);
    dropFrames(body.changed);
    const frames = body.changed.reduce((n, [a, b]) => n + b - a, 0);
    status(`saved version ${body.version} in ${Math.round(performance.now() - t0)} ms: ${frames} frames changed`, "ok");
    refreshFiles();
    return true;
  } catch (e) {
    status(`the server does not answer (${e.message})`, "error");
    return false;
  } finally {
    S.busy = false;
    drawSide();
  }
}

// Another tab saved pins: take the server's session, forget this page's frames and undo steps.
async function resync(message) {
  S.undo = [];
  applySession(await getJSON("/api/session"));
  dropFrames([[0, S.session.duration_frames]]);
  status(message, "error");
}

function removePin(i) {
  const doc = pinsDoc();
  doc.pins.splice(i, 1);
  putPins(doc);
}

function undo() {
  if (!S.undo.length || S.busy) return;
  const doc = S.undo.pop();
  putPins(doc, false).then((ok) => { if (!ok) S.undo.push(doc); drawSide(); });
}

// Pins name a character only when the characters dance independently; otherwise the others follow the first.
const pinCharacter = (ch) => (S.session.ensemble === "independent" ? ch : undefined);
const lockCharacter = (ch) => (S.session.ensemble === "independent" ? ch : S.session.characters[0]);

function replacePin(match, pin) {
  const doc = pinsDoc();
  doc.pins = doc.pins.filter((p) => !match(p));
  if (pin) doc.pins.push(pin);
  return putPins(doc);
}

const sameCharacter = (p, ch) => (p.character || null) === (ch || null);

// ------------------------------------------------------------------------------------------------ popups

function place(popup, ev) {
  popup.hidden = false;
  popup.style.left = `${clamp(ev.clientX, 8, window.innerWidth - popup.offsetWidth - 8)}px`;
  popup.style.top = `${clamp(ev.clientY + 12, 8, window.innerHeight - popup.offsetHeight - 8)}px`;
}

function closePopups() {
  $("picker").hidden = true;
  $("section-menu").hidden = true;
}

const picker = {character: null, bar: null};

function openPicker(ch, bar, ev) {
  closePopups();
  Object.assign(picker, {character: pinCharacter(ch), bar: bar.bar});
  const who = picker.character ? ` for ${ch}` : (S.session.characters.length > 1 ? " (everyone follows)" : "");
  $("picker-title").textContent = `Pin a move at bar ${bar.bar}${who}`;
  $("picker-unpin").hidden = !existingMovePin();
  drawPickerList();
  place($("picker"), ev);
  $("picker-search").focus();
}

function existingMovePin() {
  return (S.session.pins.pins || []).find((p) => p.type === "move" && p.bar === picker.bar &&
                                                 sameCharacter(p, picker.character));
}

function drawPickerList() {
  const q = $("picker-search").value.trim().toLowerCase();
  const tag = $("picker-tag").value;
  const lo = Number($("picker-emin").value), hi = Number($("picker-emax").value);
  const ul = $("picker-list");
  ul.textContent = "";
  const hits = S.library.moves.filter((m) => m.energy >= lo - 1e-9 && m.energy <= hi + 1e-9 &&
    (!tag || m.tags.includes(tag)) &&
    (!q || m.name.toLowerCase().includes(q) || m.description.toLowerCase().includes(q) ||
     m.tags.some((t) => t.includes(q)) || m.styles.some((t) => t.includes(q))));
  $("picker-count").textContent = `${hits.length} moves`;
  for (const m of hits.slice(0, 300)) {
    const li = el("li", "", ul);
    li.dataset.move = m.name;
    el("strong", "", li, m.name);
    el("span", "tags", li, ` ${m.beats} beats · energy ${m.energy.toFixed(2)} · ${[...m.tags, ...m.styles].join(" ")}`);
    if (m.description) li.title = m.description;
    li.onclick = () => {
      closePopups();
      const pin = {type: "move", move: m.name, bar: picker.bar};
      if (picker.character) pin.character = picker.character;
      replacePin((p) => p.type === "move" && p.bar === picker.bar && sameCharacter(p, picker.character), pin);
    };
  }
}

const menu = {section: null};

function openSectionMenu(index, ev) {
  closePopups();
  menu.section = index;
  const sec = S.session.sections[index];
  $("section-title").textContent = `Section ${index}: ${sec.label} ${sec.kind} (${fmtTime(sec.start)}-${fmtTime(sec.end)})`;
  const energyPin = (S.session.pins.pins || []).find((p) => p.type === "energy" && p.section === index);
  $("energy-value").value = energyPin ? energyPin.energy : sec.energy.toFixed(2);
  $("energy-shown").textContent = Number($("energy-value").value).toFixed(2);
  const lockSel = $("lock-character");
  lockSel.textContent = "";
  const who = S.session.ensemble === "independent" ? S.session.characters : [S.session.characters[0]];
  for (const ch of who) el("option", "", lockSel, ch).value = ch;
  const ul = $("section-pins");
  ul.textContent = "";
  (S.session.pins.pins || []).forEach((p, i) => {
    if (p.section !== index) return;
    const li = el("li", "", ul, `${describePin(p)} `);
    const x = el("button", "x", li, "remove");
    x.type = "button";
    x.onclick = () => { closePopups(); removePin(i); };
  });
  place($("section-menu"), ev);
}

function sectionPin(type, fields) {
  closePopups();
  const index = menu.section;
  return replacePin((p) => p.type === type && p.section === index && !p.character,
                    fields ? {type, section: index, ...fields} : null);
}

function fillMenus() {
  const tagSel = $("picker-tag");
  for (const t of S.library.tags) el("option", "", tagSel, t).value = t;
  const hold = $("hold-move");
  for (const m of S.library.moves.filter((x) => x.hold)) el("option", "", hold, m.name).value = m.name;
  const tags = $("style-tags");
  for (const t of S.library.tags) {
    const label = el("label", "", tags);
    const box = el("input", "", label);
    box.type = "checkbox";
    box.value = t;
    label.append(` ${t} `);
  }
}

// ------------------------------------------------------------------------------------------------ input

function timeAt(ev) {
  const r = $("lanes").getBoundingClientRect();
  return clamp((ev.clientX - r.left) / S.pxPerS, 0, duration());
}

function laneOf(ev) {
  const lane = ev.target.closest(".lane");
  return lane ? lane.dataset.lane : null;
}

const drag = {lane: null, from: null, box: null, scrub: false};

function onPointerDown(ev) {
  const lane = laneOf(ev);
  if (!lane || ev.button !== 0) return;
  const t = timeAt(ev);
  if (lane === "grid" || lane === "waveform" || lane === "camera" || lane === "lighting") {
    drag.scrub = true;
    seek(barAt(t).t);
    return;
  }
  if (lane === "sections") {
    const b = ev.target.closest(".block.section");
    if (b) openSectionMenu(Number(b.dataset.section), ev);
    return;
  }
  if (lane.startsWith("moves:")) {
    if (ev.shiftKey || S.lockMode) {
      Object.assign(drag, {lane, from: barAt(t), box: el("div", "selecting", ev.target.closest(".lane"))});
      updateSelection(ev);
      ev.preventDefault();
    } else {
      openPicker(lane.slice("moves:".length), barAt(t), ev);
    }
    return;
  }
  seek(t);
}

function barEnd(bar) {
  const next = S.bars[S.bars.indexOf(bar) + 1];
  return next ? next.t : duration();
}

function updateSelection(ev) {
  const to = barAt(timeAt(ev));
  const a = Math.min(drag.from.t, to.t), b = Math.max(barEnd(drag.from), barEnd(to));
  drag.box.style.left = `${xOf(a)}px`;
  drag.box.style.width = `${xOf(b) - xOf(a)}px`;
  return [a, b];
}

function onPointerMove(ev) {
  if (drag.scrub && ev.buttons & 1) seek(barAt(timeAt(ev)).t);
  if (drag.box) updateSelection(ev);
}

function onPointerUp(ev) {
  drag.scrub = false;
  if (!drag.box) return;
  const [a, b] = updateSelection(ev);
  drag.box.remove();
  const ch = lockCharacter(drag.lane.slice("moves:".length));
  drag.box = null;
  const from = Math.round(a * fps()), to = Math.min(S.session.duration_frames - 1, Math.round(b * fps()) - 1);
  const doc = pinsDoc();
  doc.pins.push({type: "lock", character: ch, from_frame: from, to_frame: to});
  putPins(doc);
}

function onKey(ev) {
  if (ev.target.closest("input, select, textarea")) {
    if (ev.key === "Escape") closePopups();
    return;
  }
  if (ev.key === " ") { ev.preventDefault(); togglePlay(); }
  else if (ev.key === "Escape") closePopups();
  else if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
    ev.preventDefault();
    const i = S.bars.indexOf(barAt(now() + 1e-3));
    const bar = S.bars[clamp(i + (ev.key === "ArrowRight" ? 1 : -1), 0, S.bars.length - 1)];
    seek(bar.t);
  } else if ((ev.ctrlKey || ev.metaKey) && ev.key === "z") { ev.preventDefault(); undo(); }
}

function setZoom(px) {
  const sc = $("scroller");
  const centre = (sc.scrollLeft + sc.clientWidth / 2) / S.pxPerS;
  S.pxPerS = px;
  drawLanes();
  sc.scrollLeft = centre * S.pxPerS - sc.clientWidth / 2;
}

// ------------------------------------------------------------------------------------------------ main loop

function tick() {
  const t = now();
  const x = Math.round(xOf(t));
  if (x !== S.last.x) {
    $("playhead").style.left = `${x}px`;
    S.last.x = x;
    const sc = $("scroller");
    if (playing() && (x > sc.scrollLeft + 0.85 * sc.clientWidth || x < sc.scrollLeft)) {
      sc.scrollLeft = x - 0.15 * sc.clientWidth;
    }
  }
  const b = beatAt(t);
  const text = `${fmtTime(t)} · bar ${b.bar}:${b.beat} · frame ${frameAt(t)}`;
  if (text !== S.last.text) { $("clock").textContent = text; S.last.text = text; }
  $("play").textContent = playing() ? "❚❚ Pause" : "▶ Play";
  if (!S.session.audio && S.clock.playing && t >= duration()) S.clock.playing = false;
  showFrame(frameAt(t));
  requestAnimationFrame(tick);
}

function applySession(sess) {
  S.session = sess;
  S.bars = sess.beats.filter((b) => b.beat === 1);
  if (!S.bars.length) S.bars = [{t: 0, bar: 1, beat: 1, frame: 0}];
  drawLanes();
  drawSide();
  document.body.dataset.version = String(sess.version);
}

async function main() {
  const [sess, lib, wave] = await Promise.all([getJSON("/api/session"), getJSON("/api/library"),
                                               getJSON("/api/waveform")]);
  lib.byName = Object.fromEntries(lib.moves.map((m) => [m.name, m]));
  S.library = lib;
  S.peaks = wave;
  S.pxPerS = Number($("zoom").value);
  applySession(sess);
  fillMenus();
  if (sess.audio) audio.src = "/api/audio";
  window.reviewTimings = {lanesDrawn: performance.now()};
  document.body.dataset.ready = "1";
  requestAnimationFrame(tick);
  refreshFiles();

  $("play").onclick = togglePlay;
  $("undo").onclick = undo;
  $("lock-mode").onclick = () => {
    S.lockMode = !S.lockMode;
    $("lock-mode").setAttribute("aria-pressed", String(S.lockMode));
  };
  $("zoom").oninput = () => setZoom(Number($("zoom").value));
  $("lanes").addEventListener("pointerdown", onPointerDown);
  window.addEventListener("pointermove", onPointerMove);
  window.addEventListener("pointerup", onPointerUp);
  window.addEventListener("keydown", onKey);
  for (const id of ["picker-search", "picker-tag", "picker-emin", "picker-emax"]) $(id).oninput = drawPickerList;
  $("picker-remove").onclick = () => {
    closePopups();
    replacePin((p) => p.type === "move" && p.bar === picker.bar && sameCharacter(p, picker.character), null);
  };
  for (const b of document.querySelectorAll("[data-close]")) b.onclick = closePopups;
  $("energy-value").oninput = () => { $("energy-shown").textContent = Number($("energy-value").value).toFixed(2); };
  $("hold-set").onclick = () => {
    const move = $("hold-move").value;
    sectionPin("hold", move ? {move} : {});
  };
  $("energy-set").onclick = () => sectionPin("energy", {energy: Number($("energy-value").value)});
  $("style-set").onclick = () => {
    const tags = [...document.querySelectorAll("#style-tags input:checked")].map((b) => b.value);
    sectionPin("style", tags.length ? {tags} : null);
  };
  $("lock-section").onclick = () => {
    const sec = S.session.sections[menu.section];
    closePopups();
    const doc = pinsDoc();
    doc.pins.push({type: "lock", character: $("lock-character").value, from_frame: sec.start_frame,
                   to_frame: Math.min(sec.end_frame, S.session.duration_frames) - 1});
    putPins(doc);
  };
}

main().catch((e) => status(`cannot load the session: ${e.message}`, "error"));
