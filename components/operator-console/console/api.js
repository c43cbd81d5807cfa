// Calling the county's APIs with the signed-in operator's token, and the session itself.

import { el } from "./ui.js";

/** The signed-in operator (`POST /api/accounts/sign-in`'s answer), kept for the tab. */
export let session = JSON.parse(sessionStorage.getItem("session") || "null");

/** Keeps the session (or, with null, forgets it). */
export function keepSession(signedIn) {
  session = signedIn;
  if (signedIn) sessionStorage.setItem("session", JSON.stringify(signedIn));
  else sessionStorage.removeItem("session");
}

let expired = () => {};

/** What to do when the API says the token has expired (the app signs out). */
export function whenExpired(callback) {
  expired = callback;
}

export class ApiError extends Error {
  constructor(body) {
    super(body.message_zh);
    Object.assign(this, body);
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (session) headers.Authorization = "Bearer " + session.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const reply = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await reply.json().catch(() => ({}));
  if (reply.status === 401 && session && path !== "/api/accounts/sign-in") {
    expired("登录已过期，请重新登录");
    throw new ApiError(data.error);
  }
  if (!reply.ok) throw new ApiError(data.error || { message_zh: `请求失败（${reply.status}）`, field: null });
  return data;
}

/** Saves what an authenticated GET answers as a file (a link cannot carry the token). */
export async function download(path, fallbackName) {
  const reply = await fetch(path, { headers: { Authorization: "Bearer " + session.token } });
  if (!reply.ok) throw new ApiError((await reply.json()).error);
  const named = /filename\*=UTF-8''([^;]+)/.exec(reply.headers.get("content-disposition") || "");
  const link = el("a", { href: URL.createObjectURL(await reply.blob()),
    download: named ? decodeURIComponent(named[1]) : fallbackName });
  document.body.append(link);
  link.click();
  link.remove();
}
