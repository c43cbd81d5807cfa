// Building the page: elements, labelled fields, errors beside their field, action forms, and
// showing a screen.

import { session } from "./api.js";

export const PAGE = 20;

export const app = document.getElementById("app");

/** An element: el("button", {type: "button", onclick}, "通过"). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((c) => c != null));
  return node;
}

/** A field with its label and the place its error goes. */
export function field(label, input) {
  const id = input.id || (input.id = "f-" + input.name);
  return el("div", { class: "field" },
    el("label", { for: id }, label), input,
    el("p", { class: "error", id: id + "-error", "data-field": input.name, role: "alert" }));
}

/** Shows an API error next to its field (or in the form's own place): the Chinese message. */
export function showError(form, error) {
  form.querySelectorAll(".error").forEach((p) => (p.textContent = ""));
  const reasons = error.details && error.details.length ? error.details : [error];
  for (const reason of reasons) {
    // The field as the API names it, or its last part (`standard.standard` → `standard`).
    const last = (reason.field || "").split(".").pop();
    const place = form.querySelector(`.error[data-field="${reason.field}"]`) ||
      form.querySelector(`.error[data-field="${last}"]`) ||
      form.querySelector(".error[data-field='form']");
    place.textContent = (place.textContent ? place.textContent + "；" : "") + reason.message_zh;
  }
}

/** A definition list of the pairs whose value is known. */
export function facts(id, pairs) {
  return el("dl", { id }, pairs.filter(([, v]) => v != null && v !== "")
    .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
}

/** A form of one action: its fields (each `[label, input]`), its button, and what it sends.
 * Its own form, so that the API's errors land beside its own fields. */
export function actionForm(title, fields, buttonId, buttonLabel, send, buttonClass) {
  const form = el("form", { class: "card", "aria-label": title },
    el("h3", {}, title), ...fields.map(([label, input]) => field(label, input)),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: buttonId, class: buttonClass }, buttonLabel)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await send();
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

export const input = (name, id, attributes = {}) => el("input", { name, id, ...attributes });

/** Shows a view (a promise of one), with a message above it. */
export async function show(view, message) {
  try {
    const node = await view;
    app.replaceChildren(...(message ? [el("p", { class: "notice", id: "notice", role: "status" }, message)] : []), node);
  } catch (error) {
    if (session) app.replaceChildren(el("p", { class: "error", role: "alert" }, error.message_zh || String(error)));
  }
}
