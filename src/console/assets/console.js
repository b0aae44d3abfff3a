// mockcloud console: calls the admin API (JSON, with the admin token when one
// was given), streams the live view, copies snippets. No dependencies.
"use strict";

const TOKEN_KEY = "mockcloud-admin-token";

function show(message, ok) {
  const out = document.getElementById("result");
  if (!out) return;
  out.textContent = message;
  out.className = ok ? "ok" : "failed";
  clearTimeout(show.timer);
  // Out of the way again after a while: it covers the page's bottom.
  show.timer = setTimeout(() => { out.textContent = ""; }, ok ? 4000 : 12000);
}

// One admin API call: JSON in and out, the token as a bearer when known.
async function admin(method, path, body) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  const changes = !["GET", "HEAD", "DELETE"].includes(method);
  if (changes) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: changes ? (body === undefined ? "" : body) : undefined,
    credentials: "same-origin",
  });
  const text = await response.text();
  return { ok: response.ok, status: response.status, text };
}

async function formBody(form) {
  const kind = form.dataset.fields;
  if (kind === "body") return form.elements.body.value;
  if (kind === "file") {
    const file = form.elements.file.files[0];
    if (!file) throw new Error("choose a file first");
    const text = await file.text();
    return form.dataset.wrap ? `{"${form.dataset.wrap}": ${text}}` : text;
  }
  if (kind === "json") {
    const fields = {};
    for (const input of form.querySelectorAll("input[name], select[name]")) {
      if (input.value === "") continue;
      fields[input.name] = "number" in input.dataset ? Number(input.value) : input.value;
    }
    return JSON.stringify(fields);
  }
  return undefined;
}

function wireAdminForms() {
  for (const form of document.querySelectorAll("form[data-admin]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [method, base] = form.dataset.admin.split(" ");
      let path = base;
      if (form.dataset.idField) path += encodeURIComponent(form.elements[form.dataset.idField].value);
      try {
        const reply = await admin(method, path, await formBody(form));
        show(`${method} ${path}: ${reply.status} ${reply.text}`, reply.ok);
        if (reply.ok) setTimeout(() => location.reload(), 600);
      } catch (error) {
        show(`${method} ${path}: ${error.message}`, false);
      }
    });
  }
}

function wireStackToggles() {
  for (const button of document.querySelectorAll("button.toggle[data-stack]")) {
    button.addEventListener("click", async () => {
      const path = `/__admin/ui/grafana/stacks/${encodeURIComponent(button.dataset.stack)}/delete-protection`;
      const protect = button.dataset.protect === "true";
      const reply = await admin("POST", path, JSON.stringify({ deleteProtection: protect }));
      show(`POST ${path}: ${reply.status} ${reply.text}`, reply.ok);
      if (reply.ok) {
        button.dataset.protect = String(!protect);
        button.setAttribute("aria-pressed", String(protect));
        button.textContent = protect ? "protected" : "unprotected";
      }
    });
  }
}

function wireCopyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        show("Copied.", true);
      } catch (_) {
        show("Copy failed: select the text and copy it.", false);
      }
    });
  }
}

function entryRow(entry) {
  const row = document.createElement("tr");
  row.dataset.entry = JSON.stringify(entry, null, 2);
  row.dataset.requestId = entry.requestId;
  if (entry.fault) row.className = "faulted";
  const cells = [
    entry.at, entry.vendor, entry.method, entry.path,
    entry.status === null ? "dropped" : entry.status, entry.latencyMs,
    entry.fault ? `${entry.fault.rule} (${entry.fault.effect})` : "",
  ];
  const open = document.createElement("button");
  open.type = "button";
  open.className = "open";
  open.setAttribute("aria-label", `Show request ${entry.id}`);
  open.textContent = String(entry.id);
  row.appendChild(document.createElement("td")).appendChild(open);
  for (const [i, value] of cells.entries()) {
    const cell = document.createElement("td");
    cell.textContent = String(value);
    if (i === 5) cell.className = "num";
    row.appendChild(cell);
  }
  return row;
}

// The request's whole exchange, from the server (an HTML fragment it
// rendered, values escaped), into the details panel.
async function showExchange(row, panel, journal) {
  const asked = (showExchange.asked = (showExchange.asked || 0) + 1);
  panel.textContent = "loading…";
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  let reply, text;
  try {
    reply = await fetch(`/__admin/ui/live/requests/${encodeURIComponent(row.dataset.requestId)}`,
      { headers, credentials: "same-origin" });
    text = await reply.text();
  } catch (error) {
    if (asked === showExchange.asked) panel.textContent = `could not load the exchange: ${error.message}`;
    return;
  }
  if (asked !== showExchange.asked) return;  // another row was chosen meanwhile
  const html = (reply.headers.get("content-type") || "").startsWith("text/html");
  if (html && (reply.ok || reply.status === 404)) {
    panel.innerHTML = text;
  } else {
    panel.textContent = `${reply.status}: ${text}`;
  }
  journal.open = !reply.ok;
}

function wireJournal() {
  const table = document.getElementById("journal");
  if (!table) return;
  const details = document.getElementById("entry-json");
  const panel = document.getElementById("exchange");
  const journal = document.getElementById("entry-journal");
  const select = (row) => {
    for (const other of table.querySelectorAll("tr.selected")) other.classList.remove("selected");
    row.classList.add("selected");
    details.textContent = row.dataset.entry;
    showExchange(row, panel, journal);
  };
  // A click anywhere on a row; Enter or Space on its number's button
  // (a button's click).
  table.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-entry]");
    if (row) select(row);
  });
  const state = document.getElementById("live-state");
  const source = new EventSource(table.dataset.stream + location.search);
  source.addEventListener("open", () => { state.textContent = "live"; });
  source.addEventListener("error", () => { state.textContent = "reconnecting…"; });
  source.addEventListener("entry", (event) => {
    const body = table.tBodies[0];
    body.insertBefore(entryRow(JSON.parse(event.data)), body.firstChild);
    while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
  });
  source.addEventListener("lagged", (event) => {
    state.textContent = `live (${event.data} entries skipped while behind)`;
  });
  // Leaving the page ends the stream: the server captures exchanges only
  // while a live view is open (a page kept for "back" would hold it open).
  window.addEventListener("pagehide", () => source.close());
  window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
}

function wireLogin() {
  const form = document.getElementById("login");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = form.elements.token.value;
    const reply = await fetch("/__admin/ui/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
    if (reply.ok) {
      sessionStorage.setItem(TOKEN_KEY, token);
      location.href = form.dataset.next || "/__admin/ui/";
    } else {
      show("That is not the admin token.", false);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wireAdminForms();
  wireStackToggles();
  wireCopyButtons();
  wireJournal();
  wireLogin();
});
