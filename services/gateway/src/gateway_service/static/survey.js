// The answering page of a career-outcomes survey, opened from a personal signed link
// (`/survey?tenant=<t>#<token>`): no login, the token is the authority for that one answer. The
// token travels in the URL fragment (never sent to a server nor in a Referer) and leaves the
// address bar at once. FR/EN; every value is rendered as text.
"use strict";
const $ = (id) => document.getElementById(id);
const TEXT = {
  fr: {heading: "Enquête insertion des diplômés", lang: "English", situation: "Votre situation", employed: "En emploi",
    seeking: "En recherche d'emploi", further_study: "En poursuite d'études", other: "Autre situation",
    contract: "Type de contrat", permanent: "CDI", fixed_term: "CDD", freelance: "Indépendant", vie: "VIE",
    apprenticeship: "Alternance", other_contract: "Autre", sector: "Secteur", country: "Pays (code ISO, ex. FR)",
    salary: "Salaire brut annuel (hors primes)", no_salary: "Je préfère ne pas répondre", send: "Envoyer ma réponse",
    intro: (s) => `Promotion ${s.cohort} — votre situation ${s.months_after} mois après le diplôme. Une seule réponse.`,
    done: "Merci : votre réponse est enregistrée. Elle ne peut plus être modifiée.",
    already: "Vous avez déjà répondu à cette enquête. Merci !", closed: "Cette enquête est close.",
    invalid: "Ce lien n'est pas valide ou a expiré.", missing: "Ouvrez le lien personnel reçu par e-mail."},
  en: {heading: "Graduate outcomes survey", lang: "Français", situation: "Your situation", employed: "Employed",
    seeking: "Looking for a job", further_study: "In further study", other: "Other situation",
    contract: "Contract type", permanent: "Permanent", fixed_term: "Fixed-term", freelance: "Freelance", vie: "VIE",
    apprenticeship: "Apprenticeship", other_contract: "Other", sector: "Sector", country: "Country (ISO code, e.g. FR)",
    salary: "Gross yearly salary (bonus excluded)", no_salary: "I prefer not to say", send: "Send my answer",
    intro: (s) => `Class ${s.cohort} — your situation ${s.months_after} months after graduation. One answer only.`,
    done: "Thank you: your answer is recorded. It can no longer be changed.",
    already: "You already answered this survey. Thank you!", closed: "This survey is closed.",
    invalid: "This link is not valid or has expired.", missing: "Open the personal link you received by email."},
};
let lang = (navigator.language || "fr").toLowerCase().startsWith("en") ? "en" : "fr";
let surveyToken = "";
const tenant = new URLSearchParams(location.search).get("tenant");
// Logged in (from the console, same tab): `/survey?survey=<id>` answers with the console's session.
const ownSurvey = new URLSearchParams(location.search).get("survey");
let bearer = "";
try { bearer = sessionStorage.getItem("alumni-token") || ""; } catch (e) { bearer = ""; }
let survey = null;
function takeToken() {  // also when the link is opened again in this tab (only the fragment changes)
  if (location.hash.length > 1) {
    surveyToken = location.hash.slice(1);
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function params() {
  const p = new URLSearchParams({token: surveyToken});
  if (tenant) p.set("tenant", tenant);
  return p;
}
function render() {
  const t = TEXT[lang];
  document.documentElement.lang = lang;
  $("survey-heading").textContent = t.heading;
  $("survey-lang").textContent = t.lang;
  document.querySelectorAll("[data-t]").forEach(el => { el.textContent = t[el.dataset.t]; });
  if (!survey) return;
  $("survey-title").textContent = survey.title;
  $("survey-intro").textContent = t.intro(survey);
  $("survey-consent").textContent = survey.consent_text[lang] || survey.consent_text.fr;
  const answered = Boolean(survey.answer);
  $("survey-form").hidden = answered || !survey.open;
  $("survey-done").textContent = answered ? (survey.justAnswered ? t.done : t.already) : (survey.open ? "" : t.closed);
}
function employedFields() {
  const employed = $("survey-form").elements.situation.value === "employed";
  document.querySelectorAll("#survey-form .job").forEach(el => { el.hidden = !employed; });
}
async function callOwn(method, body) {
  const headers = {"Authorization": "Bearer " + bearer};
  const path = method === "GET" ? "/api/v1/me/outcome-surveys"
    : `/api/v1/me/outcome-surveys/${encodeURIComponent(ownSurvey)}/answer`;
  if (method !== "GET") { headers["Content-Type"] = "application/json"; headers["Idempotency-Key"] = crypto.randomUUID(); }
  const response = await fetch(path, method === "GET" ? {headers} : {method, headers, body: JSON.stringify(body)});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.title || response.status) + (data.detail ? ": " + data.detail : ""));
    error.status = response.status;
    throw error;
  }
  if (method !== "GET") return data;
  const found = (data.items || []).find(s => s.survey_id === ownSurvey);
  if (!found) { const error = new Error(TEXT[lang].invalid); error.status = 404; throw error; }
  return found;
}
async function call(method, body) {
  if (!surveyToken && ownSurvey && bearer) return callOwn(method, body);
  const response = await fetch("/api/v1/public/outcome-survey?" + (method === "GET" ? params() : new URLSearchParams(tenant ? {tenant} : {})),
    method === "GET" ? {} : {method, headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.status === 400 ? TEXT[lang].invalid : (data.title || response.status) + (data.detail ? ": " + data.detail : ""));
    error.status = response.status;
    throw error;
  }
  return data;
}
async function load() {
  takeToken();
  survey = null;
  $("survey-error").textContent = "";
  $("survey-done").textContent = "";
  if (!surveyToken && !(ownSurvey && bearer)) { $("survey-error").textContent = TEXT[lang].missing; return; }
  try { survey = await call("GET"); render(); employedFields(); }
  catch (e) { $("survey-error").textContent = e.message; }
}
$("survey-lang").addEventListener("click", () => { lang = lang === "fr" ? "en" : "fr"; render(); });
$("survey-form").elements.situation.addEventListener("change", employedFields);
$("survey-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target.elements, employed = f.situation.value === "employed";
  const body = {situation: f.situation.value, consent: f.consent.checked, locale: lang};
  if (surveyToken) body.token = surveyToken;
  if (employed) Object.assign(body, {contract: f.contract.value, sector: f.sector.value.trim(),
    country: f.country.value.trim().toUpperCase(), salary_band: f.salary_band.value || null});
  $("survey-error").textContent = "";
  try { survey = Object.assign(await call("POST", body), {justAnswered: true}); render(); }
  catch (e) {
    if (e.status === 409) { survey = Object.assign(survey || {}, {answer: {}, justAnswered: false}); render(); }
    $("survey-error").textContent = e.status === 409 ? "" : e.message;
  }
});
window.addEventListener("hashchange", load);
render();
load();
