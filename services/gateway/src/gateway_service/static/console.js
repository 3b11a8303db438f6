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
const planForm = {editing: null};
function editPlan(p) {
  const form = $("plan-create");
  planForm.editing = p;
  form.elements.name.value = p.name;
  form.elements.kind.value = p.kind;
  form.elements.price.value = (p.price_minor / 100).toFixed(2);
  form.elements.instalments.value = String(p.instalments);
  form.querySelector("button[type=submit]").textContent = `Enregistrer la version ${p.revision + 1} · Save revision ${p.revision + 1}`;
  $("plan-edit-cancel").hidden = false;
  form.elements.name.focus();
}
function resetPlanForm() {
  const form = $("plan-create");
  planForm.editing = null;
  form.reset();
  form.querySelector("button[type=submit]").textContent = "Créer · Create";
  $("plan-edit-cancel").hidden = true;
}
$("plan-edit-cancel").addEventListener("click", () => { report("plans-error"); resetPlanForm(); });
async function loadPlans() {
  report("plans-error");
  try {
    const page = await api("/api/v1/membership-plans?include_retired=true");
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
    const p = planForm.editing;
    if (p) {
      // The plan answers "" for an optional text it does not have; the request spells it null.
      const body = Object.fromEntries(TERMS.map(k => [k, p[k] === "" ? null : p[k]]));
      Object.assign(body, edited);
      await api(`/api/v1/membership-plans/${encodeURIComponent(p.plan_id)}`, json("PUT", body, once()));
    } else {
      await api("/api/v1/membership-plans", json("POST", Object.assign(edited, {currency: "EUR"}), once()));
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
  dateTime(m.received_at))), cell((m.to || []).join(", ")), cell(m.subject), cell(m.message_id));
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
async function loadWebhooks() {
  report("webhooks-error");
  loadWebhookTypes();
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
  loadMembers(false); loadMail(true); searchDirectory(false); loadGroups(); loadShowcase(); loadSectors(); loadPlans(); loadKpis(); loadMyMembership(); loadWebhooks(); }
refresh();
if (memberFromHash) showRecord(memberFromHash);  // console#member=<id>: open a record directly
// Poll the mailbox for what is new only, and not while the tab is hidden.
setInterval(() => { if (!document.hidden && !partnerOnly()) loadMail(false); }, 5000);
