/* The review grid of dq's import desk: Tabulator over windows of rows served by /desk/ID/rows.
   Every text from the upload is put in the page as text (textContent), never as HTML. */
"use strict";
(function () {
  const meta = JSON.parse(document.getElementById("desk-meta").textContent);
  const csrf = document.getElementById("csrf").value;
  const T = meta.texts;
  const base = "/desk/" + meta.id;
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };

  function filters() {
    const p = {};
    if ($("with-issues").checked) p.with_issues = "1";
    for (const [id, key] of [["filter-rule", "rule"], ["filter-field", "field"], ["filter-severity", "severity"]]) {
      if ($(id).value) p[key] = $(id).value;
    }
    return p;
  }

  async function post(path, body) {
    const res = await fetch(base + path, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body || {})});
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  function say(text, cls) { const s = $("status"); s.textContent = text; s.className = cls || ""; }

  function marksOf(data, field) { return (data._issues || []).filter((m) => m.field === field); }

  function formatter(cell) {
    const marks = marksOf(cell.getRow().getData(), cell.getField());
    const node = cell.getElement();
    node.classList.remove("sev-error", "sev-warning", "sev-info");
    if (marks.length) {
      node.classList.add("sev-" + marks[0].severity);
      node.title = marks.map((m) => m.rule + ": " + m.message).join("\n");
    } else { node.removeAttribute("title"); }
    const v = cell.getValue();
    return el("span", v === null || v === undefined ? "" : v);
  }

  function showIssues(row, field, marks) {
    const box = $("cell-issues");
    box.replaceChildren();
    box.appendChild(el("p", T.row + " " + row + (field ? " · " + field : ""), "where"));
    if (!marks.length) { box.appendChild(el("p", T.no_issues, "ok")); return; }
    for (const m of marks) {
      const div = el("div", null, "issue sev-" + m.severity);
      div.appendChild(el("strong", m.rule + " "));
      div.appendChild(el("span", m.message, "message"));
      div.appendChild(el("p", m.hint, "hint"));
      if (m.fixable && m.field) {
        const b = el("button", T.fix_cell + " → " + m.fixed_value, "fix-cell");
        b.type = "button";
        b.addEventListener("click", () => preview({scope: "cell", row: row, field: m.field}));
        div.appendChild(b);
      }
      box.appendChild(div);
    }
  }

  const asText = (cell) => el("span", cell.getValue());  // a column title is text, never markup
  const columns = [{title: "#", field: "_row", frozen: true, headerSort: false, width: 60}].concat(meta.columns.map((c) => ({
    title: c.title, titleFormatter: asText, field: c.field, editor: "input", formatter: formatter, headerSort: false,
    cellClick: (e, cell) => showIssues(cell.getRow().getData()._row, cell.getField(), marksOf(cell.getRow().getData(), cell.getField())),
    cellEdited: async (cell) => {
      const data = cell.getRow().getData();
      try {
        const res = await post("/cell", {row: data._row, field: cell.getField(), value: cell.getValue()});
        cell.getRow().update({_issues: res.issues});
        cell.getRow().reformat();
        showIssues(res.row, null, res.issues);
        say(T.rechecked + " " + res.row + " (" + res.issues.length + ")", "ok");
      } catch (err) { say(T.failed + " " + err.message, "bad"); cell.restoreOldValue(); }
    },
  })));

  const table = new Tabulator("#grid", {
    ajaxURL: base + "/rows", ajaxParams: filters(), ajaxConfig: {method: "GET", credentials: "same-origin"},
    pagination: true, paginationMode: "remote", paginationSize: 100, index: "_row",
    layout: "fitDataStretch", height: "60vh", columns: columns, placeholder: T.no_issues,
  });
  window.deskGrid = table;

  function reload() { table.setData(base + "/rows", filters()); }
  for (const id of ["with-issues", "filter-rule", "filter-field", "filter-severity"]) $(id).addEventListener("change", reload);

  async function preview(scope) {
    const box = $("fix-preview");
    box.replaceChildren();
    try {
      const res = await post("/fix", Object.assign({preview: true}, scope));
      if (!res.count) { box.appendChild(el("p", T.nothing_to_fix)); return; }
      box.appendChild(el("h3", T.preview_title + " (" + res.count + ")"));
      const list = el("table", null, "fixes");
      for (const f of res.fixes) {
        const tr = el("tr");
        for (const v of [f.column + f.row, f.old, "→", f.new, f.rules.join(", ")]) tr.appendChild(el("td", v));
        list.appendChild(tr);
      }
      box.appendChild(list);
      const apply = el("button", T.apply, "apply"); apply.type = "button"; apply.id = "apply-fixes";
      const cancel = el("button", T.cancel); cancel.type = "button";
      apply.addEventListener("click", async () => {
        try {
          const done = await post("/fix", scope);
          box.replaceChildren(); say(T.applied + " " + done.count, "ok"); reload();
        } catch (err) { say(T.failed + " " + err.message, "bad"); }
      });
      cancel.addEventListener("click", () => box.replaceChildren());
      box.appendChild(apply); box.appendChild(cancel);
    } catch (err) { say(T.failed + " " + err.message, "bad"); }
  }

  $("fix-all").addEventListener("click", () => preview({scope: "all"}));
  $("fix-rule").addEventListener("click", () => { if ($("filter-rule").value) preview({scope: "rule", rule: $("filter-rule").value}); });
  $("fix-field").addEventListener("click", () => { if ($("filter-field").value) preview({scope: "field", field: $("filter-field").value}); });
  $("undo").addEventListener("click", async () => {
    try { const res = await post("/undo"); say(T.undone + " " + res.cells, "ok"); reload(); } catch (err) { say(T.failed + " " + err.message, "bad"); }
  });
})();
