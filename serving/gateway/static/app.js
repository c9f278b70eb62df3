// The drawing page: pointer strokes (or an image file) sent to POST /predict; the status line
// follows GET /readyz.
"use strict";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const seen = document.getElementById("seen").getContext("2d");
const fileInput = document.getElementById("file");
const STROKE_WIDTH = 18;
// After the last stroke, before asking: long enough that lifting the pen between the strokes
// of a 4 or a 7 does not send (and show) an answer for half a digit.
const PREDICT_DELAY_MS = 400;
const STATUS_POLL_MS = { ready: 10000, down: 3000 };

let drawing = false;
let timer = null;
let latest = 0; // the request whose answer may be shown; bumped by each stroke, clear, request
let statusTimer = null;

function clearPad() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [
    ((event.clientX - box.left) * pad.width) / box.width,
    ((event.clientY - box.top) * pad.height) / box.height,
  ];
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  latest += 1; // an answer still on its way is for the digit before this stroke
  pad.setPointerCapture(event.pointerId);
  const [x, y] = point(event);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x, y);
  ctx.stroke();
  clearTimeout(timer);
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = point(event);
  ctx.lineTo(x, y);
  ctx.stroke();
});

function endStroke() {
  if (!drawing) return;
  drawing = false;
  clearTimeout(timer);
  timer = setTimeout(() => pad.toBlob((blob) => predict(blob, "digit.png"), "image/png"), PREDICT_DELAY_MS);
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

document.getElementById("clear").addEventListener("click", () => {
  latest += 1;
  clearTimeout(timer);
  clearPad();
  showError(null);
  showResult(null);
});

document.getElementById("open").addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  if (fileInput.files.length) predictFile(fileInput.files[0]);
  fileInput.value = ""; // choosing the same file again is a change too
});

pad.addEventListener("dragover", (event) => {
  event.preventDefault();
  pad.classList.add("dragging");
});
pad.addEventListener("dragleave", () => pad.classList.remove("dragging"));
pad.addEventListener("drop", (event) => {
  event.preventDefault();
  pad.classList.remove("dragging");
  if (event.dataTransfer.files.length) predictFile(event.dataTransfer.files[0]);
});

function predictFile(file) {
  showOnPad(file);
  predict(file, file.name || "upload");
}

// The file as the browser sees it, fitted on the pad; the gateway gets the file itself.
async function showOnPad(file) {
  clearPad();
  try {
    const image = await createImageBitmap(file);
    const scale = Math.min(pad.width / image.width, pad.height / image.height);
    const [width, height] = [image.width * scale, image.height * scale];
    ctx.drawImage(image, (pad.width - width) / 2, (pad.height - height) / 2, width, height);
    image.close();
  } catch (error) {
    // Not an image this browser decodes: the gateway's answer says what is wrong with it.
  }
}

async function predict(blob, name) {
  const asked = ++latest;
  const form = new FormData();
  form.append("file", blob, name);
  try {
    const response = await fetch("/predict?include_input=true", { method: "POST", body: form });
    const body = await response.json().catch(() => ({}));
    if (asked !== latest) return; // a newer stroke or request: this answer is stale
    if (response.ok) {
      showError(null);
      showResult(body);
    } else {
      showError(errorText(response.status, body));
      if (response.status === 503) refreshStatus();
    }
  } catch (error) {
    if (asked !== latest) return;
    showError("The gateway is not answering.");
    refreshStatus();
  }
}

function errorText(status, body) {
  if (status === 503) return "The model server is not answering; try again in a moment.";
  return body.error ? body.error.message : `The gateway answered HTTP ${status}.`;
}

// An error replaces the answer: the digit shown is never one from an earlier drawing.
function showError(message) {
  const box = document.getElementById("error");
  box.hidden = !message;
  box.textContent = message || "";
  if (message) showResult(null);
}

function showResult(body) {
  const prediction = body ? body.predictions[0] : null;
  const confidence = prediction ? `${(prediction.confidence * 100).toFixed(1)}% confident` : "";
  document.getElementById("digit").textContent = prediction ? prediction.digit : "–";
  document.getElementById("confidence").textContent = confidence || "\u00a0";
  document.getElementById("announce").textContent = prediction
    ? `Prediction: ${prediction.digit}, ${confidence}`
    : "";
  document.getElementById("model").textContent = body
    ? `model ${body.model_name} · version ${body.model_version} · ` +
      `preprocess ${body.timings.preprocess_ms.toFixed(1)} ms · ` +
      `inference ${body.timings.inference_ms.toFixed(1)} ms`
    : "\u00a0";
  drawBars(prediction ? prediction.probabilities : Array(10).fill(0), prediction && prediction.digit);
  drawModelInput(prediction ? prediction.model_input : null);
  showFeedback(body); // feedback.js
}

function drawBars(probabilities, top) {
  const list = document.getElementById("bars");
  list.replaceChildren(
    ...probabilities.map((p, digit) => {
      const item = document.createElement("li");
      item.dataset.digit = digit;
      if (digit === top) item.className = "top";
      item.innerHTML =
        `<span>${digit}</span><span class="track"><span class="fill"></span></span>` +
        `<span class="value">${(p * 100).toFixed(1)}%</span>`;
      item.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
      return item;
    }),
  );
}

function drawModelInput(pixels) {
  seen.fillStyle = "#000";
  seen.fillRect(0, 0, 112, 112);
  if (!pixels) return;
  const image = seen.createImageData(28, 28);
  pixels.flat().forEach((value, i) => {
    const level = Math.round(value * 255);
    image.data.set([level, level, level, 255], i * 4);
  });
  const small = document.createElement("canvas");
  small.width = small.height = 28;
  small.getContext("2d").putImageData(image, 0, 0);
  seen.imageSmoothingEnabled = false;
  seen.drawImage(small, 0, 0, 112, 112);
}

// The status line: ready (and which versions), or which part is down, in words a visitor
// can act on; the gateway's internal addresses are never shown. Polled, faster while down.
async function refreshStatus() {
  clearTimeout(statusTimer);
  const status = document.getElementById("status");
  let ready = false;
  try {
    const response = await fetch("/readyz", { cache: "no-store" });
    const body = await response.json().catch(() => ({}));
    ready = response.ok;
    status.textContent = ready
      ? `ready · model ${body.model_name}, version ${body.available_versions.join(", ")}`
      : "The model server is down or has no model loaded; retrying…";
  } catch (error) {
    status.textContent = "The gateway is not answering; retrying…";
  }
  status.classList.toggle("down", !ready);
  statusTimer = setTimeout(refreshStatus, ready ? STATUS_POLL_MS.ready : STATUS_POLL_MS.down);
}

ctx.lineWidth = STROKE_WIDTH;
ctx.lineCap = "round";
ctx.lineJoin = "round";
ctx.strokeStyle = "#000";
clearPad();
showResult(null);
refreshStatus();
