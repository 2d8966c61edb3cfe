// Find care: show the site choice for in-person visits and the "where will you be" choice for video ones.
(() => {
  const form = document.querySelector(".care-form");
  if (!form) return;
  const sections = form.querySelectorAll("[data-when-mode]");
  const update = () => {
    const mode = form.querySelector('input[name="mode"]:checked')?.value;
    sections.forEach((el) => {
      el.hidden = Boolean(mode) && el.dataset.whenMode !== mode;
    });
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "mode") update();
  });
  update();
})();
