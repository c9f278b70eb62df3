// The rollout review page: the state and live figures (GET /v1/rollout) and the shadow's
// disagreements (GET /v1/rollout/disagreements), each drawn as its 28×28 input with both answers.
"use strict";

const REFRESH_MS = 5000;
let timer = null;

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function describeState(state) {
  if (!state) return "Unmanaged: no rollout state; unpinned requests go to the highest version.";
  let words = `generation ${state.generation} · stable: version ${state.stable}`;
  if (state.candidate !== null) {
    const share = state.mode === "canary" ? `, ${state.percent}% of traffic` : ", copies only";
    words += ` · candidate: version ${state.candidate} (${state.mode}${share})`;
  }
  return words;
}

const fixed = (value, digits) => (value === null || value === undefined ? "–" : value.toFixed(digits));
const share = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(1)}% of ${whole}` : "–");

function showFigures(body) {
  document.getElementById("state").textContent = describeState(body.state);
  document.getElementById("window").textContent = `(last ${body.window_seconds} s)`;
  const rows = body.versions.map((v) => {
    const row = document.createElement("tr");
    [
      v.version, v.role, v.requests, v.errors, fixed(v.p50_ms, 1), fixed(v.p99_ms, 1),
      fixed(v.mean_confidence, 3), share(v.shadow_agreed, v.shadow_compared), v.shadow_dropped,
      share(v.feedback_correct, v.feedback),
    ].forEach((value) => row.append(text("td", String(value))));
    return row;
  });
  document.querySelector("#figures tbody").replaceChildren(...rows);
}

function drawDigit(canvas, pixels) {
  const small = canvas.getContext("2d");
  const image = small.createImageData(28, 28);
  pixels.flat().forEach((level, i) => image.data.set([level, level, level, 255], i * 4));
  small.putImageData(image, 0, 0);
}

function card(found) {
  const item = document.createElement("li");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  const said = (who, answer) =>
    `${who} (v${answer.version}) said ${answer.digit} (${answer.confidence.toFixed(2)})`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${said("stable", found.stable)}; ${said("candidate", found.candidate)}`);
  drawDigit(canvas, found.pixels);
  const stable = text("p", "stable said ", "said stable");
  stable.append(text("b", String(found.stable.digit)), ` (${found.stable.confidence.toFixed(2)})`);
  const candidate = text("p", "candidate said ", "said candidate");
  candidate.append(text("b", String(found.candidate.digit)), ` (${found.candidate.confidence.toFixed(2)})`);
  const image = found.index ? ` · image ${found.index}` : "";
  const meta = text("p", `${found.time} · ${found.request_id}${image}`, "muted meta");
  item.append(canvas, stable, candidate, meta);
  return item;
}

function showDisagreements(body) {
  document.getElementById("count").textContent =
    `(${body.kept} kept of ${body.seen} seen, up to ${body.capacity})`;
  document.getElementById("gallery").replaceChildren(...body.disagreements.map(card));
  document.getElementById("empty").hidden = body.disagreements.length > 0;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  return body;
}

async function refresh() {
  clearTimeout(timer);
  const error = document.getElementById("error");
  try {
    const [figures, disagreements] = await Promise.all([
      getJson("/v1/rollout"),
      getJson("/v1/rollout/disagreements"),
    ]);
    showFigures(figures);
    showDisagreements(disagreements);
    error.hidden = true;
  } catch (problem) {
    error.textContent = `The gateway is not answering: ${problem.message}`;
    error.hidden = false;
  }
  if (document.getElementById("auto").checked) timer = setTimeout(refresh, REFRESH_MS);
}

document.getElementById("refresh").addEventListener("click", refresh);
document.getElementById("auto").addEventListener("change", refresh);
refresh();
