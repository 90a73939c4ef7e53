// The page's few behaviours, without inline script (the CSP allows scripts from this site only).
// <button data-print> prints the page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

// A job page (data-job-poll="…json"): move the <progress> bar until the job ends, then reload
// the page to show its result or its row errors.
(function () {
  var box = document.querySelector("[data-job-poll]");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var figures = document.getElementById("job-figures");
  function poll() {
    fetch(box.getAttribute("data-job-poll"), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.total) {
          bar.max = job.total;
          bar.value = job.done;
          figures.textContent = job.done + " / " + job.total + "（" + job.percent + "%）";
        }
        state.textContent = job.state;
        if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
