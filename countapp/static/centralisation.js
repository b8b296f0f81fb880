// New recount sheet: one box ticks or unticks every ticket shown.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-toggle-all]");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll('input[name="tickets"]').forEach((box) => { box.checked = all.checked; });
  });
});
