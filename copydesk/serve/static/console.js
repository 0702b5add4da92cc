// copydesk console: the only script. It refreshes the pipeline table and sends retries.
"use strict";

function refreshStatus(label) {
  fetch("/api/status").then((response) => response.json()).then((report) => {
    for (const cell of document.querySelectorAll("td[data-stage]")) {
      const value = report.stages[cell.dataset.stage][cell.dataset.key];
      cell.textContent = value === null || value === undefined ? "-" : String(value);
    }
    const jobs = Object.entries(report.jobs).map(([k, v]) => k + " " + v).join(", ");
    document.querySelector("[data-jobs]").textContent = "jobs: " + jobs;
    label.textContent = "live · " + new Date().toLocaleTimeString();
    label.classList.remove("stale");
  }).catch(() => { label.textContent = "not refreshing"; label.classList.add("stale"); });
}

function retry(button) {
  const field = document.getElementById("token");
  const result = document.getElementById("retry-result");
  const token = field.value || sessionStorage.getItem("copydesk-token") || "";
  if (!token) {
    result.textContent = "Enter the API token (COPYDESK_API_TOKEN) to retry.";
    field.focus();
    return;
  }
  button.disabled = true;
  result.textContent = "Sending…";
  fetch("/api/dead-letters/retry", {
    method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
    body: JSON.stringify({reason: button.dataset.reason}),
  }).then((response) => response.json().then((body) => [response, body])).then(([response, body]) => {
    if (!response.ok) {
      result.textContent = "Not retried: " + (body.detail || response.statusText);
      button.disabled = false;
      return;
    }
    sessionStorage.setItem("copydesk-token", token);
    result.textContent = "Retrying " + body.retried + " job(s) of " + body.reason + ".";
    button.closest("section").remove();
  }).catch((error) => { result.textContent = "Not retried: " + error; button.disabled = false; });
}

document.addEventListener("DOMContentLoaded", () => {
  const label = document.querySelector("[data-live-status]");
  if (label) {
    // Every 10 s while the tab is in view: status counts every job, which is not free.
    setInterval(() => { if (!document.hidden) { refreshStatus(label); } }, 10000);
  }
  const field = document.getElementById("token");
  if (field) {
    field.value = sessionStorage.getItem("copydesk-token") || "";
  }
  for (const button of document.querySelectorAll("button.retry")) {
    button.addEventListener("click", () => retry(button));
  }
});
