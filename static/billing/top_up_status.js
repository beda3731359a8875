// Polls the top-up's status until the payment provider has confirmed it (the webhook landed).
(function () {
  var panel = document.getElementById("top-up");
  if (!panel || panel.dataset.status !== "pending") return;
  var url = panel.dataset.statusUrl;
  var labels = { pending: "Pending", paid: "Paid", canceled: "Canceled",
                 refunded: "Refunded", partially_refunded: "Partially refunded" };
  var delay = 1000;

  function show(state) {
    panel.dataset.status = state.status;
    panel.querySelector(".processing").hidden = state.status !== "pending";
    panel.querySelector(".paid").hidden = state.status === "pending" || state.status === "canceled";
    panel.querySelector(".canceled").hidden = state.status !== "canceled";
    document.getElementById("new-balance").textContent = state.available.toLocaleString("en-US");
    var badge = document.getElementById("top-up-status");
    badge.textContent = labels[state.status] || state.status;
    badge.className = "badge " + state.status;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state) show(state);
        if (!state || state.status === "pending") {
          delay = Math.min(delay * 1.3, 5000);
          setTimeout(poll, delay);
        }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, delay);
})();
