// "Wrong? It was a …": after an answer, the visitor can say which digit it really was; the
// report goes to POST /feedback with the answer's request id (the gateway keeps the accuracy).
// Only a one-digit answer (digit or uncertain) takes it: the gateway refuses the others.
"use strict";

const ONE_DIGIT = ["digit", "uncertain", undefined]; // undefined: a gateway before statuses

let feedbackFor = null; // the request id of the answer shown

function showFeedback(body) {
  const box = document.getElementById("feedback");
  const oneDigit = body && ONE_DIGIT.includes(body.predictions[0].status);
  feedbackFor = oneDigit ? body.request_id : null;
  box.hidden = !oneDigit;
  document.getElementById("feedback-result").textContent = "";
  const shown = oneDigit ? body.predictions[0].digit : null;
  document.getElementById("feedback-digits").replaceChildren(
    ...Array.from({ length: 10 }, (_, digit) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = String(digit);
      button.dataset.digit = digit;
      button.setAttribute("aria-label", `it was a ${digit}`);
      if (digit === shown) button.className = "shown"; // choosing it says the answer was right
      button.addEventListener("click", () => sendFeedback(digit));
      return button;
    }),
  );
}

async function sendFeedback(digit) {
  const requestId = feedbackFor;
  const result = document.getElementById("feedback-result");
  try {
    const response = await fetch("/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ request_id: requestId, digit }),
    });
    const body = await response.json().catch(() => ({}));
    if (requestId !== feedbackFor) return; // a newer answer is shown
    if (!response.ok) {
      result.textContent = body.error ? body.error.message : `HTTP ${response.status}`;
      return;
    }
    result.textContent = body.correct
      ? `Thanks: the model was right, it is a ${digit}.`
      : `Thanks: noted as a ${digit} (the model said ${body.predicted}).`;
  } catch (error) {
    result.textContent = "The gateway is not answering.";
  }
}
