// Sign-up: preselect the browser's own time zone (and the UK for London) when the patient has not chosen yet.
(() => {
  const zone = document.querySelector("select[data-guess-zone]");
  if (!zone || zone.value) return;
  let guessed = "";
  try {
    guessed = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return;
  }
  if (![...zone.options].some((o) => o.value === guessed)) return;
  zone.value = guessed;
  const region = document.querySelector("select[data-guess-region]");
  if (region && !region.value && guessed === "Europe/London") region.value = "GB";
})();
