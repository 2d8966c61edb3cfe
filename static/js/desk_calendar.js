// The desk's time grid on /schedule (docs/desk-pages.md): vkurko's EventCalendar (served from /vendor) reading
// /schedule/calendar.json, a column per clinician or per room or machine. Without this script the page's list
// of days stays; with it the grid replaces the list. Every move (drag, or the dialog's "Move to") is worded by
// the server and confirmed by the scheduler before it is saved.
(function () {
  "use strict";

  var root = document.getElementById("grid");
  var dialog = document.getElementById("visit-dialog");
  if (!root || !dialog || typeof window.EventCalendar === "undefined" || typeof dialog.showModal !== "function") {
    return; // the list stays
  }
  var filters = document.querySelector("form.filters");
  var mount = document.getElementById("grid-calendar");
  var note = document.getElementById("grid-note");
  var status = document.getElementById("grid-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var VIEWS = { day: "resourceTimeGridDay", week: "resourceTimeGridWeek" };
  var cache = {};
  var ec = null;
  var columns = [];
  var pending = null; // the move waiting for the scheduler's answer: {url, body, revert}
  var current = null; // the visit the dialog shows

  // ---- the JSON the grid reads: one request per range, shared by resources and events ----

  function day(d) {
    return d.toISOString().slice(0, 10); // the grid runs on UTC: its dates are the wall dates
  }

  function filterParams() {
    var params = new URLSearchParams(new FormData(filters));
    params.delete("date");
    params.delete("view");
    return params;
  }

  function load(info) {
    var params = filterParams();
    params.set("start", day(info.start));
    params.set("end", day(info.end));
    var key = params.toString();
    if (!cache[key]) {
      cache[key] = fetch(root.dataset.feed + "?" + key, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(answer)
        .then(function (data) {
          columns = data.resources;
          describe(data);
          return data;
        });
      cache[key].catch(function (err) {
        delete cache[key];
        say(err.message, true);
      });
    }
    return cache[key];
  }

  // Columns share the grid's width while each keeps room for a name; past that they keep their width and the
  // grid scrolls sideways inside itself (never the page).
  function fitColumns(days) {
    var least = narrow && days === 1 ? 128 : 88;
    var room = mount.clientWidth - 72; // the time labels' column
    var width = room >= columns.length * days * least ? undefined : (least / 16) + "rem";
    if (ec && ec.getOption("columnWidth") !== width) ec.setOption("columnWidth", width);
  }

  function answer(resp) {
    var json = (resp.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    if (!json) {
      throw new Error("Your session may have ended: reload the page and sign in again.");
    }
    return resp.json().then(function (data) {
      if (!resp.ok) {
        var err = new Error((data.error && data.error.message) || "That did not work. Please try again.");
        err.body = data.error || {};
        throw err;
      }
      return data;
    });
  }

  function describe(data) {
    var by = data.by === "resource" ? "rooms and machines" : "clinicians";
    var zone = data.zone ? "in " + data.zone : "in each site's local time";
    var free = data.free_for ? "Shaded: free time for " + data.free_for.name + " (" + data.free_for.minutes + " min); click it to book." : "No free time shown.";
    note.textContent = "One column per " + (data.by === "resource" ? "room or machine" : "clinician") + " (" +
      data.resources.length + " " + by + "). Times are " + zone + ". " + free;
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  // ---- how an event reads on the grid (text only: no HTML from the data) ----

  function line(text, cls) {
    var el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function content(info) {
    var p = info.event.extendedProps;
    if (p.kind !== "visit") {
      return { domNodes: [] };
    }
    var parts = [line(p.time, "ev-time"), line(p.patient, "ev-patient"), line(p.visit_type, "ev-type")];
    if (p.patient_clock) {
      parts.push(line("Patient's time " + p.patient_clock, "ev-own"));
    }
    if (p.part_of) {
      parts.push(line("Part of " + p.part_of, "ev-part"));
    }
    // what a screen reader adds to the visible text: the date, who, how, the status, and what a press does
    parts.push(line("(" + p.when + " with " + p.clinician + ", " + p.mode + ", " + p.status +
      (p.movable ? ")" : "; moves only with its whole)"), "visually-hidden"));
    var nodes = [];
    parts.forEach(function (part, i) { // a space between the lines, so the button's name reads as words
      if (i) nodes.push(document.createTextNode(" "));
      nodes.push(part);
    });
    return { domNodes: nodes };
  }

  function mounted(info) {
    var p = info.event.extendedProps;
    if (p.kind === "free") {
      info.el.setAttribute("title", p.label);
    }
  }

  // EventCalendar marks its grid up as an ARIA table whose row groups also hold the toolbar and the events
  // (buttons), which ARIA forbids (axe: aria-required-children). Its table roles are taken off as they
  // appear: the grid reads as its column heads and its events, each a button that names its patient, date,
  // time and clinician. (The library's accessibility: vkurko/calendar#161. Remove this once its markup passes.)
  var TABLE_ROLES = ["table", "rowgroup", "row", "columnheader", "rowheader", "cell", "gridcell"];

  var TABLE_ATTRS = ["aria-colindex", "aria-rowindex", "aria-colspan", "aria-rowspan"];

  function plainRoles() {
    mount.querySelectorAll("[role], [" + TABLE_ATTRS.join("], [") + "]").forEach(function (el) {
      if (TABLE_ROLES.indexOf(el.getAttribute("role")) >= 0) el.removeAttribute("role");
      if (!el.hasAttribute("role")) TABLE_ATTRS.forEach(function (a) { el.removeAttribute(a); });
    });
    // The grid scrolls inside itself (sideways on a week or a phone): keyboard users can scroll it too.
    mount.querySelectorAll(".ec-main:not([tabindex])").forEach(function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", "Time grid: use the arrow keys to scroll");
    });
  }

  // ---- free time: a click on it books there ----

  function freeAt(date, resource) {
    var t = date.getTime();
    var found = ec.getEvents().filter(function (e) {
      return e.extendedProps.kind === "free" && e.resourceIds.indexOf(resource.id) >= 0 &&
        e.start.getTime() <= t && t < e.end.getTime();
    });
    return found[0] || null;
  }

  function dateClick(info) {
    if (!info.resource) return;
    var free = freeAt(info.date, info.resource);
    if (free) {
      window.location.assign(free.extendedProps.book_url);
    } else {
      say("No free time for this visit type there. Shaded boxes are free: click one to book it.", false);
    }
  }

  // ---- the dialog: details, "Move to", confirmation ----

  function fill(scope, values) {
    scope.querySelectorAll("[data-field]").forEach(function (el) {
      var v = values[el.getAttribute("data-field")];
      if (v !== undefined) el.textContent = v == null ? "" : v;
    });
    scope.querySelectorAll("[data-if]").forEach(function (el) {
      var name = el.getAttribute("data-if");
      if (values[name] !== undefined) el.hidden = !values[name];
    });
    scope.querySelectorAll("[data-href]").forEach(function (el) {
      var v = values[el.getAttribute("data-href")];
      if (v !== undefined) el.setAttribute("href", v || "#");
    });
  }

  function step(name) {
    dialog.querySelectorAll("[data-step]").forEach(function (s) {
      s.hidden = s.getAttribute("data-step") !== name;
    });
  }

  function problem(text) {
    var box = document.getElementById("visit-dialog-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function wallParts(date) {
    var iso = date.toISOString();
    return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
  }

  function clinicianChoices(event) {
    var select = document.getElementById("move-clinician");
    select.textContent = "";
    var people = columns.filter(function (c) { return c.id.charAt(0) === "c"; });
    people.forEach(function (c) {
      var option = document.createElement("option");
      option.value = c.id.slice(1);
      option.textContent = c.title;
      option.selected = event.resourceIds.indexOf(c.id) === 0;
      select.appendChild(option);
    });
    return people.length > 0;
  }

  function openDetails(event) {
    var p = event.extendedProps;
    current = event;
    var at = wallParts(event.start);
    document.getElementById("move-date").value = at.date;
    document.getElementById("move-time").value = at.time;
    fill(dialog, {
      patient: p.patient, when: p.when, patient_time: p.patient_time, clinician: p.clinician,
      location: p.location, mode: p.mode, status: p.status, part_of: p.part_of || null,
      whole_url: p.whole_url || null, url: p.url, movable: p.movable, clinicians: clinicianChoices(event)
    });
    document.getElementById("visit-dialog-title").textContent = p.patient + " · " + p.visit_type;
    problem("");
    step("details");
    pending = null;
    dialog.showModal();
  }

  function askToConfirm(props, body, revert) {
    var params = new URLSearchParams(body);
    problem("");
    return fetch(props.check_url + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(answer)
      .then(function (data) {
        var c = data.confirm;
        fill(dialog, {
          c_patient: c.patient, c_from: c.from, c_from_with: c.from_with, c_to: c.to, c_to_with: c.to_with,
          c_patient_to: c.patient_to, c_location: c.location, c_mode: c.mode, c_notice: c.notice
        });
        document.getElementById("visit-dialog-title").textContent = "Move this visit?";
        pending = { url: props.move_url, body: body, revert: revert };
        step("confirm");
        if (!dialog.open) dialog.showModal();
        dialog.querySelector("[data-confirm]").focus();
      })
      .catch(function (err) {
        if (revert) revert();
        refused(err, props);
      });
  }

  function refused(err, props) {
    if (!dialog.open) {
      fill(dialog, { patient: props.patient, when: props.when, patient_time: props.patient_time,
        clinician: props.clinician, location: props.location, mode: props.mode, status: props.status,
        part_of: props.part_of || null, whole_url: (err.body && err.body.whole_url) || props.whole_url || null,
        url: props.url, movable: props.movable, clinicians: current ? clinicianChoices(current) : false });
      document.getElementById("visit-dialog-title").textContent = props.patient + " · " + props.visit_type;
      step("details");
      dialog.showModal();
    } else {
      step("details");
    }
    problem(err.message);
  }

  function moveBody(date, time, clinicianId) {
    var body = { start: date + "T" + time, tz: filters.elements.tz ? filters.elements.tz.value : "site" };
    if (clinicianId) body.clinician_id = parseInt(clinicianId, 10);
    return body;
  }

  function confirmMove() {
    if (!pending) return;
    var move = pending;
    pending = null;
    var body = Object.assign({ confirmed: true }, move.body);
    fetch(move.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    })
      .then(answer)
      .then(function (data) {
        dialog.close();
        say(data.message, false);
        cache = {};
        ec.refetchEvents();
      })
      .catch(function (err) {
        if (move.revert) move.revert();
        step("details");
        problem(err.message);
      });
  }

  function cancelMove() {
    if (pending && pending.revert) pending.revert();
    pending = null;
    dialog.close();
  }

  function eventDrop(info) {
    var p = info.event.extendedProps;
    current = info.event;
    var at = wallParts(info.event.start);
    var target = info.newResource ? info.newResource.id : null;
    var clinicianId = target && target.charAt(0) === "c" ? target.slice(1) : null;
    askToConfirm(p, moveBody(at.date, at.time, clinicianId), info.revert);
  }

  // ---- the page around the grid ----

  // A date the scheduler typed before the grid drew (a slow phone; or before this script ran at all, so no input
  // listener could have seen it) is theirs: the grid must not overwrite it. The field differs from its last
  // known value then: the page's own, or the grid's last.
  function followGrid(field, date) {
    if (field.value === field.defaultValue) field.value = date;
    field.defaultValue = field.value; // the next change is measured from what it shows now
  }

  function datesSet(info) {
    var view = info.view.type === VIEWS.day ? "day" : "week";
    var params = new URLSearchParams(window.location.search);
    params.set("view", view);
    params.set("date", day(info.start));
    if (filters.elements.date) followGrid(filters.elements.date, day(info.start));
    if (filters.elements.view) filters.elements.view.value = view;
    window.history.replaceState(null, "", "?" + params.toString());
    var sub = document.querySelector(".page-head h1 .sub");
    if (sub) sub.textContent = info.view.title; // the page's heading follows the grid's dates
  }

  var narrow = window.matchMedia("(max-width: 47.99rem)").matches;

  function initialView() {
    if (root.dataset.viewChosen !== "yes" && narrow) {
      return VIEWS.day; // a phone starts on one day; the week is a tap away
    }
    return VIEWS[root.dataset.view] || VIEWS.week;
  }

  root.hidden = false;
  document.getElementById("calendar-list").hidden = true;
  document.querySelectorAll(".grid-only").forEach(function (el) { el.hidden = false; });

  ec = window.EventCalendar.create(mount, {
    view: initialView(),
    date: root.dataset.date,
    timeZone: "UTC", // wall times come from the server in the chosen zone, as they read on the wall
    locale: root.dataset.locale,
    firstDay: 1,
    slotDuration: "00:30",
    slotHeight: 32,
    slotMinTime: "07:00",
    slotMaxTime: "19:00",
    flexibleSlotTimeLimits: true, // a visit or free time outside 07:00-19:00 widens the day
    allDaySlot: false,
    nowIndicator: false, // the browser's clock is not the desk's: the server's "today" is the Today button's
    height: "auto",
    datesAboveResources: true,
    headerToolbar: { start: "prev,deskToday,next", center: "title", end: "resourceTimeGridDay,resourceTimeGridWeek" },
    customButtons: {
      deskToday: { text: "Today", click: function () { ec.setOption("date", root.dataset.today); } }
    },
    buttonText: function (text) { // keeps the views' own "Previous day" / "Next week" names of the arrows
      return Object.assign({}, text, { resourceTimeGridDay: "Day", resourceTimeGridWeek: "Week" });
    },
    resources: function (info) { return load(info).then(function (d) { return d.resources; }); },
    refetchResourcesOnNavigate: true,
    eventSources: [{ events: function (info) { return load(info).then(function (d) { return d.events; }); } }],
    editable: true,
    eventDurationEditable: false,
    eventContent: content,
    eventDidMount: mounted,
    eventClick: function (info) {
      if (info.event.extendedProps.kind === "visit") openDetails(info.event);
    },
    dateClick: dateClick,
    eventDrop: eventDrop,
    datesSet: datesSet,
    loading: function (busy) { // once the columns and events are in, size the columns for them
      if (!busy) window.setTimeout(function () { fitColumns(ec.getView().type === VIEWS.week ? 7 : 1); }, 0);
    },
    resourceLabelContent: function (info) {
      var detail = info.resource.extendedProps.detail || "";
      var parts = [line(info.resource.title, "col-title")];
      if (detail) parts.push(line(", ", "visually-hidden"), line(detail, "col-detail"));
      return { domNodes: parts };
    }
  });

  plainRoles();
  new MutationObserver(plainRoles).observe(mount, { childList: true, subtree: true, attributeFilter: ["role", "tabindex"].concat(TABLE_ATTRS) });

  document.getElementById("move-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!current) return;
    var date = document.getElementById("move-date").value;
    var time = document.getElementById("move-time").value;
    if (!date || !time) {
      problem("Please give the new date and time.");
      return;
    }
    var who = document.getElementById("move-clinician");
    askToConfirm(current.extendedProps, moveBody(date, time, who.value || null), null);
  });
  dialog.querySelector("[data-confirm]").addEventListener("click", confirmMove);
  dialog.querySelector("[data-cancel]").addEventListener("click", cancelMove);
  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("cancel", function () { // Escape: nothing moves
    if (pending && pending.revert) pending.revert();
    pending = null;
  });
})();
