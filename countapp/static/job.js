// Polls a background job's status and reloads the page when it ends.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.state !== "running") return;
  var bar = document.getElementById("bar"), figures = document.getElementById("figures");
  function tick() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.total) bar.style.width = Math.round(100 * job.done / job.total) + "%";
        figures.textContent = job.done.toLocaleString(document.documentElement.lang || []) + (job.total ? " / " + job.total.toLocaleString(document.documentElement.lang || []) : "");
        if (job.state !== "running") window.location.reload(); else setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
