// The Socket.IO connection to the waiting room, with a visible banner while it is down.
// socket.io.min.js (served from /vendor) defines window.io; it is loaded before this module.
// The server may also send `resync` to a connected page: events meant for it may have been lost while the
// message queue (Redis) was down, so the page fetches its whole state again, as after a reconnection
// (docs/waiting-room.md, "When Redis is down"). Pages refresh quietly: setText and appendMissing leave what a
// screen reader already heard alone.

const NAMESPACE = "/waiting-room";

export function connect({ join, banner, onConnect }) {
  const socket = window.io(NAMESPACE, { auth: join ? { join } : {} });
  const show = (text) => {
    banner.textContent = text;
    banner.hidden = false;
  };
  socket.on("connect", () => {
    banner.hidden = true;
    if (onConnect) onConnect(socket);
  });
  socket.on("disconnect", (reason) => {
    // The client reconnects by itself unless the server closed the connection on purpose.
    show(reason === "io server disconnect" ? "Disconnected by the server. Please reload the page." : "Reconnecting…");
  });
  socket.on("connect_error", (err) => {
    show(socket.active ? "Reconnecting…" : `We couldn't connect: ${err.message}. Please reload the page.`);
  });
  return socket;
}

// Emit with an acknowledgement; resolves to the ack, or to an error ack on timeout.
export function request(socket, event, payload, timeoutMs = 10000) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) resolve({ ok: false, error: { code: "timeout", message: "No answer from the clinic's server. Please try again." } });
      else resolve(ack || { ok: false, error: { code: "invalid", message: "Unexpected answer from the server." } });
    });
  });
}

export function errorText(ack) {
  return (ack && ack.error && ack.error.message) || "Something went wrong. Please try again.";
}

// "09:05" from an ISO instant, on the clock it was written in (the site's), or "" for null.
export function wallTime(iso) {
  const m = typeof iso === "string" ? iso.match(/T(\d{2}:\d{2})/) : null;
  return m ? m[1] : "";
}

export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// Set a node's text only when it changes: a live region would read the same text again.
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// Append to `list` the items it does not show yet (same text, counted), so a list fetched again after a
// resync or a reconnection announces only what is new; returns how many were added.
export function appendMissing(list, items) {
  const shown = new Map();
  for (const li of list.children) shown.set(li.textContent, (shown.get(li.textContent) || 0) + 1);
  const missing = items.filter((li) => {
    const left = shown.get(li.textContent) || 0;
    shown.set(li.textContent, left - 1);
    return left <= 0;
  });
  list.append(...missing);
  return missing.length;
}
