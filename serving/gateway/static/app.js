// The drawing page: pointer strokes (or an image file) sent to POST /predict; the answer says
// what it is (a digit, uncertain, a number, not a digit), with each digit's box drawn over the
// pad and each digit as the model saw it; the status line follows GET /readyz.
"use strict";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const boxes = document.getElementById("boxes").getContext("2d");
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
// Where the upload sits on the pad: its pixels times `scale`, plus the offset. A drawing is
// the pad itself; a file is fitted into it (showOnPad).
const AS_DRAWN = { scale: 1, x: 0, y: 0 };
let padView = AS_DRAWN;
const BOX_COLOURS = { digit: "#2f6fde", uncertain: "#c77700", not_a_digit: "#b3261e" };

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
  padView = AS_DRAWN; // strokes over a shown file: the upload is the pad from now on
  clearBoxes();
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
  padView = AS_DRAWN;
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

async function predictFile(file) {
  latest += 1; // an answer on its way is for what the pad showed before
  await showOnPad(file); // first, so that the answer's boxes land on the file
  predict(file, file.name || "upload");
}

// The file as the browser sees it (EXIF orientation applied, as the gateway's boxes are),
// fitted on the pad; the gateway gets the file itself.
async function showOnPad(file) {
  clearPad();
  clearBoxes();
  padView = AS_DRAWN;
  try {
    const image = await createImageBitmap(file);
    const scale = Math.min(pad.width / image.width, pad.height / image.height);
    const [width, height] = [image.width * scale, image.height * scale];
    padView = { scale, x: (pad.width - width) / 2, y: (pad.height - height) / 2 };
    ctx.drawImage(image, padView.x, padView.y, width, height);
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

// What the answer is, in words: "Digit: 7", "Uncertain: 4 or 9", "Number: 2026", "Not a digit".
function verdict(prediction) {
  const status = prediction.status || "digit"; // a gateway from before statuses
  if (status === "number") return `Number: ${prediction.number}`;
  if (status === "not_a_digit") return "Not a digit";
  if (status === "uncertain") {
    const [first, second] = prediction.candidates;
    return `Uncertain: ${first.digit} or ${second.digit}`;
  }
  return `Digit: ${prediction.digit}`;
}

function headline(prediction) {
  if (prediction.status === "number") return prediction.number;
  if (prediction.status === "not_a_digit") return "?";
  return String(prediction.digit);
}

function confidenceText(prediction) {
  const percent = (p) => `${(p * 100).toFixed(1)}%`;
  if (prediction.status === "uncertain") {
    return prediction.candidates.map((c) => `${c.digit}: ${percent(c.probability)}`).join(" · ");
  }
  if (prediction.status === "number") {
    const read = prediction.digits.filter((d) => !d.stray); // stray marks are no part of it
    return read.map((d) => `${d.digit}: ${percent(d.confidence)}`).join(" · ");
  }
  return prediction.confidence == null ? "" : `${percent(prediction.confidence)} confident`;
}

function showResult(body) {
  const prediction = body ? body.predictions[0] : null;
  const big = document.getElementById("digit");
  big.textContent = prediction ? headline(prediction) : "–";
  big.classList.toggle("long", big.textContent.length > 3);
  big.dataset.status = prediction ? prediction.status || "digit" : "";
  const said = prediction ? verdict(prediction) : "";
  const confidence = prediction ? confidenceText(prediction) : "";
  document.getElementById("verdict").textContent = said || "\u00a0";
  document.getElementById("confidence").textContent = confidence || "\u00a0";
  const reasons = prediction && prediction.status !== "uncertain" ? prediction.reasons || [] : [];
  const leftOut = prediction ? prediction.left_out || [] : [];
  const reasonBox = document.getElementById("reasons");
  reasonBox.hidden = !reasons.length && !leftOut.length;
  reasonBox.textContent = [
    reasons.length ? `Why: ${reasons.join("; ")}.` : "",
    leftOut.length ? `Left out: ${leftOut.map((m) => m.reason).join("; ")}.` : "",
  ].join(" ").trim();
  document.getElementById("announce").textContent = !prediction
    ? ""
    : prediction.status === "digit" || !prediction.status
      ? `Prediction: ${prediction.digit}, ${confidence}`
      : `${said}${reasons.length ? `: ${reasons.join("; ")}` : ""}`;
  document.getElementById("model").textContent = body
    ? `model ${body.model_name} · version ${body.model_version} · ` +
      `preprocess ${body.timings.preprocess_ms.toFixed(1)} ms · ` +
      `inference ${body.timings.inference_ms.toFixed(1)} ms`
    : "\u00a0";
  const probabilities = prediction && prediction.probabilities;
  drawBars(probabilities || Array(10).fill(0), probabilities ? prediction.digit : null);
  document.getElementById("bars").hidden = Boolean(prediction && !probabilities); // a number
  drawModelInput(prediction ? prediction.model_input : null);
  drawDigits(prediction ? prediction.digits || [] : []);
  drawLeftOut(leftOut);
  showFeedback(body); // feedback.js
}

function clearBoxes() {
  boxes.clearRect(0, 0, pad.width, pad.height);
}

// Each digit's box, from the upload's pixels to the pad's, labelled with the digit read.
function drawBoxes(digits) {
  clearBoxes();
  boxes.lineWidth = 2;
  boxes.font = "bold 14px system-ui, sans-serif";
  boxes.textBaseline = "bottom";
  for (const digit of digits) {
    const [left, top, right, bottom] = digit.box;
    const x = padView.x + left * padView.scale;
    const y = padView.y + top * padView.scale;
    const [width, height] = [(right - left) * padView.scale, (bottom - top) * padView.scale];
    boxes.strokeStyle = boxes.fillStyle = BOX_COLOURS[digit.status] || BOX_COLOURS.digit;
    boxes.strokeRect(x, y, width, height);
    const label = digit.status === "not_a_digit" ? "?" : String(digit.digit);
    boxes.fillText(label, x + 2, y > 16 ? y - 2 : y + 16);
  }
}

// The marks left out of the answer: dashed grey boxes, over the digits' boxes.
function drawLeftOut(marks) {
  boxes.save();
  boxes.setLineDash([4, 3]);
  boxes.strokeStyle = "#888";
  for (const mark of marks) {
    const [left, top, right, bottom] = mark.box;
    boxes.strokeRect(
      padView.x + left * padView.scale,
      padView.y + top * padView.scale,
      (right - left) * padView.scale,
      (bottom - top) * padView.scale,
    );
  }
  boxes.restore();
}

// Several digits: each box over the pad, and each digit as the model saw it, side by side.
// One digit: its box only; the large view above shows its input.
function drawDigits(digits) {
  drawBoxes(digits);
  const several = digits.length > 1;
  document.getElementById("seen-one").hidden = several;
  document.getElementById("eyes").hidden = !several;
  document.getElementById("eye-list").replaceChildren(
    ...(several ? digits : []).map((digit, index) => {
      const item = document.createElement("li");
      item.dataset.status = digit.status;
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 56;
      canvas.setAttribute("aria-label", `digit ${index + 1} as the model saw it`);
      drawPixels(canvas.getContext("2d"), digit.model_input, 56);
      const caption = document.createElement("span");
      caption.textContent = digit.status === "not_a_digit" ? "?" : String(digit.digit);
      caption.title = `${digit.status}, ${(digit.confidence * 100).toFixed(1)}%`;
      item.append(canvas, caption);
      return item;
    }),
  );
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
  drawPixels(seen, pixels, 112);
}

// A 28×28 model input (0..1, white ink on black) drawn `size` pixels wide, without smoothing.
function drawPixels(target, pixels, size) {
  target.fillStyle = "#000";
  target.fillRect(0, 0, size, size);
  if (!pixels) return;
  const image = target.createImageData(28, 28);
  pixels.flat().forEach((value, i) => {
    const level = Math.round(value * 255);
    image.data.set([level, level, level, 255], i * 4);
  });
  const small = document.createElement("canvas");
  small.width = small.height = 28;
  small.getContext("2d").putImageData(image, 0, 0);
  target.imageSmoothingEnabled = false;
  target.drawImage(small, 0, 0, size, size);
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
