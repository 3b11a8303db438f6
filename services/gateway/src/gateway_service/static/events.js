// Events page of the console: events (list, create, publish, cancel), ticket types, invitations,
// registrations, the check-in desk (scan or search), figures and the cohort-reach heat map; for
// an alumnus, their tickets, calendar files and calendar feed. Served as /events.js under the
// console's CSP (no inline script or style, Trusted Types with no policy).
//
// Rule of this file, as of console.js: data is only ever rendered as text (`h()` builds
// elements with text nodes), never parsed as markup.
"use strict";

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (["hidden", "disabled", "value"].includes(key)) el[key] = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
const $ = (id) => document.getElementById(id);
const button = (text, onclick, attrs = {}) => h("button", {type: "button", onclick, ...attrs}, text);
function report(id, error) { $(id).textContent = error ? (error.message || String(error)) : ""; }

const LABELS = {
  status: {draft: "brouillon · draft", published: "publié · published", cancelled: "annulé · cancelled",
    completed: "terminé · completed"},
  registration: {registered: "inscrit · registered", attended: "présent · checked in", waitlisted: "liste d'attente · waitlisted",
    promoted: "place proposée · seat offered", pending_payment: "paiement en attente · payment pending",
    cancelled: "annulé · cancelled", invited: "invité · invited", interested: "intéressé · interested",
    declined: "décliné · declined"},
};
const label = (table, code) => Object.hasOwn(LABELS[table], code) ? LABELS[table][code] : code;
const DATE_TIME = new Intl.DateTimeFormat("fr-FR", {timeZone: "Europe/Paris", day: "2-digit", month: "2-digit",
  year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
const dateTime = (iso) => iso ? DATE_TIME.format(new Date(iso)) : "";
const percent = (rate) => rate === null || rate === undefined ? "—" : `${Math.round(rate * 1000) / 10} %`;

// -- token: as console.js (URL fragment, then sessionStorage of this tab) -------------------
const TOKEN_KEY = "alumni-token";
let token = "";
function setToken(value) {
  token = (value || "").trim();
  try { if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY); }
  catch (e) { /* storage disabled: memory only */ }
}
const hashParams = new URLSearchParams(location.hash.slice(1));
if (hashParams.get("token")) {
  setToken(hashParams.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
} else {
  try { token = sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { token = ""; }
}
$("token").value = token;
function claims() {
  try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch (e) { return {}; }
}
const isStaff = () => (claims().roles || []).some(r => r === "manager" || r === "admin");

async function api(path, options = {}) {
  const headers = Object.assign({"Authorization": "Bearer " + token}, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, {headers}));
  if (response.status === 204) return {};
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((body.title || response.status) + (body.detail ? " : " + body.detail : ""));
    error.status = response.status;
    throw error;
  }
  body.__status = response.status;
  return body;
}
const json = (method, body) => ({method, body: JSON.stringify(body),
  headers: {"Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID()}});
async function download(path, fallbackName) {
  const response = await fetch(path, {headers: {"Authorization": "Bearer " + token}});
  if (!response.ok) throw new Error(`${response.status}`);
  const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", {href: url, download: name, hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// A wall-clock time typed in the event's timezone → an ISO instant with its offset.
function zoned(local, timeZone) {
  const asUtc = new Date(local + ":00Z");
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {timeZone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"})
    .formatToParts(asUtc).map(p => [p.type, p.value]));
  const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return new Date(asUtc.getTime() - (shown - asUtc.getTime())).toISOString();
}

// -- events ---------------------------------------------------------------------------------
let current = null;  // the event open in the panels below
const title = (e) => e.title || e.title_en || "";

async function loadEvents() {
  try {
    const list = await api("/api/v1/events?include_drafts=true");
    $("events").replaceChildren(...list.items.map(e => h("tr", {dataset: {event: e.event_id}},
      h("td", {}, button(title(e), () => openEvent(e.event_id), {class: "link"})),
      h("td", {}, dateTime(e.starts_at)),
      h("td", {}, label("status", e.status)),
      h("td", {}, `${e.seats_taken} / ${e.capacity}`),
      h("td", {class: "nowrap"},
        e.status === "draft" ? button("Publier · Publish", () => act(e, "publish")) : null,
        e.status === "draft" || e.status === "published" ? button("Annuler · Cancel", () => cancelEvent(e)) : null,
        button(".ics", () => download(`/api/v1/events/${encodeURIComponent(e.event_id)}/calendar.ics`, "event.ics"))))));
    report("events-error");
  } catch (error) { report("events-error", error); }
}
async function act(e, action) {
  try { await api(`/api/v1/events/${encodeURIComponent(e.event_id)}/${action}`, json("POST", {})); await loadEvents(); }
  catch (error) { report("events-error", error); }
}
async function cancelEvent(e) {
  const reason = window.prompt("Motif de l'annulation · Reason for cancelling", "");
  if (!reason) return;
  try {
    await api(`/api/v1/events/${encodeURIComponent(e.event_id)}/cancel`, json("POST", {reason}));
    await loadEvents();
  } catch (error) { report("events-error", error); }
}

$("create-event").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const tz = f.get("timezone");
  const body = {title: f.get("title"), title_en: f.get("title_en") || null, timezone: tz,
    starts_at: zoned(f.get("starts_at"), tz), ends_at: zoned(f.get("ends_at"), tz), venue: f.get("venue") || "",
    capacity: Number(f.get("capacity")), status: f.get("status")};
  try {
    const created = await api("/api/v1/events", json("POST", body));
    report("create-error");
    ev.target.reset();
    await loadEvents();
    await openEvent(created.event_id);
  } catch (error) { report("create-error", error); }
});

async function openEvent(eventId) {
  try {
    current = await api(`/api/v1/events/${encodeURIComponent(eventId)}`);
    for (const id of ["event-panel", "registrations-panel", "desk-panel", "figures-panel"]) $(id).hidden = false;
    $("event-title").textContent = title(current);
    $("event-summary").textContent = `${dateTime(current.starts_at)} · ${current.venue || current.online_url || ""} · ` +
      `${label("status", current.status)} · ${current.seats_taken} / ${current.capacity}`;
    const euros = (minor) => (minor / 100).toLocaleString("fr-FR", {style: "currency", currency: "EUR"});
    $("ticket-types").replaceChildren(...current.ticket_types.map(t => h("tr", {},
      h("td", {}, t.name, t.name_en ? ` · ${t.name_en}` : ""), h("td", {}, euros(t.member_price_minor)),
      h("td", {}, euros(t.non_member_price_minor)), h("td", {}, t.quota ?? "—"), h("td", {}, t.max_guests))));
    report("event-error");
    $("desk-result").replaceChildren();
    await Promise.all([searchDesk(""), loadFigures(), loadRegistrations(false)]);
  } catch (error) { report("events-error", error); }
}

// -- registrations: the staff list, a page at a time (cursor), filtered by status -----------
// `?page_size=` on the page's URL changes the page (tests; 100 by default, at most 1000).
const REGISTRATION_PAGE = Math.min(1000, Number(new URLSearchParams(location.search).get("page_size")) || 100);
let registrationCursor = null;
let registrationLoads = 0;  // a slower, older load must not add rows to a newer list
async function loadRegistrations(more) {
  if (!current) return;
  const mine = ++registrationLoads;
  const params = new URLSearchParams({limit: String(REGISTRATION_PAGE)});
  const status = $("registrations-filter").elements.status.value;
  if (status) params.set("status", status);
  if (more && registrationCursor) params.set("after", registrationCursor);
  try {
    const r = await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/registrations?${params}`);
    if (mine !== registrationLoads) return;
    const rows = r.items.map(g => h("tr", {dataset: {registration: g.registration_id}},
      h("td", {}, g.member_id), h("td", {}, label("registration", g.status)), h("td", {}, g.guests || ""),
      h("td", {}, dateTime(g.registered_at)), h("td", {}, dateTime(g.waitlisted_at))));
    if (more) $("registrations").append(...rows); else $("registrations").replaceChildren(...rows);
    registrationCursor = r.next_cursor || null;
    $("registrations-more").hidden = !registrationCursor;
    const shown = $("registrations").children.length;
    $("registrations-count").textContent = registrationCursor ? `${shown} affichées · shown` : `${shown} au total · in all`;
    report("registrations-error");
  } catch (error) { report("registrations-error", error); }
}
$("registrations-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadRegistrations(false); });
$("registrations-more").addEventListener("click", () => loadRegistrations(true));

$("add-ticket-type").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!current) return;
  const f = new FormData(ev.target);
  const cents = (v) => Math.round(Number(v || 0) * 100);
  const keep = current.ticket_types.map(t => ({id: t.id, name: t.name, name_en: t.name_en, currency: t.currency,
    member_price_minor: t.member_price_minor, non_member_price_minor: t.non_member_price_minor, quota: t.quota,
    max_guests: t.max_guests}));
  const added = {name: f.get("name"), name_en: f.get("name_en") || null, member_price_minor: cents(f.get("member_price")),
    non_member_price_minor: cents(f.get("non_member_price")), quota: f.get("quota") ? Number(f.get("quota")) : null,
    max_guests: Number(f.get("max_guests") || 0), currency: "EUR"};
  try {
    await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/ticket-types`,
      json("PUT", {ticket_types: [...keep, added]}));
    ev.target.reset();
    await openEvent(current.event_id);
  } catch (error) { report("event-error", error); }
});

$("invite").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!current) return;
  const years = String(new FormData(ev.target).get("cohort_years")).split(/[ ,;]+/).filter(Boolean).map(Number);
  try {
    const r = await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/invitations`,
      json("POST", {segment: {cohort_years: years}}));
    $("event-error").textContent = `Invitations : ${r.invited ?? r.count ?? "ok"}`;
  } catch (error) { report("event-error", error); }
});

$("register-member").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!current) return;
  const f = new FormData(ev.target);
  try {
    const r = await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/registrations`,
      json("POST", {member_id: f.get("member_id"), guests: Number(f.get("guests") || 0)}));
    $("event-error").textContent = label("registration", r.status);
    ev.target.reset();
    await openEvent(current.event_id);
  } catch (error) { report("event-error", error); }
});

// -- the desk -------------------------------------------------------------------------------
function showResult(kind, ...text) {
  const box = $("desk-result");
  box.className = `desk-result ${kind}`;
  box.replaceChildren(...text);
}
async function checkIn(body) {
  if (!current) return;
  try {
    const r = await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/check-ins`, json("POST", body));
    const who = `${r.name || r.member_id || ""}${r.guests ? ` (+${r.guests})` : ""}`;
    if (r.status === "checked_in") showResult("ok", `✓ Bienvenue · Welcome ${who}`);
    else showResult("again", `⚠ Déjà enregistré·e à ${dateTime(r.checked_in_at)} · Already checked in: ${who}`);
    report("desk-error");
    await Promise.all([searchDesk($("desk-search").elements.q.value), loadFigures()]);
  } catch (error) {
    showResult("refused", `✗ ${error.message}`);
  }
}
$("scan").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("scan-code");
  const code = input.value.trim();
  input.value = "";
  if (code) await checkIn({code});
  input.focus();  // a barcode scanner types the next code here
});
let deskSearches = 0;  // a slower, older search must not overwrite a newer one
async function searchDesk(q) {
  if (!current) return;
  const mine = ++deskSearches;
  try {
    const r = await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/desk?limit=100&q=${encodeURIComponent(q)}`);
    if (mine !== deskSearches) return;
    $("attendees").replaceChildren(...r.items.map(a => h("tr", {dataset: {registration: a.registration_id}},
      h("td", {}, a.name || a.member_id || ""), h("td", {}, a.cohort), h("td", {}, label("registration", a.status)),
      h("td", {}, a.guests || ""),
      h("td", {}, a.status === "registered" && a.member_id
        ? button("Enregistrer · Check in", () => checkIn({member_id: a.member_id})) : null))));
    report("desk-error");
  } catch (error) { report("desk-error", error); }
}
$("desk-search").addEventListener("submit", (ev) => { ev.preventDefault(); searchDesk(ev.target.elements.q.value); });

// -- figures --------------------------------------------------------------------------------
async function loadFigures() {
  if (!current) return;
  try {
    const f = await api(`/api/v1/events/${encodeURIComponent(current.event_id)}/figures`);
    const item = (name, value) => h("div", {}, h("dt", {}, name), h("dd", {}, value));
    $("figures").replaceChildren(
      item("Invités · Invited", f.invited), item("Inscrits · Registered", f.registered),
      item("Liste d'attente · Waitlisted", f.waitlisted), item("Annulés · Cancelled", f.cancelled),
      item("Présents · Checked in", f.checked_in),
      item("Conversion invités → inscrits · Invited → registered", percent(f.conversion.rate)),
      item("Taux de présence · Show-up rate", percent(f.show_up.rate)));
    const rows = (list) => list.map(r => h("tr", {}, h("td", {}, r.key || "—"), h("td", {}, r.registered),
      h("td", {}, r.checked_in)));
    $("figures-cohort").replaceChildren(...rows(f.by_cohort));
    $("figures-program").replaceChildren(...rows(f.by_program));
    report("figures-error");
  } catch (error) { report("figures-error", error); }
}
async function loadReach() {
  try {
    const r = await api("/api/v1/event-figures/cohort-reach?months=12");
    const shade = (share) => share === null ? 0 : Math.min(5, Math.ceil(share * 5));
    $("heatmap").replaceChildren(...r.rows.map(c => h("div", {class: `cell heat-${shade(c.share)}`, role: "listitem",
      title: `${c.reached} / ${c.alumni}`, dataset: {year: c.graduation_year}},
      h("b", {}, c.graduation_year), percent(c.share), h("div", {}, `${c.reached} / ${c.alumni}`))));
    report("reach-error");
  } catch (error) { report("reach-error", error); }
}

// -- an alumnus: tickets, calendar files, feed ----------------------------------------------
async function loadMine() {
  try {
    const r = await api("/api/v1/me/registrations");
    $("mine").replaceChildren(...r.items.map(g => {
      const id = encodeURIComponent(g.registration_id);
      const seat = g.status === "registered" || g.status === "attended";
      return h("tr", {dataset: {registration: g.registration_id}},
        h("td", {}, g.event_title || g.event_id), h("td", {}, dateTime(g.event_starts_at)),
        h("td", {}, label("registration", g.status)),
        h("td", {class: "nowrap"},
          seat ? button("Billet · Ticket", () => showTicket(id)) : null,
          button(".ics", () => download(`/api/v1/registrations/${id}/calendar.ics`, "registration.ics"))));
    }));
    report("mine-error");
  } catch (error) { report("mine-error", error); }
}
async function showTicket(id) {
  try {
    const response = await fetch(`/api/v1/registrations/${id}/ticket.svg`, {headers: {"Authorization": "Bearer " + token}});
    if (!response.ok) throw new Error(`${response.status}`);
    const reader = new FileReader();
    reader.onload = () => $("ticket-preview").replaceChildren(h("img", {src: reader.result, alt: "Billet · Ticket"}),
      h("p", {}, button("Télécharger · Download", () => download(`/api/v1/registrations/${id}/ticket.svg`, "ticket.svg"))));
    reader.readAsDataURL(await response.blob());  // a data: image (the CSP allows img-src data:)
  } catch (error) { report("mine-error", error); }
}
$("issue-feed").addEventListener("click", async () => {
  try { $("feed-url").textContent = (await api("/api/v1/me/calendar-feed", json("POST", {}))).url; report("mine-error"); }
  catch (error) { report("mine-error", error); }
});
$("revoke-feed").addEventListener("click", async () => {
  try { await api("/api/v1/me/calendar-feed", {method: "DELETE"}); $("feed-url").textContent = "—"; }
  catch (error) { report("mine-error", error); }
});

function refresh() {
  const staff = isStaff();
  for (const el of document.querySelectorAll(".staff")) {
    if (!["event-panel", "desk-panel", "figures-panel"].includes(el.id)) el.hidden = !staff;
  }
  $("mine-panel").hidden = staff || !claims().member_id;
  if (staff) { loadEvents(); loadReach(); } else if (claims().member_id) loadMine();
}
$("token-form").addEventListener("submit", (ev) => { ev.preventDefault(); setToken($("token").value); refresh(); });
$("refresh-events").addEventListener("click", loadEvents);
$("refresh-figures").addEventListener("click", loadFigures);
$("refresh-reach").addEventListener("click", loadReach);
$("refresh-mine").addEventListener("click", loadMine);
refresh();
