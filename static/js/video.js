// The video visit: peer-to-peer WebRTC in a full mesh, signalled through the `signal` event (docs/waiting-room.md).
//
// Everyone in the call (the patient and each attending clinician) has a participant id: "patient", and
// "clinician" in a one-clinician visit or "clinician-<id>" in a joint visit (the join_visit ack names it).
// Each PAIR of participants has its own RTCPeerConnection (a "link"); of the two, the id that sorts first
// makes the offer (a clinician calls the patient, as before joint visits), so two sides never offer at once.
//
// Protocol: after `join_visit` a page sends `ready` {peer} to everyone (no `to`). On a `ready` from X the
// offerer of the pair sends X an `offer` {session, peer, sdp}; the other side answers X's `ready` with its own
// `ready` addressed to X, so whoever arrives first, the call starts. The answer {session, peer, sdp} and the
// `candidate`s {session, candidate} go to the one participant (`to`); `session` ties them to one link, `peer`
// (a random id per page) tells a reloaded page from a reconnected one. `hangup` (to everyone) leaves; a link
// whose media path failed is dropped and asked for again with a `ready` to that one participant. A page
// leaving or coming back only renegotiates its own links; the other links keep running.
//
// The same mesh serves a tumor board session's video room (static/js/board.js): `room` names the join and
// signal events and the key that addresses the call (default: the visit's `join_visit`, `signal` and
// {appointment_id}); a group room always shows names on its tiles.

import { errorText, request } from "./live.js";
import { mediaErrorText, openMedia, stopMedia } from "./media_check.js";

const MAX_PARTICIPANTS = 8; // the server's limit too (a mesh: each page uploads its camera once per other page)
const LABELS = {
  idle: "Not connected yet.",
  joining: "Joining the visit…",
  waiting: "Waiting for the other person to join…",
  connecting: "Connecting the video…",
  connected: "Connected.",
  disconnected: "Connection interrupted; trying to recover…",
  failed: "The video connection failed.",
  ended: "You left the call.",
};
const LIVE = ["new", "connecting", "connected"]; // a link in one of these needs no new offer

const newId = () => Math.random().toString(36).slice(2, 10) + Date.now().toString(36);

// Autoplay is not always honoured (hidden until now, no user gesture yet): ask to play explicitly.
function attach(video, stream) {
  video.srcObject = stream;
  if (stream) video.play().catch(() => {});
}

function listNames(names) {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export class VideoCall {
  constructor({ socket, appointmentId, role, root, room }) {
    Object.assign(this, { socket, appointmentId, role, root });
    this.room = room || { join: "join_visit", signal: "signal", key: { appointment_id: appointmentId } };
    this.labels = { ...LABELS, ...(this.room.labels || {}) };
    this.find = (id) => root.querySelector(`#${id}`);
    this.status = this.find("call-status");
    this.videos = root.querySelector(".videos");
    this.me = null; // this page's participant id, once joined
    this.accepting = false; // signals count once the camera is settled (a link made earlier would lack it)
    this.peer = newId(); // this page
    this.links = new Map(); // participant id -> { to, session, peer, pc, pending, tile }
    this.names = new Map(); // participant id -> name (a joint visit's ack lists them)
    this.max = MAX_PARTICIPANTS;
    this.stream = null;
    this.onSignal = (msg) => this.handle(msg);
    this.bindControls();
  }

  get joint() {
    return Boolean(this.room.group) || this.names.size > 2;
  }

  setState(state, text) {
    this.state = state;
    this.status.dataset.callState = state;
    this.root.dataset.callState = state;
    this.status.textContent = text || this.label(state);
    this.find("rejoin").hidden = !["ended", "failed"].includes(state);
    this.find("hangup").hidden = ["ended", "failed"].includes(state);
  }

  label(state) {
    if (!this.joint) return this.labels[state] || state;
    if (state === "waiting") return this.room.waiting || "Waiting for the others to join…";
    if (state !== "connected") return this.labels[state] || state;
    const on = [...this.links.values()].filter((l) => l.pc.connectionState === "connected");
    return `Connected with ${listNames(on.map((l) => this.nameOf(l.to)))}.`;
  }

  nameOf(id) {
    if (this.names.has(id)) return this.names.get(id);
    if (this.room.stranger) return this.room.stranger;
    return id === "patient" ? "Your patient" : "Your clinician";
  }

  async start() {
    this.root.hidden = false;
    this.setState("joining");
    this.accepting = false;
    this.socket.off(this.room.signal, this.onSignal).on(this.room.signal, this.onSignal);
    if (!(await this.join())) return false;
    await this.openLocal();
    this.accepting = true;
    this.setState("waiting");
    this.send("ready", { peer: this.peer });
    return true;
  }

  async join({ quiet = false } = {}) {
    const ack = await request(this.socket, this.room.join, this.room.key);
    if (!ack.ok) {
      if (!quiet) this.setState("failed", errorText(ack));
      return false;
    }
    this.iceServers = ack.ice_servers || [];
    this.me = ack.participant || ack.role; // a one-clinician visit: "patient" and "clinician"
    this.max = ack.max_participants || MAX_PARTICIPANTS;
    (ack.participants || []).forEach((p) => this.names.set(p.id, p.name));
    return true;
  }

  // After the signalling socket reconnected: back into the rooms. Even after hanging up the page joins again:
  // the server learns from it that this page is open (the clinic's "Connected"). Pages whose link with this
  // one still works ignore the `ready`; the others call again.
  async rejoin() {
    const joined = await this.join({ quiet: true });
    if (joined && this.state !== "ended") this.send("ready", { peer: this.peer });
  }

  async openLocal() {
    if (this.stream) return;
    try {
      this.stream = await openMedia();
      attach(this.find("local-video"), this.stream);
    } catch (err) {
      this.stream = null; // still join: they can see and hear the others
      this.status.textContent = mediaErrorText(err);
    }
  }

  send(kind, data = {}, to = null) {
    const msg = { ...this.room.key, kind, data };
    if (to) msg.to = to;
    this.socket.emit(this.room.signal, msg);
  }

  // A signal for this call: every field of the room's key matches (the appointment, or the board and date).
  ours(msg) {
    return Object.entries(this.room.key).every(([name, value]) => msg[name] === value);
  }

  offers(to) {
    return this.me < to; // of each pair, the id that sorts first calls
  }

  handle(msg) {
    if (!msg || !this.accepting || !this.ours(msg) || !msg.from || msg.from === this.me) return;
    if (msg.to && msg.to !== this.me) return;
    const data = msg.data || {};
    const step = {
      ready: () => this.onReady(msg.from, data),
      offer: () => this.onOffer(msg.from, data),
      answer: () => this.onAnswer(msg.from, data),
      candidate: () => this.onCandidate(msg.from, data),
      hangup: () => this.onRemoteHangup(msg.from),
    }[msg.kind];
    if (step) step().catch((err) => this.setState("failed", `The video connection failed (${err.name || err}).`));
  }

  async onReady(from, data) {
    if (this.state === "ended" || !data.peer) return;
    const link = this.links.get(from);
    if (link && link.peer === data.peer && LIVE.includes(link.pc.connectionState)) return; // already linked
    if (!link && this.links.size >= this.max - 1) return; // the call is full
    if (this.offers(from)) await this.call(from, data.peer);
    else this.send("ready", { peer: this.peer }, from); // "call me"
  }

  async call(to, peer) {
    const link = this.newLink(to, newId(), peer);
    const pc = link.pc;
    await pc.setLocalDescription(await pc.createOffer());
    if (this.links.get(to) === link) {
      this.send("offer", { session: link.session, peer: this.peer, sdp: pc.localDescription.toJSON() }, to);
    }
  }

  async onOffer(from, data) {
    if (this.state === "ended" || this.offers(from)) return;
    let link = this.links.get(from);
    if (!link || link.session !== data.session) {
      if (!link && this.links.size >= this.max - 1) return;
      link = this.newLink(from, data.session, data.peer);
    }
    const pc = link.pc;
    await pc.setRemoteDescription(data.sdp);
    await this.flushCandidates(link);
    await pc.setLocalDescription(await pc.createAnswer());
    if (this.links.get(from) === link) {
      this.send("answer", { session: data.session, peer: this.peer, sdp: pc.localDescription.toJSON() }, from);
    }
  }

  async onAnswer(from, data) {
    const link = this.links.get(from);
    if (!link || data.session !== link.session || link.pc.signalingState !== "have-local-offer") return;
    if (data.peer) link.peer = data.peer;
    await link.pc.setRemoteDescription(data.sdp);
    await this.flushCandidates(link);
  }

  async onCandidate(from, data) {
    const link = this.links.get(from);
    if (!link || data.session !== link.session || !data.candidate) return;
    if (link.pc.remoteDescription) await link.pc.addIceCandidate(data.candidate);
    else link.pending.push(data.candidate);
  }

  async flushCandidates(link) {
    for (const candidate of link.pending.splice(0)) await link.pc.addIceCandidate(candidate);
  }

  async onRemoteHangup(from) {
    if (this.state === "ended" || !this.links.has(from)) return;
    this.closeLink(from);
    const left = `${this.nameOf(from)} left the call.`;
    if (this.links.size) this.refresh(left);
    else this.setState("waiting", `${left} Stay on this page; ${this.joint ? "the others" : "they"} can rejoin.`);
  }

  newLink(to, session, peer) {
    this.closeLink(to);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const link = { to, session, peer, pc, pending: [], tile: this.tile(to) };
    this.links.set(to, link);
    if (this.stream) this.stream.getTracks().forEach((t) => pc.addTrack(t, this.stream));
    else if (this.offers(to)) {
      ["audio", "video"].forEach((kind) => pc.addTransceiver(kind, { direction: "recvonly" })); // still receive
    }
    pc.onicecandidate = (e) => {
      if (e.candidate && this.links.get(to) === link) this.send("candidate", { session, candidate: e.candidate.toJSON() }, to);
    };
    pc.ontrack = (e) => {
      const video = link.tile.video;
      if (e.streams[0] && video.srcObject === e.streams[0]) return; // audio and video share one stream
      attach(video, e.streams[0] || new MediaStream([e.track]));
    };
    pc.onconnectionstatechange = () => this.links.get(to) === link && this.onLinkState(link);
    this.refresh();
    return link;
  }

  onLinkState(link) {
    if (link.pc.connectionState !== "failed") return this.refresh();
    // A failed media path: drop the link and say `ready` to that participant only. If their page is still
    // there, the pair starts again as at joining; if it is gone, nothing is left behind (no empty tile).
    this.closeLink(link.to);
    this.send("ready", { peer: this.peer }, link.to);
    if (this.links.size) this.refresh();
    else this.setState("waiting", "Reconnecting the video…");
  }

  // The call's state is the best of its links': connected while anyone is connected.
  refresh(text) {
    if (["ended", "failed"].includes(this.state) && !this.links.size) return;
    const states = [...this.links.values()].map((l) => l.pc.connectionState);
    let state = "waiting";
    if (states.includes("connected")) state = "connected";
    else if (states.some((s) => s === "new" || s === "connecting")) state = "connecting";
    else if (states.includes("disconnected")) state = "disconnected";
    else if (!states.length && this.state === "waiting") return; // keep its message ("… left the call")
    this.setState(state, text && state === "connected" ? `${text} ${this.label(state)}` : undefined);
    this.layout();
  }

  // One tile per remote participant: side by side on a desk, stacked on a phone once there are two or more.
  layout() {
    const first = this.find("remote-video");
    const used = [...this.links.values()].some((l) => l.tile.video === first);
    first.closest(".tile").hidden = this.links.size > 0 && !used; // no empty first tile beside the others
    this.videos.classList.toggle("mesh", this.links.size > 1);
    this.videos.dataset.remotes = String(this.links.size);
  }

  // A video tile for participant `to`: the page's first remote <video> when free, else a new one.
  tile(to) {
    const first = this.find("remote-video");
    const free = ![...this.links.values()].some((l) => l.tile.video === first);
    const node = free ? first.closest(".tile") : this.find("remote-tile").cloneNode(true);
    const video = free ? first : node.querySelector("video");
    if (!free) {
      node.removeAttribute("id");
      video.removeAttribute("id");
      this.find("local-video").before(node);
    }
    node.hidden = false;
    video.dataset.participant = to;
    if (this.joint || !free) video.setAttribute("aria-label", this.nameOf(to));
    const caption = node.querySelector(".tile-name");
    caption.textContent = this.nameOf(to);
    caption.hidden = !this.joint;
    return { video, node, own: !free };
  }

  closeLink(to) {
    const link = this.links.get(to);
    if (!link) return;
    this.links.delete(to);
    link.pc.close();
    link.tile.video.srcObject = null;
    delete link.tile.video.dataset.participant;
    if (link.tile.own) link.tile.node.remove();
    this.layout();
  }

  closeAll() {
    [...this.links.keys()].forEach((to) => this.closeLink(to));
  }

  hangup() {
    if (this.state !== "ended") this.send("hangup");
    this.closeAll();
    this.socket.off(this.room.signal, this.onSignal);
    this.setState("ended");
  }

  // Leave for good (visit over): hang up and release the camera.
  close(text) {
    this.hangup();
    stopMedia(this.stream);
    this.stream = null;
    this.find("local-video").srcObject = null;
    this.find("rejoin").hidden = true;
    if (text) this.status.textContent = text;
  }

  bindControls() {
    const toggle = (button, kind, on, off) => {
      button.addEventListener("click", () => {
        const pressed = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", String(pressed));
        button.textContent = pressed ? off : on;
        if (this.stream) this.stream.getTracks().filter((t) => t.kind === kind).forEach((t) => (t.enabled = !pressed));
      });
    };
    toggle(this.find("mute"), "audio", "Mute", "Unmute");
    toggle(this.find("camera"), "video", "Turn camera off", "Turn camera on");
    this.find("hangup").addEventListener("click", () => this.hangup());
    this.find("rejoin").addEventListener("click", () => {
      this.peer = newId(); // a new page as far as the others know: they call it afresh
      this.start();
    });
  }
}
