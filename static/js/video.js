// The video visit: peer-to-peer WebRTC, signalled through the `signal` event in room visit:<id>.
//
// Protocol (docs/waiting-room.md): both sides `join_visit` first (its ack carries the ICE servers).
// The patient sends `ready` {peer}; the clinician answers a `ready` from a new peer with an `offer`
// {session, sdp}; the patient replies `answer` {session, sdp}; both send `candidate`s; `hangup` leaves.
// The clinician also sends `ready` when joining, which the patient answers with its own `ready`, so
// whoever arrives first, the call starts. `session` ties answers and candidates to one RTCPeerConnection.

import { errorText, request } from "./live.js";
import { mediaErrorText, openMedia, stopMedia } from "./media_check.js";

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

const newId = () => Math.random().toString(36).slice(2, 10) + Date.now().toString(36);

// Autoplay is not always honoured (hidden until now, no user gesture yet): ask to play explicitly.
function attach(video, stream) {
  video.srcObject = stream;
  if (stream) video.play().catch(() => {});
}

export class VideoCall {
  constructor({ socket, appointmentId, role, root }) {
    Object.assign(this, { socket, appointmentId, role, root });
    this.find = (id) => root.querySelector(`#${id}`);
    this.status = this.find("call-status");
    this.peer = role === "patient" ? newId() : null; // the patient's id; the clinician keeps the remote one
    this.session = null;
    this.pc = null;
    this.pending = [];
    this.stream = null;
    this.onSignal = (msg) => this.handle(msg);
    this.bindControls();
  }

  setState(state, text) {
    this.state = state;
    this.status.dataset.callState = state;
    this.root.dataset.callState = state;
    this.status.textContent = text || LABELS[state] || state;
    this.find("rejoin").hidden = !["ended", "failed"].includes(state);
    this.find("hangup").hidden = ["ended", "failed"].includes(state);
  }

  async start() {
    this.root.hidden = false;
    this.setState("joining");
    this.socket.off("signal", this.onSignal).on("signal", this.onSignal);
    const ack = await request(this.socket, "join_visit", { appointment_id: this.appointmentId });
    if (!ack.ok) {
      this.setState("failed", errorText(ack));
      return false;
    }
    this.iceServers = ack.ice_servers || [];
    await this.openLocal();
    this.setState("waiting");
    this.send("ready", this.role === "patient" ? { peer: this.peer } : { hello: true });
    return true;
  }

  // After the signalling socket reconnected: back into the room; the media path may have survived. Even after
  // hanging up the page joins again: the server learns from it that this page is open (the clinic's "Connected").
  async rejoin() {
    const ack = await request(this.socket, "join_visit", { appointment_id: this.appointmentId });
    if (ack.ok && !["connected", "ended"].includes(this.state)) {
      this.send("ready", this.role === "patient" ? { peer: this.peer } : { hello: true });
    }
  }

  async openLocal() {
    if (this.stream) return;
    try {
      this.stream = await openMedia();
      attach(this.find("local-video"), this.stream);
    } catch (err) {
      this.stream = null; // still join: they can see and hear the other side
      this.status.textContent = mediaErrorText(err);
    }
  }

  send(kind, data = {}) {
    this.socket.emit("signal", { appointment_id: this.appointmentId, kind, data });
  }

  handle(msg) {
    if (!msg || msg.appointment_id !== this.appointmentId || msg.from === this.role) return;
    const data = msg.data || {};
    const step = {
      ready: () => this.onReady(data),
      offer: () => this.onOffer(data),
      answer: () => this.onAnswer(data),
      candidate: () => this.onCandidate(data),
      hangup: () => this.onRemoteHangup(),
    }[msg.kind];
    if (step) step().catch((err) => this.setState("failed", `The video connection failed (${err.name || err}).`));
  }

  async onReady(data) {
    if (this.state === "ended") return;
    if (this.role === "patient") {
      this.send("ready", { peer: this.peer }); // the clinician said hello
      return;
    }
    if (!data.peer) return;
    const alive = this.pc && !["failed", "closed"].includes(this.pc.connectionState);
    if (alive && data.peer === this.peer) return; // already calling this page
    this.peer = data.peer;
    const { pc, session } = this.newConnection(newId());
    await pc.setLocalDescription(await pc.createOffer());
    if (this.pc === pc) this.send("offer", { session, sdp: pc.localDescription.toJSON() });
  }

  async onOffer(data) {
    if (this.role !== "patient" || this.state === "ended") return;
    if (data.session !== this.session || !this.pc) this.newConnection(data.session);
    const pc = this.pc;
    await pc.setRemoteDescription(data.sdp);
    await this.flushCandidates();
    await pc.setLocalDescription(await pc.createAnswer());
    if (this.pc === pc) this.send("answer", { session: data.session, sdp: pc.localDescription.toJSON() });
  }

  async onAnswer(data) {
    if (this.role !== "clinician" || !this.pc || data.session !== this.session) return;
    if (this.pc.signalingState !== "have-local-offer") return;
    await this.pc.setRemoteDescription(data.sdp);
    await this.flushCandidates();
  }

  async onCandidate(data) {
    if (!this.pc || data.session !== this.session || !data.candidate) return;
    if (this.pc.remoteDescription) await this.pc.addIceCandidate(data.candidate);
    else this.pending.push(data.candidate);
  }

  async flushCandidates() {
    const pc = this.pc;
    for (const candidate of this.pending.splice(0)) await pc.addIceCandidate(candidate);
  }

  async onRemoteHangup() {
    if (this.state === "ended") return;
    this.closeConnection();
    const who = this.role === "patient" ? "Your clinician" : "Your patient";
    this.setState("waiting", `${who} left the call. Stay on this page; they can rejoin.`);
  }

  newConnection(session) {
    this.closeConnection();
    this.session = session;
    this.pending = [];
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    if (this.stream) this.stream.getTracks().forEach((t) => pc.addTrack(t, this.stream));
    else if (this.role === "clinician") {
      ["audio", "video"].forEach((kind) => pc.addTransceiver(kind, { direction: "recvonly" })); // still receive
    }
    pc.onicecandidate = (e) => {
      if (e.candidate && this.pc === pc) this.send("candidate", { session, candidate: e.candidate.toJSON() });
    };
    pc.ontrack = (e) => {
      const video = this.find("remote-video");
      if (e.streams[0] && video.srcObject === e.streams[0]) return; // audio and video share one stream
      attach(video, e.streams[0] || new MediaStream([e.track]));
    };
    pc.onconnectionstatechange = () => this.pc === pc && this.onConnectionState(pc.connectionState);
    this.setState("connecting");
    return { pc, session };
  }

  onConnectionState(state) {
    if (state === "connected") this.setState("connected");
    else if (state === "disconnected") this.setState("disconnected");
    else if (state === "failed") {
      this.setState("failed");
      if (this.role === "patient") this.retry();
    }
  }

  // A failed media path: the patient asks for a fresh call under a new peer id.
  retry() {
    this.peer = newId();
    this.setState("waiting", "Reconnecting the video…");
    this.send("ready", { peer: this.peer });
  }

  closeConnection() {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.find("remote-video").srcObject = null;
  }

  hangup() {
    if (this.state !== "ended") this.send("hangup");
    this.closeConnection();
    this.socket.off("signal", this.onSignal);
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
      if (this.role === "patient") this.peer = newId();
      this.start();
    });
  }
}
