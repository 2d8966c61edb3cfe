// The board's agenda: small enhancements (every form works without this script) and the session's video room,
// the waiting room's video mesh (video.js) addressed to this board and date (docs/tumor-board.md).

import { connect } from "./live.js";
import { VideoCall } from "./video.js";

// "Imaging ready" saves as soon as it is ticked or unticked; its Save button is then not needed.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  form.querySelectorAll("[data-js-hide]").forEach((button) => (button.hidden = true));
  form.querySelectorAll('input[type="checkbox"]').forEach((box) => box.addEventListener("change", () => form.requestSubmit()));
});

const room = document.getElementById("board-room");
const join = document.getElementById("join-room");
if (room && join) {
  const key = { board_id: Number(room.dataset.boardId), date: room.dataset.date };
  const settings = {
    join: "join_board",
    signal: "board_signal",
    key,
    group: true,
    stranger: "A colleague",
    waiting: "Waiting for colleagues to join…",
    labels: { joining: "Joining the board's video room…", waiting: "Waiting for colleagues to join…" },
  };
  let call = null;
  // After every (re)connection the server knows nothing of this socket: the first time join, then rejoin.
  const onConnect = (socket) => {
    if (call) return call.rejoin();
    call = new VideoCall({ socket, role: "member", root: document.getElementById("video"), room: settings });
    window.boardCall = call; // the browser tests read this page's links
    return call.start();
  };
  join.addEventListener("click", () => {
    join.hidden = true;
    const socket = connect({ banner: document.getElementById("room-banner"), onConnect });
    // The message queue came back after an outage: signals between colleagues on different servers may be lost.
    // Joining again says `ready` again; a working link ignores it, a missing one is called again.
    socket.on("resync", () => call && call.rejoin());
  });
}
