// Polls a background job's status (any server answers it: the state is in the database) and
// reloads the page when the job ends, done or failed.
(function () {
  var box = document.getElementById("job");
  if (!box || (box.dataset.state !== "running" && box.dataset.state !== "queued")) return;
  var bar = document.getElementById("bar"), figures = document.getElementById("figures");
  var lang = document.documentElement.lang || [];
  function tick() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (job) {
        if (job.total) bar.value = Math.round(100 * job.done / job.total);
        // The noun agrees with the count: French keeps the singular for 0 and 1, English for 1 only.
        var n = job.total || job.done, many = String(lang).slice(0, 2) === "fr" ? n > 1 : n !== 1;
        var noun = many ? figures.dataset.unit : (figures.dataset.unitOne || figures.dataset.unit);
        var unit = noun ? " " + noun : "";
        figures.textContent = job.done.toLocaleString(lang) + (job.total ? " / " + job.total.toLocaleString(lang) : "") + unit;
        if (job.state !== box.dataset.state && (job.state === "done" || job.state === "failed" || job.state === "running")) {
          if (job.state === "running") { box.dataset.state = "running"; var w = document.getElementById("job-waiting"); if (w) w.hidden = true; }
          else { window.location.reload(); return; }
        }
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
