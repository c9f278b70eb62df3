// The drawing page: pointer strokes on a canvas, sent to POST /predict as a PNG.
"use strict";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const seen = document.getElementById("seen").getContext("2d");
const STROKE_WIDTH = 18;
const PREDICT_DELAY_MS = 150; // after the last stroke, before asking the gateway

let drawing = false;
let timer = null;

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
  timer = setTimeout(() => pad.toBlob((blob) => predict(blob), "image/png"), PREDICT_DELAY_MS);
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  showResult(null);
});

document.getElementById("file").addEventListener("change", (event) => {
  if (event.target.files.length) predict(event.target.files[0]);
});

pad.addEventListener("dragover", (event) => {
  event.preventDefault();
  pad.classList.add("dragging");
});
pad.addEventListener("dragleave", () => pad.classList.remove("dragging"));
pad.addEventListener("drop", (event) => {
  event.preventDefault();
  pad.classList.remove("dragging");
  if (event.dataTransfer.files.length) predict(event.dataTransfer.files[0]);
});

async function predict(blob) {
  const form = new FormData();
  form.append("file", blob, "digit.png");
  showError(null);
  try {
    const response = await fetch("/predict?include_input=true", { method: "POST", body: form });
    const body = await response.json();
    if (!response.ok) {
      showError(body.error ? body.error.message : `HTTP ${response.status}`);
      return;
    }
    showResult(body);
  } catch (error) {
    showError(`the gateway did not answer: ${error}`);
  }
}

function showError(message) {
  const box = document.getElementById("error");
  box.hidden = !message;
  box.textContent = message || "";
}

function showResult(body) {
  const prediction = body ? body.predictions[0] : null;
  document.getElementById("digit").textContent = prediction ? prediction.digit : "–";
  document.getElementById("confidence").textContent = prediction
    ? `${(prediction.confidence * 100).toFixed(1)}% confident`
    : "\u00a0";
  document.getElementById("model").textContent = body
    ? `model ${body.model_name} · version ${body.model_version} · ` +
      `preprocess ${body.timings.preprocess_ms.toFixed(1)} ms · ` +
      `inference ${body.timings.inference_ms.toFixed(1)} ms`
    : "\u00a0";
  drawBars(prediction ? prediction.probabilities : Array(10).fill(0), prediction && prediction.digit);
  drawModelInput(prediction ? prediction.model_input : null);
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

async function showStatus() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/readyz");
    const body = await response.json();
    status.textContent = response.ok
      ? `model ${body.model_name} ready · versions ${body.available_versions.join(", ")}`
      : `not ready: ${body.error.message}`;
  } catch (error) {
    status.textContent = "the gateway is not answering";
  }
}

ctx.lineWidth = STROKE_WIDTH;
ctx.lineCap = "round";
ctx.lineJoin = "round";
ctx.strokeStyle = "#000";
clearPad();
showResult(null);
showStatus();
