// The desk page: reader state by long poll, party of guests, check-in on Enter, the house.
"use strict";
const $ = (id) => document.getElementById(id);
let version = -1;
let instance = null; // the desk process the page talks to (a restart starts counting anew)
let lastSeq = 0;
let party = []; // {token, name, masked, manual} or {number, name, masked, manual}
let rooms = [];
let pendingOut = null; // {stay_id, name, room}: the swiped guest is in the house (Enter: out)
let busyTimer = null;
// The per-process token of this desk (in the page's HTML): every API call carries it.
let TOKEN = document.querySelector('meta[name="desk-token"]').content;
let HEADERS = {"X-Desk-Token": TOKEN};

// After a restart of the desk the old token is refused: take the new one from the page.
async function renewToken() {
  const html = await fetch("/", {cache: "no-store"}).then((r) => r.text());
  const found = /name="desk-token" content="([^"]+)"/.exec(html);
  if (!found) throw new Error("前台程序未响应");
  TOKEN = found[1]; HEADERS = {"X-Desk-Token": TOKEN};
}

async function call(path, opts) {
  let res = await fetch(path, {...opts, headers: {...(opts.headers || {}), ...HEADERS}});
  if (res.status === 403 && (await res.clone().json().catch(() => ({}))).token) {
    await renewToken();
    res = await fetch(path, {...opts, headers: {...(opts.headers || {}), ...HEADERS}});
  }
  return res;
}
const withKey = (path) => path + (path.includes("?") ? "&" : "?") + "k=" + encodeURIComponent(TOKEN);

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;"}[c]));
}

async function api(path, body) {
  clearTimeout(busyTimer);
  busyTimer = setTimeout(() => { $("busy").hidden = false; }, 1000);
  try {
    const opts = body === undefined ? {} : {method: "POST",
      body: JSON.stringify(body), headers: {"Content-Type": "application/json"}};
    const res = await call(path, opts);
    const data = await res.json();
    if (!res.ok) throw new Error(data.error || "请求失败");
    return data;
  } finally {
    clearTimeout(busyTimer);
    $("busy").hidden = true;
  }
}

// A yes/no question (frontdesk's [Y/n]): Enter confirms, Esc cancels.
function askConfirm(text) {
  const d = $("confirm");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const done = (ok) => {
      $("confirm-yes").onclick = null; $("confirm-no").onclick = null; d.oncancel = null;
      d.close(); resolve(ok);
    };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
    d.oncancel = (e) => { e.preventDefault(); done(false); };
    d.showModal();
    $("confirm-yes").focus();
  });
}

function showResult(text, ok) {
  const r = $("result");
  r.hidden = false;
  r.className = "result " + (ok ? "ok" : "err");
  r.innerHTML = text;
}

function readerState(st) {
  const el = $("reader-state");
  if (!st.reader.connected) {
    el.className = "state down"; el.textContent = "读卡器：未连接";
  } else if (st.reader.card_present) {
    el.className = "state present"; el.textContent = "读卡器：已连接，证件在读卡区";
  } else {
    el.className = "state ok"; el.textContent = "读卡器：已连接，请刷卡";
  }
  el.dataset.connected = st.reader.connected ? "1" : "0";
}

function showCard(c) {
  $("card-name").textContent = c.name;
  $("card-gender").textContent = c.gender;
  $("card-birth").textContent = c.birth_date;
  $("card-type").textContent = c.doc_type;
  $("card-number").textContent = c.masked;
  $("card-valid").textContent = (c.valid_from || "") + " 至 " + c.valid_to +
    (c.expired ? "（已过期）" : "");
  $("card-at").textContent = c.read_at;
  $("photo").innerHTML = c.photo === "decoded"
    ? `<img alt="证件照片" src="${esc(withKey("/api/photo/" + encodeURIComponent(c.token)))}">`
    : (c.photo === "raw" ? "照片（未解码）" : "无照片");
  const card = $("card");
  card.classList.toggle("expired", c.expired);
  card.classList.add("fresh");
  card.dataset.seq = c.seq;
  card.dataset.shownAt = String(performance.timeOrigin + performance.now()); // epoch ms (bench)
}

async function onSwipe(c) {
  showCard(c);
  $("checkin").focus(); // Enter checks in from now on (not a button the clerk clicked before)
  if (party.some((g) => g.token === c.token || (g.person && g.person === c.person))) {
    showResult(`${esc(c.name)} 已在本次入住的旅客中：重复刷卡，已忽略。`, false);
    return;
  }
  party.push({token: c.token, person: c.person, name: c.name, masked: c.masked, manual: false});
  renderParty();
  pendingOut = null;
  $("staying").hidden = true;
  try {
    const s = await api("/api/staying/" + encodeURIComponent(c.token));
    // Only while this card is still in the party (not checked in meanwhile, nor removed).
    if (s.staying && party.some((g) => g.token === c.token)) {
      party = party.filter((g) => g.token !== c.token);
      renderParty();
      pendingOut = {stay_id: s.staying.stay_id, name: c.name, room: s.staying.room};
      const box = $("staying");
      box.hidden = false;
      box.innerHTML = `${esc(c.name)} 已在 ${esc(s.staying.room)} 房入住。
        <button type="button" id="staying-out" data-stay="${esc(s.staying.stay_id)}">为其办理退房（回车）</button>`;
      $("staying-out").onclick = () => checkout({stay_id: s.staying.stay_id});
    }
  } catch (e) { /* the state poll keeps going */ }
  $("checkin").focus();
}

function renderParty() {
  const ol = $("party");
  if (!party.length) { ol.innerHTML = '<li class="empty">尚无旅客：请刷卡，或手工录入</li>'; return; }
  ol.innerHTML = party.map((g, i) => `<li>${esc(g.name)} ${esc(g.masked)}` +
    (g.manual ? '<span class="tag manual">手工</span>' : '<span class="tag">读卡</span>') +
    ` <button type="button" class="small" data-drop="${i}">移除</button></li>`).join("");
  ol.querySelectorAll("[data-drop]").forEach((b) => {
    b.onclick = () => { party.splice(Number(b.dataset.drop), 1); renderParty(); };
  });
}

function renderNotices(list) {
  $("notices").innerHTML = list.slice().reverse().map((n) =>
    `<li data-kind="${esc(n.kind)}">${esc(n.at)} ${esc(n.message)}</li>`).join("");
}

async function pollState() {
  for (;;) {
    try {
      const res = await call(`/api/state?after=${version}&instance=${instance || ""}`, {});
      if (!res.ok) throw new Error("state");
      const st = await res.json();
      if (instance !== null && st.instance !== instance) {
        // A new desk process: its versions and card numbers start anew, the old cards are gone.
        lastSeq = 0; party = []; renderParty();
        $("staying").hidden = true;
        refreshAll();
      }
      instance = st.instance;
      version = st.version;
      $("venue").textContent = st.venue + " 前台";
      readerState(st);
      renderNotices(st.notices);
      if (st.card && st.card.seq > lastSeq) {
        const first = !window.__started; // a card read before the page opened: shown, not added
        lastSeq = st.card.seq;
        if (!first) onSwipe(st.card); else showCard(st.card);
      }
      window.__started = true;
    } catch (e) {
      $("reader-state").className = "state unknown";
      $("reader-state").textContent = "与前台程序的连接中断，正在重试…";
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function guestLine(g) {
  return `${esc(g.name)} ${esc(g.masked)}` + (g.capture === "手工"
    ? '<span class="tag manual">手工</span>' : "");
}

async function refreshHouse() {
  const h = await api("/api/house");
  rooms = h.rooms;
  $("expected").min = h.today; // no check-out day before today
  const sel = $("room");
  const keep = sel.value;
  sel.innerHTML = rooms.map((r) => `<option value="${esc(r.number)}">${esc(r.number)} 房` +
    (r.occupied ? `（在住 ${r.guests.length} 人）` : "（空房）") + "</option>").join("");
  const vacant = rooms.find((r) => !r.occupied);
  // Keep the clerk's pick while that room is free; else offer the first free room.
  const kept = rooms.find((r) => r.number === keep && !r.occupied);
  sel.value = kept ? keep : (vacant ? vacant.number : (rooms[0] ? rooms[0].number : ""));
  const rows = [];
  let count = 0;
  for (const r of rooms) {
    if (!r.occupied) continue;
    r.guests.forEach((g, i) => {
      count += 1;
      rows.push(`<tr data-room="${esc(r.number)}"><td>${i ? "" : esc(r.number)}</td>` +
        `<td>${guestLine(g)}</td><td>${esc(g.checked_in_at)}</td><td>` +
        `<button type="button" class="small" data-out="${esc(g.stay_id)}">退房</button>` +
        (i ? "" : ` <button type="button" class="small" data-room-out="${esc(r.number)}">整间退房</button>`) +
        "</td></tr>");
    });
  }
  $("rooms").querySelector("tbody").innerHTML = rows.join("") ||
    '<tr class="vacant"><td colspan="4">目前没有在住旅客</td></tr>';
  $("house-count").textContent = `共 ${count} 人`;
  document.querySelectorAll("[data-out]").forEach((b) => {
    b.onclick = () => checkout({stay_id: b.dataset.out});
  });
  document.querySelectorAll("[data-room-out]").forEach((b) => {
    b.onclick = async () => {
      if (await askConfirm(`${b.dataset.roomOut} 房的全部旅客办理退房？`)) {
        checkout({room: b.dataset.roomOut});
      }
    };
  });
  $("arrivals").innerHTML = h.arrivals.map((g) => `<li>${esc(g.checked_in_at)} ${esc(g.room)} 房 ` +
    `${guestLine(g)} <a href="${esc(withKey("/api/slip/" + g.stay_id + ".pdf"))}" target="_blank">登记单</a></li>`).join("") ||
    "<li class=\"empty\">暂无</li>";
  $("departures").innerHTML = h.departures.map((g) => `<li>${esc(g.checked_out_at)} ${esc(g.room)} 房 ` +
    `${guestLine(g)}</li>`).join("") || "<li class=\"empty\">暂无</li>";
  $("findings").innerHTML = h.findings.map((f) => `<li class="finding ${esc(f.severity)}">` +
    `${esc(f.label)}` + (f.who ? `：${esc(f.who)}` : "") + "</li>").join("") ||
    "<li class=\"empty\">暂无问题</li>";
}

async function refreshUpload() {
  const u = await api("/api/upload");
  // Only the check-ins whose reporting time is up count (none yet: 暂无).
  const rate = u.today.rate !== null ? `${u.today.rate}%（${u.today.on_time}/${u.today.due}）`
    : (u.today.stays ? "暂无（今日登记尚未到上报时限）" : "暂无（今日暂无入住）");
  const items = [
    ["派出所", u.station ? "已配置，后台自动上报" : "未配置（离线，可导出上报文件）"],
    ["待上报", u.waiting ? `${u.waiting} 条，最早已等待 ${u.oldest_minutes} 分钟` : "全部已上报"],
    ["最近成功", u.last_success || "尚无"],
    ["今日按时上报率", rate],
  ];
  if (u.rejected) items.push(["被拒绝", `${u.rejected} 条`]);
  if (u.last_error || u.push_error) items.push(["上次错误", u.push_error || u.last_error]);
  for (const d of u.due_soon) items.push(["时限提醒", `${d.room} 房 ${d.masked} ` +
    (d.late ? "已超过上报时限" : "即将超过上报时限")]);
  $("upload").innerHTML = items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
}

async function refreshAll() {
  try { await refreshHouse(); } catch (e) { showResult(esc(e.message), false); }
  try { await refreshUpload(); } catch (e) { /* shown on the next refresh */ }
}

async function checkin(ev) {
  ev.preventDefault();
  if (!party.length && pendingOut) { // a guest in the house swiped: Enter offers the check-out
    const out = pendingOut;
    if (await askConfirm(`为 ${out.name}（${out.room} 房）办理退房？`)) {
      await checkout({stay_id: out.stay_id});
    } else {
      $("checkin").focus();
    }
    return;
  }
  if (!party.length) { showResult("请先刷身份证或手工录入旅客。", false); return; }
  const body = {room: $("room").value, expected: $("expected").value || null,
    guests: party.map((g) => g.token ? {token: g.token}
    : {number: g.number, name: g.name, doc_type: g.doc_type, nationality: g.nationality})};
  try {
    const r = await api("/api/checkin", body);
    const lines = [esc(r.message)].concat(r.guests.map((g) => `${esc(g.name)} ${esc(g.masked)}（${esc(g.capture)}${g.created ? "，新登记" : ""}）`));
    for (const w of r.warnings) lines.push("注意：" + esc(w));
    for (const f of r.findings) lines.push(`发现的问题：${esc(f.label)}` + (f.who ? `（${esc(f.who)}）` : ""));
    lines.push(`<a id="slip-link" href="${esc(withKey(r.slip))}" target="_blank">打印登记单（PDF）</a>`);
    showResult(lines.join("\n"), true);
    party = []; renderParty();
    $("card").classList.remove("fresh");
  } catch (e) { showResult(esc(e.message), false); }
  refreshAll();
}

async function checkout(body) {
  try {
    const r = await api("/api/checkout", body);
    const lines = [esc(r.message)];
    for (const f of r.findings) lines.push(`发现的问题：${esc(f.label)}`);
    showResult(lines.join("\n"), true);
    $("staying").hidden = true;
    pendingOut = null;
  } catch (e) { showResult(esc(e.message), false); }
  refreshAll();
}

async function addManual(ev) {
  ev.preventDefault();
  const number = $("manual-number").value.trim().toUpperCase();
  const name = $("manual-name").value.trim();
  const docType = $("manual-type").value;
  const nationality = docType === "passport" ? $("manual-nationality").value.trim().toUpperCase() : "";
  if (!number || !name) { showResult("手工录入需要证件号码和姓名。", false); return; }
  if (name.length > 100) { showResult(`${esc(name.slice(0, 10))}…：姓名最多 100 个字。`, false); return; }
  if (docType === "passport" && !/^[A-Z]{3}$/.test(nationality)) {
    showResult(`${esc(name)}：护照需填写国籍（三位字母代码，如 USA）。`, false); return;
  }
  let checked;
  try { // the check digit and shape, said now (naming the guest), not at check-in
    checked = await api("/api/check-number", {number, doc_type: docType, name});
  } catch (e) { showResult(esc(e.message), false); $("manual-number").focus(); return; }
  party.push({number, name, masked: checked.masked, manual: true, doc_type: docType,
    nationality: nationality || null});
  $("manual-number").value = ""; $("manual-name").value = ""; $("manual-nationality").value = "";
  $("manual-name-limit").hidden = true;
  $("result").hidden = true;
  renderParty();
  $("checkin").focus();
}

$("manual-type").onchange = () => {
  $("manual-nationality-label").hidden = $("manual-type").value !== "passport";
};
$("manual-name").oninput = () => {
  $("manual-name-limit").hidden = $("manual-name").value.length < 100;
};

$("checkin-form").addEventListener("submit", checkin);
$("manual-form").addEventListener("submit", addManual);
$("clear").onclick = () => {
  party = []; pendingOut = null; renderParty();
  $("result").hidden = true; $("staying").hidden = true;
};
document.addEventListener("keydown", (ev) => {
  // Swipe + Enter alone: Enter outside the page's controls checks the party in; Enter on a
  // control (a button, "手工录入", a link, the room picker) does what that control does.
  const t = ev.target;
  if (ev.key !== "Enter" || $("confirm").open) return;
  if (t instanceof Element && t.closest("#room")) { checkin(ev); return; }
  if (t instanceof Element && t.closest("input, button, select, textarea, summary, a, dialog")) {
    return;
  }
  checkin(ev);
});
refreshAll();
setInterval(refreshUpload, 5000);
pollState();
$("checkin").focus();
