/*
 * The clinic's chat widget. Embed with one tag, plus an optional config object:
 *   <script>window.ClinicChat = {serverUrl: "https://chat.example.org", title: "...",
 *     phone: "(555) 010-0100", emergencyNumber: "911", color: "#1f6f5c", position: "right",
 *     greeting: "Hi! Ask me about sciatica or acupuncture."};</script>
 *   <script src="https://<website app>/widget/widget.js" defer></script>
 * Talks to the Rasa server's socket.io channel (staff replies from a hand-off are pushed
 * to it). The conversation survives reloads and page changes: its id and messages are
 * kept in this browser (localStorage) until "New conversation". "Delete" erases it from the
 * clinic's records too (the website app's /privacy/erase, scoped to this conversation's id).
 */
(function () {
  "use strict";
  if (window.__clinicChatLoaded) return;
  window.__clinicChatLoaded = true;

  var script = document.currentScript;
  var base = script ? script.src.replace(/widget\.js(\?.*)?$/, "") : "/widget/";
  var cfg = Object.assign(
    {
      serverUrl: location.protocol + "//" + location.hostname + ":5005",
      title: "Clinic assistant",
      phone: "",
      emergencyNumber: "911",
      color: "#1f6f5c",
      position: "right",
      greeting: "Hello! Ask me about sciatica, acupuncture or our sessions.",
      privacyUrl: new URL(base, location.href).origin + "/privacy/erase"
    },
    window.ClinicChat || {}
  );
  var MAX_CHARS = 2000;
  var STORE = "clinicChat:" + cfg.serverUrl;
  var state = load();
  var socket = null;
  var online = false;
  var el = {};

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && saved.sessionId && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* unreadable: start afresh */ }
    return { sessionId: newId(), messages: [], open: false };
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: in memory only */ }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function node(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text) n.textContent = text;
    return n;
  }

  function build() {
    var root = node("div", { class: "cc-root cc-" + (cfg.position === "left" ? "left" : "right") });
    root.style.setProperty("--cc-color", cfg.color);
    el.launcher = node("button", { type: "button", class: "cc-launcher", "aria-controls": "cc-panel", "aria-expanded": "false" }, "Chat with us");
    el.panel = node("section", { id: "cc-panel", class: "cc-panel", role: "dialog", "aria-label": cfg.title, hidden: "" });
    var header = node("header", { class: "cc-header" });
    header.appendChild(node("h2", { class: "cc-title" }, cfg.title));
    el.restart = node("button", { type: "button", class: "cc-restart" }, "New conversation");
    el.erase = node("button", { type: "button", class: "cc-erase", "aria-controls": "cc-confirm" }, "Delete");
    el.close = node("button", { type: "button", class: "cc-close", "aria-label": "Close chat" }, "\u00d7");
    header.appendChild(el.restart);
    header.appendChild(el.erase);
    header.appendChild(el.close);
    el.confirm = node("div", { id: "cc-confirm", class: "cc-confirm", role: "group", "aria-label": "Delete this conversation", hidden: "" });
    el.confirm.appendChild(node("p", {}, "Delete this conversation from the clinic's records? This cannot be undone."));
    el.confirmYes = node("button", { type: "button", class: "cc-button" }, "Delete for good");
    el.confirmNo = node("button", { type: "button", class: "cc-button" }, "Keep it");
    el.confirm.appendChild(el.confirmYes);
    el.confirm.appendChild(el.confirmNo);
    el.status = node("p", { class: "cc-status", role: "status", hidden: "" });
    el.log = node("div", { class: "cc-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    el.typing = node("p", { class: "cc-typing", hidden: "" }, "The assistant is typing\u2026");
    var form = node("form", { class: "cc-form" });
    var label = node("label", { for: "cc-input", class: "cc-label" }, "Your message");
    el.input = node("textarea", { id: "cc-input", rows: "2", maxlength: String(MAX_CHARS + 1), "aria-describedby": "cc-count" });
    el.count = node("p", { id: "cc-count", class: "cc-count" }, "");
    el.send = node("button", { type: "submit", class: "cc-send" }, "Send");
    form.appendChild(label);
    form.appendChild(el.input);
    form.appendChild(el.count);
    form.appendChild(el.send);
    [header, el.confirm, el.status, el.log, el.typing, form].forEach(function (n) { el.panel.appendChild(n); });
    root.appendChild(el.panel);
    root.appendChild(el.launcher);
    document.body.appendChild(root);

    el.launcher.addEventListener("click", function () { setOpen(!state.open); });
    el.close.addEventListener("click", function () { setOpen(false); el.launcher.focus(); });
    el.restart.addEventListener("click", restart);
    el.erase.addEventListener("click", function () { el.confirm.hidden = false; el.confirmNo.focus(); });
    el.confirmNo.addEventListener("click", function () { el.confirm.hidden = true; el.erase.focus(); });
    el.confirmYes.addEventListener("click", erase);
    el.input.addEventListener("input", updateCount);
    el.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    el.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { setOpen(false); el.launcher.focus(); }
    });
  }

  function setOpen(open) {
    state.open = open;
    save();
    el.panel.hidden = !open;
    el.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      if (!state.messages.length && cfg.greeting) addMessage({ from: "bot", text: cfg.greeting, local: true });
      el.input.focus();
      el.log.scrollTop = el.log.scrollHeight;
    }
  }

  function updateCount() {
    var n = el.input.value.length;
    var over = n > MAX_CHARS;
    el.count.textContent = over ? "That's " + n + " characters; please keep it under " + MAX_CHARS + "." : "";
    el.send.disabled = over;
  }

  function submit() {
    var text = el.input.value.trim();
    if (!text) return;
    if (text.length > MAX_CHARS) { updateCount(); return; }
    el.input.value = "";
    updateCount();
    send(text, text);
  }

  function send(shown, payload) {
    var message = { from: "user", text: shown, payload: payload, status: "sending" };
    addMessage(message);
    deliver(message);
  }

  function deliver(message) {
    if (!online) { mark(message, "unsent"); return; }
    mark(message, "sent");
    showTyping(true);
    socket.emit("user_uttered", { message: message.payload, session_id: state.sessionId });
  }

  function mark(message, status) {
    message.status = status;
    save();
    renderAll();
  }

  function retryUnsent() {
    state.messages.filter(function (m) { return m.status === "unsent"; }).forEach(deliver);
  }

  function addMessage(message) {
    state.messages.push(message);
    save();
    renderAll();
  }

  function renderAll() {
    el.log.textContent = "";
    state.messages.forEach(function (m, i) { el.log.appendChild(renderMessage(m, i === state.messages.length - 1)); });
    el.log.scrollTop = el.log.scrollHeight;
  }

  function renderMessage(m, last) {
    var item = node("div", { class: "cc-msg cc-" + m.from + (m.severity ? " cc-" + m.severity : "") });
    if (m.severity === "emergency") item.setAttribute("role", "alert");
    var body = node("p", { class: "cc-text" });
    linkify(body, m.text || "");
    item.appendChild(body);
    if (m.severity === "emergency" && cfg.emergencyNumber) {
      item.appendChild(node("a", { class: "cc-call", href: "tel:" + cfg.emergencyNumber.replace(/[^\d+]/g, "") }, "Call " + cfg.emergencyNumber));
    }
    if (m.from === "user" && m.status === "unsent") {
      item.appendChild(node("p", { class: "cc-unsent" }, "Not sent yet \u2014 it will be sent when the connection is back."));
    }
    if (m.buttons && m.buttons.length && last) {
      var choices = node("div", { class: "cc-buttons", role: "group", "aria-label": "Quick replies" });
      m.buttons.forEach(function (b) {
        var button = node("button", { type: "button", class: "cc-button" }, b.title);
        button.addEventListener("click", function () { send(b.title, b.payload); });
        choices.appendChild(button);
      });
      item.appendChild(choices);
    }
    return item;
  }

  // Text as text (never HTML); http(s) links become links that open in a new tab.
  function linkify(target, text) {
    text.split(/(https?:\/\/[^\s]+)/).forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        target.appendChild(node("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part));
      } else if (part) {
        target.appendChild(document.createTextNode(part));
      }
    });
  }

  function showTyping(on) { el.typing.hidden = !on; }

  function setOnline(on) {
    online = on;
    el.status.hidden = on;
    if (!on) {
      showTyping(false);
      el.status.textContent = "Can't reach the clinic assistant right now." + (cfg.phone ? " Please call " + cfg.phone + "." : "") +
        " In an emergency, call " + cfg.emergencyNumber + ".";
    }
  }

  function receive(data) {
    showTyping(false);
    if (!data) return;
    var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
      return { title: b.title, payload: b.payload };
    }).filter(function (b) { return !/^https?:\/\//.test(b.payload); });
    var links = (data.quick_replies || data.buttons || []).filter(function (b) { return /^https?:\/\//.test(b.payload); });
    var text = data.text || "";
    links.forEach(function (b) { text += "\n" + b.title + ": " + b.payload; });
    addMessage({ from: "bot", text: text, buttons: buttons, severity: data.severity || "" });
    // A red flag is never hidden behind a closed widget.
    if (data.severity && !state.open) setOpen(true);
  }

  function restart() {
    state = { sessionId: newId(), messages: [], open: true };
    save();
    renderAll();
    if (socket) socket.emit("session_request", { session_id: state.sessionId });
    setOpen(true);
  }

  // Erase this conversation at the clinic, then start afresh; on failure nothing is lost here.
  function erase() {
    el.confirmYes.disabled = true;
    fetch(cfg.privacyUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: state.sessionId })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (result) {
      el.confirmYes.disabled = false;
      el.confirm.hidden = true;
      if (!result.ok) throw new Error(result.body.error || "failed");
      restart();
      addMessage({ from: "bot", text: "Your conversation was deleted from the clinic's records.", local: true });
    }).catch(function () {
      el.confirmYes.disabled = false;
      el.confirm.hidden = true;
      addMessage({ from: "bot", text: "Sorry, the conversation could not be deleted right now. Please try again later" +
        (cfg.phone ? " or call " + cfg.phone : "") + ".", local: true });
    });
  }

  function connect() {
    socket = window.io(cfg.serverUrl, { path: "/socket.io", transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function () { setOnline(true); retryUnsent(); });
    socket.on("bot_uttered", receive);
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("connect_error", function () { setOnline(false); });
  }

  function start() {
    build();
    renderAll();
    setOnline(false);
    el.status.textContent = "Connecting\u2026";
    el.status.hidden = false;
    setOpen(state.open);
    var loader = node("script", { src: base + "socket.io.min.js" });
    loader.onload = connect;
    loader.onerror = function () { setOnline(false); };
    document.head.appendChild(loader);
    var style = node("link", { rel: "stylesheet", href: base + "widget.css" });
    document.head.appendChild(style);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
