// The clinician's dashboard: live waiting list, admit / no-show / running late / end visit, messages, video.

import { renderList, tickMinutes } from "./clinic_list.js";
import { appendMissing, connect, el, errorText, request, setText, wallTime } from "./live.js";
import { VideoCall } from "./video.js";

const $ = (id) => document.getElementById(id);
const STATUS_TEXT = { offline: "Offline", available: "Available", in_visit: "In a visit", running_late: "Running late" };
const state = { items: [], receivedAt: Date.now(), call: null, visitId: null, names: {}, list: "" };

function alertText(text) {
  const item = el("p", { className: "error", textContent: text });
  $("alerts").prepend(item);
  setTimeout(() => item.remove(), 30000);
}

function renderStatus(status) {
  const s = typeof status === "string" ? { status } : status || {};
  const text = STATUS_TEXT[s.status] || "—";
  setText($("my-status"), s.status === "running_late" && s.minutes ? `${text} by ${s.minutes} min` : text);
}

// In the video panel: whether the patient of the open visit has their page open (any of their tabs).
function renderPresence() {
  const node = $("peer-presence");
  const item = state.items.find((i) => i.appointment_id === state.visitId);
  node.hidden = !item;
  if (!item) return;
  node.dataset.connected = String(Boolean(item.connected));
  node.textContent = item.connected ? `${item.name} is connected.` : `${item.name} is not connected (page closed or offline).`;
}

function render() {
  renderList({ items: state.items, receivedAt: state.receivedAt, actions, busy: Boolean(state.visitId) });
  renderPresence();
  const select = $("reply-to");
  const chosen = select.value;
  select.replaceChildren(...state.items.map((i) => el("option", { value: i.appointment_id, textContent: i.name })));
  if (chosen) select.value = chosen;
}

// The visit in progress, joint visits a colleague opened while this clinician was busy, then the line.
function setList(list) {
  state.list = JSON.stringify(list);
  const items = [...(list && list.in_visit ? [list.in_visit] : []), ...((list && list.other_visits) || []), ...((list && list.patients) || [])];
  state.items = items;
  state.receivedAt = Date.now();
  items.forEach((i) => (state.names[i.appointment_id] = i.name));
  render();
}

async function act(event, payload) {
  const ack = await request(socket, event, payload);
  if (!ack.ok) alertText(errorText(ack));
  return ack;
}

// No-show and end visit ask first, in the page's <dialog> (a modal: focus stays in it, Escape cancels).
// Resolves true only for the confirm button; focus then goes back to the button that asked.
const ASK = {
  noShow: (name) => ({
    title: `Mark ${name} as a no-show?`,
    text: "The visit is recorded as missed and its waiting room closes. This cannot be undone.",
    yes: "Yes, mark as a no-show",
  }),
  endVisit: (name) => ({
    title: `End the visit with ${name}?`,
    text: "The video call ends for everyone in it and the visit is recorded as completed. This cannot be undone.",
    yes: "Yes, end the visit",
  }),
};

function confirmStep({ title, text, yes }) {
  const dialog = $("confirm-dialog");
  const asker = document.activeElement;
  const label = asker && asker.getAttribute("aria-label");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      // The list may have been redrawn meanwhile: its button for the same patient takes the focus.
      const again = asker && asker.isConnected ? asker : label && document.querySelector(`button[aria-label="${CSS.escape(label)}"]`);
      if (again) again.focus();
      resolve(dialog.returnValue === "confirm");
    }, { once: true });
  });
}

async function openVideo(item) {
  if (state.call && state.visitId === item.appointment_id && state.call.state !== "ended") return;
  if (state.call) state.call.close();
  state.visitId = item.appointment_id;
  const joint = (item.clinician_ids || []).length > 1;
  $("video-title").textContent = `${joint ? "Joint video visit" : "Video visit"} with ${item.name}`;
  state.call = new VideoCall({ socket, appointmentId: item.appointment_id, role: "clinician", root: $("video") });
  render();
  await state.call.start();
  $("video-title").focus();
}

async function endVisit(item) {
  const id = item ? item.appointment_id : state.visitId;
  if (!(await confirmStep(ASK.endVisit(state.names[id] || "this patient")))) return;
  const ack = await act("end_visit", { appointment_id: id });
  if (ack.ok && id === state.visitId) closeVideo("Visit ended.");
}

function closeVideo(text) {
  if (state.call) state.call.close(text);
  state.call = null;
  state.visitId = null;
  $("video").hidden = true;
  render();
}

const actions = {
  admit: async (item) => (await act("admit", { appointment_id: item.appointment_id })).ok && openVideo(item),
  noShow: async (item) => {
    if (await confirmStep(ASK.noShow(item.name))) await act("no_show", { appointment_id: item.appointment_id });
  },
  message: (item) => {
    $("reply-to").value = String(item.appointment_id);
    $("reply-text").focus();
  },
  openVideo,
  endVisit,
};

function message(m) {
  const name = m.name || state.names[m.appointment_id] || `Appointment ${m.appointment_id}`;
  const who = m.sender === "clinic" ? `You → ${name}` : name;
  const time = wallTime(m.at);
  return el("li", { className: `message from-${m.sender}` },
    el("strong", { textContent: who }), time ? ` (${time})` : "", `: ${m.text}`);
}

// The history from `join_clinic`: only the messages not shown yet are added (a live region reads what is added).
function setMessages(messages) {
  appendMissing($("messages"), messages.map(message));
  $("messages-empty").hidden = $("messages").children.length > 0;
}

function addMessage(m) {
  $("messages").append(message(m));
  $("messages-empty").hidden = true;
}

async function sendReply(event) {
  event.preventDefault();
  const id = Number($("reply-to").value);
  const text = $("reply-text").value.trim();
  if (!id || !text) return;
  const ack = await act("send_message", { appointment_id: id, text });
  if (ack.ok) {
    addMessage({ appointment_id: id, sender: "clinic", text, at: ack.at });
    $("reply-text").value = "";
  }
}

async function runningLate(event) {
  event.preventDefault();
  const minutes = Number($("late-minutes").value);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 240) return alertText("Minutes must be a whole number from 0 to 240.");
  const ack = await act("running_late", { minutes });
  if (ack.ok) renderStatus(ack.status || (minutes ? { status: "running_late", minutes } : { status: "available" }));
}

// On every (re)connection, and on `resync` (the message queue came back after an outage; events meant for this
// page may be lost): the whole line, the messages and the status again. An unchanged line is not redrawn.
async function joinClinic() {
  const ack = await act("join_clinic", {});
  if (!ack.ok) return;
  if (JSON.stringify(ack.waiting_list) !== state.list) setList(ack.waiting_list);
  setMessages(ack.messages || []);
  renderStatus(ack.status);
  if (state.call) state.call.rejoin();
}

const socket = connect({ banner: $("banner"), onConnect: joinClinic });
socket.on("resync", joinClinic);
socket.on("waiting_list", setList);
socket.on("clinician_status", renderStatus);
socket.on("patient_message", (m) => addMessage({ sender: "patient", ...m }));
socket.on("visit_ended", (v) => v.appointment_id === state.visitId && closeVideo("Visit ended."));
socket.on("alert", (a) => alertText(a.message || `Alert for appointment ${a.appointment_id}`));

$("reply-form").addEventListener("submit", sendReply);
$("late-form").addEventListener("submit", runningLate);
$("end-visit").addEventListener("click", () => endVisit(null));
$("video-title").tabIndex = -1;
setInterval(() => tickMinutes(state.items, state.receivedAt), 30000);
