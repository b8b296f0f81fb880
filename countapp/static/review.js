// The review page's causes, saved without reloading the page: one line from its row, or the
// lines ticked from the bar above the table. The forms post as usual when this script is absent.
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("lines");
  if (!table) return;
  const failed = table.dataset.failed;

  async function post(form) {
    let response;
    try {
      response = await fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                           headers: {Accept: "application/json"}});
    } catch (error) {
      throw new Error(failed);
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!data) throw new Error(failed);            // a refused token or a server error: an HTML page
    if (!response.ok || !data.ok) throw new Error(data.message || failed);
    return data;
  }

  function say(element, text, kind) {
    element.textContent = text;
    element.classList.toggle("is-error", kind === "error");
    element.classList.toggle("is-ok", kind === "ok");
  }

  function update(key, view) {
    const row = Array.from(table.querySelectorAll("tr[data-key]")).find((r) => r.dataset.key === key);
    if (!row) return;
    const form = row.querySelector("form.cause-form");
    if (form) {
      form.elements.cause.value = view.cause;
      form.elements.note.value = view.note;
    }
    // The "difference without a cause" exception goes with the cause.
    const exception = row.querySelector('[data-exception="difference_without_cause"]');
    if (exception) exception.hidden = Boolean(view.cause);
    row.classList.remove("is-saved");
    void row.offsetWidth;                          // restart the highlight
    row.classList.add("is-saved");
  }

  table.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.cause-form");
    if (!form) return;
    event.preventDefault();
    const message = form.querySelector("[data-msg]");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(message, "…", "");
    try {
      const data = await post(form);
      Object.entries(data.lines).forEach(([key, view]) => update(key, view));
      say(message, data.message, "ok");
    } catch (error) {
      say(message, error.message, "error");
    } finally {
      button.disabled = false;
    }
  });

  const bulk = document.getElementById("bulk");
  if (!bulk) return;
  const boxes = () => Array.from(document.querySelectorAll('input[name="lines"][form="bulk"]'));
  const picked = bulk.querySelector("[data-picked]");
  const all = table.querySelector("[data-pick-all]");
  const count = () => { picked.textContent = boxes().filter((box) => box.checked).length; };
  table.addEventListener("change", (event) => {
    if (event.target === all) boxes().forEach((box) => { box.checked = all.checked; });
    if (event.target === all || event.target.name === "lines") count();
  });
  count();

  bulk.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = bulk.querySelector("[data-msg]");
    const ticked = boxes().filter((box) => box.checked);
    if (!ticked.length) {
      say(message, bulk.dataset.none, "error");
      return;
    }
    const button = bulk.querySelector("button[type=submit]");
    button.disabled = true;
    say(message, "…", "");
    try {
      const data = await post(bulk);
      Object.entries(data.lines).forEach(([key, view]) => update(key, view));
      ticked.forEach((box) => { box.checked = false; });
      if (all) all.checked = false;
      count();
      say(message, data.message, "ok");
    } catch (error) {
      say(message, error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
});
