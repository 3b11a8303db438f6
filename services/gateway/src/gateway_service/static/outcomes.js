// Console panel of the career-outcome surveys (community, issue 14). Loaded after console.js,
// whose helpers it uses (h, $, cell, button, api, json, once, claims, report, token). Every value
// is rendered as text: no markup from data.
"use strict";
const OUTCOME_BANDS = {"under_30k": "< 30 k€", "30k_35k": "30–35 k€", "35k_40k": "35–40 k€", "40k_45k": "40–45 k€",
  "45k_50k": "45–50 k€", "50k_60k": "50–60 k€", "60k_80k": "60–80 k€", "80k_plus": "≥ 80 k€"};
const outcomes = {selected: null};
const SUPPRESSED = "< 5 (masqué · suppressed)";
const pct = (x) => x === null || x === undefined ? "—" : `${(x * 100).toFixed(0)} %`;
function isStaffCaller() { return (claims().roles || []).some(r => r === "manager" || r === "admin"); }

function outcomeRow(r) {
  const group = r.kind === "total" ? "Toutes · All" : (r.kind === "program" ? "Programme · Program: " : "") + r.group;
  const hidden = (v, f) => r.suppressed ? SUPPRESSED : f(v);
  return h("tr", {dataset: {group: r.group, kind: r.kind}, class: r.suppressed ? "suppressed" : null},
    cell(group), cell(r.invited === null ? SUPPRESSED : String(r.invited)),
    cell(r.answers === null ? SUPPRESSED : String(r.answers)), cell(r.response_rate === null ? SUPPRESSED : pct(r.response_rate)),
    cell(hidden(r.net_employment_rate, pct)),
    cell(hidden(r.median_salary_band, b => b ? (OUTCOME_BANDS[b] || b) : "—")),
    cell(hidden(r.share_abroad, pct)), cell(hidden(r.further_study_rate, pct)),
    cell(r.suppressed ? SUPPRESSED : (r.top_sectors || []).map(([s, n]) => `${s} (${n})`).join(", ") || "—"));
}

async function saveCsv(path, fallback) {
  const response = await fetch(path, {headers: {"Authorization": "Bearer " + token}});
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error((body.title || response.status) + (body.detail ? ": " + body.detail : ""));
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  const link = h("a", {download: named ? named[1] : fallback, hidden: true});
  link.href = URL.createObjectURL(new Blob([await response.blob()], {type: "text/csv"}));
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function showOutcomeFigures(survey) {
  outcomes.selected = survey.survey_id;
  $("outcome-figures-of").textContent = "— " + survey.title;
  report("outcomes-error");
  try {
    const f = await api(`/api/v1/outcome-surveys/${encodeURIComponent(survey.survey_id)}/figures`);
    $("outcome-figures").replaceChildren(outcomeRow(f.total), ...f.by_cohort.map(outcomeRow), ...f.by_program.map(outcomeRow));
  } catch (e) { report("outcomes-error", e); }
}

function surveyRow(s) {
  const id = encodeURIComponent(s.survey_id);
  const actions = h("span", {},
    button("Résultats · Figures", () => showOutcomeFigures(s), {class: "show-figures"}),
    button("CSV classements · Rankings CSV", async () => {
      try { await saveCsv(`/api/v1/outcome-surveys/${id}/figures.csv`, "outcomes.csv"); } catch (e) { report("outcomes-error", e); }
    }, {class: "figures-csv"}),
    button("Liens (publipostage) · Links (mailing)", async () => {
      try { await saveCsv(`/api/v1/outcome-surveys/${id}/links.csv`, "liens.csv"); } catch (e) { report("outcomes-error", e); }
    }, {class: "links-csv"}),
    s.status === "open" ? button("Clore · Close", async () => {
      try { await api(`/api/v1/outcome-surveys/${id}/close`, json("POST", {}, once())); await loadOutcomes(); }
      catch (e) { report("outcomes-error", e); }
    }) : "");
  return h("tr", {dataset: {survey: s.survey_id}},
    cell(s.title), cell(s.cohort_years.join(", ") + (s.programs.length ? " · " + s.programs.join(", ") : "")),
    cell(String(s.months_after)), cell(s.status === "open" ? "Ouverte · Open" : "Close · Closed"),
    cell(`${s.answers ?? "—"} / ${s.invited}`), h("td", {}, actions));
}

async function loadOutcomes() {
  const staff = token && isStaffCaller();
  $("outcomes-panel").hidden = !staff;
  if (!staff) return;
  report("outcomes-error");
  try {
    const found = await api("/api/v1/outcome-surveys");
    $("outcome-surveys").replaceChildren(...found.items.map(surveyRow));
    const current = found.items.find(s => s.survey_id === outcomes.selected) || found.items[0];
    if (current) await showOutcomeFigures(current);
  } catch (e) { report("outcomes-error", e); }
}

// An alumnus's own surveys (logged in): answered or not, with a link to the answering page,
// which uses this tab's session (`/survey?survey=<id>`).
async function loadMyOutcomes() {
  const alumnus = token && (claims().roles || []).includes("alumnus") && claims().member_id;
  $("my-outcomes-panel").hidden = true;
  if (!alumnus) return;
  try {
    const found = await api("/api/v1/me/outcome-surveys");
    $("my-outcomes").replaceChildren(...found.items.map(s => h("li", {dataset: {survey: s.survey_id}},
      s.title + " — " + s.cohort + " — ",
      s.answer ? "répondu · answered" : !s.open ? "close · closed"
        : h("a", {href: "/survey?survey=" + encodeURIComponent(s.survey_id)}, "Répondre · Answer"))));
    $("my-outcomes-panel").hidden = found.items.length === 0;
  } catch (e) { /* not linked to a member yet: nothing to show */ }
}

$("outcome-launch").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const years = String(form.get("cohort_years")).split(/[ ,;]+/).filter(Boolean).map(Number);
  const programs = String(form.get("programs") || "").split(",").map(p => p.trim()).filter(Boolean);
  report("outcomes-error");
  try {
    const s = await api("/api/v1/outcome-surveys", json("POST", {title: String(form.get("title")).trim(),
      cohort_years: years, programs, months_after: Number(form.get("months_after"))}, once()));
    outcomes.selected = s.survey_id;
    ev.target.reset();
    await loadOutcomes();
  } catch (e) { report("outcomes-error", e); }
});
$("refresh-outcomes").addEventListener("click", loadOutcomes);
$("token-form").addEventListener("submit", () => { loadOutcomes(); loadMyOutcomes(); });
loadOutcomes();
loadMyOutcomes();
