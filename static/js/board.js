// The board's agenda: small enhancements only (every form works without this script).
// "Imaging ready" saves as soon as it is ticked or unticked; its Save button is then not needed.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  form.querySelectorAll("[data-js-hide]").forEach((button) => (button.hidden = true));
  form.querySelectorAll('input[type="checkbox"]').forEach((box) => box.addEventListener("change", () => form.requestSubmit()));
});
