// The plan editor. The person's moves and pins live here (and in sessionStorage, so that
// showing another Work Group keeps them) until they save a draft; every change asks the
// server to check the whole plan again (/check), and selecting a session asks where else it
// could go (/where). Every step works by keyboard: a session is a button, the panel's date
// list a select, and "Move it there" a button; dragging a session onto a cell is the same move.
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root) return;
  var base = root.dataset.base;
  var csrf = root.dataset.csrf;
  var storeKey = "hubplan-edits-" + root.dataset.hub + "-" + root.dataset.plan;
  var state = load();
  var selected = null;
  var choices = [];

  function load() {
    try {
      var s = JSON.parse(window.sessionStorage.getItem(storeKey) || "null");
      if (s && s.moves && s.pins && s.origin) return s;
    } catch (e) { /* a fresh start */ }
    return { moves: {}, pins: [], origin: {} };
  }
  function save() { window.sessionStorage.setItem(storeKey, JSON.stringify(state)); }
  function movesList() {
    return Object.keys(state.moves).sort().map(function (sid) { return [sid, state.moves[sid][0], state.moves[sid][1]]; });
  }
  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (j) { throw new Error(j.error || r.statusText); },
                             function () { throw new Error(r.statusText); });
      }
      return r.json();
    });
  }
  function text(el, value) { el.textContent = value; return el; }
  function make(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (value !== undefined) el.textContent = value;
    return el;
  }
  function chip(sid) { return root.querySelector('.chip[data-session="' + CSS.escape(sid) + '"]'); }
  function cell(date, slot) {
    return root.querySelector('td.cell[data-date="' + date + '"][data-slot="' + slot + '"]');
  }
  function slotWords(slot) { return { am: "morning", pm: "afternoon", day: "all day" }[slot] || slot; }
  function when(date, slot) {
    var d = new Date(date + "T12:00:00");
    return d.toLocaleDateString("en-GB", { weekday: "short", day: "2-digit", month: "short", year: "numeric" }) + " " + slotWords(slot);
  }

  // -- the table: sessions where the moves put them, and what the rules say of them ----------
  function place(sid) {
    var c = chip(sid);
    if (!c) return;
    var at = state.moves[sid] || state.origin[sid] || [c.dataset.date, c.dataset.slot];
    var target = cell(at[0], at[1]);
    if (target && c.parentNode !== target) target.insertBefore(c, target.firstChild);
    c.dataset.date = at[0];
    c.dataset.slot = at[1];
    c.classList.toggle("moved", !!state.moves[sid]);
  }
  function showViolations(result) {
    var list = document.getElementById("broken-list");
    list.textContent = "";
    var bySession = {};
    result.violations.forEach(function (v) {
      var li = make("li");
      li.appendChild(make("strong", "", v.rule));
      li.appendChild(document.createTextNode(": " + v.message));
      list.appendChild(li);
      v.sessions.forEach(function (sid) { (bySession[sid] = bySession[sid] || []).push(v); });
    });
    text(document.getElementById("broken-count"), result.count
      ? "The plan breaks " + result.count + " rule" + (result.count === 1 ? "" : "s") + "."
      : "The plan keeps every rule.");
    root.querySelectorAll(".chip").forEach(function (c) {
      var old = c.parentNode.querySelector('.warnings[data-for="' + c.dataset.session + '"]');
      if (old) old.remove();
      var mine = bySession[c.dataset.session] || [];
      c.classList.toggle("broken", mine.length > 0);
      if (!mine.length) return;
      var ul = make("ul", "warnings");
      ul.dataset.for = c.dataset.session;
      mine.forEach(function (v) {
        var li = make("li");
        li.appendChild(make("strong", "", v.rule));
        li.appendChild(document.createTextNode(": " + v.message));
        ul.appendChild(li);
      });
      c.insertAdjacentElement("afterend", ul);
    });
  }
  function check() {
    return post("/check", { moves: movesList(), pins: state.pins }).then(showViolations).catch(failed);
  }
  function failed(err) {
    text(document.getElementById("choice-why"), "The server could not answer: " + String(err.message || err).slice(0, 300));
  }

  // -- the person's changes ----------------------------------------------------------------
  function showMoves() {
    var list = document.getElementById("moves-list");
    list.textContent = "";
    var moves = movesList();
    document.getElementById("no-moves").hidden = moves.length > 0;
    moves.forEach(function (m) {
      var c = chip(m[0]);
      var li = make("li", "", (c ? c.dataset.title.split(",")[0] : m[0]) + " (" + m[0] + "): from " +
        when(state.origin[m[0]][0], state.origin[m[0]][1]) + " to " + when(m[1], m[2]) + " ");
      var undo = make("button", "secondary", "Undo");
      undo.type = "button";
      undo.setAttribute("aria-label", "Undo the move of " + m[0]);
      undo.addEventListener("click", function () { unmove(m[0]); });
      li.appendChild(undo);
      list.appendChild(li);
    });
    root.querySelectorAll("form.edits").forEach(function (f) {
      f.elements.moves.value = JSON.stringify(moves);
      f.elements.pins.value = JSON.stringify(state.pins);
    });
    document.getElementById("save").disabled = moves.length === 0;
  }
  function move(sid, date, slot) {
    var c = chip(sid);
    if (!state.origin[sid] && c) state.origin[sid] = [c.dataset.date, c.dataset.slot];
    if (state.origin[sid] && state.origin[sid][0] === date && state.origin[sid][1] === slot) delete state.moves[sid];
    else state.moves[sid] = [date, slot];
    save();
    place(sid);
    showMoves();
    return check().then(function () { if (selected === sid) return select(sid, false); });
  }
  function unmove(sid) {
    var at = state.origin[sid];
    if (at) move(sid, at[0], at[1]);
  }

  // -- the panel: where else the selected session could go ------------------------------------
  function decorate() {
    root.querySelectorAll("td.cell").forEach(function (td) {
      td.classList.remove("ok", "no", "here");
      td.removeAttribute("title");
      var old = td.querySelector(".mark");
      if (old) old.remove();
    });
    choices.forEach(function (c) {
      var td = cell(c.date, c.slot);
      if (!td) return;
      td.classList.add(c.current ? "here" : c.allowed ? "ok" : "no");
      var mark = make("span", "mark", c.current ? "here" : c.allowed ? "✓ " + cost(c) : "✗ " + rules(c));
      mark.setAttribute("aria-hidden", "true");
      td.title = describe(c);
      td.appendChild(mark);
    });
  }
  function cost(c) {
    if (c.weighted === null || c.weighted === undefined) return "";
    return (c.weighted > 0 ? "+" : "") + c.weighted;
  }
  function rules(c) {
    var seen = {};
    return c.reasons.map(function (r) { return r[0]; }).filter(function (r) { return seen[r] ? false : (seen[r] = true); }).join(" ");
  }
  function describe(c) {
    if (c.current) return when(c.date, c.slot) + ": where it is now";
    if (c.past) return when(c.date, c.slot) + ": in the past";
    if (c.allowed) {
      var parts = Object.keys(c.cost || {}).filter(function (k) { return c.cost[k]; }).map(function (k) {
        return k + " " + (c.cost[k] > 0 ? "+" : "") + c.cost[k];
      });
      return when(c.date, c.slot) + ": allowed" + (c.cost ? ", cost " + cost(c) + (parts.length ? " (" + parts.join(", ") + ")" : " (no change)") : "");
    }
    return when(c.date, c.slot) + ": not allowed: " + c.reasons.map(function (r) { return r[0] + " " + r[1]; }).join("; ");
  }
  function select(sid, focus) {
    var c = chip(sid);
    root.querySelectorAll(".chip[aria-pressed=true]").forEach(function (x) { x.setAttribute("aria-pressed", "false"); });
    if (c) c.setAttribute("aria-pressed", "true");
    selected = sid;
    text(document.getElementById("panel-session"), "Looking where " + (c ? c.dataset.title : sid) + " could go…");
    return post("/where", { moves: movesList(), pins: state.pins, session: sid }).then(function (answer) {
      if (selected !== sid) return;
      choices = answer.choices;
      var s = answer.session;
      text(document.getElementById("panel-session"), s.title + (s.past ? " (in the past: it stays)" : ""));
      document.getElementById("panel-body").hidden = false;
      var problems = document.getElementById("panel-problems");
      problems.textContent = "";
      answer.violations.forEach(function (v) {
        var li = make("li");
        li.appendChild(make("strong", "", v.rule));
        li.appendChild(document.createTextNode(": " + v.message));
        problems.appendChild(li);
      });
      var fix = document.getElementById("fix-form");
      fix.hidden = answer.violations.length === 0;
      fix.elements.session.value = sid;
      var pin = document.getElementById("pin");
      pin.checked = state.pins.indexOf(sid) >= 0;
      pin.disabled = s.past;
      var sel = document.getElementById("choice");
      sel.textContent = "";
      var allowed = 0;
      choices.forEach(function (ch, i) {
        var o = make("option", "", describe(ch));
        o.value = String(i);
        if (ch.current) o.selected = true;
        if (ch.past) o.disabled = true;
        if (ch.allowed && !ch.current) allowed += 1;
        sel.appendChild(o);
      });
      sel.disabled = s.past;
      document.getElementById("move-here").disabled = s.past;
      text(document.getElementById("panel-summary"), allowed + " of " + choices.length + " dates and slots are allowed.");
      showWhy();
      decorate();
      if (focus) sel.focus();
    }).catch(failed);
  }
  function showWhy() {
    var ch = choices[Number(document.getElementById("choice").value)];
    text(document.getElementById("choice-why"), ch ? describe(ch) : "");
  }

  // -- wiring ----------------------------------------------------------------------------------
  root.querySelectorAll(".chip").forEach(function (c) {
    c.addEventListener("click", function () { select(c.dataset.session, true); });
    if (c.dataset.past === "yes") return;
    c.addEventListener("dragstart", function (e) {
      e.dataTransfer.setData("text/plain", c.dataset.session);
      e.dataTransfer.effectAllowed = "move";
    });
  });
  root.querySelectorAll("td.cell").forEach(function (td) {
    td.addEventListener("dragover", function (e) { e.preventDefault(); td.classList.add("over"); });
    td.addEventListener("dragleave", function () { td.classList.remove("over"); });
    td.addEventListener("drop", function (e) {
      e.preventDefault();
      td.classList.remove("over");
      var sid = e.dataTransfer.getData("text/plain");
      var c = chip(sid);
      if (!c || c.dataset.past === "yes" || td.closest("tr").classList.contains("past")) return;
      selected = sid;
      move(sid, td.dataset.date, td.dataset.slot);
    });
  });
  document.getElementById("choice").addEventListener("change", showWhy);
  document.getElementById("move-here").addEventListener("click", function () {
    var ch = choices[Number(document.getElementById("choice").value)];
    if (ch && selected && !ch.past) move(selected, ch.date, ch.slot);
  });
  document.getElementById("pin").addEventListener("change", function (e) {
    state.pins = state.pins.filter(function (x) { return x !== selected; });
    if (e.target.checked && selected) state.pins.push(selected);
    save();
    showMoves();
  });
  root.querySelectorAll("form.edits").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.elements.moves.value = JSON.stringify(movesList());
      f.elements.pins.value = JSON.stringify(state.pins);
      if (f.id !== "fix-form") window.sessionStorage.removeItem(storeKey);
    });
  });

  Object.keys(state.moves).forEach(place);
  showMoves();
  if (movesList().length) check();
})();
