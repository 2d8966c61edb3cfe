// Camera and microphone test before check-in: a local preview, or a clear message when it cannot work.

const MESSAGES = {
  NotAllowedError: "Camera or microphone permission was refused. Allow them in your browser's site settings, then test again.",
  SecurityError: "Camera and microphone are blocked on this page. Allow them in your browser's site settings.",
  NotFoundError: "No camera or microphone was found. Connect one, or use another device.",
  OverconstrainedError: "No camera or microphone was found. Connect one, or use another device.",
  NotReadableError: "Your camera or microphone is in use by another app. Close it and test again.",
};

export function mediaErrorText(err) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return "This browser cannot use a camera here. Please use a current Chrome, Edge, Firefox or Safari.";
  }
  return MESSAGES[err && err.name] || `Your camera could not start (${(err && err.name) || "unknown error"}).`;
}

export async function openMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error("unsupported");
  return navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
}

export function stopMedia(stream) {
  if (stream) stream.getTracks().forEach((t) => t.stop());
}

export function setupMediaCheck({ button, preview, status }) {
  const check = { stream: null, ok: null };
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Starting your camera…";
    try {
      stopMedia(check.stream);
      check.stream = await openMedia();
      preview.srcObject = check.stream;
      preview.hidden = false;
      preview.play().catch(() => {});
      check.ok = true;
      status.textContent = "Your camera and microphone work. You should see yourself.";
    } catch (err) {
      check.ok = false;
      preview.hidden = true;
      status.textContent = mediaErrorText(err);
    } finally {
      status.classList.toggle("error", check.ok === false);
      button.disabled = false;
    }
  });
  check.release = () => {
    stopMedia(check.stream);
    check.stream = null;
    preview.srcObject = null;
  };
  return check;
}
