// The playground page: everything runs here, against the rules compiled into playground_bg.wasm.
import init, { catalogue, evaluate } from "./playground.js";

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

let bundle = { policies: [], profiles: [], examples: [] };
let lastText = "";

// ---- state in the URL fragment: deflate-raw + base64url of a small JSON object ----
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}
async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === "function") return "z=" + b64url(await pipe(json, new CompressionStream("deflate-raw")));
  return "j=" + b64url(json);
}
async function decodeState(hash) {
  const h = hash.replace(/^#/, "");
  if (h.startsWith("z=")) return JSON.parse(new TextDecoder().decode(await pipe(unb64url(h.slice(2)), new DecompressionStream("deflate-raw"))));
  if (h.startsWith("j=")) return JSON.parse(new TextDecoder().decode(unb64url(h.slice(2))));
  return null;
}
const currentState = () => ({
  m: $("manifests").value, s: $("selection").value, p: $("profile").value,
  n: $("namespace").value, u: $("username").value,
});
async function saveState() {
  history.replaceState(null, "", "#" + (await encodeState(currentState())));
}

// ---- rendering ----
function renderSource(text, hits) {
  const pre = $("source");
  pre.replaceChildren();
  text.split("\n").forEach((line, i) => {
    const n = i + 1;
    const span = el("span", { class: hits.has(n) ? "l hit" : "l", "data-n": String(n), id: "L" + n });
    span.textContent = line;
    if (hits.has(n)) span.title = hits.get(n).join("\n");
    pre.append(span);
  });
}

function jump(line) {
  const target = $("L" + line);
  if (!target) return;
  target.scrollIntoView({ block: "center" });
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 1200);
}

function render(report, text) {
  const errors = $("errors");
  errors.replaceChildren();
  const tbody = $("controls").querySelector("tbody");
  tbody.replaceChildren();
  $("results").replaceChildren();
  if (report.error) {
    errors.append(el("div", { class: "error" }, report.error));
    $("summary").textContent = "";
    renderSource(text, new Map());
    return;
  }
  for (const [line, message] of report.input_errors) errors.append(el("div", { class: "error input-error" }, `document at line ${line}: ${message}`));
  for (const [policy, message] of report.settings_errors) errors.append(el("div", { class: "error settings-error" }, `${policy}: invalid settings: ${message}`));

  const rejected = report.outcomes.filter((o) => !o.allowed);
  const objectsRejected = new Set(rejected.map((o) => o.document)).size;
  $("summary").textContent = `${report.documents.length} object(s), ${report.outcomes.length} evaluation(s): ` +
    (rejected.length ? `${rejected.length} rejection(s) in ${objectsRejected} object(s)` : "every object is allowed");
  $("summary").className = rejected.length ? "rejected" : "allowed";

  // Per control: rejected if any policy carrying that control rejected something.
  const controls = new Map();
  for (const o of report.outcomes) {
    for (const c of o.controls.split(",").map((s) => s.trim()).filter(Boolean)) {
      const entry = controls.get(c) || { rejected: 0, evaluated: 0, policies: new Set(), rejecting: new Set() };
      entry.evaluated += 1;
      if (!o.allowed) { entry.rejected += 1; entry.rejecting.add(o.policy); }
      entry.policies.add(o.policy);
      controls.set(c, entry);
    }
  }
  // Rejected controls first, each group in catalogue order (ASB 1.10 after ASB 1.9).
  const order = (c) => (controls.get(c).rejected ? "0" : "1") + c.replace(/\d+/g, (d) => d.padStart(4, "0"));
  for (const c of [...controls.keys()].sort((a, b) => order(a).localeCompare(order(b)))) {
    const e = controls.get(c);
    tbody.append(el("tr", { "data-control": c },
      el("td", {}, c),
      el("td", { class: e.rejected ? "rejected" : "allowed" }, e.rejected ? `rejected (${e.rejected})` : "pass"),
      // The policies that rejected first (marked), then those that passed.
      el("td", {}, ...[...e.rejecting].flatMap((p, i) => [i ? ", " : "", el("span", { class: "rejected" }, p)]),
        ...[...e.policies].filter((p) => !e.rejecting.has(p)).flatMap((p, i) => [i || e.rejecting.size ? ", " : "", p]))));
  }

  const hits = new Map();
  report.documents.forEach((d, i) => {
    const label = `${d.kind} ${d.namespace ? d.namespace + "/" : ""}${d.name ?? "(no name)"}`;
    const box = el("div", { class: "object", "data-document": String(i) }, el("h4", {}, el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); jump(d.line); } }, label), ` (line ${d.line})`));
    const outcomes = report.outcomes.filter((o) => o.document === i);
    if (!outcomes.length) box.append(el("div", { class: "note" }, "no selected policy applies to this kind"));
    // Rejections in full; the policies that allow the object on one line.
    const allowed = outcomes.filter((o) => o.allowed && !o.warnings.length);
    for (const o of outcomes.filter((o) => !allowed.includes(o))) {
      const v = el("div", { class: "verdict " + (o.allowed ? "allowed" : "rejected"), "data-policy": o.policy },
        el("strong", {}, `${o.policy}: ${o.allowed ? "allowed" : "rejected"}${o.code ? " (" + o.code + ")" : ""}`), ` [${o.controls}]`);
      if (!o.allowed && o.message) v.append(el("div", { class: "message" }, o.message));
      for (const w of o.warnings) v.append(el("div", { class: "note" }, "warning: " + w));
      const list = el("ul");
      for (const f of o.findings) {
        if (f.line) {
          const msgs = hits.get(f.line) || [];
          msgs.push(`${o.policy}: ${f.text}`);
          hits.set(f.line, msgs);
          list.append(el("li", { class: "finding" }, el("a", { href: "#", "data-line": String(f.line), onclick: (ev) => { ev.preventDefault(); jump(f.line); } }, `line ${f.line}`), ` ${f.path}: ${f.text}`));
        }
      }
      if (list.children.length) v.append(list);
      box.append(v);
    }
    if (allowed.length) box.append(el("div", { class: "allowed-by" }, el("span", { class: "allowed" }, "allowed"), ` by ${allowed.map((o) => o.policy).join(", ")}`));
    $("results").append(box);
  });
  renderSource(text, hits);
}

function run() {
  const text = $("manifests").value;
  const options = JSON.stringify({ namespace: $("namespace").value, username: $("username").value });
  const started = performance.now();
  let report;
  try {
    report = JSON.parse(evaluate(text, $("selection").value, options));
  } catch (e) {
    report = { error: String(e) };
  }
  lastText = text;
  render(report, text);
  $("status").textContent = `evaluated in ${(performance.now() - started).toFixed(1)} ms`;
  document.body.dataset.evaluated = String(Number(document.body.dataset.evaluated || 0) + 1);
  saveState().catch(() => {});
}

function applyProfile(name) {
  const p = bundle.profiles.find((x) => x.name === name);
  $("profile-description").textContent = p ? (p.error || p.description || "") + (p.monitor?.length ? ` Monitor mode: ${p.monitor.join(", ")}.` : "") : "";
  if (p && !p.error) $("selection").value = p.selection;
}

let timer;
const soon = () => { clearTimeout(timer); timer = setTimeout(run, 250); };

async function main() {
  await init();
  bundle = JSON.parse(catalogue());
  for (const p of bundle.profiles) $("profile").append(el("option", { value: p.name }, p.name));
  for (const e of bundle.examples) $("example").append(el("option", { value: e.name }, e.name));
  for (const p of bundle.policies) {
    $("policies").append(el("li", {
      title: `${p.controls}: ${p.description ?? ""}`,
      onclick: () => {
        const s = $("selection").value;
        if (!new RegExp(`^${p.id}:`, "m").test(s)) $("selection").value = (s && !s.endsWith("\n") ? s + "\n" : s) + `${p.id}: {}\n`;
        $("profile").value = "";
        soon();
      },
    }, `${p.row ?? ""} ${p.id}`));
  }
  $("profile").addEventListener("change", () => { applyProfile($("profile").value); run(); });
  $("example").addEventListener("change", () => {
    const e = bundle.examples.find((x) => x.name === $("example").value);
    if (e) { $("manifests").value = e.text; run(); }
  });
  $("upload").addEventListener("change", async (ev) => {
    const texts = await Promise.all([...ev.target.files].map((f) => f.text()));
    $("manifests").value = texts.map((t) => t.replace(/\n*$/, "\n")).join("---\n");
    $("example").value = "";
    run();
  });
  for (const id of ["manifests", "selection", "namespace", "username"]) {
    $(id).addEventListener("input", () => {
      // Edited text is no longer the example or the profile the lists name.
      if (id === "selection") $("profile").value = "";
      if (id === "manifests") $("example").value = "";
      soon();
    });
  }
  $("run").addEventListener("click", run);
  $("share").addEventListener("click", async () => {
    await saveState();
    try { await navigator.clipboard.writeText(location.href); $("status").textContent = "share link copied"; } catch { $("status").textContent = "share link is in the address bar"; }
  });

  let state = null;
  try { state = await decodeState(location.hash); } catch (e) { $("status").textContent = "could not read the shared state: " + e; }
  if (state) {
    $("manifests").value = state.m ?? "";
    $("namespace").value = state.n || "default";
    $("username").value = state.u || "playground-user";
    $("profile").value = state.p ?? "";
    applyProfile(state.p);
    if (state.s !== undefined) $("selection").value = state.s;
  } else {
    const first = bundle.profiles.find((p) => p.name === "aks-baseline") || bundle.profiles[0];
    if (first) { $("profile").value = first.name; applyProfile(first.name); }
    const example = bundle.examples.find((e) => e.name.startsWith("non-compliant/")) || bundle.examples[0];
    if (example) { $("example").value = example.name; $("manifests").value = example.text; }
  }
  document.body.dataset.ready = "true";
  run();
}

main().catch((e) => { $("status").textContent = "the playground failed to start: " + e; document.body.dataset.ready = "error"; });
