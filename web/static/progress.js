// Live progress of a planning run: server-sent events from the run's event stream.
// Without JavaScript the page still shows where the run stood when it was loaded.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.ended === "yes" || !window.EventSource) return;
  var bar = document.getElementById("bar");
  var status = document.getElementById("status");
  var source = new EventSource(box.dataset.events);
  function seconds(x) { return (Math.round(x * 10) / 10).toFixed(1); }
  source.addEventListener("progress", function (e) {
    var p = JSON.parse(e.data);
    bar.max = p.total;
    bar.value = p.done;
    bar.textContent = p.done + " of " + p.total;
    var text = p.done + " of " + p.total + " parts planned";
    if (p.objective !== null && p.objective !== undefined) text += ", objective " + p.objective;
    if (p.gap !== null && p.gap !== undefined) text += ", gap " + (p.gap * 100).toFixed(2) + "%";
    status.textContent = text + ", " + seconds(p.elapsed) + " s.";
    box.dataset.progress = p.done + "/" + p.total;
  });
  source.addEventListener("end", function (e) {
    source.close();
    var end = JSON.parse(e.data);
    status.textContent = "Run " + end.state + (end.message ? ": " + end.message : "") + ". Loading the result…";
    window.location.assign(end.url);
  });
})();
