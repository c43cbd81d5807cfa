// Files from Excel ("CSV UTF-8"): rows by their headers, each refused row named by its line.

import { ApiError } from "./api.js";
import { el, field, showError } from "./ui.js";

/** Registry rows from a CSV file (as Excel saves it: a byte-order mark, commas, quotes). */
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  text = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((c) => c.trim()));
}

/** A CSV file's rows as objects keyed as `columns` says (each key: the header names it may
 * have, English then Chinese), in the file's order; refused when a `required` one is missing. */
export async function csvRecords(file, columns, required) {
  const [header = [], ...rows] = parseCsv(await file.text());
  const at = Object.fromEntries(Object.entries(columns).map(([key, names]) =>
    [key, header.findIndex((h) => names.includes(h.trim()))]));
  const missing = required.filter((k) => at[k] < 0);
  if (missing.length) throw new ApiError({ field: "file", message_zh: `缺少列：${missing.map((k) => columns[k][1]).join("、")}` });
  return rows.map((r) => {
    const entry = {};
    for (const [key, i] of Object.entries(at)) if (i >= 0 && (r[i] || "").trim()) entry[key] = r[i].trim();
    return entry;
  });
}

/** A form that reads a CSV file with `columns` (the `required` ones present) and hands its
 * rows, in order, to `send` with the place for its results. */
export function csvUploadForm({ id, title, help, label, button, columns, required, send }) {
  const file = el("input", { name: "file", type: "file", accept: ".csv,text/csv" });
  const results = el("div", { id: id + "-results", role: "status" });
  const form = el("form", { class: "card", "aria-labelledby": id + "-title" },
    el("h2", { id: id + "-title" }, title), el("p", {}, help),
    field(label, file), el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: button[0] }, button[1])), results);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    results.replaceChildren();
    if (!file.files.length) return showError(form, { field: "file", message_zh: "请选择文件" });
    let rows;
    try {
      rows = await csvRecords(file.files[0], columns, required);
    } catch (error) {
      return showError(form, error);
    }
    await send(rows, results);
  });
  return form;
}

/** A refused batch's reasons, each at the file's row: the API names `{list}[i].field`, the
 * batch starts at the file's `first` data row, and the header is row 1. */
export function rowProblems(error, list, first) {
  const at = new RegExp(`^${list}\\[(\\d+)\\]\\.?(.*)$`);
  return (error.details && error.details.length ? error.details : [error]).map((d) => {
    const m = at.exec(d.field || "");
    return m ? `第 ${first + Number(m[1]) + 2} 行${m[2] ? "（" + m[2] + "）" : ""}：${d.message_zh}` : d.message_zh;
  });
}
