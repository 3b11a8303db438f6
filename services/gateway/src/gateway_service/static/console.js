// Staff console. Served by the gateway as /console.js under a CSP without inline script.
//
// Rule of this file: data is only ever rendered as text. Elements are built with `h()`
// (createElement + textContent / text nodes), never by parsing markup, so a member called
// `<img src=x onerror=…>` is displayed as those characters. Listeners are attached here, never
// as inline `on…=` attributes (the CSP would block them anyway).
"use strict";

// -- DOM helpers --------------------------------------------------------------------------
// h("td", {class: "x", title: "y"}, child, "text", [more]) → element. Strings and numbers become
// text nodes; null/undefined/false are skipped; `on<event>` attributes are listeners; `hidden`,
// `checked`, `selected`, `disabled` and `value` are properties; anything else is setAttribute (a
// text value, never a URL built from data, never `style`).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (["hidden", "checked", "selected", "disabled", "value"].includes(key)) el[key] = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
const $ = (id) => document.getElementById(id);
const cell = (text) => h("td", {}, text);
const row = (values) => h("tr", {}, values.map(v => v instanceof Node ? h("td", {}, v) : cell(v)));
const button = (label, onclick, attrs = {}) => h("button", {type: "button", onclick, ...attrs}, label);
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
// Codes of the API shown to staff as bilingual labels; an unknown code is shown as it is.
const LABELS = {
  // import rows: status, decision, outcome of a commit (plural: they follow a count)
  status: {new: "nouveau · new", update: "mise à jour · update", unchanged: "inchangé · unchanged",
    review: "à vérifier · review", error: "erreur · error"},
  decision: {merge: "Fusionner · Merge", create: "Créer · Create", skip: "Ignorer · Skip"},
  outcomeFr: {created: "créé", updated: "mis à jour", unchanged: "inchangé", skipped: "ignoré", rejected: "rejeté",
    failed: "en échec"},  // French singular for 0 and 1, an "s" from 2 on (see `commitImport`)
  state: {uploaded: "envoyé · uploaded", validating: "vérification · validating", validated: "vérifié · validated",
    committing: "import en cours · importing", completed: "terminé · completed", failed: "échec · failed"},
  // member record: profile sections, who sees them, consent purposes and channels
  section: {email: "e-mail · email", phone: "téléphone · phone", photo: "photo", linkedin: "LinkedIn",
    location: "ville · location", career: "carrière · career", education: "formation · education"},
  visibility: {alumni: "alumni", managers: "service alumni · managers", hidden: "masqué · hidden"},
  purpose: {directory: "annuaire · directory", showcase: "vitrine · showcase", newsletter: "lettre d'information · newsletter",
    partners: "partenaires · partners", surveys: "enquêtes · surveys", fundraising: "collecte de fonds · fundraising"},
  channel: {web: "web", mobile: "mobile", console: "console", import: "import"},
  actor: {staff: "service alumni · staff", alumnus: "l'alumni · the alumnus"},
  deceased: {suggested: "signalé · suggested", confirmed: "confirmé · confirmed"},
  // dues: membership states and how a payment was made
  membership: {pending_payment: "en attente de paiement · pending payment", active: "à jour · active",
    in_grace: "période de grâce · in grace", lapsed: "échue · lapsed", lifetime: "à vie · lifetime",
    cancelled: "annulée · cancelled"},
  payMethod: {card: "carte · card", sepa_debit: "prélèvement SEPA · SEPA debit", cheque: "chèque · cheque",
    transfer: "virement · transfer", cash: "espèces · cash"},
  groupRole: {member: "membre · member", moderator: "modérateur · moderator", manager: "responsable · manager"},
  kind: {region: "régional · chapter", club: "club", cohort: "promotion · cohort"},
  policy: {open: "ouvert · open", invitation: "sur invitation · by invitation"},
  newsletterStatus: {draft: "brouillon · draft", scheduled: "programmée · scheduled", sending: "envoi en cours · sending",
    sent: "envoyée · sent", cancelled: "annulée · cancelled"},
  // import fields, for the mapping dropdowns
  field: {first_name: "Prénom · First name", last_name: "Nom · Last name", email: "E-mail · Email",
    program: "Programme · Program", graduation_year: "Promotion · Graduation year", usage_name: "Nom d'usage · Usage name",
    birth_name: "Nom de naissance · Birth name", birth_date: "Date de naissance · Birth date", phone: "Téléphone · Phone",
    locale: "Langue · Language", city: "Ville · City", country: "Pays · Country", employer: "Employeur · Employer",
    job_title: "Poste · Job title", sector: "Secteur · Sector", linkedin_url: "LinkedIn", degree: "Diplôme · Degree",
    campus: "Campus"},
};
const label = (table, code) => (code !== null && code !== undefined && Object.hasOwn(LABELS[table], code))
  ? LABELS[table][code] : code;
// Dates and times in the office's timezone (the tenant's: Europe/Paris), whatever the browser's: 02/12/2026 08:58.
const TENANT_TIMEZONE = "Europe/Paris";
const DATE_TIME = new Intl.DateTimeFormat("fr-FR", {timeZone: TENANT_TIMEZONE, day: "2-digit", month: "2-digit",
  year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
function dateTime(iso) {
  if (!iso) return iso;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  const p = Object.fromEntries(DATE_TIME.formatToParts(at).map(x => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}
// A cell of a table that becomes a card on narrow screens: `data-label` names the value there.
const labelled = (name, ...content) => h("td", {"data-label": name}, ...content);
function report(id, error) { $(id).textContent = error ? (error.message || String(error)) : ""; }

// -- token --------------------------------------------------------------------------------
// The bearer token lives in this variable. It arrives in the URL fragment (`#token=…`, which
// browsers never send to a server nor put in a Referer) and is removed from the address bar at
// once. It is also kept in sessionStorage so that reloading the tab keeps the session: that
// store is per tab, is emptied when the tab closes and is never written to a profile on disk
// for later sessions, unlike localStorage, which any later script of this origin could read
// for months. (A leftover token from the old console's localStorage is deleted.)
const TOKEN_KEY = "alumni-token";
let token = "";
try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled: nothing to clean */ }
function setToken(value) {
  token = (value || "").trim();
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* storage disabled: memory only */ }
}
const hashParams = new URLSearchParams(location.hash.slice(1));
const memberFromHash = hashParams.get("member");
if (hashParams.get("token")) {
  setToken(hashParams.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
} else {
  try { token = sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { token = ""; }
}
$("token").value = token;
$("token-form").addEventListener("submit", (ev) => { ev.preventDefault(); setToken($("token").value); refresh(); });
function tenant() {
  try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).tenant || "demo"; }
  catch (e) { return "demo"; }
}

async function api(path, options = {}) {
  const headers = Object.assign({"Authorization": "Bearer " + token}, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, {headers}));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((body.title || response.status) + (body.detail ? ": " + body.detail : ""));
    error.status = response.status;
    throw error;
  }
  return body;
}
const json = (method, body, extra = {}) => ({method, body: JSON.stringify(body),
  headers: Object.assign({"Content-Type": "application/json"}, extra)});
const once = () => ({"Idempotency-Key": crypto.randomUUID()});

// -- members: a page at a time, searched, newest first ------------------------------------
const members = {cursor: null, shown: 0, generation: 0};
function memberRow(m) {
  const name = m.first_name + " " + m.last_name + (m.ambassador ? " ★" : "");
  const menu = h("details", {class: "menu"},
    h("summary", {title: "Actions", "aria-label": "Actions"}, "⋯"),
    h("div", {},
      button("Fiche · Record", () => showRecord(m.member_id)),
      button("Export", () => exportMember(m.member_id)),
      button(m.ambassador ? "Révoquer ★ · Revoke ★" : "★ Ambassadeur · Ambassador", () => toggleAmbassador(m)),
      button("Vitrine · Showcase", () => editShowcase(m)),
      button("Effacer · Erase", () => eraseMember(m))));
  // Picking an action closes the menu.
  menu.addEventListener("click", (ev) => { if (ev.target.tagName === "BUTTON") menu.open = false; });
  menu.addEventListener("toggle", () => { if (menu.open) placeMenu(menu); });
  return h("tr", {},
    h("td", {title: name}, button(name, () => showRecord(m.member_id), {class: "link"})),
    h("td", {title: m.email}, m.email || NO_EMAIL),
    cell(m.cohort.program + " " + m.cohort.graduation_year),
    cell(m.locale),
    h("td", {}, menu));
}
// An open actions menu floats over the page (a scrolling table would clip it): placed under its
// button, kept inside the viewport, closed by a click elsewhere, Escape, scrolling or resizing.
function placeMenu(menu) {
  document.querySelectorAll("details.menu[open]").forEach(other => { if (other !== menu) other.open = false; });
  const anchor = menu.querySelector("summary").getBoundingClientRect(), box = menu.querySelector("div");
  const width = box.offsetWidth, height = box.offsetHeight;
  const below = anchor.bottom + 2 + height <= window.innerHeight;
  box.style.top = `${Math.max(4, below ? anchor.bottom + 2 : anchor.top - height - 2)}px`;
  box.style.left = `${Math.max(4, Math.min(anchor.right - width, window.innerWidth - width - 4))}px`;
}
function closeMenus(ev) {
  document.querySelectorAll("details.menu[open]").forEach(menu => {
    if (!ev || ev.type !== "click" || !menu.contains(ev.target)) menu.open = false;
  });
}
document.addEventListener("click", closeMenus);
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeMenus(); });
window.addEventListener("resize", () => closeMenus());
document.addEventListener("scroll", (ev) => { if (!(ev.target instanceof Node && ev.target.closest && ev.target.closest("details.menu"))) closeMenus(); }, true);

async function loadMembers(more = false) {
  const form = new FormData($("members-search"));
  const params = new URLSearchParams({limit: "50", order: form.get("order") || "newest"});
  const q = String(form.get("q") || "").trim();
  if (q) params.set("q", q);
  if (more && members.cursor) params.set("after", members.cursor);
  const generation = more ? members.generation : ++members.generation;
  report("members-error");
  $("members").setAttribute("aria-busy", "true");
  try {
    const page = await api("/api/v1/members?" + params);
    if (generation !== members.generation) return;  // a newer search started meanwhile
    const rows = page.items.map(memberRow);
    if (more) append($("members"), rows); else $("members").replaceChildren(...rows);
    members.shown = (more ? members.shown : 0) + rows.length;
    members.cursor = page.next_cursor || null;
    $("members-more").hidden = !members.cursor;
    $("members-count").textContent = members.shown
      ? `${members.shown} affichés · shown${members.cursor ? "" : " (fin · end)"}` : "aucun · none";
  } catch (e) { report("members-error", e); }
  if (generation === members.generation) $("members").setAttribute("aria-busy", "false");
}
$("members-search").addEventListener("submit", (ev) => { ev.preventDefault(); loadMembers(false); });
$("members-search").elements.order.addEventListener("change", () => loadMembers(false));
let searchTimer = null;
$("members-search").elements.q.addEventListener("input", () => {
  clearTimeout(searchTimer); searchTimer = setTimeout(() => loadMembers(false), 300);
});
$("members-more").addEventListener("click", () => loadMembers(true));
$("refresh-members").addEventListener("click", () => loadMembers(false));

// -- member record -------------------------------------------------------------------------
const NO_EMAIL = "— (sans e-mail · no email)";
// Data-hygiene flags of a record (`hygiene`), shown as badges: the flag as the API names it, explained.
const HYGIENE = {
  "missing-email": "sans e-mail : ne peut être contacté par e-mail · no email: cannot be contacted by email",
  "email-bounced": "e-mail en erreur · email bounces",
  "mail-returned": "courrier retourné (NPAI) · mail returned",
};
const badge = (flag) => h("span", {class: "badge", title: HYGIENE[flag] || flag, dataset: {flag}}, flag);
function line(label, value) {
  return h("div", {}, h("b", {}, label + " : "), value === null || value === undefined || value === "" ? "—" : String(value));
}
async function showRecord(id) {
  const panel = $("record-panel"), box = $("record");
  report("record-error");
  try {
    const [m, ledger] = await Promise.all([api(`/api/v1/members/${encodeURIComponent(id)}`),
      api(`/api/v1/members/${encodeURIComponent(id)}/consents`)]);
    panel.hidden = false;
    const columns = ["Finalité · Purpose", "Choix · Choice", "Texte · Text", "Canal · Channel", "Par · By", "Date"];
    const history = ledger.history.slice().reverse().map(r => h("tr", {}, [label("purpose", r.purpose),
      r.granted ? "accordé · granted" : "retiré · withdrawn", `${r.text_version} (${r.language})`, label("channel", r.channel),
      label("actor", r.actor_role), h("time", {datetime: r.at, title: r.at}, dateTime(r.at))].map((v, i) => labelled(columns[i], v))));
    const actions = h("div", {});
    if (m.deceased === "suggested") {
      actions.append(button("Confirmer le décès · Confirm death", async () => {
        if (!confirm("Confirmer le décès ? / Confirm the death?")) return;
        try {
          await api(`/api/v1/members/${encodeURIComponent(id)}/deceased-confirmation`, {method: "POST"});
          showRecord(id); loadMembers(false);
        } catch (e) { report("record-error", e); }
      }));
    }
    if (m.email) {  // a member imported without an email has none to mark as bouncing
      actions.append(button(m.email_bounced ? "Email valide · Email works" : "Email en erreur · Email bounces", async () => {
        try {
          await api(`/api/v1/members/${encodeURIComponent(id)}`, json("PATCH", {version: m.version, email_bounced: !m.email_bounced}));
          showRecord(id);
        } catch (e) { report("record-error", e); }
      }));
    }
    const hygiene = (m.hygiene || []).map(badge);
    if (m.deceased !== "no") hygiene.push(h("span", {class: "badge"}, `décès · deceased: ${label("deceased", m.deceased)}`));
    box.replaceChildren(
      line("Nom · Name", [m.first_name, m.usage_name || m.last_name].join(" ") + (m.birth_name ? ` (née · born ${m.birth_name})` : "")),
      line("Emails", m.email === null || !m.emails.length ? NO_EMAIL
        : m.emails.map(e => e.address + (e.primary ? " (principal · primary)" : "")).join(", ")),
      line("Téléphone · Phone", m.phone), line("Ville · City", [m.city, m.country].filter(Boolean).join(", ")),
      line("Promotions · Cohorts", m.education.map(e => `${e.program} ${e.graduation_year}`).join(", ")),
      line("Carrière · Career", m.career.map(p => `${p.job_title} · ${p.employer}${p.end ? " (→ " + p.end + ")" : ""}`).join("; ")),
      line("Annuaire · Directory", m.listed_in_directory ? "oui · yes" : "non · no"),
      line("Visibilité · Visibility", Object.entries(m.visibility).map(([k, v]) => `${label("section", k)} : ${label("visibility", v)}`).join(", ")),
      line("Vitrine · Showcase", m.showcase ? (m.showcase_published ? "publiée · published" : "non publiée · not published") : null),
      line("Ambassadeur · Ambassador", m.ambassador ? (m.ambassador.cities.concat(m.ambassador.programs).join(", ") || "tout le réseau · whole network") : null),
      h("div", {id: "record-hygiene"}, h("b", {}, "Hygiène · Hygiene : "), hygiene.length ? hygiene : "—"),
      line("Version", m.version),
      h("h3", {}, "Registre des consentements · Consent ledger"),
      h("div", {class: "scroll"}, h("table", {id: "consent-ledger", class: "cards"},
        h("thead", {}, h("tr", {}, columns.map(t => h("th", {}, t)))), h("tbody", {}, history))),
      actions);
    // Loaded on demand: most members have no dues membership, and a 404 per record opened
    // would be noise (the API answers 404 for "none").
    const dues = h("div", {id: "record-membership"});
    dues.append(button("Cotisation · Dues", async () => { dues.replaceChildren(); await showMembership(id, dues); }));
    box.append(dues);
    panel.scrollIntoView({block: "nearest"});
  } catch (e) { report("record-error", e); }
}
$("close-record").addEventListener("click", () => { $("record-panel").hidden = true; });

async function toggleAmbassador(m) {
  report("members-error");
  try {
    if (m.ambassador) {
      await api(`/api/v1/members/${encodeURIComponent(m.member_id)}/ambassador`, {method: "DELETE"});
    } else {
      const cities = prompt("Villes couvertes (séparées par des virgules) · Cities covered (comma-separated)", m.city || "");
      if (cities === null) return;
      await api(`/api/v1/members/${encodeURIComponent(m.member_id)}/ambassador`,
        json("PUT", {cities: cities.split(",").map(c => c.trim()).filter(Boolean)}));
    }
    loadMembers(false); searchDirectory(false);
  } catch (e) { report("members-error", e); }
}
async function editShowcase(m) {
  // The office writes the text on the alumnus' behalf; publication needs their consent, which the
  // office records only when given on paper (fields, channels and end date are those of the form).
  report("members-error");
  const quote = prompt(`Citation de ${m.first_name} · ${m.first_name}'s quote`, (m.showcase || {}).quote || "");
  if (quote === null) return;
  try {
    await api(`/api/v1/members/${encodeURIComponent(m.member_id)}/showcase`, json("PUT", {quote}));
    const until = prompt("Consentement papier reçu ? Date de fin (AAAA-MM-JJ), vide sinon · Paper consent received? End date (YYYY-MM-DD), empty otherwise", "");
    if (until) {
      await api(`/api/v1/members/${encodeURIComponent(m.member_id)}/consents/showcase`, json("PUT", {
        granted: true, text_version: "vitrine-papier", language: m.locale, channel: "console",
        scope: {fields: ["name", "cohort", "quote", "employer"], channels: ["website", "brochures"], expires_at: until + "T23:59:59Z"}}));
    }
    loadShowcase();
  } catch (e) { report("members-error", e); }
}
async function exportMember(id) {
  try {
    const data = await api(`/api/v1/members/${encodeURIComponent(id)}/export`);
    const link = h("a", {download: `member-${id}.json`});
    link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], {type: "application/json"}));
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (e) { report("members-error", e); }
}
async function eraseMember(m) {
  const out = $("erasure");
  if (!confirm(`Effacer définitivement ${m.first_name} ${m.last_name} de tous les services ? / Erase ${m.first_name} ${m.last_name} from every service, for good?`)) return;
  try {
    let status = await api(`/api/v1/members/${encodeURIComponent(m.member_id)}/erasure`, {method: "POST", headers: once()});
    loadMembers(false);
    while (status.status !== "completed") {
      const waiting = Object.entries(status.confirmations).filter(([, at]) => !at).map(([s]) => s);
      out.textContent = `Effacement ${status.erasure_id} en cours · in progress — attend · waiting for: ${waiting.join(", ")} (échéance · deadline ${dateTime(status.deadline)})`;
      await sleep(1000);
      status = await api(`/api/v1/erasures/${encodeURIComponent(status.erasure_id)}`);
    }
    out.textContent = `Effacement ${status.erasure_id} terminé · completed ${dateTime(status.completed_at)}`;
  } catch (e) { out.textContent = e.message; }
}

// -- directory -----------------------------------------------------------------------------
let directoryCursor = null;
async function searchDirectory(more) {
  const form = new FormData($("directory"));
  const params = new URLSearchParams();
  for (const [k, v] of form.entries()) { if (String(v).trim()) params.set(k, String(v).trim()); }
  if (more && directoryCursor) params.set("cursor", directoryCursor);
  report("directory-error");
  try {
    const page = await api("/api/v1/directory?" + params);
    const rows = page.items.map(e => row([
      e.first_name + " " + e.last_name + (e.usage_name ? " (" + e.usage_name + ")" : "") + (e.ambassador ? " ★" : ""),
      e.cohorts.map(c => c.program + " " + c.graduation_year).join(", "),
      e.email || "—",
      (e.career || []).filter(p => !p.end).map(p => p.job_title + " · " + p.employer).join(", ") || "—",
      e.city || "—"]));
    if (more) append($("directory-results"), rows); else $("directory-results").replaceChildren(...rows);
    directoryCursor = page.next_cursor || null;
    $("directory-more").hidden = !directoryCursor;
  } catch (e) { report("directory-error", e); }
}
$("directory").addEventListener("submit", (ev) => { ev.preventDefault(); searchDirectory(false); });
$("directory-more").addEventListener("click", () => searchDirectory(true));

// -- sectors -------------------------------------------------------------------------------
let sectorsVersion = 0;
async function loadSectors() {
  report("sectors-error");
  try {
    const list = await api("/api/v1/sectors");
    sectorsVersion = list.version;
    $("sectors").value = list.sectors.map(x => `${x.code};${x.label_fr};${x.label_en}`).join("\n");
    $("sectors-version").textContent = list.version ? `version ${list.version}` : "liste par défaut · default list";
  } catch (e) { report("sectors-error", e); }
}
$("save-sectors").addEventListener("click", async () => {
  report("sectors-error");
  const sectors = $("sectors").value.split("\n").map(l => l.trim()).filter(Boolean).map(l => {
    const [code, label_fr, label_en] = l.split(";").map(x => (x || "").trim());
    return {code, label_fr, label_en};
  });
  try {
    await api("/api/v1/sectors", json("PUT", {version: sectorsVersion, sectors}));
    loadSectors();
  } catch (e) { report("sectors-error", e); }
});
$("refresh-sectors").addEventListener("click", loadSectors);

// -- import --------------------------------------------------------------------------------
let currentImport = null;
const FIELDS = ["first_name", "last_name", "email", "program", "graduation_year", "usage_name", "birth_name", "birth_date",
  "phone", "locale", "city", "country", "employer", "job_title", "sector", "linkedin_url", "degree", "campus"];
// Dates of the report, with the timezone named.
function localTime(iso) {
  return iso ? `${dateTime(iso)} (${TENANT_TIMEZONE})` : null;
}
function bar(done, total) {
  const pct = total ? Math.floor(100 * done / total) : 100;
  return [h("progress", {max: "100", value: String(pct)}), ` ${done}/${total} (${pct}%)`];
}
$("import-upload").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target), file = f.get("file");
  report("import-error"); $("import-report").replaceChildren(); $("import-progress").replaceChildren();
  const params = new URLSearchParams({filename: file.name});
  if (f.get("encoding")) params.set("encoding", f.get("encoding"));
  if (f.get("delimiter")) params.set("delimiter", f.get("delimiter"));
  try {
    currentImport = await api("/api/v1/imports?" + params, {method: "POST", body: file, headers: {"Content-Type": "text/csv"}});
    showMapping(currentImport);
  } catch (e) { report("import-error", e); }
});
// A cell and what was understood of it: `Promo 2011-2012 → 2012`, or the cell alone when unchanged.
function understood(cellText, value) {
  if (value === undefined || value === null || String(value) === cellText) return cellText;
  return `${cellText} → ${value}`;
}
// Errors then warnings of a row, as lines of text (the warnings marked ⚠).
const problems = (r) => [(r.errors || []).map(e => h("div", {class: "error"}, e)),
  (r.warnings || []).map(w => h("div", {class: "warn"}, "⚠ " + w))];
const MAPPING_COLUMNS = ["Colonne · Column", "Champ · Field", "Exemple → compris · Sample → understood"];
function showMapping(job) {
  const sample = job.sample || [], required = job.required_fields || [];
  const first = sample[0] || {cells: [], values: {}};
  const rows = job.columns.map((column, i) => {
    const select = h("select", {dataset: {column}, "aria-label": column},
      h("option", {value: ""}, "(ignorée · ignored)"),
      FIELDS.map(f => h("option", {value: f, selected: job.mapping[column] === f},
        label("field", f) + (required.includes(f) ? " *" : ""))));
    select.addEventListener("change", missingFields);
    const field = job.mapping[column];
    return h("tr", {}, labelled(MAPPING_COLUMNS[0], column), labelled(MAPPING_COLUMNS[1], select),
      labelled(MAPPING_COLUMNS[2], understood(first.cells[i] || "", field ? (first.values || {})[field] : undefined)));
  });
  // The first rows as read with the suggested mapping: each cell with what it becomes, and what is wrong.
  const head = h("tr", {}, h("th", {}, "Ligne · Line"), job.columns.map(c => h("th", {}, c)),
    h("th", {}, "Erreurs, avertissements · Errors, warnings"));
  const preview = sample.map(r => h("tr", {class: (r.errors || []).length ? "rejected" : null},
    cell(r.line),
    job.columns.map((column, i) => {
      const field = job.mapping[column];
      return cell(understood(r.cells[i] || "", field ? (r.values || {})[field] : undefined));
    }),
    h("td", {}, problems(r))));
  $("import-mapping").replaceChildren(
    h("p", {}, `${job.total} lignes · rows — ${job.encoding}, « ${job.delimiter} »`),
    h("p", {}, "Champs requis · Required fields (*) : ", required.map(f => label("field", f)).join(", "),
      " — l'e-mail est facultatif · email is optional ", h("span", {id: "import-missing", class: "error"})),
    h("div", {class: "scroll"}, h("table", {id: "import-columns", class: "cards"},
      h("thead", {}, h("tr", {}, MAPPING_COLUMNS.map(t => h("th", {}, t)))),
      h("tbody", {}, rows))),
    h("div", {hidden: !sample.length}, h("h3", {}, "Premières lignes, comprises avec le rapprochement proposé · First rows, as understood with the suggested mapping"),
      h("div", {class: "scroll"}, h("table", {id: "import-sample"}, h("thead", {}, head), h("tbody", {}, preview)))),
    button("Vérifier (simulation) · Validate (dry run)", validateImport));
  missingFields();
}
// Required fields no column is mapped to yet (the dry run would refuse the mapping).
function missingFields() {
  const mapped = new Set([...document.querySelectorAll("#import-mapping select")].map(s => s.value).filter(Boolean));
  const missing = ((currentImport || {}).required_fields || []).filter(f => !mapped.has(f));
  const out = $("import-missing");
  if (out) out.textContent = missing.length ? `manquants · missing: ${missing.map(f => label("field", f)).join(", ")}` : "";
}
async function follow(id, until) {
  while (true) {
    const job = await api(`/api/v1/imports/${encodeURIComponent(id)}`);
    $("import-progress").replaceChildren(`${label("state", job.state)} `, ...bar(job.done, job.total));
    if (job.state === "failed") throw new Error(`Échec de l'import · Import failed: ${job.failure || "?"}`);
    if (until.includes(job.state)) return job;
    await sleep(700);
  }
}
async function validateImport() {
  const mapping = {};
  document.querySelectorAll("#import-mapping select").forEach(s => { if (s.value) mapping[s.dataset.column] = s.value; });
  report("import-error");
  try {
    await api(`/api/v1/imports/${encodeURIComponent(currentImport.import_id)}/mapping`, json("PUT", {mapping}));
    await showReport(await follow(currentImport.import_id, ["validated"]));
  } catch (e) { report("import-error", e); }
}
// What a dry run or a commit left: rejected rows (count, the first failures by line, the download)
// and until when the report is kept.
function rejectedReport(job, withFailures = true) {
  const parts = [h("p", {id: "import-rejected"}, `Rejetées · Rejected: ${job.rejected || 0}`,
    job.report_expires_at ? ` — rapport conservé jusqu'au · report kept until ${localTime(job.report_expires_at)}` : "")];
  if (job.rejected && job.rejected_csv) {
    parts.push(button("Télécharger les lignes rejetées (CSV) · Download the rejected rows (CSV)",
      () => downloadRejected(job), {id: "import-rejected-csv"}));
  }
  if (withFailures && (job.failures || []).length) {
    parts.push(h("div", {class: "scroll", id: "import-failures"}, job.failures.map(f => h("div", {class: "error"}, f))));
  }
  return parts;
}
// The rejected rows need the bearer token, so no plain link: fetched with the Authorization header,
// then saved from a Blob through a temporary `<a download>` (a download, not a navigation: the CSP
// needs no `blob:` for it). Only an API path of this origin is fetched with the token.
async function downloadRejected(job) {
  report("import-error");
  try {
    const path = String(job.rejected_csv);
    if (!path.startsWith("/api/v1/imports/")) throw new Error("rejected_csv: " + path);
    const response = await fetch(path, {headers: {"Authorization": "Bearer " + token}});
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error((body.title || response.status) + (body.detail ? ": " + body.detail : ""));
    }
    const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const blob = await response.blob();
    const link = h("a", {download: named ? named[1] : "rejected.csv", hidden: true});
    link.href = URL.createObjectURL(new Blob([blob], {type: "text/csv"}));
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (e) { report("import-error", e); }
}
function importRow(r, status, job) {
  const values = Object.entries(r.values || {}).map(([k, v]) => `${k}: ${v}`).join(", ");
  const tr = h("tr", {class: (r.warnings || []).length ? "warned" : null},
    labelled(IMPORT_COLUMNS[0], `ligne · line ${r.line}`),
    labelled(IMPORT_COLUMNS[1], h("span", {dataset: {status: r.status}}, label("status", r.status))),
    labelled(IMPORT_COLUMNS[2], values), labelled(IMPORT_COLUMNS[3], problems(r), r.reason ? h("div", {}, r.reason) : null));
  if (status === "review") {
    tr.append(h("td", {class: "decisions", "data-label": IMPORT_COLUMNS[4]}, ["merge", "create", "skip"].filter(d => d !== "merge" || r.match_member_id).map(d =>
      button(label("decision", d) + (r.decision === d ? " ✓" : ""), async () => {
        try {
          await api(`/api/v1/imports/${encodeURIComponent(job.import_id)}/rows/${encodeURIComponent(r.line)}/decision`,
            json("PUT", {decision: d}));
          await showReport(await api(`/api/v1/imports/${encodeURIComponent(job.import_id)}`));
        } catch (e) { report("import-error", e); }
      }, {dataset: {decision: d}, "aria-pressed": r.decision === d ? "true" : "false"}))));
  }
  return tr;
}
const IMPORT_COLUMNS = ["Ligne · Line", "Statut · Status", "Valeurs · Values", "Problèmes · Problems", "Décision · Decision"];
const IMPORT_SECTIONS = {error: "Erreurs · Errors", review: "À vérifier · To review", warned: "Avertissements · Warnings"};
async function showReport(job) {
  const c = job.counts, parts = [];
  parts.push(h("p", {id: "import-counts"}, `Simulation · Dry run: ${c.new || 0} nouveaux · new, ${c.update || 0} mises à jour · updates, ` +
    `${c.unchanged || 0} inchangés · unchanged, ${c.review || 0} à vérifier · to review, ${c.error || 0} erreurs · errors, ` +
    `${c.warned || 0} avec avertissement · with warnings`));
  const base = `/api/v1/imports/${encodeURIComponent(job.import_id)}/rows?limit=50`;
  for (const status of ["error", "review", "warned"]) {
    // Warnings (e.g. a formula cell, kept as text) are on rows of any status: the first rows of the
    // file that carry one, besides the errors and reviews listed above.
    if (status === "warned" && !c.warned) continue;
    const page = await api(status === "warned" ? base.replace("limit=50", "limit=200") : `${base}&status=${status}`);
    const items = status === "warned"
      ? page.items.filter(r => (r.warnings || []).length && !["error", "review"].includes(r.status)) : page.items;
    if (!items.length) continue;
    const more = page.next_after_line ? " (premières lignes · first rows)" : "";
    parts.push(h("h3", {}, IMPORT_SECTIONS[status] + more),
      h("div", {class: "scroll"}, h("table", {dataset: {status}, class: "cards"},
        h("thead", {}, h("tr", {}, IMPORT_COLUMNS.slice(0, status === "review" ? 5 : 4).map(t => h("th", {}, t)))),
        h("tbody", {}, items.map(r => importRow(r, status, job))))));
  }
  parts.push(rejectedReport(job, false));  // the rejected rows' errors are in the table above
  parts.push(h("label", {}, h("input", {type: "checkbox", id: "import-skip"}),
    " ignorer les lignes non décidées · skip undecided rows"), " ", button("Importer · Commit", commitImport));
  $("import-report").replaceChildren(...parts.flat());
}
async function commitImport() {
  report("import-error");
  const undecided = $("import-skip").checked ? "skip" : "refuse";
  try {
    await api(`/api/v1/imports/${encodeURIComponent(currentImport.import_id)}/commit`, json("POST", {undecided}, once()));
    const job = await follow(currentImport.import_id, ["completed"]);
    const outcomes = Object.entries(job.counts).filter(([k]) => k.startsWith("outcome_")).map(([k, v]) => [v, k.slice(8)]);
    const fr = outcomes.map(([v, k]) => {
      const word = label("outcomeFr", k);
      return `${v} ${word}${v > 1 && /[ée]$/.test(word) ? "s" : ""}`;
    }).join(", ");
    const en = outcomes.map(([v, k]) => `${v} ${k}`).join(", ");
    $("import-report").replaceChildren(h("p", {id: "import-done"}, `Terminé : ${fr} · Done: ${en}`),
      ...rejectedReport(job));
    loadMembers(false);
  } catch (e) { report("import-error", e); }
}

// -- groups --------------------------------------------------------------------------------
async function loadGroups() {
  report("groups-error");
  try {
    const page = await api("/api/v1/groups");
    $("groups").replaceChildren(...page.items.map(g => row([button(g.name, () => showGroup(g.group_id), {class: "link"}),
      label("kind", g.kind), label("policy", g.policy)])));
  } catch (e) { report("groups-error", e); }
}
async function showGroup(id) {
  try {
    const g = await api(`/api/v1/groups/${encodeURIComponent(id)}`);
    const names = g.members.map(m => `${m.first_name} ${m.last_name}${m.role !== "member" ? " (" + label("groupRole", m.role) + ")" : ""}`);
    $("group-members").replaceChildren(h("h3", {}, g.group.name), h("p", {}, names.join(", ") || "—"));
  } catch (e) { report("groups-error", e); }
}
$("group-create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await api("/api/v1/groups", json("POST", {name: f.get("name"), kind: f.get("kind"), policy: f.get("policy")}, once()));
    ev.target.reset(); loadGroups();
  } catch (e) { report("groups-error", e); }
});
$("refresh-groups").addEventListener("click", loadGroups);

// -- dues: membership plans and a member's membership ------------------------------------------
const euros = (minor, currency) => `${(minor / 100).toFixed(2)} ${currency}`;
// Editing a plan makes a new revision (members keep theirs until they renew). The form edits
// name, kind, price and instalments; every other term of the plan is sent back as it is (a PUT
// replaces the terms: what the form does not show must not be reset).
const TERMS = ["name", "description", "kind", "price_minor", "currency", "period_months", "instalments",
  "instalment_interval_months", "grace_days", "legal_entity", "tax_deductible_minor", "max_years_since_graduation",
  "free_first_year_within_years"];
const planForm = {editing: null, entities: []};
// The receiving legal entity is picked from fundraising's registry (its stable id numbers the
// receipts); the plan keeps the entity's name as display text, and the entity's `dues_plans`
// says which plans' dues it receives and their tax-deductible share (what receipts read).
const KEEP_ENTITY = "__current__";
function planEntityOptions(p) {
  const owner = p ? planForm.entities.find(e => p.plan_id in e.dues_plans) : null;
  const options = [h("option", {value: ""}, "— Organisme : aucun · Legal entity: none —")];
  if (p && p.legal_entity && !owner) {  // a name typed before the registry: kept unless another is picked
    options.push(h("option", {value: KEEP_ENTITY}, `${p.legal_entity} (hors registre · not in the registry)`));
  }
  options.push(...planForm.entities.map(e => h("option", {value: e.legal_entity_id},
    `${e.name}${e.may_issue_receipts ? "" : " (sans reçus · no receipts)"}`)));
  $("plan-entity").replaceChildren(...options);
  $("plan-entity").value = owner ? owner.legal_entity_id : (p && p.legal_entity ? KEEP_ENTITY : "");
}
async function loadPlanEntities() {
  try { planForm.entities = (await api("/api/v1/legal-entities")).items; }
  catch (e) { planForm.entities = []; }  // no registry reachable: plans still work, without an entity
  planEntityOptions(planForm.editing);
}
// After a plan is saved: the chosen entity receives its dues (with the share), no other does.
async function syncPlanEntity(planId, entityId, deductibleMinor) {
  for (const e of planForm.entities) {
    const plans = Object.assign({}, e.dues_plans);
    if (e.legal_entity_id === entityId) plans[planId] = deductibleMinor || 0;
    else if (planId in plans) delete plans[planId];
    else continue;
    if (JSON.stringify(plans) === JSON.stringify(e.dues_plans)) continue;
    const body = Object.assign({}, e, {dues_plans: plans});
    await api(`/api/v1/legal-entities/${encodeURIComponent(e.legal_entity_id)}`, json("PUT", body));
  }
}
function editPlan(p) {
  const form = $("plan-create");
  planForm.editing = p;
  form.elements.name.value = p.name;
  form.elements.kind.value = p.kind;
  form.elements.price.value = (p.price_minor / 100).toFixed(2);
  form.elements.instalments.value = String(p.instalments);
  planEntityOptions(p);
  form.elements.deductible.value = p.tax_deductible_minor ? (p.tax_deductible_minor / 100).toFixed(2) : "";
  form.querySelector("button[type=submit]").textContent = `Enregistrer la version ${p.revision + 1} · Save revision ${p.revision + 1}`;
  $("plan-edit-cancel").hidden = false;
  form.elements.name.focus();
}
function resetPlanForm() {
  const form = $("plan-create");
  planForm.editing = null;
  form.reset();
  planEntityOptions(null);
  form.querySelector("button[type=submit]").textContent = "Créer · Create";
  $("plan-edit-cancel").hidden = true;
}
$("plan-edit-cancel").addEventListener("click", () => { report("plans-error"); resetPlanForm(); });
async function loadPlans() {
  report("plans-error");
  try {
    const page = await api("/api/v1/membership-plans?include_retired=true");
    await loadPlanEntities();
    $("plans").replaceChildren(...page.items.map(p => row([p.name + (p.retired ? " (retirée · retired)" : ""),
      p.kind === "lifetime" ? "à vie · lifetime" : "annuelle · annual", euros(p.price_minor, p.currency),
      String(p.instalments), String(p.revision),
      p.retired ? "" : h("span", {class: "nowrap"}, button("Modifier · Edit", () => editPlan(p), {class: "plan-edit"}),
        // Retiring takes a second click: no undo, and no new member may join afterwards.
        button("Retirer · Retire", async (ev) => {
          const b = ev.currentTarget;
          if (!b.dataset.confirm) {
            b.dataset.confirm = "1";
            b.textContent = "Confirmer le retrait · Confirm retire";
            return;
          }
          try {
            await api(`/api/v1/membership-plans/${encodeURIComponent(p.plan_id)}/retire`, {method: "POST"});
            loadPlans();
          } catch (e) { report("plans-error", e); }
        }, {class: "plan-retire"}))])));
  } catch (e) { report("plans-error", e); }
}
$("plan-create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("plans-error");
  const f = new FormData(ev.target);
  try {
    const edited = {name: f.get("name"), kind: f.get("kind"), price_minor: Math.round(Number(f.get("price")) * 100)};
    edited.instalments = f.get("kind") === "lifetime" ? Number(f.get("instalments") || 1) : 1;
    const entityId = f.get("legal_entity_id") || "";
    const entity = planForm.entities.find(e => e.legal_entity_id === entityId);
    const deductible = (f.get("deductible") || "").trim();
    edited.tax_deductible_minor = deductible === "" ? 0 : Math.round(Number(deductible) * 100);
    if (entityId !== KEEP_ENTITY) edited.legal_entity = entity ? entity.name : null;
    const p = planForm.editing;
    let saved;
    if (p) {
      // The plan answers "" for an optional text it does not have; the request spells it null.
      const body = Object.fromEntries(TERMS.map(k => [k, p[k] === "" ? null : p[k]]));
      Object.assign(body, edited);
      saved = await api(`/api/v1/membership-plans/${encodeURIComponent(p.plan_id)}`, json("PUT", body, once()));
    } else {
      saved = await api("/api/v1/membership-plans", json("POST", Object.assign(edited, {currency: "EUR"}), once()));
    }
    if (entityId !== KEEP_ENTITY && saved && saved.plan_id) {
      await syncPlanEntity(saved.plan_id, entityId, edited.tax_deductible_minor);
    }
    resetPlanForm(); loadPlans();
  } catch (e) { report("plans-error", e); }
});
$("refresh-plans").addEventListener("click", loadPlans);
async function showMembership(id, box) {
  let m;
  try {
    m = await api(`/api/v1/members/${encodeURIComponent(id)}/membership`);
  } catch (e) {
    // 404 is "no membership"; anything else (refused, timeout) is an error, not "none".
    box.append(e.status === 404 ? line("Cotisation · Dues", "aucune · none")
      : h("div", {class: "error", id: "record-membership-error"}, e.message || String(e)));
    return;
  }
  const until = m.status === "lifetime" ? "à vie · lifetime" : (m.paid_until ? dateTime(m.paid_until) : null);
  const of = (n, total) => n ? ` (${n}/${total})` : "";
  const payment = p => [dateTime(p.paid_at), euros(p.amount_minor, p.currency) + of(p.instalment, m.instalments),
    label("payMethod", p.method), p.reference ? `réf. · ref. ${p.reference}` : "",
    p.refunded_minor ? `remboursé · refunded ${euros(p.refunded_minor, p.currency)}` : "",
    p.applied ? "" : `non appliqué · not applied${p.note ? ": " + p.note : ""}`].filter(Boolean).join(" — ");
  const certificate = ["active", "in_grace", "lifetime"].includes(m.status)
    ? h("p", {}, ...["fr", "en"].map(lang => button(`Attestation (${lang.toUpperCase()}) · Certificate`,
      () => downloadCertificate(id, lang, box), {"data-lang": lang}))) : "";
  box.append(h("div", {},
    line("Cotisation · Dues", `${m.plan_name} — ${label("membership", m.status)}${m.status_reason ? " (" + m.status_reason + ")" : ""}`),
    line("Payée jusqu'au · Paid until", until),
    m.instalments > 1 ? line("Échéances payées · Instalments paid", `${m.paid_instalments}/${m.instalments}`) : "",
    m.missed_instalment ? line("Échéance manquée · Missed instalment", `${m.missed_instalment}/${m.instalments}`) : "",
    m.due ? line("À régler · Due", euros(m.due.amount_minor, m.due.currency) + of(m.due.instalment, m.due.instalments)) : "",
    m.last_failure ? line("Dernier échec · Last failure", `${dateTime(m.last_failure.at)} — ${m.last_failure.reason}`) : "",
    h("b", {}, "Paiements · Payments : "),
    m.payments.length ? h("ul", {class: "membership-payments"}, m.payments.map(p => h("li", {}, payment(p)))) : "—",
    certificate));
}
// A PDF is fetched with the token and saved from a Blob (a download: no `blob:` in the CSP).
async function savePdf(url, fallbackName) {
  const response = await fetch(url, {headers: {"Authorization": "Bearer " + token}});
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error((body.title || response.status) + (body.detail ? ": " + body.detail : ""));
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  const link = h("a", {download: named ? named[1] : fallbackName, hidden: true});
  link.href = URL.createObjectURL(new Blob([await response.blob()], {type: "application/pdf"}));
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
// A member's certificate, for staff.
async function downloadCertificate(id, lang, box) {
  try {
    await savePdf(`/api/v1/members/${encodeURIComponent(id)}/membership/certificate?lang=${lang}`,
      `attestation-${lang}.pdf`);
  } catch (e) { box.append(h("div", {class: "error"}, e.message || String(e))); }
}

// -- dues KPIs by cohort and program (definitions: README, "Dues KPIs") -------------------------
const KPI_COLUMNS = [
  ["key", "Promotion · Cohort"], ["alumni", "Alumni"], ["contactable", "Joignables · Contactable"],
  ["members", "Cotisants · Members"], ["participation", "Participation"],
  ["participation_contactable", "Participation (joignables · contactable)"], ["renewal", "Renouvellement · Renewal"],
  ["conversion", "Conversion jeunes diplômés · New-graduate conversion"], ["lifetime_share", "Part à vie · Lifetime share"],
  ["reactivation", "Réactivation · Reactivation"]];
const percent = (r) => r.rate === null ? "—" : `${(r.rate * 100).toFixed(1)} %`;
function kpiValue(row, key) {
  const v = row[key];
  if (v && typeof v === "object") return h("span", {title: `${v.numerator} / ${v.denominator}`}, percent(v));
  if (key === "key") return row.key === "*" ? "Total" : (row.key || "(sans promotion · no cohort)");
  return String(v);
}
function kpiTable(id, data, firstLabel) {
  const columns = [[KPI_COLUMNS[0][0], firstLabel], ...KPI_COLUMNS.slice(1)];
  const body = [...data.rows, data.total].map(r => h("tr", {class: r.key === "*" ? "total" : null},
    columns.map(([key, name]) => labelled(name, kpiValue(r, key)))));
  $(id).replaceChildren(h("thead", {}, h("tr", {}, columns.map(([, name]) => h("th", {}, name)))),
    h("tbody", {}, body));
}
// One bar per cohort: participation (members ÷ alumni of record). SVG built element by element.
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}
function kpiChart(data) {
  const rows = data.rows.filter(r => r.alumni > 0);
  const bar = 22, gap = 6, labelWidth = 64, width = 360, chartWidth = width - labelWidth - 56;
  const height = Math.max(1, rows.length) * (bar + gap);
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", width: "100%",
    "aria-label": "Participation par promotion · Participation by cohort"});
  rows.forEach((r, i) => {
    const y = i * (bar + gap), rate = r.participation.rate || 0;
    const g = svg("g", {class: "bar", "data-cohort": r.key});
    g.append(svg("title", {}, `${r.key || "—"}: ${r.members} / ${r.alumni}`));
    g.append(svg("text", {x: labelWidth - 6, y: y + bar * 0.7, "text-anchor": "end"}, r.key || "—"));
    g.append(svg("rect", {x: labelWidth, y, width: Math.max(1, rate * chartWidth), height: bar, rx: 3}));
    g.append(svg("text", {x: labelWidth + Math.max(1, rate * chartWidth) + 4, y: y + bar * 0.7, class: "value"},
      percent(r.participation)));
    chart.append(g);
  });
  $("kpi-chart").replaceChildren(chart);
}
function defaultPeriod() {
  const f = $("kpi-period");
  if (f.elements.from_month.value) return;
  const now = new Date(), to = now.toISOString().slice(0, 7);
  f.elements.to_month.value = to;
  f.elements.from_month.value = `${now.getUTCFullYear() - 1}-${to.slice(5)}`;
}
async function loadKpis() {
  report("kpi-error");
  defaultPeriod();
  const f = $("kpi-period");
  const q = (by) => `/api/v1/membership-kpis?by=${by}&from_month=${encodeURIComponent(f.elements.from_month.value)}` +
    `&to_month=${encodeURIComponent(f.elements.to_month.value)}`;
  try {
    const [byCohort, byProgram] = await Promise.all([api(q("cohort")), api(q("program"))]);
    kpiTable("kpi-cohort", byCohort, "Promotion · Cohort");
    kpiTable("kpi-program", byProgram, "Programme · Program");
    kpiChart(byCohort);
    $("kpi-revenue").replaceChildren(
      h("thead", {}, h("tr", {}, ["Mois · Month", "Formule · Plan", "Montant · Amount"].map(x => h("th", {}, x)))),
      h("tbody", {}, byCohort.revenue.map(x => h("tr", {}, labelled("Mois · Month", x.month),
        labelled("Formule · Plan", x.plan_name || x.plan_id), labelled("Montant · Amount", euros(x.amount_minor, x.currency))))));
  } catch (e) { report("kpi-error", e); }
}
$("kpi-period").addEventListener("submit", (ev) => { ev.preventDefault(); loadKpis(); });
$("refresh-kpis").addEventListener("click", loadKpis);

// -- my membership (an alumnus): join → pay on the provider's page → status → certificate -------
const STATUS_TEXT = {pending_payment: "en attente de paiement · awaiting payment", active: "active · active",
  in_grace: "période de grâce · grace period", lapsed: "expirée · lapsed", lifetime: "à vie · lifetime",
  cancelled: "annulée · cancelled"};
function claims() {
  try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch (e) { return {}; }
}
// The membership itself loads on demand (↻), after a join, and on the way back from the payment
// page: an alumnus without one gets a 404, which browsers log as an error on every page load.
async function loadMyMembership(show = new URLSearchParams(location.search).has("checkout")) {
  report("my-membership-error");
  const box = $("my-membership");
  // Only an account linked to a member has a membership of its own (an alumnus; staff use the record).
  $("my-membership-panel").hidden = !claims().member_id;
  if (!claims().member_id) return;
  try {
    const plans = await api("/api/v1/membership-plans");
    $("my-membership-plan").replaceChildren(...plans.items.map(p => h("option", {value: p.plan_id},
      `${p.name} — ${euros(p.price_minor, p.currency)}${p.instalments > 1 ? " (" + p.instalments + "×)" : ""}`)));
  } catch (e) { report("my-membership-error", e); }
  if (!show) {
    box.replaceChildren(h("p", {}, "↻ : afficher ma cotisation · show my membership"));
    return;
  }
  const response = await fetch("/api/v1/me/membership", {headers: {"Authorization": "Bearer " + token}});
  if (response.status === 404) {
    box.replaceChildren(h("p", {}, "Pas encore adhérent · Not a member yet"));
    return;
  }
  const m = await response.json().catch(() => ({}));
  if (!response.ok) { box.replaceChildren(); report("my-membership-error", new Error(m.title || response.status)); return; }
  const until = m.status === "lifetime" ? "à vie · lifetime" : (m.paid_until ? dateTime(m.paid_until) : null);
  box.replaceChildren(
    line("Formule · Plan", m.plan_name),
    h("div", {id: "my-membership-status"}, line("Statut · Status", STATUS_TEXT[m.status] || m.status)),
    line("Payée jusqu'au · Paid until", until),
    m.grace_until && m.status === "in_grace" ? line("Grâce jusqu'au · Grace until", dateTime(m.grace_until)) : "",
    m.instalments > 1 ? line("Échéances · Instalments", `${m.paid_instalments}/${m.instalments}`) : "",
    m.due ? line("À régler · Due", euros(m.due.amount_minor, m.due.currency)) : "",
    m.last_failure ? line("Dernier échec · Last failure", m.last_failure.reason) : "");
}
$("my-membership-join").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("my-membership-error");
  try {
    const back = location.origin + location.pathname;
    const joined = await api("/api/v1/me/membership",
      json("POST", {plan_id: $("my-membership-plan").value, return_url: back}, once()));
    const target = $("my-membership-checkout");
    if (joined.checkout && /^https?:\/\//.test(joined.checkout.url)) {
      const link = h("a", {id: "my-membership-pay", rel: "noopener"}, "Payer · Pay " + euros(joined.due.amount_minor, joined.due.currency));
      link.href = joined.checkout.url;
      target.replaceChildren(link);
    } else {
      target.replaceChildren("Rien à régler (première année offerte) · Nothing to pay (first year free)");
    }
    loadMyMembership(true);
  } catch (e) { report("my-membership-error", e); }
});
// My own certificate (an alumnus).
async function downloadMyCertificate(lang) {
  report("my-membership-error");
  try {
    await savePdf(`/api/v1/me/membership/certificate?lang=${lang}`, `attestation-${lang}.pdf`);
  } catch (e) { report("my-membership-error", e); }
}
$("my-certificate-fr").addEventListener("click", () => downloadMyCertificate("fr"));
$("my-certificate-en").addEventListener("click", () => downloadMyCertificate("en"));
$("refresh-my-membership").addEventListener("click", () => loadMyMembership(true));

// -- showcase ------------------------------------------------------------------------------
async function loadShowcase() {
  report("showcase-error");
  try {
    const channel = $("showcase-channel").value;
    const response = await fetch(`/api/v1/public/${encodeURIComponent(tenant())}/showcase?channel=${encodeURIComponent(channel)}`);
    const page = await response.json();
    if (!response.ok) throw new Error(page.title || response.status);
    $("showcase").replaceChildren(...page.items.map(e => {
      const who = [e.first_name, e.last_name].filter(Boolean).join(" ") || "(anonyme · anonymous)";
      const cohort = e.cohort ? ` — ${e.cohort.program} ${e.cohort.graduation_year}` : "";
      const job = e.employer ? ` — ${e.job_title || ""} ${e.employer}` : "";
      return h("div", {}, h("hr"), h("p", {}, `${who}${cohort}${job}`), h("blockquote", {}, e.quote || e.story || ""));
    }));
  } catch (e) { report("showcase-error", e); }
}
$("refresh-showcase").addEventListener("click", loadShowcase);
$("showcase-channel").addEventListener("change", loadShowcase);

// -- development mailbox: the newest page, then only what is new -----------------------------
const MAIL_PAGE = 50, MAIL_KEEP = 500;
const mail = {newest: 0, oldest: null};
const mailRow = (m) => h("tr", {}, h("td", {class: "nowrap"}, h("time", {datetime: m.received_at, title: m.received_at},
  dateTime(m.received_at))), cell((m.to || []).join(", ")), cell(m.subject), cell(m.message_id),
  h("td", {}, button("Voir · View", () => showMail(m), {class: "mail-view"})));
// An email's HTML is shown in a frame loaded from the gateway's short-lived view URL, served
// sandboxed (no script, an opaque origin): it is never parsed as markup in the console itself.
async function showMail(m) {
  $("mail-preview").hidden = false;
  $("mail-preview-subject").textContent = m.subject;
  const unsubscribe = m.list_unsubscribe ? ` · List-Unsubscribe: ${m.list_unsubscribe} (${m.list_unsubscribe_post})` : "";
  $("mail-preview-meta").textContent = `${(m.to || []).join(", ")} · ${m.language || "?"}${unsubscribe}`;
  $("mail-preview-text").textContent = m.body || "";
  try {
    const view = await api(`/api/v1/dev/mailbox/${encodeURIComponent(m.id)}/view`);
    $("mail-preview-html").src = view.url;
  } catch (e) { report("mail-error", e); }
}
function trimMail() {
  const tbody = $("mail");
  while (tbody.children.length > MAIL_KEEP) tbody.lastElementChild.remove();
}
async function loadMail(reset = false) {
  report("mail-error");
  try {
    if (reset || !mail.newest) {
      const box = await api(`/api/v1/dev/mailbox?limit=${MAIL_PAGE}`);
      $("mail").replaceChildren(...box.messages.slice().reverse().map(mailRow));
      mail.newest = box.messages.length ? box.messages[box.messages.length - 1].id : 0;
      mail.oldest = box.messages.length ? box.messages[0].id : null;
      $("mail-count").textContent = `${box.count} messages`;
    } else {
      // Only messages after the newest one shown, a page at a time until caught up.
      let box;
      do {
        box = await api(`/api/v1/dev/mailbox?after=${mail.newest}&limit=${MAIL_PAGE}`);
        if (box.messages.length) {
          $("mail").prepend(...box.messages.slice().reverse().map(mailRow));
          mail.newest = box.messages[box.messages.length - 1].id;
          if (mail.oldest === null) mail.oldest = box.messages[0].id;
        }
      } while (box.messages.length === MAIL_PAGE);
      trimMail();
      $("mail-count").textContent = `${box.count} messages`;
    }
    $("mail-older").hidden = !(mail.oldest > 1) || $("mail").children.length >= MAIL_KEEP;
  } catch (e) { report("mail-error", e); }
}
$("mail-older").addEventListener("click", async () => {
  try {
    const box = await api(`/api/v1/dev/mailbox?before=${mail.oldest}&limit=${MAIL_PAGE}`);
    append($("mail"), box.messages.slice().reverse().map(mailRow));
    if (box.messages.length) mail.oldest = box.messages[0].id;
    $("mail-older").hidden = !(mail.oldest > 1) || $("mail").children.length >= MAIL_KEEP;
  } catch (e) { report("mail-error", e); }
});
$("refresh-mail").addEventListener("click", () => loadMail(true));

// -- community (issue 14): mutual aid -----------------------------------------------------------
// An alumnus asks for help, answers requests offered to them, opts in as a helper; staff see the
// outcome figures (groups under 5 arrive suppressed from the service and are shown as such).
const HELP_TOPICS = {career_change: "Reconversion · Career change", first_job: "Premier emploi · First job",
  industry: "Un secteur · An industry", company: "Une entreprise · A company", relocation: "Mobilité · Relocation",
  other: "Autre · Other"};
const HELP_STATUS = {open: "en attente d'aidant · waiting for a helper", offered: "proposée · offered",
  accepted: "acceptée · accepted", met: "rencontre faite · met", outcome_reported: "bilan fait · outcome reported",
  declined: "déclinée · declined", expired: "expirée · expired"};
const HELP_OUTCOMES = {helped: "Aidé · Helped", partly: "En partie · Partly", not_helped: "Pas aidé · Not helped"};
const helpLabel = (table, code) => Object.hasOwn(table, code) ? table[code] : code;
const helpContact = (r) => r.contact
  ? `${r.contact.first_name} ${r.contact.last_name}${r.contact.email ? " — " + r.contact.email : ""}` : "—";
async function helpAction(path, body) {
  report("help-error");
  try { await api(path, json("POST", body, once())); await loadHelp(); } catch (e) { report("help-error", e); }
}
function myHelpRow(r) {
  const base = `/api/v1/help-requests/${encodeURIComponent(r.request_id)}`;
  const actions = [];
  if (r.status === "accepted") actions.push(button("Nous nous sommes vus · We met", () => helpAction(base + "/met", {})));
  if (r.status === "accepted" || r.status === "met") {
    for (const [code, text] of Object.entries(HELP_OUTCOMES)) {
      actions.push(button(text, () => helpAction(base + "/outcome", {outcome: code}), {class: "help-outcome", dataset: {outcome: code}}));
    }
  }
  return h("tr", {dataset: {request: r.request_id}}, cell(dateTime(r.created_at)), cell(helpLabel(HELP_TOPICS, r.topic)),
    h("td", {class: "help-status"}, helpLabel(HELP_STATUS, r.status)), h("td", {class: "help-contact"}, helpContact(r)),
    h("td", {}, actions));
}
function offeredRow(r) {
  const base = `/api/v1/help-requests/${encodeURIComponent(r.request_id)}`;
  const mine = (r.offers || [])[0];
  const actions = mine && mine.status === "pending" && r.status === "offered"
    ? [button("Accepter · Accept", () => helpAction(base + "/answer", {accept: true}), {class: "help-accept"}),
       button("Décliner · Decline", () => helpAction(base + "/answer", {accept: false}), {class: "help-decline"})]
    : [];
  const from = `${r.requester_first_name}${r.requester_cohort_year ? " (" + r.requester_cohort_year + ")" : ""}`;
  return h("tr", {dataset: {request: r.request_id}}, cell(dateTime(r.created_at)), cell(from),
    cell(`${helpLabel(HELP_TOPICS, r.topic)} — ${r.summary}`),
    h("td", {class: "help-status"}, helpLabel(HELP_STATUS, r.status)), h("td", {class: "help-contact"}, helpContact(r)),
    h("td", {}, actions));
}
async function loadHelperProfile() {
  const box = $("helper-topics");
  if (!box.querySelector("input")) {
    append(box, Object.entries(HELP_TOPICS).map(([code, text]) =>
      h("label", {}, h("input", {type: "checkbox", name: "topics", value: code}), " ", text)));
  }
  const p = await api("/api/v1/me/helper-profile");
  if (!p.opted_in) { $("helper-status").textContent = "Pas encore aidant · Not a helper yet"; return; }
  const form = $("helper-profile");
  for (const input of form.querySelectorAll("input[name=topics]")) input.checked = p.topics.includes(input.value);
  form.elements.monthly_capacity.value = p.monthly_capacity;
  form.elements.sector.value = p.sector;
  form.elements.city.value = p.city;
  form.elements.active.checked = p.active;
  $("helper-status").textContent = `${p.active ? "Disponible · Available" : "Indisponible · Unavailable"} — ` +
    `${p.offers_this_month}/${p.monthly_capacity} ce mois-ci · this month`;
}
async function loadHelp() {
  const linked = Boolean(claims().member_id);
  $("help-panel").hidden = !linked;
  if (!linked) return;
  report("help-error");
  try {
    const [mine, offered] = await Promise.all([api("/api/v1/help-requests?scope=mine"),
      api("/api/v1/help-requests?scope=offered")]);
    $("help-mine").replaceChildren(...mine.items.map(myHelpRow));
    $("help-offered").replaceChildren(...offered.items.map(offeredRow));
    await loadHelperProfile();
  } catch (e) { report("help-error", e); }
}
$("help-ask").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("help-error");
  const f = new FormData(ev.target);
  const body = {topic: f.get("topic"), summary: f.get("summary"),
    target: {sector: f.get("sector") || "", city: f.get("city") || ""}};
  try { await api("/api/v1/help-requests", json("POST", body, once())); ev.target.reset(); await loadHelp(); }
  catch (e) { report("help-error", e); }
});
$("helper-profile").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("help-error");
  const form = ev.target;
  const body = {topics: [...form.querySelectorAll("input[name=topics]:checked")].map(i => i.value),
    monthly_capacity: Number(form.elements.monthly_capacity.value), sector: form.elements.sector.value,
    city: form.elements.city.value, active: form.elements.active.checked};
  try { await api("/api/v1/me/helper-profile", json("PUT", body, once())); await loadHelperProfile(); }
  catch (e) { report("help-error", e); }
});
$("refresh-help").addEventListener("click", loadHelp);
const helpRate = (x) => x === null || x === undefined ? "—" : `${(x * 100).toFixed(0)} %`;
function helpFigureRow(r) {
  const suppressed = "< 5 (masqué · suppressed)";
  const statuses = r.by_status ? Object.entries(r.by_status).map(([k, n]) => `${helpLabel(HELP_STATUS, k)}: ${n}`).join(", ") : "";
  return h("tr", {dataset: {group: r.group}, class: r.suppressed ? "suppressed" : null},
    cell(r.group === "all" ? "Toutes · All" : r.group === "unknown" ? "Inconnue · Unknown" : r.group),
    cell(r.suppressed ? suppressed : r.requests), cell(statuses), cell(helpRate(r.acceptance_rate)),
    cell(r.median_hours_to_first_answer === null || r.median_hours_to_first_answer === undefined ? "—"
      : `${r.median_hours_to_first_answer} h`));
}
async function loadHelpFigures() {
  const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
  $("help-figures-panel").hidden = !staff;
  if (!staff) return;
  report("help-figures-error");
  try {
    const f = await api("/api/v1/help-requests/figures");
    $("help-figures").replaceChildren(helpFigureRow(f.total), ...f.by_cohort.map(helpFigureRow),
      ...(f.by_program || []).map(helpFigureRow));
    $("help-helpers").textContent = f.helpers_active === null ? "Aidants : moins de 5 · Helpers: fewer than 5"
      : `Aidants actifs · Active helpers: ${f.helpers_active} — proches de leur capacité · near capacity: ${f.helpers_near_capacity}`;
  } catch (e) { report("help-figures-error", e); }
}
$("refresh-help-figures").addEventListener("click", loadHelpFigures);

// -- community (issue 14): mentoring programs ------------------------------------------------------
// An alumnus enrols as mentor or mentee, picks a mentor in a self-selected program, answers a
// match, records check-ins and closes with the survey; managers create and open programs, see
// the suggested pairs with the explanation of their score, confirm them, and read the figures
// (groups under 5 arrive suppressed from the service and are shown as such).
const MENTORING_TOPICS = {first_job: "Premier emploi · First job", career_change: "Reconversion · Career change",
  industry: "Un secteur · An industry", company: "Une entreprise · A company", relocation: "Mobilité · Relocation",
  entrepreneurship: "Entrepreneuriat · Entrepreneurship", leadership: "Management · Leadership",
  networking: "Réseau · Networking", other: "Autre · Other"};
const MENTORING_STATUS = {pending: "en attente du mentor · waiting for the mentor", active: "en cours · active",
  completed: "terminé · completed", abandoned: "abandonné · abandoned", draft: "brouillon · draft",
  open: "ouvert · open", closed: "clos · closed"};
const MENTORING_MODE = {manager: "confirmé par le service · manager-confirmed", mentee: "choisi par le mentoré · mentee's pick"};
const MENTORING_CRITERIA = {topics: "sujets · topics", sector: "secteur · sector", city: "ville · city",
  language: "langue · language", capacity: "places · room"};
const mentoringLabel = (table, code) => Object.hasOwn(table, code) ? table[code] : code;
const mentoringWhy = (reasons) => reasons.map(r => `${mentoringLabel(MENTORING_CRITERIA, r.criterion)}: ${r.detail} (+${r.points})`).join(" ; ");
const mentoring = {programs: [], selected: null, suggestionsOf: null};
function programName(p) { return p ? `${p.name_fr} · ${p.name_en}` : ""; }
async function mentoringAction(path, body, method = "POST", errorBox = "mentoring-error") {
  report(errorBox);
  try { const r = await api(path, json(method, body, once())); return r; } catch (e) { report(errorBox, e); return null; }
}
function mentorshipRow(m) {
  const base = `/api/v1/mentoring/mentorships/${encodeURIComponent(m.mentorship_id)}`;
  const program = mentoring.programs.find(p => p.program_id === m.program_id);
  const other = m.my_role === "mentor" ? m.mentee_first_name : m.mentor_first_name;
  const actions = [];
  if (m.status === "pending" && m.my_role === "mentor") {
    actions.push(button("Accepter · Accept", async () => { if (await mentoringAction(base + "/answer", {accept: true})) loadMentoring(); }, {class: "mentoring-accept"}),
      button("Décliner · Decline", async () => { if (await mentoringAction(base + "/answer", {accept: false})) loadMentoring(); }, {class: "mentoring-decline"}));
  }
  if (m.status === "active") {
    actions.push(button("Point d'étape · Check-in", () => { mentoring.selected = m.mentorship_id; $("mentoring-checkin").hidden = false; $("mentoring-close").hidden = true; }, {class: "mentoring-checkin"}));
  }
  const answered = (m.surveys || []).some(s => s.role === m.my_role);
  if (m.status === "active" || m.status === "pending" || ((m.status === "completed" || m.status === "abandoned") && !answered)) {
    actions.push(button(m.status === "active" || m.status === "pending" ? "Clore · Close" : "Mon bilan · My survey",
      () => { mentoring.selected = m.mentorship_id; $("mentoring-close").hidden = false; $("mentoring-checkin").hidden = true; }, {class: "mentoring-close"}));
  }
  const contact = m.contact ? `${m.contact.first_name} ${m.contact.last_name}${m.contact.email ? " — " + m.contact.email : ""}` : "—";
  const notes = (m.check_ins || []).map(c => h("div", {}, `${c.on} — ${c.note}`));
  return h("tr", {dataset: {mentorship: m.mentorship_id}}, cell(programName(program)),
    cell(`${other} (${m.my_role === "mentor" ? "mentoré·e · mentee" : "mentor"})`),
    h("td", {class: "mentoring-status"}, mentoringLabel(MENTORING_STATUS, m.status)),
    h("td", {class: "mentoring-contact"}, contact), h("td", {class: "mentoring-notes"}, notes), h("td", {}, actions));
}
function optionRow(programId, s) {
  const mentor = s.mentor;
  return h("tr", {dataset: {mentor: mentor.member_id}},
    cell(`${mentor.first_name} — ${mentor.sector || "—"}, ${mentor.city || "—"} (${mentor.languages.join(", ")})`),
    cell(s.score), cell(mentoringWhy(s.reasons)),
    h("td", {}, button("Choisir · Pick", async () => {
      if (await mentoringAction(`/api/v1/mentoring/programs/${encodeURIComponent(programId)}/matches`, {mentor_id: mentor.member_id})) loadMentoring();
    }, {class: "mentoring-pick"})));
}
async function loadMentoringOptions() {
  const box = $("mentoring-options-box");
  const picking = mentoring.programs.filter(p => p.status === "open" && p.matching === "mentee"
    && p.my_enrolment && p.my_enrolment.role === "mentee" && p.my_enrolment.load === 0);
  box.hidden = picking.length === 0;
  const rows = [];
  for (const p of picking) {
    const s = await api(`/api/v1/mentoring/programs/${encodeURIComponent(p.program_id)}/suggestions`);
    rows.push(...s.options.map(o => optionRow(p.program_id, o)));
  }
  $("mentoring-options").replaceChildren(...rows);
}
async function loadMentoring() {
  const linked = Boolean(claims().member_id);
  $("mentoring-panel").hidden = !linked;
  if (!linked) return;
  report("mentoring-error");
  const topics = $("mentoring-topics");
  if (!topics.querySelector("input")) {
    append(topics, Object.entries(MENTORING_TOPICS).map(([code, text]) =>
      h("label", {}, h("input", {type: "checkbox", name: "topics", value: code}), " ", text)));
  }
  try {
    const [programs, mine] = await Promise.all([api("/api/v1/mentoring/programs"), api("/api/v1/mentoring/mentorships")]);
    mentoring.programs = programs.items;
    const select = $("mentoring-enrol").elements.program_id;
    const chosen = select.value;
    select.replaceChildren(...programs.items.filter(p => p.status === "open").map(p =>
      h("option", {value: p.program_id, selected: p.program_id === chosen}, programName(p))));
    const enrolled = programs.items.filter(p => p.my_enrolment);
    $("mentoring-enrolled").textContent = enrolled.length === 0 ? "Pas encore inscrit·e · Not enrolled yet"
      : enrolled.map(p => `${programName(p)} : ${p.my_enrolment.role === "mentor" ? "mentor" : "mentoré·e · mentee"} `
        + `(${p.my_enrolment.load}/${p.my_enrolment.capacity})`).join(" ; ");
    $("mentoring-mine").replaceChildren(...mine.items.map(mentorshipRow));
    await loadMentoringOptions();
  } catch (e) { report("mentoring-error", e); }
}
$("mentoring-enrol").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const f = new FormData(form);
  const body = {role: f.get("role"), topics: f.getAll("topics"), capacity: Number(f.get("capacity")),
    languages: String(f.get("languages")).split(/[\s,;]+/).filter(Boolean).map(x => x.toLowerCase()),
    sector: f.get("sector") || "", city: f.get("city") || "", availability: f.get("availability") || ""};
  const program = encodeURIComponent(f.get("program_id") || "");
  if (await mentoringAction(`/api/v1/mentoring/programs/${program}/enrolment`, body, "PUT")) loadMentoring();
});
$("mentoring-checkin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const path = `/api/v1/mentoring/mentorships/${encodeURIComponent(mentoring.selected || "")}/check-ins`;
  if (await mentoringAction(path, {on: f.get("on"), note: f.get("note")})) {
    ev.target.reset(); ev.target.hidden = true; loadMentoring();
  }
});
$("mentoring-close").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const body = {outcome: form.elements.outcome.value, satisfaction: Number(form.elements.satisfaction.value),
    goals_met: form.elements.goals_met.checked, comment: form.elements.comment.value};
  const path = `/api/v1/mentoring/mentorships/${encodeURIComponent(mentoring.selected || "")}/close`;
  if (await mentoringAction(path, body)) { form.reset(); form.hidden = true; loadMentoring(); }
});
$("refresh-mentoring").addEventListener("click", loadMentoring);

function suggestionRow(programId, s) {
  return h("tr", {dataset: {mentee: s.mentee.member_id, mentor: s.mentor.member_id}},
    cell(`${s.mentee.first_name}${s.mentee.cohort_year ? " (" + s.mentee.cohort_year + ")" : ""}`),
    cell(`${s.mentor.first_name} — ${s.mentor.room} place(s) · room`), cell(s.score),
    h("td", {class: "mentoring-why"}, mentoringWhy(s.reasons)),
    h("td", {}, button("Confirmer · Confirm", async () => {
      const done = await mentoringAction(`/api/v1/mentoring/programs/${encodeURIComponent(programId)}/matches`,
        {mentor_id: s.mentor.member_id, mentee_id: s.mentee.member_id}, "POST", "mentoring-staff-error");
      if (done) loadMentoringStaff();
    }, {class: "mentoring-confirm"})));
}
async function showSuggestions(p) {
  mentoring.suggestionsOf = p.program_id;
  $("mentoring-suggestions-of").textContent = `— ${programName(p)}`;
  const program = encodeURIComponent(p.program_id);
  const [s, pairs] = await Promise.all([api(`/api/v1/mentoring/programs/${program}/suggestions`),
    api(`/api/v1/mentoring/mentorships?scope=all&program_id=${program}`)]);
  $("mentoring-suggestions").replaceChildren(...s.plan.map(x => suggestionRow(p.program_id, x)));
  $("mentoring-pairs").replaceChildren(...pairs.items.map(m => h("tr", {dataset: {mentorship: m.mentorship_id}},
    cell(m.mentee_first_name), cell(m.mentor_first_name),
    h("td", {class: "mentoring-status"}, mentoringLabel(MENTORING_STATUS, m.status)), cell(dateTime(m.matched_at)),
    cell(m.check_ins.length))));
}
function programRow(p) {
  const base = `/api/v1/mentoring/programs/${encodeURIComponent(p.program_id)}`;
  const act = (what) => async () => {
    if (await mentoringAction(`${base}/${what}`, {}, "POST", "mentoring-staff-error")) loadMentoringStaff();
  };
  const actions = [];
  if (p.status === "draft") actions.push(button("Ouvrir · Open", act("open"), {class: "mentoring-open"}));
  if (p.status !== "closed") actions.push(button("Clore · Close", act("close"), {class: "mentoring-close-program"}));
  actions.push(button("Suggestions", () => showSuggestions(p).catch(e => report("mentoring-staff-error", e)), {class: "mentoring-suggest"}));
  return h("tr", {dataset: {program: p.program_id}}, cell(programName(p)),
    h("td", {class: "mentoring-status"}, mentoringLabel(MENTORING_STATUS, p.status)),
    cell(mentoringLabel(MENTORING_MODE, p.matching)), cell(p.mentors), cell(p.mentees), h("td", {}, actions));
}
const mentoringRate = (x) => x === null || x === undefined ? "—" : `${(x * 100).toFixed(0)} %`;
function mentoringFigureRow(r, kind) {
  const name = r.group === "all" ? "Tous · All" : r.group === "unknown" ? "Inconnue · Unknown"
    : kind === "program" ? (r.label || r.group) : `Promotion · Class ${r.group}`;
  const statuses = r.by_status ? Object.entries(r.by_status).map(([k, n]) => `${mentoringLabel(MENTORING_STATUS, k)}: ${n}`).join(", ") : "";
  return h("tr", {dataset: {group: r.group}, class: r.suppressed ? "suppressed" : null}, cell(name),
    cell(r.suppressed ? "< 5 (masqué · suppressed)" : r.relationships), cell(statuses), cell(mentoringRate(r.completion_rate)),
    cell(r.mentees_per_mentor ?? "—"), cell(r.mean_satisfaction ?? "—"));
}
async function loadMentoringStaff() {
  const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
  $("mentoring-staff-panel").hidden = !staff;
  if (!staff) return;
  report("mentoring-staff-error");
  try {
    const [programs, f] = await Promise.all([api("/api/v1/mentoring/programs"), api("/api/v1/mentoring/figures")]);
    $("mentoring-programs").replaceChildren(...programs.items.map(programRow));
    $("mentoring-figures").replaceChildren(mentoringFigureRow(f.total, "all"),
      ...f.by_program.map(r => mentoringFigureRow(r, "program")), ...f.by_cohort.map(r => mentoringFigureRow(r, "cohort")));
    const shown = programs.items.find(p => p.program_id === mentoring.suggestionsOf);
    if (shown) await showSuggestions(shown);
  } catch (e) { report("mentoring-staff-error", e); }
}
$("mentoring-program-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = {name_fr: f.get("name_fr"), name_en: f.get("name_en"), description: f.get("description") || "",
    starts_on: f.get("starts_on") || null, ends_on: f.get("ends_on") || null, matching: f.get("matching"),
    max_mentees_per_mentor: Number(f.get("max_mentees_per_mentor"))};
  if (await mentoringAction("/api/v1/mentoring/programs", body, "POST", "mentoring-staff-error")) {
    ev.target.reset(); loadMentoringStaff();
  }
});
$("refresh-mentoring-staff").addEventListener("click", loadMentoringStaff);

// -- community (issue 14): the job and internship board ---------------------------------------------
// Descriptions are shown as their Markdown text (this console renders data as text only; the
// API's sanitised `html_fr`/`html_en` are for the web and mobile clients).
const JOB_CONTRACTS = {permanent: "CDI · Permanent", fixed_term: "CDD · Fixed term", internship: "Stage · Internship",
  apprenticeship: "Alternance · Apprenticeship", freelance: "Indépendant · Freelance", vie: "VIE"};
const jobTitle = (j) => h("div", {}, h("strong", {}, j.title), " — ", j.company);
function jobRow(j) {
  const actions = [];
  if (claims().member_id && !j.mine) {
    actions.push(button(j.saved ? "Retirer · Unsave" : "Sauvegarder · Save", () => jobCall(
      `/api/v1/jobs/${encodeURIComponent(j.job_id)}/saved`, {method: j.saved ? "DELETE" : "PUT"}), {class: "job-save"}));
  }
  if (j.apply_url && /^https:\/\//.test(j.apply_url)) {
    const link = h("a", {rel: "noopener noreferrer nofollow", target: "_blank"}, "Postuler · Apply");
    link.href = j.apply_url;
    actions.push(link);
  } else if (j.apply_email) actions.push(h("span", {}, j.apply_email));
  if (j.saves !== null && j.saves !== undefined) actions.push(h("span", {class: "job-saves"}, ` ${j.saves} ♥`));
  return h("tr", {dataset: {job: j.job_id}}, h("td", {}, jobTitle(j), h("small", {}, j.description_fr || j.description_en)),
    cell(`${j.city} (${j.country})`), cell(helpLabel(JOB_CONTRACTS, j.contract)),
    cell(j.expires_at ? dateTime(j.expires_at) : "—"), h("td", {}, actions));
}
function reviewRow(j) {
  const base = `/api/v1/jobs/${encodeURIComponent(j.job_id)}/review`;
  return h("tr", {dataset: {job: j.job_id}}, h("td", {}, jobTitle(j)), cell(j.description_fr || j.description_en),
    cell(dateTime(j.created_at)), h("td", {},
      button("Valider · Approve", () => jobCall(base, json("POST", {approve: true}, once())), {class: "job-approve"}),
      button("Refuser · Reject", () => jobCall(base, json("POST", {approve: false, reason: "Hors charte · Off charter"}, once())),
        {class: "job-reject"})));
}
async function jobCall(path, options) {
  report("jobs-error");
  try { await api(path, options); await loadJobs(); } catch (e) { report("jobs-error", e); }
}
async function loadJobs() {
  report("jobs-error");
  const f = new FormData($("jobs-search"));
  const params = new URLSearchParams();
  for (const key of ["contract", "city", "q"]) if (f.get(key)) params.set(key, f.get(key));
  try {
    const found = await api(`/api/v1/jobs?${params}`);
    $("jobs").replaceChildren(...found.items.map(jobRow));
    const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
    $("jobs-review-box").hidden = !staff;
    if (staff) $("jobs-review").replaceChildren(...(await api("/api/v1/jobs/review-queue")).items.map(reviewRow));
  } catch (e) { report("jobs-error", e); }
}
$("jobs-search").addEventListener("submit", (ev) => { ev.preventDefault(); loadJobs(); });
$("refresh-jobs").addEventListener("click", loadJobs);
$("job-post").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("jobs-error");
  const f = new FormData(ev.target);
  const body = {title: f.get("title"), company: f.get("company"), city: f.get("city"), sector: f.get("sector") || "",
    contract: f.get("contract"), remote: f.get("remote"), description_fr: f.get("description_fr") || "",
    description_en: f.get("description_en") || "", apply_url: f.get("apply_url") || null};
  try {
    const job = await api("/api/v1/jobs", json("POST", body, once()));
    $("job-post-result").textContent = job.status === "pending"
      ? "Envoyée pour validation · Sent for approval" : "Publiée · Published";
    ev.target.reset();
    await loadJobs();
  } catch (e) { report("jobs-error", e); }
});

// -- community (issue 14): member benefits --------------------------------------------------------
function benefitRow(b) {
  const actions = [];
  if (claims().member_id && b.code === null) {
    actions.push(b.eligible
      ? button("Voir le code · Show the code", () => benefitRedeem(b.benefit_id), {class: "benefit-redeem"})
      : h("span", {class: "benefit-locked"}, "Réservé aux cotisants · For dues-paying members"));
  }
  if (b.redemptions !== null && b.redemptions !== undefined) actions.push(h("span", {}, `${b.redemptions} utilisations · uses`));
  return h("tr", {dataset: {benefit: b.benefit_id}}, h("td", {}, h("strong", {}, b.title), h("small", {}, b.description)),
    cell(b.partner), cell(b.conditions), cell(b.members_only ? "Cotisants · Members" : "Tous · All"),
    h("td", {class: "benefit-code"}, b.code || "—"), h("td", {}, actions));
}
async function benefitRedeem(id) {
  report("benefits-error");
  try {
    await api(`/api/v1/benefits/${encodeURIComponent(id)}/redeem`, json("POST", {}, once()));
    await loadBenefits();
  } catch (e) { report("benefits-error", e); }
}
async function loadBenefits() {
  report("benefits-error");
  const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
  $("benefit-publish").hidden = !staff;
  try {
    $("benefits").replaceChildren(...(await api("/api/v1/benefits")).items.map(benefitRow));
  } catch (e) { report("benefits-error", e); }
}
$("refresh-benefits").addEventListener("click", loadBenefits);
$("benefit-publish").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("benefits-error");
  const f = ev.target.elements;
  const body = {title: f.title.value, partner: f.partner.value, code: f.code.value, conditions: f.conditions.value,
    members_only: f.members_only.checked};
  try { await api("/api/v1/benefits", json("POST", body, once())); ev.target.reset(); await loadBenefits(); }
  catch (e) { report("benefits-error", e); }
});
// -- newsletters: compose (FR/EN Markdown) to a segment, preview, send now or later, figures ---
const listOf = (text, sep) => String(text || "").split(sep).map(s => s.trim()).filter(Boolean);
function segmentOf(f) {
  const segment = {consent_purpose: "newsletter"};
  const years = listOf(f.get("cohort_years"), /[,;\s]+/).map(Number);
  if (years.length) segment.cohort_years = years;
  for (const [name, sep] of [["programs", ";"], ["cities", ";"]]) {
    const values = listOf(f.get(name), sep);
    if (values.length) segment[name] = values;
  }
  const countries = listOf(f.get("countries"), /[,;\s]+/).map(c => c.toUpperCase());
  if (countries.length) segment.countries = countries;
  const states = f.getAll("membership_states");
  if (states.length) segment.membership_states = states;
  if (f.get("ambassadors_only")) segment.ambassadors_only = true;
  return segment;
}
function describeSegment(s) {
  const parts = [];
  if (s.cohort_years && s.cohort_years.length) parts.push("promo · class " + s.cohort_years.join(", "));
  if (s.programs && s.programs.length) parts.push(s.programs.join(", "));
  if (s.cities && s.cities.length) parts.push(s.cities.join(", "));
  if (s.countries && s.countries.length) parts.push(s.countries.join(", "));
  if (s.groups && s.groups.length) parts.push("groupes · groups " + s.groups.join(", "));
  if (s.ambassadors_only) parts.push("ambassadeurs · ambassadors");
  if (s.membership_states && s.membership_states.length) parts.push(s.membership_states.map(x => label("membership", x)).join(", "));
  return parts.join(" — ") || "tous les alumni · all alumni";
}
async function previewNewsletter(n, lang) {
  const box = $("newsletter-preview");
  try {
    const p = await api(`/api/v1/newsletters/${encodeURIComponent(n.newsletter_id)}/preview?locale=${lang}`);
    box.replaceChildren(h("h3", {}, `Aperçu · Preview (${p.locale}) — `, h("span", {class: "nl-count"},
      `${p.recipients} destinataires · recipients`), ` (${p.in_segment} dans le segment · in the segment)`),
      h("p", {}, h("strong", {class: "nl-subject"}, p.subject)), h("pre", {class: "nl-text"}, p.text),
      h("details", {}, h("summary", {}, "HTML (assaini · sanitised)"), h("pre", {class: "nl-html"}, p.html)));
  } catch (e) { report("newsletters-error", e); }
}
async function sendNewsletter(n) {
  const when = $("newsletter-when").value;
  const body = when ? {send_at: new Date(when).toISOString()} : {};
  if (!confirm(when ? `Programmer l'envoi · Schedule for ${when} ?` : "Envoyer maintenant · Send now?")) return;
  try {
    await api(`/api/v1/newsletters/${encodeURIComponent(n.newsletter_id)}/send`, json("POST", body, once()));
    loadNewsletters();
  } catch (e) { report("newsletters-error", e); }
}
async function cancelNewsletter(n) {
  try {
    await api(`/api/v1/newsletters/${encodeURIComponent(n.newsletter_id)}/cancel`, json("POST", {}, once()));
    loadNewsletters();
  } catch (e) { report("newsletters-error", e); }
}
function newsletterRow(n) {
  const f = n.figures, open = n.status === "draft" || n.status === "scheduled";
  return h("tr", {dataset: {newsletter: n.newsletter_id}},
    labelled("Sujet · Subject", [n.subject_fr, n.subject_en].filter(Boolean).join(" / ")),
    labelled("Segment", describeSegment(n.segment)),
    labelled("Statut · Status", label("newsletterStatus", n.status),
      n.send_at && n.status === "scheduled" ? [" ", h("time", {datetime: n.send_at}, dateTime(n.send_at))] : null),
    labelled("Destinataires · Recipients", f.recipients), labelled("Envoyés · Sent", f.sent),
    labelled("En attente · Pending", f.pending), labelled("Rebonds · Bounced", f.bounced),
    labelled("Désabonnés · Unsubscribed", f.unsubscribed),
    h("td", {class: "nowrap"},
      button("Aperçu FR", () => previewNewsletter(n, "fr")), " ", button("Preview EN", () => previewNewsletter(n, "en")),
      open ? [" ", button("Envoyer · Send", () => sendNewsletter(n), {class: "nl-send"}),
        " ", button("Annuler · Cancel", () => cancelNewsletter(n))] : null));
}
async function loadNewsletters() {
  report("newsletters-error");
  const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
  $("newsletters-panel").hidden = !staff;  // staff only: an alumnus would get a 403
  if (!staff) return;
  try {
    const list = await api("/api/v1/newsletters");
    $("newsletters").replaceChildren(...list.items.map(newsletterRow));
    if (list.items.some(n => n.status === "sending" || n.status === "scheduled" || n.figures.pending))
      setTimeout(() => { if (!document.hidden) loadNewsletters(); }, 3000);
  } catch (e) { report("newsletters-error", e); }
}
$("newsletter-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("newsletters-error");
  const f = new FormData(ev.target), body = {segment: segmentOf(f)};
  for (const name of ["subject_fr", "subject_en", "body_fr", "body_en"]) {
    const value = String(f.get(name) || "").trim();
    if (value) body[name] = value;
  }
  try {
    const n = await api("/api/v1/newsletters", json("POST", body, once()));
    ev.target.reset();
    await loadNewsletters();
    previewNewsletter(n, body.subject_fr ? "fr" : "en");
  } catch (e) { report("newsletters-error", e); }
});
$("refresh-newsletters").addEventListener("click", loadNewsletters);

// -- my notifications and preferences (an account linked to a member) -----------------------
const CATEGORY = {events: "Événements · Events", newsletters: "Lettre d'information · Newsletter",
  jobs: "Offres d'emploi · Jobs", fundraising: "Collecte de fonds · Fundraising", membership: "Adhésion · Membership",
  community: "Communauté · Community"};
const feed = {next: null};
function feedItem(n) {
  return h("li", {class: n.read_at ? "read" : "unread", dataset: {id: n.notification_id}},
    h("span", {class: "title"}, n.title), " — ", h("time", {datetime: n.created_at}, dateTime(n.created_at)),
    " · ", CATEGORY[n.category] || n.category, h("details", {}, h("summary", {}, "…"), h("pre", {}, n.body)));
}
async function loadMyNotifications(more = false) {
  report("my-notifications-error");
  $("my-notifications-panel").hidden = !claims().member_id;
  if (!claims().member_id) return;
  try {
    const page = await api(`/api/v1/me/notifications?limit=20${more && feed.next ? "&after=" + encodeURIComponent(feed.next) : ""}`);
    const items = page.items.map(feedItem);
    if (more) append($("my-notifications"), items); else $("my-notifications").replaceChildren(...items);
    feed.next = page.next_cursor;
    $("my-notifications-more").hidden = !page.next_cursor;
    $("my-unread").textContent = `${page.unread} non lue(s) · unread`;
    if (!more) await Promise.all([loadMyPreferences(), loadMyJobAlerts()]);
    // An email's "Notification preferences" link opens console#notifications.
    if (!more && location.hash === "#notifications") $("my-notifications-panel").scrollIntoView();
  } catch (e) { report("my-notifications-error", e); }
}
async function loadMyPreferences() {
  const prefs = await api("/api/v1/me/notification-preferences");
  $("my-preferences-rows").replaceChildren(...Object.keys(CATEGORY).map(c => h("tr", {}, cell(CATEGORY[c]),
    ...["email", "in_app"].map(ch => h("td", {}, h("input", {type: "checkbox", name: `${c}:${ch}`,
      "aria-label": `${CATEGORY[c]} — ${ch}`, checked: prefs.preferences[c][ch]}))))));
  $("my-consents").textContent = "Consentements (registre) · Consents (ledger): " + Object.entries(prefs.consents)
    .map(([p, granted]) => `${label("purpose", p)} ${granted ? "✓" : "✗"}`).join(", ");
}
$("my-preferences").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const choices = [...ev.target.querySelectorAll("input[type=checkbox]")].map(box => {
    const [category, channel] = box.name.split(":");
    return {category, channel, enabled: box.checked};
  });
  try {
    await api("/api/v1/me/notification-preferences", json("PUT", {choices}, once()));
    $("my-preferences-result").textContent = "Enregistré · Saved";
  } catch (e) { $("my-preferences-result").textContent = e.message; }
});
// Job alerts (issue 14 item 4): the approved offers an alumnus wants to hear of.
const splitList = (text) => text.split(",").map(v => v.trim()).filter(Boolean);
async function loadMyJobAlerts() {
  const a = await api("/api/v1/me/job-alerts");
  const form = $("my-job-alerts");
  form.elements.enabled.checked = a.enabled;
  form.elements.sectors.value = a.sectors.join(", ");
  form.elements.cities.value = a.cities.join(", ");
  $("my-job-alert-contracts").replaceChildren(h("legend", {}, "Contrats · Contracts"),
    ...Object.entries(JOB_CONTRACTS).map(([code, text]) => h("label", {}, h("input", {type: "checkbox",
      name: "contract", value: code, checked: a.contracts.includes(code)}), " ", text)));
  const channels = [a.jobs_email && "e-mail", a.jobs_in_app && "app"].filter(Boolean);
  $("my-job-alerts-hint").textContent = !a.consent
    ? "Il faut accepter la lettre d'information pour recevoir les alertes · Alerts need your newsletter consent."
    : channels.length ? `Envoyées par · Sent by: ${channels.join(", ")}`
      : "Offres d'emploi désactivées dans vos préférences · Jobs are off in your preferences.";
}
$("my-job-alerts").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const body = {enabled: form.elements.enabled.checked, sectors: splitList(form.elements.sectors.value),
    cities: splitList(form.elements.cities.value),
    contracts: [...form.querySelectorAll("input[name=contract]:checked")].map(box => box.value)};
  try {
    await api("/api/v1/me/job-alerts", json("PUT", body, once()));
    $("my-job-alerts-result").textContent = "Enregistré · Saved";
    await loadMyJobAlerts();
  } catch (e) { $("my-job-alerts-result").textContent = e.message; }
});
$("my-notifications-read").addEventListener("click", async () => {
  try {
    await api("/api/v1/me/notifications/read", json("POST", {all: true}, once()));
    await loadMyNotifications();
  } catch (e) { report("my-notifications-error", e); }
});
$("my-notifications-more").addEventListener("click", () => loadMyNotifications(true));
$("refresh-my-notifications").addEventListener("click", () => loadMyNotifications());

// -- contactability (staff): contactable alumni ÷ alumni of record, per cohort ------------------
const ratioText = (ratio) => `${(ratio * 100).toFixed(1)} %`;
async function loadContactability() {
  report("contactability-error");
  const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
  $("contactability-panel").hidden = !staff;
  if (!staff) return;
  try {
    const report_ = await api("/api/v1/notifications/contactability");
    $("contactability-total").textContent =
      `${report_.contactable} / ${report_.alumni} joignables · contactable (${ratioText(report_.ratio)})`;
    $("contactability").replaceChildren(...report_.cohorts.map(c => row(
      [`${c.program} ${c.graduation_year}`, c.alumni, c.contactable, ratioText(c.ratio)])));
  } catch (e) { report("contactability-error", e); }
}
$("refresh-contactability").addEventListener("click", loadContactability);
// -- fundraising: campaigns, gifts, the live class leaderboard, my donations ---------------------
LABELS.giftStatus = {received: "reçu · received", partially_refunded: "remboursé en partie · partly refunded",
  refunded: "remboursé · refunded"};
LABELS.campaignStatus = {active: "en cours · active", closed: "clôturée · closed"};
LABELS.recurringStatus = {active: "actif · active", paused: "suspendu · paused",
  failed: "échec de prélèvement · charge failed", cancelled: "arrêté · cancelled"};
LABELS.frequency = {monthly: "mensuel · monthly", yearly: "annuel · yearly"};
LABELS.collection = {manual: "saisi par le bureau · recorded by the office", scheduled: "automatique · automatic",
  retrying: "nouvel essai prévu · retry scheduled", stopped: "arrêté : carte à mettre à jour · stopped: update the card"};
const campaignsState = {selected: null, items: []};
const LEADERBOARD_POLL_MS = 5000;  // the fallback while the live stream is down (bench/RESULTS.md)
async function loadCampaigns() {
  report("campaigns-error");
  try {
    const list = await api("/api/v1/campaigns");
    campaignsState.items = list.items;
    $("campaigns").replaceChildren(...list.items.map(c => h("tr", {dataset: {campaign: c.campaign_id}},
      cell(c.name_fr + " · " + c.name_en + (c.giving_day ? " ★" : "")), cell(c.legal_entity.name),
      cell(euros(c.raised_minor, c.currency)), cell(euros(c.goal_minor, c.currency)),
      cell(`${c.progress_percent.toFixed(1)} %`), cell(String(c.donors)), cell(label("campaignStatus", c.status)),
      h("td", {class: "nowrap"}, button("Dons · Gifts", () => selectCampaign(c.campaign_id), {class: "campaign-open"}),
        c.status === "active" ? button("Clôturer · Close", async () => {
          try { await api(`/api/v1/campaigns/${encodeURIComponent(c.campaign_id)}/close`, {method: "POST"}); loadCampaigns(); }
          catch (e) { report("campaigns-error", e); }
        }, {class: "campaign-close"}) : null))));
    if (campaignsState.selected) await loadCampaignDetail();
  } catch (e) { report("campaigns-error", e); }
}
async function selectCampaign(id) {
  campaignsState.selected = id;
  $("campaign-detail").hidden = false;
  await loadCampaignDetail();
  watchLeaderboard();
}
function showLeaderboard(board) {
  $("leaderboard").replaceChildren(...board.by_participation.map(r => row([`${r.program} ${r.graduation_year}`,
    String(r.alumni), String(r.donors), `${r.participation_percent.toFixed(1)} %`, euros(r.raised_minor, board.currency)])));
  $("leaderboard-updated").textContent = "(" + dateTime(board.computed_at) + ")" +
    (leaderboardLive.streaming ? " · en direct · live" : "");
}
async function loadLeaderboard() {
  const id = campaignsState.selected;
  if (!id) return;
  showLeaderboard(await api(`/api/v1/campaigns/${encodeURIComponent(id)}/leaderboard`));
}
// The leaderboard is pushed by the gateway (Server-Sent Events, read with fetch so that the token
// travels in the Authorization header, never in the URL): measured against polling in
// bench/RESULTS.md. Polling every 5 s is the fallback while the stream is down.
const leaderboardLive = {campaign: null, abort: null, streaming: false, failures: 0};
async function streamLeaderboard(id) {
  const abort = new AbortController();
  leaderboardLive.abort = abort;
  const response = await fetch(`/api/v1/campaigns/${encodeURIComponent(id)}/leaderboard/stream`,
    {headers: {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}, signal: abort.signal});
  if (!response.ok || !response.body) throw new Error("stream " + response.status);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = (lines.find(l => l.startsWith("event: ")) || "").slice(7);
      const data = lines.filter(l => l.startsWith("data: ")).map(l => l.slice(6)).join("\n");
      if (event === "leaderboard" && data && campaignsState.selected === id) {
        leaderboardLive.streaming = true;
        leaderboardLive.failures = 0;
        showLeaderboard(JSON.parse(data));
      }
    }
  }
}
function watchLeaderboard() {
  const id = document.hidden ? null : campaignsState.selected;
  if (leaderboardLive.campaign === id) return;
  if (leaderboardLive.abort) leaderboardLive.abort.abort();
  leaderboardLive.campaign = id;
  leaderboardLive.streaming = false;
  if (!id) return;
  const run = async () => {
    while (leaderboardLive.campaign === id) {
      try { await streamLeaderboard(id); } catch (e) { if (e.name === "AbortError") return; }
      leaderboardLive.streaming = false;
      leaderboardLive.failures += 1;
      // The stream ended (it does every 10 minutes) or failed: reconnect, backing off to 30 s.
      await new Promise(r => setTimeout(r, Math.min(30000, 1000 * 2 ** Math.min(leaderboardLive.failures, 5))));
    }
  };
  run();
}
document.addEventListener("visibilitychange", watchLeaderboard);
async function loadCampaignDetail() {
  const id = campaignsState.selected;
  const c = campaignsState.items.find(x => x.campaign_id === id);
  if (c) $("campaign-title").textContent = `${c.name_fr} · ${c.name_en} — ${euros(c.raised_minor, c.currency)} / ${euros(c.goal_minor, c.currency)}`;
  try {
    const page = await api(`/api/v1/gifts?campaign_id=${encodeURIComponent(id)}`);
    $("gifts").replaceChildren(...page.items.map(g => row([g.paid_on,
      (g.donor_name || g.member_id) + (g.anonymous ? " (anonyme · anonymous)" : "") + (g.company ? " (mécénat · company)" : ""),
      euros(g.amount_minor - g.refunded_minor, g.currency), label("payMethod", g.method), label("giftStatus", g.status),
      g.status === "refunded" ? "" : button("Rembourser · Refund", async () => {
        try {
          await api(`/api/v1/gifts/${encodeURIComponent(g.gift_id)}/refund`,
            json("POST", {amount_minor: g.amount_minor - g.refunded_minor, reason: "console"}, once()));
          loadCampaigns();
        } catch (e) { report("campaigns-error", e); }
      }, {class: "gift-refund"})])));
    const recurring = await api("/api/v1/recurring-gifts");
    $("recurring-gifts").replaceChildren(...recurring.items.filter(r => r.campaign_id === id).map(r => h("tr",
      {class: r.status === "failed" ? "error" : null}, cell(r.member_id), cell(euros(r.amount_minor, r.currency)),
      cell(label("frequency", r.frequency)), cell(label("recurringStatus", r.status) + (r.last_failure ? ` (${r.last_failure})` : "")),
      cell(label("collection", r.collection)), cell(r.next_attempt_on || r.next_charge_on || ""), cell(String(r.failures)))));
    await loadLeaderboard();
  } catch (e) { report("campaigns-error", e); }
}
$("campaign-create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("campaigns-error");
  const f = new FormData(ev.target);
  const body = {name_fr: f.get("name_fr"), name_en: f.get("name_en"), goal_minor: Math.round(Number(f.get("goal")) * 100),
    currency: "EUR", giving_day: f.get("giving_day") === "on",
    legal_entity: {entity_id: f.get("entity_id"), name: f.get("entity_name"), purpose: f.get("entity_purpose"),
      may_issue_receipts: f.get("may_issue_receipts") === "on", status: f.get("entity_status") || null,
      address: {line1: f.get("entity_line1"), postal_code: f.get("entity_postal_code"), city: f.get("entity_city")}}};
  try {
    const c = await api("/api/v1/campaigns", json("POST", body, once()));
    ev.target.reset();
    await loadCampaigns();
    selectCampaign(c.campaign_id);
  } catch (e) { report("campaigns-error", e); }
});
$("gift-record").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("campaigns-error");
  const f = new FormData(ev.target);
  const company = (f.get("company_name") || "").trim();
  const body = {campaign_id: campaignsState.selected, member_id: f.get("member_id"),
    amount_minor: Math.round(Number(f.get("amount")) * 100), currency: "EUR", method: f.get("method"),
    reference: f.get("reference") || null, received_on: f.get("received_on"), anonymous: f.get("anonymous") === "on",
    name_publicly: f.get("name_publicly") === "on", donor: company ? {kind: "company", company_name: company} : {}};
  try {
    await api("/api/v1/gifts", json("POST", body, once()));
    ev.target.reset();
    ev.target.querySelector("[name=received_on]").value = new Date().toISOString().slice(0, 10);
    loadCampaigns();
  } catch (e) { report("campaigns-error", e); }
});
$("gift-record").querySelector("[name=received_on]").value = new Date().toISOString().slice(0, 10);
$("refresh-campaigns").addEventListener("click", loadCampaigns);
// Polling of the leaderboard only while its stream is down (the tab visible, a campaign open).
setInterval(() => {
  if (!document.hidden && campaignsState.selected && !leaderboardLive.streaming) {
    loadLeaderboard().catch(e => report("campaigns-error", e));
  }
}, LEADERBOARD_POLL_MS);

async function loadGiveCampaigns() {
  try {
    const open = await api("/api/v1/campaigns?status=active");
    campaignsState.names = Object.fromEntries(open.items.map(c => [c.campaign_id, c.name_fr]));
    $("give-campaign").replaceChildren(...open.items.map(c => h("option", {value: c.campaign_id},
      `${c.name_fr} · ${c.name_en}`)));
  } catch (e) { report("my-donations-error", e); }
}
// Asked for, not loaded at start: a staff token linked to no member would only get a 404.
async function loadMyDonations() {
  report("my-donations-error");
  try {
    const mine = await api("/api/v1/me/donations");
    const names = campaignsState.names || {};
    $("my-gifts").replaceChildren(...mine.gifts.map(g => row([g.paid_on, names[g.campaign_id] || g.campaign_id || "",
      euros(g.amount_minor - g.refunded_minor, g.currency), label("giftStatus", g.status)])));
    // A failed charge is visible here (and reminded by email): the donor updates the card in one click.
    $("my-recurring").replaceChildren(...mine.recurring.map(r => h("tr", {class: r.status === "failed" ? "error" : null},
      cell(euros(r.amount_minor, r.currency)), cell(label("frequency", r.frequency)),
      cell(label("recurringStatus", r.status) + (r.last_failure ? ` (${r.last_failure})` : "")),
      cell(label("collection", r.collection)), cell(r.next_attempt_on || r.next_charge_on || ""),
      h("td", {}, r.status === "failed" ? button("Mettre à jour ma carte · Update my card", async () => {
        report("my-donations-error");
        try {
          const c = await api(`/api/v1/recurring-gifts/${encodeURIComponent(r.recurring_gift_id)}/payment-method`,
            json("POST", {return_url: location.origin + "/console"}, once()));
          showCheckoutLink(c.url);
        } catch (e) { report("my-donations-error", e); }
      }, {class: "recurring-update"}) : null))));
  } catch (e) { report("my-donations-error", e); }
}
$("give-online").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("my-donations-error");
  const f = new FormData(ev.target);
  const frequency = f.get("frequency") || "once";
  const body = {campaign_id: f.get("campaign_id"), amount_minor: Math.round(Number(f.get("amount")) * 100),
    currency: "EUR", anonymous: f.get("anonymous") === "on", return_url: location.origin + "/console"};
  try {
    // Monthly or yearly: the first period is paid on the provider's page, which saves the card for the next ones.
    const r = frequency === "once" ? await api("/api/v1/gifts/checkout", json("POST", body, once()))
      : await api("/api/v1/recurring-gifts/checkout", json("POST", Object.assign(body, {frequency}), once()));
    showCheckoutLink(r.url);
  } catch (e) { report("my-donations-error", e); }
});
function showCheckoutLink(url) {
  if (!/^https?:\/\//.test(url)) throw new Error("unexpected checkout address");
  const link = h("a", {id: "give-pay", rel: "noopener"}, "Payer · Pay");
  link.href = url;  // the provider's hosted page (checked http/https above)
  $("give-checkout").replaceChildren(link);
}
$("refresh-my-donations").addEventListener("click", loadMyDonations);
// -- tax receipts (reçus fiscaux): an alumnus's own; staff: a donor's, void + reissue, register --
const RECEIPT_STATUS = {issued: "émis · issued", voided: "annulé · voided"};
const receiptAmount = (r) => euros(r.amount_minor, r.currency);
function receiptPdfButtons(path, r, errorBox) {
  return [["fr", "PDF FR"], ["en", "PDF EN"]].map(([lang, text]) => button(text, async () => {
    report(errorBox);
    try { await savePdf(`${path}/${encodeURIComponent(r.receipt_id)}/pdf?lang=${lang}`, `recu-${r.number}-${lang}.pdf`); }
    catch (e) { report(errorBox, e); }
  }, {"data-lang": lang}));
}
async function loadMyReceipts() {
  const panel = $("my-receipts-panel");
  panel.hidden = !claims().member_id;
  if (panel.hidden) return;
  report("my-receipts-error");
  try {
    const found = await api("/api/v1/me/receipts");
    $("my-receipts").replaceChildren(...(found.items.length ? found.items.map(r => h("tr", {dataset: {status: r.status}},
      cell(r.number), cell(r.legal_entity_name), cell(receiptAmount(r)), cell(RECEIPT_STATUS[r.status] || r.status),
      h("td", {}, r.status === "issued" ? receiptPdfButtons("/api/v1/me/receipts", r, "my-receipts-error") : "—")))
      : [h("tr", {}, h("td", {colspan: 5}, "Aucun reçu · No receipt yet"))]));
  } catch (e) { report("my-receipts-error", e); }
}
$("refresh-my-receipts").addEventListener("click", loadMyReceipts);
$("my-receipt-profile").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("my-receipts-error");
  try {
    const saved = await api("/api/v1/me/receipt-profile", json("PUT", {
      postal_address: $("my-receipt-address").value.trim(), yearly_summary: $("my-receipt-yearly").checked}, once()));
    $("my-receipt-profile-result").textContent = "Enregistré · Saved" + (saved.yearly_summary ? " — reçu annuel · yearly receipt" : "");
  } catch (e) { report("my-receipts-error", e); }
});

async function loadReceiptEntities() {
  const panel = $("receipts-panel");
  panel.hidden = Boolean(claims().member_id);  // the office's panel: staff tokens only
  if (panel.hidden) return;
  report("receipts-error");
  if (!$("receipts-year").value) $("receipts-year").value = new Date().getFullYear();
  try {
    const found = await api("/api/v1/legal-entities");
    $("receipts-entity").replaceChildren(...found.items.map(e => h("option", {value: e.legal_entity_id},
      e.name + (e.may_issue_receipts ? "" : " (sans reçus · no receipts)"))));
    await loadYearlyJobs();
  } catch (e) { report("receipts-error", e); }
}
async function downloadRegister(entity, year) {
  const response = await fetch(`/api/v1/legal-entities/${encodeURIComponent(entity)}/receipt-register?year=${year}`,
    {headers: {"Authorization": "Bearer " + token}});
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error((body.title || response.status) + (body.detail ? ": " + body.detail : ""));
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  const link = h("a", {download: named ? named[1] : "registre.csv", hidden: true});
  link.href = URL.createObjectURL(new Blob([await response.blob()], {type: "text/csv"}));
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return {count: response.headers.get("X-Register-Count"), gapless: response.headers.get("X-Register-Gapless") === "true"};
}
$("receipts-register").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("receipts-error");
  const out = $("receipts-register-result");
  try {
    const r = await downloadRegister($("receipts-entity").value, Number($("receipts-year").value));
    out.textContent = `${r.count} reçus · receipts — ` + (r.gapless ? "numérotation continue · no gap" : "⚠ trou de numérotation · gap in numbering");
  } catch (e) { out.textContent = ""; report("receipts-error", e); }
});
async function voidReceipt(r) {
  report("receipts-error");
  const reason = $("receipts-void-reason").value.trim();
  if (!reason) { report("receipts-error", new Error("Motif requis · A reason is required")); return; }
  try {
    const done = await api(`/api/v1/receipts/${encodeURIComponent(r.receipt_id)}/void`,
      json("POST", {reason, reissue: true}, once()));
    await loadDonorReceipts(r.member_id);
    $("receipts-register-result").textContent = `${done.voided.number} annulé · voided → ${done.reissued ? done.reissued.number : "—"}`;
  } catch (e) { report("receipts-error", e); }
}
async function loadDonorReceipts(memberId) {
  report("receipts-error");
  try {
    const found = await api(`/api/v1/receipts?member_id=${encodeURIComponent(memberId)}`);
    const year = Number($("receipts-year").value) || new Date().getFullYear();
    const summary = await api(`/api/v1/members/${encodeURIComponent(memberId)}/receipts/summary?year=${year}`);
    $("receipts-summary").textContent = `${year} : ` + (summary.lines.length
      ? summary.lines.map(l => `${l.legal_entity_name} ${euros(l.amount_minor, l.currency)} (${l.receipts})`).join(" · ")
      : "aucun reçu · no receipt");
    $("receipts").replaceChildren(...(found.items.length ? found.items.map(r => h("tr", {dataset: {status: r.status}},
      cell(r.number), cell(r.legal_entity_name), cell(r.donor_name), cell(receiptAmount(r)),
      h("td", {title: r.void_reason || ""}, RECEIPT_STATUS[r.status] || r.status),
      h("td", {}, receiptPdfButtons("/api/v1/receipts", r, "receipts-error"),
        r.status === "issued" ? button("Annuler et réémettre · Void and reissue", () => voidReceipt(r), {class: "void"}) : null)))
      : [h("tr", {}, h("td", {colspan: 6}, "Aucun reçu · No receipt"))]));
  } catch (e) { report("receipts-error", e); }
}
// Yearly summary receipts: a background job per entity and year; its progress is polled while it runs.
const yearlyJob = {id: null, timer: null};
function showYearlyJob(job) {
  const bar = $("yearly-job-progress");
  bar.hidden = false;
  bar.max = Math.max(job.total, 1);
  bar.value = job.state === "done" ? bar.max : job.done + job.skipped;
  $("yearly-job-status").textContent = `${job.year} : ${job.done} / ${job.total} ` +
    (job.state === "done" ? "émis · issued — terminé · done" : "émis · issued — en cours · running") +
    (job.skipped ? ` (${job.skipped} en attente · left held)` : "") + (job.resumed ? ` (repris · resumed ×${job.resumed})` : "");
}
function followYearlyJob(id) {
  clearTimeout(yearlyJob.timer);
  yearlyJob.id = id;
  const tick = async () => {
    try {
      const job = await api(`/api/v1/yearly-receipt-jobs/${encodeURIComponent(id)}`);
      if (yearlyJob.id !== id) return;
      showYearlyJob(job);
      if (job.state !== "done") yearlyJob.timer = setTimeout(tick, 1000);
    } catch (e) { report("receipts-error", e); }
  };
  tick();
}
async function loadYearlyJobs() {
  const entity = $("receipts-entity").value;
  if (!entity) return;
  try {
    const found = await api(`/api/v1/yearly-receipt-jobs?legal_entity_id=${encodeURIComponent(entity)}&limit=5`);
    const running = found.items.find(j => j.state === "running");
    if (running) followYearlyJob(running.job_id);
  } catch (e) { report("receipts-error", e); }
}
$("yearly-job-start").addEventListener("click", async () => {
  report("receipts-error");
  const entity = $("receipts-entity").value, year = Number($("receipts-year").value);
  if (!entity || !year) { report("receipts-error", new Error("Organisme et année requis · Entity and year required")); return; }
  try {
    const job = await api(`/api/v1/legal-entities/${encodeURIComponent(entity)}/yearly-receipts?year=${year}`,
      {method: "POST", headers: once()});
    showYearlyJob(job);
    if (job.state !== "done") followYearlyJob(job.job_id);
  } catch (e) {
    report("receipts-error", e);
    if (e.status === 409) loadYearlyJobs();  // already running: follow that one
  }
});
$("receipts-entity").addEventListener("change", loadYearlyJobs);
$("receipts-donor").addEventListener("submit", (ev) => { ev.preventDefault(); loadDonorReceipts($("receipts-member").value.trim()); });
$("refresh-receipts").addEventListener("click", loadReceiptEntities);

// -- register --------------------------------------------------------------------------------
$("register").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target), out = $("register-result");
  const body = {first_name: f.get("first_name"), last_name: f.get("last_name"), email: f.get("email"),
    locale: f.get("locale"), cohort: {program: f.get("program"), graduation_year: Number(f.get("graduation_year"))}};
  try {
    const r = await api("/api/v1/members", json("POST", body, once()));
    out.textContent = "OK: " + r.member_id; ev.target.reset(); setTimeout(refresh, 500);
  } catch (e) { out.textContent = e.message; }
});

// -- events: staff create and manage them; alumni register, and see and change their registrations --
const REGISTRATION_TEXT = {registered: "inscrit · registered", waitlisted: "liste d'attente · waitlisted",
  promoted: "place proposée · seat offered", pending_payment: "paiement en attente · payment pending",
  cancelled: "annulé · cancelled", attended: "présent · attended", invited: "invité · invited",
  interested: "intéressé · interested", declined: "décliné · declined"};
const EVENT_STATUS_TEXT = {draft: "brouillon · draft", published: "publié · published", cancelled: "annulé · cancelled",
  completed: "terminé · completed"};
const eventTitles = {};
function eventTitle(e) { return e.title && e.title_en && e.title !== e.title_en ? `${e.title} · ${e.title_en}` : (e.title || e.title_en); }
async function loadEvents() {
  report("events-error");
  const staff = !claims().member_id;
  $("event-create").hidden = !staff;
  try {
    const list = await api(`/api/v1/events?include_drafts=${staff}`);
    $("events").replaceChildren(...list.items.map(e => {
      eventTitles[e.event_id] = eventTitle(e);
      const actions = [];
      if (claims().member_id && e.status === "published") {
        actions.push(button("S'inscrire · Register", () => registerTo(e), {class: "register-event"}));
      }
      if (staff) {
        if (e.status === "draft") actions.push(button("Publier · Publish", () => eventAction(e, "publish")));
        if (e.status === "published" || e.status === "draft") {
          actions.push(button("Annuler · Cancel", () => cancelEvent(e)));
        }
        actions.push(button("Liste d'attente · Waitlist", () => showWaitlist(e)));
        if (e.status === "published" || e.status === "draft") {
          actions.push(button("Inviter · Invite", () => openInvite(e), {class: "invite-event"}));
        }
        actions.push(button("Réponses · Answers", () => showAnswers(e), {class: "event-answers"}));
      }
      return h("tr", {dataset: {eventId: e.event_id}},
        labelled("Événement · Event", eventTitle(e)),
        labelled("Date", dateTime(e.starts_at)),
        labelled("Lieu · Venue", e.venue || e.online_url || ""),
        labelled("Places · Seats", `${e.seats_taken}/${e.capacity}`),
        labelled("État · Status", EVENT_STATUS_TEXT[e.status] || e.status),
        h("td", {}, ...actions));
    }));
  } catch (e) { report("events-error", e); }
}
async function registerTo(e) {
  report("events-error");
  try {
    const r = await api(`/api/v1/events/${encodeURIComponent(e.event_id)}/registrations`, json("POST", {}, once()));
    $("event-create-result").textContent = `${eventTitle(e)} : ${REGISTRATION_TEXT[r.status] || r.status}`;
    loadEvents(); loadMyRegistrations();
  } catch (err) { report("events-error", err); }
}
async function eventAction(e, action, body = {}) {
  report("events-error");
  try {
    await api(`/api/v1/events/${encodeURIComponent(e.event_id)}/${action}`, json("POST", body, once()));
    loadEvents();
  } catch (err) { report("events-error", err); }
}
function cancelEvent(e) {
  const reason = prompt("Motif (communiqué aux inscrits) · Reason (told to registrants)");
  if (reason) eventAction(e, "cancel", {reason});
}
async function showWaitlist(e) {
  report("events-error");
  try {
    const list = await api(`/api/v1/events/${encodeURIComponent(e.event_id)}/registrations?status=waitlisted`);
    $("event-waitlist").replaceChildren(h("h3", {}, `Liste d'attente · Waitlist — ${eventTitle(e)} (${list.items.length})`),
      h("ol", {id: "waitlist"}, ...list.items.map(r => h("li", {}, `${r.member_id} — ${dateTime(r.waitlisted_at)}`))));
  } catch (err) { report("events-error", err); }
}
// Invitations: a segment (class years, programs, cities, countries, ambassadors), counted before
// it is sent (the events service's own projection); sent once per event (README of events).
let invitingEvent = null;
function inviteSegment(form) {  // the newsletter form's reading of a segment, without its consent filter:
  const segment = segmentOf(new FormData(form));  // everyone is invited, consent decides the email only
  delete segment.consent_purpose;
  return segment;
}
function inviteUrl(suffix = "") { return `/api/v1/events/${encodeURIComponent(invitingEvent.event_id)}/invitations${suffix}`; }
function openInvite(e) {
  invitingEvent = e;
  $("event-invite-title").textContent = `Inviter · Invite — ${eventTitle(e)}`;
  $("event-invite-result").textContent = "";
  $("event-invite-title").hidden = $("event-invite").hidden = false;
}
$("event-invite-count").addEventListener("click", async () => {
  report("events-error");
  try {
    const r = await api(inviteUrl("/preview"), json("POST", {segment: inviteSegment($("event-invite"))}));
    $("event-invite-result").textContent =
      `${r.count} personne(s) à inviter · to invite (${r.matching} dans le segment · in the segment)`;
  } catch (err) { report("events-error", err); }
});
$("event-invite").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("events-error");
  try {
    const r = await api(inviteUrl(), json("POST", {segment: inviteSegment(ev.target)}, once()));
    $("event-invite-result").textContent = `${r.invited} invitation(s) envoyée(s) · sent`;
  } catch (err) { report("events-error", err); }
});
async function showAnswers(e) {
  report("events-error");
  try {
    const list = await api(`/api/v1/events/${encodeURIComponent(e.event_id)}/registrations?limit=500`);
    $("event-waitlist").replaceChildren(h("h3", {}, `Réponses · Answers — ${eventTitle(e)} (${list.items.length})`),
      h("ul", {id: "event-answers"}, ...list.items.map(r =>
        h("li", {}, `${r.member_id} — ${REGISTRATION_TEXT[r.status] || r.status}`))));
  } catch (err) { report("events-error", err); }
}
// datetime-local is the browser's local time; the API wants an offset: the browser's own.
function withOffset(local) { return local ? new Date(local).toISOString() : null; }
$("event-create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  report("events-error");
  const f = new FormData(ev.target);
  const body = {title: f.get("title"), starts_at: withOffset(f.get("starts_at")), ends_at: withOffset(f.get("ends_at")),
    venue: f.get("venue") || "", capacity: Number(f.get("capacity")), visibility: f.get("visibility"), status: f.get("status")};
  if (f.get("title_en")) body.title_en = f.get("title_en");
  if (f.get("online_url")) body.online_url = f.get("online_url");
  try {
    const r = await api("/api/v1/events", json("POST", body, once()));
    $("event-create-result").textContent = "OK: " + r.event_id; ev.target.reset(); loadEvents();
  } catch (e) { report("events-error", e); }
});
$("refresh-events").addEventListener("click", loadEvents);

async function loadMyRegistrations() {
  report("my-registrations-error");
  $("my-registrations-panel").hidden = !claims().member_id;
  if (!claims().member_id) return;
  try {
    const list = await api("/api/v1/me/registrations");
    $("my-registrations").replaceChildren(...list.items.map(r => {
      const actions = [];
      const path = `/api/v1/me/registrations/${encodeURIComponent(r.registration_id)}`;
      const act = async (p, options) => {
        report("my-registrations-error");
        try { await api(p, options); loadMyRegistrations(); loadEvents(); } catch (e) { report("my-registrations-error", e); }
      };
      if (r.status === "promoted") actions.push(button("Accepter · Accept", () => act(path + "/accept", json("POST", {}, once()))));
      if (["registered", "waitlisted"].includes(r.status)) {
        const guests = h("input", {type: "number", min: 0, max: 10, value: r.guests, "aria-label": "Invités · Guests", class: "guests"});
        actions.push(guests, button("Invités · Guests ✓", () => act(path, json("PATCH", {guests: Number(guests.value)}, once()))));
      }
      if (["registered", "waitlisted", "promoted", "pending_payment"].includes(r.status)) {
        actions.push(button("Annuler · Cancel", () => act(path + "/cancel", json("POST", {}, once())), {class: "cancel-registration"}));
      }
      return h("tr", {dataset: {registrationId: r.registration_id}},
        labelled("Événement · Event", eventTitles[r.event_id] || r.event_id),
        labelled("Statut · Status", REGISTRATION_TEXT[r.status] || r.status,
          r.accept_by ? ` (→ ${dateTime(r.accept_by)})` : ""),
        labelled("Invités · Guests", String(r.guests)),
        labelled("Billet · Ticket", r.ticket_code || ""),
        h("td", {}, ...actions));
    }));
  } catch (e) { report("my-registrations-error", e); }
}
$("refresh-my-registrations").addEventListener("click", loadMyRegistrations);

// -- partner webhooks (partners: their own subscriptions; managers: the tenant's) ------------
const WEBHOOK_LABELS = {
  status: {active: "actif · active", disabled: "désactivé · disabled"},
  mode: {structured: "structuré · structured", binary: "binaire · binary"},
  outcome: {delivered: "livré · delivered", failed: "échec, nouvel essai · failed, retrying",
    dead: "abandonné (DLQ) · dead-lettered", withheld: "retenu (consentement) · withheld (consent)"},
};
const webhookLabel = (table, code) => Object.hasOwn(WEBHOOK_LABELS[table], code) ? WEBHOOK_LABELS[table][code] : code;
const hooksState = {selected: null, before: null, replaying: null};
async function loadWebhookTypes() {
  if ($("webhook-types").options.length) return;
  try {
    const types = await api("/api/v1/partner/event-types");
    append($("webhook-types"), types.items.map(t => h("option", {value: t}, t.replace(/^org\.alumni\./, ""))));
  } catch (e) { report("webhooks-error", e); }
}
function webhookRow(w) {
  const act = (path, extra = {}) => async () => {
    report("webhooks-error");
    try {
      const r = await api(`/api/v1/partner/webhooks/${encodeURIComponent(w.webhook_id)}${path}`,
        json("POST", {}, extra));
      if (r.secret) showSecret(r.secret);
      loadWebhooks();
    } catch (e) { report("webhooks-error", e); }
  };
  const actions = h("span", {class: "actions"},
    button("Journal · Log", () => loadDeliveries(w, false)),
    w.status === "active" ? button("Désactiver · Disable", act("/disable"))
      : button("Activer · Enable", act("/enable")),
    button("Rejouer · Replay", () => openReplay(w), {disabled: w.status !== "active"}),
    button("Nouveau secret · Rotate secret", act("/rotate-secret?overlap_hours=24", once())),
    button("Supprimer · Delete", async () => {
      if (!confirm("Supprimer cet abonnement ? · Delete this subscription?")) return;
      try {
        await api(`/api/v1/partner/webhooks/${encodeURIComponent(w.webhook_id)}`, {method: "DELETE"});
        loadWebhooks();
      } catch (e) { report("webhooks-error", e); }
    }));
  const secrets = w.secrets.map(s => s.expires_at ? `${s.secret_id.slice(-6)} (→ ${dateTime(s.expires_at)})`
    : s.secret_id.slice(-6)).join(", ");
  return h("tr", {dataset: {webhook: w.webhook_id}},
    h("td", {title: w.description || w.url}, w.url),
    cell(w.event_types.map(t => t.replace(/^org\.alumni\./, "")).join(", ")),
    cell(webhookLabel("mode", w.mode)),
    h("td", {title: w.disabled_reason || ""}, webhookLabel("status", w.status),
      w.disabled_reason ? h("br") : null, w.disabled_reason || "", w.replay ? h("br") : null,
      w.replay ? "rejeu · replay: " + w.replay : ""),
    cell(secrets), h("td", {}, actions));
}
function showSecret(secret) {
  const p = $("webhook-secret");
  p.hidden = false;
  p.replaceChildren("Secret de signature, affiché une seule fois · Signing secret, shown once: ", h("code", {}, secret));
}
// Staff alerts (issue 13 item 6): a partner webhook disabled after a dead letter.
async function loadStaffAlerts() {
  const staff = (claims().roles || []).some(r => r === "manager" || r === "admin");
  $("staff-alerts-box").hidden = !staff;
  if (!staff) return;
  const [fr, en] = await Promise.all(["fr", "en"].map(lang => api(`/api/v1/staff/alerts?lang=${lang}`)));
  $("staff-alerts-unread").textContent = `${fr.unread} non lue(s) · unread`;
  const english = new Map(en.items.map(a => [a.alert_id, a]));
  $("staff-alerts").replaceChildren(...(fr.items.length ? fr.items.map(a => h("li",
    {class: a.read ? "read" : "unread", dataset: {id: a.alert_id}},
    h("span", {class: "title"}, a.title), " · ", english.get(a.alert_id)?.title || "", " — ",
    h("time", {datetime: a.created_at}, dateTime(a.created_at)),
    h("details", {}, h("summary", {}, "…"), h("p", {}, a.body), h("p", {}, english.get(a.alert_id)?.body || ""))))
    : [h("li", {}, "Aucune alerte · No alert")]));
}
$("staff-alerts-read").addEventListener("click", async () => {
  try {
    await api("/api/v1/staff/alerts/read", json("POST", {all: true}, once()));
    await loadStaffAlerts();
  } catch (e) { report("webhooks-error", e); }
});
async function loadWebhooks() {
  report("webhooks-error");
  loadWebhookTypes();
  loadStaffAlerts().catch(e => report("webhooks-error", e));
  try {
    const list = await api("/api/v1/partner/webhooks");
    $("webhooks").replaceChildren(...list.items.map(webhookRow));
    if (!list.items.length) $("webhooks").replaceChildren(h("tr", {}, h("td", {colspan: 6},
      "Aucun abonnement · No subscription")));
  } catch (e) { report("webhooks-error", e); }
}
async function loadDeliveries(w, more) {
  if (w) { hooksState.selected = w; hooksState.before = null; }
  const current = hooksState.selected;
  if (!current) return;
  report("webhooks-error");
  $("deliveries-of").textContent = "— " + current.url;
  const params = new URLSearchParams({limit: "50"});
  if (more && hooksState.before) params.set("before", hooksState.before);
  try {
    const page = await api(`/api/v1/partner/webhooks/${encodeURIComponent(current.webhook_id)}/deliveries?${params}`);
    const rows = page.items.map(d => row([dateTime(d.at), d.event_type.replace(/^org\.alumni\./, "") + " " +
      d.event_id.slice(-8) + (d.replay ? " ↺" : ""), `${d.stream} #${d.stream_sequence}`, d.attempt,
      webhookLabel("outcome", d.outcome), d.status_code ?? "", d.error || "", d.duration_ms]));
    if (more) append($("deliveries"), rows); else $("deliveries").replaceChildren(...rows);
    hooksState.before = page.next;
    $("deliveries-older").hidden = !page.next || page.items.length < 50;
  } catch (e) { report("webhooks-error", e); }
}
function openReplay(w) {
  hooksState.replaying = w;
  $("replay-form").hidden = false;
  $("replay-target").textContent = w.url;
}
$("replay-cancel").addEventListener("click", () => { $("replay-form").hidden = true; });
$("replay-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target), w = hooksState.replaying;
  const body = {};
  if (f.get("from_time")) body.from_time = new Date(f.get("from_time")).toISOString();
  if (f.get("stream")) body.stream = f.get("stream");
  if (f.get("from_sequence")) body.from_sequence = Number(f.get("from_sequence"));
  report("webhooks-error");
  try {
    await api(`/api/v1/partner/webhooks/${encodeURIComponent(w.webhook_id)}/replay`, json("POST", body, once()));
    $("replay-form").hidden = true; ev.target.reset(); loadWebhooks();
  } catch (e) { report("webhooks-error", e); }
});
$("webhook-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = {url: f.get("url"), event_types: f.getAll("event_types"), mode: f.get("mode"),
    description: f.get("description") || ""};
  report("webhooks-error");
  try {
    const r = await api("/api/v1/partner/webhooks", json("POST", body, once()));
    showSecret(r.secret); ev.target.reset(); loadWebhooks();
  } catch (e) { report("webhooks-error", e); }
});
$("refresh-webhooks").addEventListener("click", () => { loadWebhooks(); loadDeliveries(null, false); });
$("deliveries-older").addEventListener("click", () => loadDeliveries(null, true));

// A partner system's token (role `partner` only) reaches the webhooks panel and nothing else:
// the console shows that panel alone instead of a page of 403s.
function partnerOnly() {
  try {
    const roles = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).roles || [];
    return roles.length > 0 && roles.every(r => r === "partner");
  } catch (e) { return false; }
}
function refresh() {
  const partner = partnerOnly();
  document.querySelectorAll("main > section:not(#webhooks-panel)").forEach(s => {
    if (partner && !s.hidden) { s.hidden = true; s.dataset.partnerHidden = "1"; }
    else if (!partner && s.dataset.partnerHidden) { s.hidden = false; delete s.dataset.partnerHidden; }
  });
  if (partner) { loadWebhooks(); return; }
  loadMembers(false); loadMail(true); searchDirectory(false); loadGroups(); loadShowcase(); loadSectors(); loadPlans(); loadKpis();
  loadMyMembership(); loadMyNotifications(); loadContactability(); loadNewsletters(); loadEvents(); loadMyRegistrations();
  loadCampaigns(); loadGiveCampaigns(); loadMyReceipts(); loadReceiptEntities(); loadHelp(); loadHelpFigures(); loadMentoring(); loadMentoringStaff(); loadJobs();
  loadBenefits(); loadWebhooks();
}
refresh();
if (memberFromHash) showRecord(memberFromHash);  // console#member=<id>: open a record directly
// Poll the mailbox for what is new only, and not while the tab is hidden.
setInterval(() => { if (!document.hidden && !partnerOnly()) loadMail(false); }, 5000);
