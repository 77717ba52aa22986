// The simulator's page: what a LINE user sees, drawn from what the bot really sent to the
// stand-in LINE API. No framework, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const S = { users: {}, order: [], current: null, since: 0, now: "", picker: null };

function newUser() {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)),
                         (b) => b.toString(16).padStart(2, "0")).join("");
  const id = "U" + hex;
  S.users[id] = { id, name: "ユーザー" + (S.order.length + 1), items: [], quick: null,
                  waiting: new Set(), lastText: null };
  S.order.push(id);
  return id;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clockText(iso) {  // "2026-12-03T08:00:00.1+09:00" → "12/03 08:00", in the bot's zone
  return iso ? iso.slice(5, 10).replace("-", "/") + " " + iso.slice(11, 16) : "";
}

function add(user, item) {
  const u = S.users[user];
  if (!u) return;
  u.items.push(item);
  if (user === S.current) render();
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const res = await fetch(path, opts);
  let data = {};
  try { data = await res.json(); } catch (e) { data = { error: "応答が JSON ではありません" }; }
  if (!res.ok) throw new Error(data.error || "HTTP " + res.status);
  return data;
}

// ---- sending what the user does -------------------------------------------------------------

async function send(event, shown) {
  const user = S.current;
  const u = S.users[user];
  u.quick = null;
  let mine = null;
  if (shown) { mine = { from: "user", text: shown }; add(user, mine); }
  try {
    const out = await api("/sim/api/send", { user, ...event });
    if (mine && out.messageId) { mine.id = out.messageId; mine.quoteToken = out.quoteToken; }
    if (mine && event.type === "text") u.lastText = mine;
    if (out.status !== 200) {
      add(user, { from: "error", text: `webhook の応答が ${out.status} でした: ${out.answer}` });
    } else if (out.replyToken) {
      u.waiting.add(out.replyToken);
      setTimeout(() => { if (u.waiting.delete(out.replyToken)) render(); }, 20000);
    }
  } catch (e) {
    add(user, { from: "error", text: "送れませんでした: " + e.message });
  }
  render();
}

function sendText(text) {
  if (!text.trim()) return;
  send({ type: "text", text }, text);
}

function act(action) {  // a flex button or a quick reply, as LINE does it
  if (!action) return;
  if (action.type === "message") sendText(action.text);
  else if (action.type === "postback")
    send({ type: "postback", data: action.data }, action.displayText || null);
  else if (action.type === "datetimepicker") openPicker(action);
  else if (action.type === "uri") window.open(action.uri, "_blank", "noopener");
}

function openPicker(action) {
  S.picker = action;
  $("picker-input").value = (S.now || "").slice(0, 16);
  $("picker").hidden = false;
  $("picker-input").focus();
}

$("picker-ok").addEventListener("click", () => {
  const value = $("picker-input").value;
  if (!value || !S.picker) return;
  const data = S.picker.data;
  $("picker").hidden = true;
  S.picker = null;
  send({ type: "postback", data, params: { datetime: value } }, null);
});
$("picker-cancel").addEventListener("click", () => { $("picker").hidden = true; S.picker = null; });

// ---- drawing -------------------------------------------------------------------------------

function flexNode(node, inFooter) {
  if (!node || typeof node !== "object") return el("span");
  if (node.type === "box") {
    const box = el("div", "fx-box " + (node.layout || "vertical"));
    (node.contents || []).forEach((c) => box.appendChild(flexNode(c, inFooter)));
    return box;
  }
  if (node.type === "text") {
    const t = el("div", "fx-text" + (node.weight === "bold" ? " fx-title" : ""), node.text || "");
    if (node.color) t.style.color = node.color;
    return t;
  }
  if (node.type === "button") {
    const b = el("button", "fx-button", (node.action && node.action.label) || "");
    b.type = "button";
    b.addEventListener("click", () => act(node.action));
    return b;
  }
  if (node.type === "separator") return el("hr");
  return el("span");
}

function flexBubble(contents) {
  const card = el("div", "flex");
  const bubbles = contents.type === "carousel" ? contents.contents : [contents];
  bubbles.forEach((b) => {
    ["header", "hero", "body", "footer"].forEach((part) => {
      if (!b[part]) return;
      const wrap = el("div", "fx-" + part);
      wrap.appendChild(flexNode(b[part], part === "footer"));
      card.appendChild(wrap);
    });
  });
  return card;
}

function findQuote(user, token) {
  const mine = S.users[user].items.find((i) => i.quoteToken === token);
  return mine ? mine.text : null;
}

function messageNode(user, item) {
  if (item.from === "system") return el("div", "system", item.text);
  const row = el("div", "msg " + item.from + (item.unsent ? " unsent" : ""));
  if (item.from !== "user") row.appendChild(el("div", "avatar", "一"));
  const m = item.message;
  let body;
  if (m && m.type === "flex") {
    body = flexBubble(m.contents || {});
  } else {
    body = el("div", "bubble");
    const quoted = m && m.quoteToken ? findQuote(user, m.quoteToken) : null;
    if (quoted) body.appendChild(el("div", "quote", quoted));
    const text = item.unsent ? "メッセージの送信を取り消しました"
      : m ? (m.type === "text" ? m.text : m.altText || `[${m.type}]`) : item.text;
    body.appendChild(document.createTextNode(text));
  }
  row.appendChild(body);
  if (item.at) row.appendChild(el("span", "time", item.at));
  return row;
}

function render() {
  const u = S.users[S.current];
  const talk = $("talk");
  talk.replaceChildren(...u.items.map((i) => messageNode(u.id, i)));
  if (u.waiting.size) {
    const row = el("div", "msg bot typing");
    row.appendChild(el("div", "avatar", "一"));
    const dots = el("div", "bubble");
    dots.append(el("i"), el("i"), el("i"));
    row.appendChild(dots);
    talk.appendChild(row);
  }
  talk.scrollTop = talk.scrollHeight;
  const quick = $("quick");
  quick.replaceChildren();
  if (u.quick && u.quick.length) {
    u.quick.forEach((item) => {
      const b = el("button", "", item.action.label);
      b.type = "button";
      b.dataset.action = item.action.type;
      b.addEventListener("click", () => act(item.action));
      quick.appendChild(b);
    });
  }
  quick.hidden = !(u.quick && u.quick.length);
  const select = $("users");
  if (select.options.length !== S.order.length) {
    select.replaceChildren(...S.order.map((id) => {
      const o = el("option", "", S.users[id].name);
      o.value = id;
      return o;
    }));
  }
  select.value = S.current;
}

// ---- reading what the bot sent ---------------------------------------------------------------

function take(item) {
  if (!S.users[item.user]) return;
  const u = S.users[item.user];
  if (item.replyToken) u.waiting.delete(item.replyToken);
  if (item.kind === "loading") return;
  const at = clockText(S.now);
  if (item.error) {
    const what = item.kind === "push" ? "プッシュ" : "返信";
    add(item.user, { from: "error", text: `LINE が${what}を拒否しました (${item.status}): ${item.error}` });
    return;
  }
  const messages = item.messages || [];
  messages.forEach((message) => add(item.user, { from: "bot", message, at, push: item.kind === "push" }));
  const last = messages[messages.length - 1];
  u.quick = last && last.quickReply ? last.quickReply.items : null;
}

async function poll() {
  try {
    const data = await api("/sim/api/feed?since=" + S.since);
    S.since = data.next;
    S.now = data.now;
    $("clock").textContent = clockText(S.now);
    data.items.forEach(take);
    if (data.items.length) render();  // (redrawing only on news keeps buttons tappable)
  } catch (e) {
    $("clock").textContent = "接続できません";
  }
  setTimeout(poll, 400);
}

// ---- controls ------------------------------------------------------------------------------

$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value;
  $("input").value = "";
  sendText(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});

$("users").addEventListener("change", (e) => { S.current = e.target.value; render(); });
$("add-user").addEventListener("click", () => {
  S.current = newUser();
  render();
  send({ type: "follow" }, null);
});
$("follow").addEventListener("click", () => {
  add(S.current, { from: "system", text: "友だち追加しました" });
  send({ type: "follow" }, null);
});
$("unfollow").addEventListener("click", () => {
  add(S.current, { from: "system", text: "ブロックしました (ボットはこのユーザーのデータを消します)" });
  send({ type: "unfollow" }, null);
});
$("unsend").addEventListener("click", () => {
  const u = S.users[S.current];
  const last = u.lastText;
  if (!last || !last.id) return;
  last.unsent = true;
  u.lastText = null;
  send({ type: "unsend", messageId: last.id }, null);
});

async function moveClock(to) {
  try {
    const out = await api("/sim/api/clock", { to });
    S.now = out.now;
    $("clock").textContent = clockText(out.now);
    $("clock-note").textContent = `${clockText(out.now)} になりました。送ったリマインド: ${out.delivered} 件`;
    Object.keys(S.users).forEach((id) =>
      add(id, { from: "system", text: clockText(out.now) + " になりました" }));
  } catch (e) {
    $("clock-note").textContent = "時刻を動かせません: " + e.message;
  }
}
$("morning").addEventListener("click", () => moveClock("morning"));
$("plus-hour").addEventListener("click", () => {
  const t = new Date(Date.parse(S.now) + 3600 * 1000).toISOString();
  moveClock(t);
});
$("clock-go").addEventListener("click", () => {
  if ($("clock-to").value) moveClock($("clock-to").value);
});

function showContent(report) {
  $("content-summary").textContent = report.ok ? report.summary
    : "content/ に問題があります。前の内容のまま動いています。";
  $("content-problems").replaceChildren(...report.problems.map((p) => el("li", "", p)));
  $("content-warnings").replaceChildren(...report.warnings.map((p) => el("li", "", "注意: " + p)));
}
$("reload").addEventListener("click", async () => {
  $("content-summary").textContent = "読み込み中…";
  try { showContent(await api("/sim/api/content/reload", {})); }
  catch (e) { $("content-summary").textContent = "再読み込みに失敗: " + e.message; }
});
$("fail-reply").addEventListener("click", () =>
  api("/sim/api/fail", { path: "reply", status: 500, message: "シミュレーターが拒否" }));

// ---- start ---------------------------------------------------------------------------------

S.current = newUser();
render();
api("/sim/api/content").then(showContent).catch(() => {});
send({ type: "follow" }, null);
poll();
