// The clinician's waiting list as a table: one row per patient, with the actions that fit their status.

import { el, wallTime } from "./live.js";

const CONNECTION = { true: "Connected", false: "Not connected" };

function minutesText(item, receivedAt) {
  if (item.waiting_minutes === null || item.waiting_minutes === undefined) return "—";
  const more = Math.floor((Date.now() - receivedAt) / 60000); // keeps counting between server updates
  return `${Number(item.waiting_minutes) + more} min`;
}

function whereCell(item) {
  const region = item.region || "not given";
  if (item.licensed === false) {
    return el("td", { className: "flag" }, el("strong", { textContent: "Not licensed" }), ` (${region})`);
  }
  return el("td", { textContent: region });
}

function button(text, action, item, extra = {}) {
  const b = el("button", {
    type: "button",
    textContent: text,
    className: extra.className || "",
    disabled: Boolean(extra.disabled),
    title: extra.title || "",
    onclick: () => action(item),
  });
  b.setAttribute("aria-label", `${text}: ${item.name}`);
  return b;
}

function actionsCell(item, actions, busy) {
  const group = el("div", { className: "row-actions" });
  const cell = el("td", {}, group);
  if (item.status === "in_visit") {
    group.append(button("Open video", actions.openVideo, item), button("End visit", actions.endVisit, item, { className: "danger" }));
    return cell;
  }
  const unlicensed = item.licensed === false;
  const admitTitle = unlicensed ? "Not licensed where the patient is" : busy ? "Finish your current visit first" : "";
  group.append(
    button("Admit", actions.admit, item, { disabled: unlicensed || busy, title: admitTitle }),
    button("No-show", actions.noShow, item, { className: "secondary" }),
    button("Message", actions.message, item, { className: "secondary" }),
  );
  return cell;
}

// A joint visit (several clinicians) says so under the patient's name.
function nameCell(item) {
  const cell = el("th", { scope: "row", textContent: item.name });
  if ((item.clinician_ids || []).length > 1) cell.append(el("span", { className: "hint joint", textContent: "Joint visit" }));
  return cell;
}

// Updates replace the rows; the focused button (if any) keeps the focus in its new row.
function focusKey() {
  const active = document.activeElement;
  return active && active.closest("#line-body") ? active.getAttribute("aria-label") : null;
}

export function renderList({ items, receivedAt, actions, busy }) {
  const body = document.getElementById("line-body");
  const focused = focusKey();
  body.replaceChildren(
    ...items.map((item) =>
      el("tr", { id: `appt-${item.appointment_id}` },
        nameCell(item),
        el("td", { textContent: item.start_label || wallTime(item.start) }),
        el("td", { textContent: item.checked_in_label || wallTime(item.checked_in_at) || "—" }),
        el("td", { className: "waiting", textContent: minutesText(item, receivedAt) }),
        el("td", { className: "connection", textContent: CONNECTION[Boolean(item.connected)] }),
        whereCell(item),
        actionsCell(item, actions, busy),
      ),
    ),
  );
  items.forEach((item, i) => (body.rows[i].dataset.appointmentId = item.appointment_id));
  const again = focused && [...body.querySelectorAll("button")].find((b) => b.getAttribute("aria-label") === focused);
  if (again) again.focus();
  document.getElementById("line").hidden = items.length === 0;
  document.getElementById("line-empty").hidden = items.length > 0;
}

// Between server updates only the minutes change.
export function tickMinutes(items, receivedAt) {
  items.forEach((item) => {
    const cell = document.querySelector(`#appt-${item.appointment_id} .waiting`);
    if (cell) cell.textContent = minutesText(item, receivedAt);
  });
}
