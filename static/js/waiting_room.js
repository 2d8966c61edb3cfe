// The patient's waiting room: pre-visit check, check-in, place in line, messages, then the video visit.

import { appendMissing, connect, el, errorText, request, setText, wallTime } from "./live.js";
import { setupMediaCheck } from "./media_check.js";
import { VideoCall } from "./video.js";

const $ = (id) => document.getElementById(id);
const root = $("room");
const appointmentId = Number(root.dataset.appointmentId);
const saved = `televisit.checkin.${appointmentId}`; // region and consent, to check in again after a reload
const page = { phase: "precheck", call: null, checkin: JSON.parse(sessionStorage.getItem(saved) || "null") };
const media = setupMediaCheck({ button: $("media-test"), preview: $("preview"), status: $("media-status") });

const STATUS_TEXT = {
  offline: "Not online yet",
  available: "Available",
  in_visit: "With another patient",
  running_late: "Running late",
};

function show(phase) {
  page.phase = phase;
  root.dataset.phase = phase;
  $("precheck").hidden = phase !== "precheck";
  $("queue").hidden = phase !== "queue";
  $("video").hidden = phase !== "visit";
  $("ended").hidden = phase !== "ended";
}

function say(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

function renderStatus(status) {
  const s = typeof status === "string" ? { status } : status || {};
  const text = STATUS_TEXT[s.status] || "—";
  setText($("clinician-status"), s.status === "running_late" && s.minutes ? `${text} by ${s.minutes} min` : text);
}

function renderQueue(q) {
  if (!q) return;
  setText($("position"), q.position === 1 ? "You're next" : q.position ? `${q.position}` : "—");
  const eta = Number(q.eta_minutes);
  setText($("eta"), Number.isFinite(eta) ? (eta <= 0 ? "Any moment now" : `About ${eta} min`) : "—");
  if (q.clinician_status) renderStatus({ status: q.clinician_status, minutes: q.late_minutes });
}

function message(m) {
  const time = wallTime(m.at);
  return el("li", { className: `message from-${m.sender}` },
    el("strong", { textContent: m.sender === "clinic" ? "Clinic" : "You" }), time ? ` (${time})` : "", `: ${m.text}`);
}

function addMessage(m) {
  $("messages").append(message(m));
}

function toUrgentPage() {
  sessionStorage.removeItem(saved);
  window.location.assign(root.dataset.urgentUrl);
}

// What a check-in sends: the appointment and what the pre-visit check declared (again after a reconnection).
const checkInBody = () => ({ appointment_id: appointmentId, ...(page.checkin || {}) });

async function checkIn() {
  const ack = await request(socket, "check_in", checkInBody());
  if (!ack.ok && ack.error.code === "urgent") return toUrgentPage(); // new red-flag symptoms said at this visit
  if (!ack.ok) {
    if (page.phase === "precheck") {
      say($("precheck-error"), errorText(ack));
      $("check-in").disabled = false;
    } else say($("notice"), errorText(ack));
    return false;
  }
  sessionStorage.setItem(saved, JSON.stringify(page.checkin || {}));
  if (ack.status === "in_visit") return startVisit(); // admitted while this page was away
  if (page.phase === "precheck") media.release(); // the camera opens again for the visit itself
  if (page.phase !== "visit") show("queue");
  renderQueue(ack.queue);
  const history = (ack.messages || []).filter((m) => m.appointment_id === appointmentId);
  appendMissing($("messages"), history.map(message)); // only what this page has not shown yet
  return true;
}

// The first problem with the pre-visit check, as [message, field to focus], or null when it is complete.
// New red-flag symptoms since booking need no consent: that patient is not checked in but sent to the urgent page.
function precheckProblem(region, answer, consent) {
  if (!region) return ["Please choose where you are right now.", $("region")];
  if (!answer) return ["Please say whether you have had any of these symptoms since booking.", $("new-symptoms-no")];
  if (answer === "no" && !consent) return ["Please agree to a video visit to check in.", $("consent")];
  return null;
}

async function submitPrecheck(event) {
  event.preventDefault();
  const region = $("region").value;
  const answer = ($("precheck-form").querySelector("input[name=new_symptoms]:checked") || {}).value;
  const consent = $("consent").checked;
  const problem = precheckProblem(region, answer, consent);
  if (problem) {
    say($("precheck-error"), problem[0]);
    problem[1].focus();
    return;
  }
  say($("precheck-error"), "");
  $("check-in").disabled = true;
  page.checkin = { region, consent };
  const newSymptoms = answer === "yes";
  const pre = await request(socket, "precheck", { appointment_id: appointmentId, region, consent, new_symptoms: newSymptoms });
  if (pre.ok && pre.urgent) return toUrgentPage();
  if (!pre.ok && (newSymptoms || pre.error.code !== "timeout")) {
    say($("precheck-error"), errorText(pre));
    $("check-in").disabled = false;
    return;
  }
  if (pre.ok && pre.licensed === false) say($("notice"), pre.message);
  if (await checkIn()) $("queue-title").focus();
}

async function sendMessage(event) {
  event.preventDefault();
  const text = $("message-text").value.trim();
  if (!text) return;
  const ack = await request(socket, "message", { appointment_id: appointmentId, text });
  if (!ack.ok) return say($("message-error"), errorText(ack));
  say($("message-error"), "");
  addMessage({ sender: "patient", text, at: ack.at });
  $("message-text").value = "";
}

function startVisit() {
  if (page.phase === "visit" || page.phase === "ended") return true;
  media.release();
  show("visit");
  page.call = page.call || new VideoCall({ socket, appointmentId, role: "patient", root: $("video") });
  page.call.start();
  return true;
}

function endVisit(status) {
  if (page.call) page.call.close();
  sessionStorage.removeItem(saved);
  $("ended-title").textContent = status === "no_show" ? "This visit was marked as missed" : "Your visit has ended";
  $("ended-text").textContent =
    status === "no_show" ? "Please contact the clinic to book another time." : "Thank you. You can close this page.";
  show("ended");
}

// After every (re)connection the server knows nothing of this socket: check in again, or rejoin the visit
// (on the first connection a visit is being joined already).
let connections = 0;
function resume() {
  connections += 1;
  if (page.phase === "queue") checkIn();
  else if (connections === 1) return;
  else if (page.phase === "visit" && page.call) page.call.rejoin();
}

// The message queue came back after an outage (the socket stayed connected): events meant for this page may be
// lost. Fetch the state as after a reconnection: in the queue check in again (its ack brings the place, the
// clinician's status and, when admitted meanwhile, the visit); in the visit join it again (`ready` again, which
// a working call ignores and a call whose signals were lost answers).
async function resync() {
  if (page.phase === "queue") return checkIn();
  if (page.phase !== "visit" || !page.call) return;
  // The visit may have ended while the message queue was down (`visit_ended` lost): ask before rejoining.
  const ack = await request(socket, "check_in", checkInBody());
  if (!ack.ok && ack.error.code === "closed") return endVisit("completed");
  page.call.rejoin();
}

const socket = connect({ join: root.dataset.join, banner: $("banner"), onConnect: resume });
socket.on("resync", resync);
socket.on("queue", (q) => q.appointment_id === appointmentId && renderQueue(q));
socket.on("clinician_status", renderStatus);
socket.on("clinic_message", (m) => m.appointment_id === appointmentId && addMessage({ sender: "clinic", ...m }));
socket.on("notice", (n) => n.appointment_id === appointmentId && say($("notice"), n.message));
socket.on("admitted", (a) => a.appointment_id === appointmentId && startVisit());
socket.on("visit_ended", (v) => v.appointment_id === appointmentId && endVisit(v.status));

$("precheck-form").addEventListener("submit", submitPrecheck);
$("message-form").addEventListener("submit", sendMessage);
$("queue-title").tabIndex = -1;

const status = root.dataset.status; // a reload keeps the patient where they were
if (status === "in_visit") startVisit();
else show(status === "checked_in" ? "queue" : "precheck");
