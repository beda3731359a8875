// The studio: a client of our own /v1 API (session + CSRF token) and a live gallery that polls
// the studio's feed, which reports what the studio's webhook receiver has recorded.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("studio-config").textContent);
  var initial = JSON.parse(document.getElementById("studio-initial").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var form = $("composer"), promptBox = $("prompt"), modelSel = $("model"),
      durationSel = $("duration"), ratioSel = $("aspect_ratio"), submitBtn = $("submit"),
      costEl = $("cost"), balanceEl = $("balance"), errorEl = $("form-error"),
      grid = $("grid"), empty = $("empty"), loadMore = $("load-more");

  var models = [];
  var balance = null;
  var creditUsd = null;
  var filter = config.status || "";
  var nextCursor = initial.next;
  var cards = {};  // id -> last card data shown
  var POLL_MS = 1500;
  var pollTimer = null;

  // ---------- helpers ----------
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function fmt(n) { return Number(n).toLocaleString("en-US"); }
  function usd(credits) {
    if (creditUsd === null) return "";
    return "$" + (credits * creditUsd).toFixed(2);
  }
  function ago(unix) {
    var s = Math.max(0, Math.round(Date.now() / 1000 - unix));
    if (s < 45) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return new Date(unix * 1000).toLocaleDateString("en-US", { month: "short", day: "numeric" });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }

  // ---------- composer ----------
  function selectedModel() {
    return models.find(function (m) { return m.id === modelSel.value; });
  }
  function fillOptions(select, values, label, keep) {
    var previous = keep ? select.value : null;
    select.innerHTML = "";
    values.forEach(function (v) { select.appendChild(el("option", { value: String(v), text: label(v) })); });
    if (previous && values.map(String).indexOf(previous) >= 0) select.value = previous;
  }
  function onModelChange() {
    var m = selectedModel();
    if (!m) return;
    fillOptions(durationSel, m.durations, function (d) { return d + " seconds"; }, true);
    fillOptions(ratioSel, m.aspect_ratios, function (r) {
      return r + (r === "16:9" ? " · landscape" : r === "9:16" ? " · portrait" : "");
    }, true);
    updateCost();
  }
  function updateCost() {
    var m = selectedModel();
    if (!m) { costEl.textContent = "—"; return; }
    var credits = Number(durationSel.value) * m.price_per_second;
    costEl.textContent = fmt(credits) + " credits";
    costEl.title = durationSel.value + " s × " + m.price_per_second + " credits per second";
    $("cost-usd").textContent = usd(credits) ? "≈ " + usd(credits) : "";
    var short = balance !== null && credits > balance;
    costEl.classList.toggle("st-short", short);
    submitBtn.disabled = !m || submitting;
  }
  function loadModels() {
    return getJSON("/v1/models").then(function (res) {
      if (res.status !== 200) throw new Error((res.body.error || {}).message || "Could not load models.");
      models = res.body.data || [];
      if (!models.length) {
        modelSel.innerHTML = "<option>No models on sale</option>";
        throw new Error("No video models are available right now. Please come back later.");
      }
      modelSel.innerHTML = "";
      models.forEach(function (m) {
        modelSel.appendChild(el("option", { value: m.id, text: (m.name || m.id) + " · " + m.price_per_second + " credits/s" }));
      });
      [modelSel, durationSel, ratioSel].forEach(function (s) { s.disabled = false; });
      onModelChange();
    }).catch(function (e) { showError(e.message); });
  }
  function loadBalance() {
    return getJSON("/v1/balance").then(function (res) {
      if (res.status !== 200) return;
      balance = res.body.available;
      creditUsd = res.body.credit_value_usd ? Number(res.body.credit_value_usd) : null;
      balanceEl.textContent = fmt(balance) + " credits";
      balanceEl.title = usd(balance) + (res.body.held ? " · " + fmt(res.body.held) + " held for running videos" : "");
      updateCost();
    });
  }

  var submitting = false;
  function showError(message, topUp) {
    errorEl.innerHTML = "";
    errorEl.appendChild(document.createTextNode(message + " "));
    if (topUp) errorEl.appendChild(el("a", { href: "/billing/", class: "button small", text: "Top up credits" }));
    errorEl.hidden = false;
  }
  function clearError() { errorEl.hidden = true; errorEl.textContent = ""; }

  var imageData = null;  // data: URL of an uploaded file
  $("image_file").addEventListener("change", function (e) {
    var file = e.target.files[0];
    imageData = null;
    if (!file) { $("image-preview").hidden = true; return; }
    if (file.size > 10 * 1024 * 1024) { showError("That image is larger than 10 MB."); e.target.value = ""; return; }
    var reader = new FileReader();
    reader.onload = function () {
      imageData = reader.result;
      $("image-preview").querySelector("img").src = imageData;
      $("image-preview").hidden = false;
      $("image_url").value = "";
    };
    reader.readAsDataURL(file);
  });
  $("image-clear").addEventListener("click", function () {
    imageData = null; $("image_file").value = ""; $("image-preview").hidden = true;
  });

  function plainError(status, body) {
    var err = (body && body.error) || {};
    if (status === 402) {
      var m = selectedModel();
      var cost = m ? Number(durationSel.value) * m.price_per_second : null;
      if (cost !== null && balance !== null) {
        return "You don't have enough credits for this video: it costs " + fmt(cost) +
          " credits and you have " + fmt(balance) + " available.";
      }
      return "You don't have enough credits for this video.";
    }
    if (status === 401) return "Your session has ended. Sign in again to generate videos.";
    if (status === 429) return "You're going a little fast. Wait a moment and try again.";
    if (status >= 500) return "Something went wrong on our side. Please try again in a moment.";
    return err.message || "The video could not be created.";
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearError();
    var prompt = promptBox.value.trim();
    if (!prompt) { showError("Write a prompt first: describe the shot you want."); promptBox.focus(); return; }
    var body = {
      model: modelSel.value,
      prompt: prompt,
      duration: Number(durationSel.value),
      aspect_ratio: ratioSel.value,
      webhook_url: config.receiverUrl
    };
    var negative = $("negative_prompt").value.trim();
    if (negative) body.negative_prompt = negative;
    var imageUrl = $("image_url").value.trim();
    if (imageData) body.image = imageData;
    else if (imageUrl) body.image = imageUrl;

    submitting = true;
    submitBtn.disabled = true;
    submitBtn.textContent = "Submitting…";
    fetch("/v1/video/generations", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, body: data }; });
    }).then(function (res) {
      if (res.status !== 200 && res.status !== 201) {
        showError(plainError(res.status, res.body), res.status === 402);
        return;
      }
      promptBox.value = "";
      updateCount();
      if (filter && filter !== "queued") setFilter("");
      setCounts(null, 1);
      if (res.body.status === "queued") {
        // The answer itself is the card's first state; the poll takes it from there.
        upsert(cardFromApi(res.body), true);
        schedulePoll();
        return;
      }
      return getJSON(config.feedUrl + res.body.id + "/").then(function (c) {
        if (c.status === 200) upsert(c.body, true);
        schedulePoll();
      });
    }).catch(function () {
      showError("We couldn't reach the server. Check your connection and try again.");
    }).then(function () {
      submitting = false;
      submitBtn.textContent = "Generate";
      updateCost();
      loadBalance();
    });
  });

  function updateCount() { $("prompt-count").textContent = promptBox.value.length; }
  promptBox.addEventListener("input", updateCount);
  modelSel.addEventListener("change", onModelChange);
  durationSel.addEventListener("change", updateCost);
  document.querySelectorAll(".st-idea").forEach(function (b) {
    b.addEventListener("click", function () { promptBox.value = b.textContent; updateCount(); promptBox.focus(); });
  });

  // ---------- gallery ----------
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Ready", failed: "Failed" };

  function media(card) {
    var ratio = card.aspect_ratio === "9:16" ? "portrait" : "landscape";
    var box = el("div", { class: "st-media " + ratio });
    if (card.status === "succeeded" && card.video_url) {
      box.appendChild(el("video", {
        src: card.video_url, poster: card.poster_url, controls: "", preload: "metadata",
        playsinline: "", "data-testid": "video"
      }));
    } else if (card.status === "failed") {
      box.appendChild(el("div", { class: "st-placeholder failed" }, [el("span", { text: "!" })]));
    } else {
      box.appendChild(el("div", { class: "st-placeholder working" }, [
        el("div", { class: "st-spinner" }), el("span", { class: "st-ph-text", text: card.status === "queued" ? "Waiting for a worker…" : "Rendering…" })
      ]));
    }
    return box;
  }

  function webhookLine(card) {
    var d = card.webhook && card.webhook.delivery;
    var line = el("div", { class: "st-webhook" });
    if (!d) return line;
    var ok = d.status === "succeeded";
    var text = d.status === "pending" ? "Webhook sending…" :
      ok ? "Webhook delivered" : "Webhook failed";
    var detail = d.last_status_code ? " · " + d.last_status_code + " in " + d.last_latency_ms + " ms" : "";
    line.appendChild(el("a", {
      href: config.deliveriesUrl + "?generation=" + encodeURIComponent(card.id),
      class: "st-wh-link " + d.status, title: d.last_error || (d.attempts + " attempt" + (d.attempts === 1 ? "" : "s")),
      text: text + detail
    }));
    if (d.status === "failed") {
      var btn = el("button", { type: "button", class: "link st-resend", text: "Resend" });
      btn.addEventListener("click", function () { resend(card.id, d.resend_id, btn); });
      line.appendChild(btn);
    }
    return line;
  }

  function resend(genId, deliveryId, btn) {
    btn.disabled = true;
    btn.textContent = "Sending…";
    fetch(config.resendUrl.replace("/0/", "/" + deliveryId + "/"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    }).then(function () {
      watchUntil[genId] = Date.now() + 30000;
      schedulePoll(true);
    });
  }

  function buildCard(card) {
    var node = el("article", { class: "st-card status-" + card.status, "data-id": card.id, "data-status": card.status });
    node.appendChild(media(card));
    var body = el("div", { class: "st-card-body" });
    var top = el("div", { class: "st-card-top" }, [
      el("span", { class: "badge " + card.status, "data-testid": "status", text: LABELS[card.status] || card.status }),
      card.simulated ? el("span", { class: "badge st-sim", title: "Rendered by the built-in simulator", text: "Simulator" }) : null,
      el("span", { class: "st-when", title: new Date(card.created_at * 1000).toLocaleString(), text: ago(card.created_at) })
    ]);
    body.appendChild(top);
    body.appendChild(el("p", { class: "st-prompt", title: card.prompt, text: card.prompt }));
    body.appendChild(el("div", { class: "st-meta", text:
      card.model_name + " · " + card.duration + " s · " + card.aspect_ratio + " · " + fmt(card.cost) + " credits" }));
    if (card.status === "queued" || card.status === "running") {
      var pct = card.status === "queued" ? 0 : card.progress;
      body.appendChild(el("div", { class: "st-progress" + (card.status === "queued" ? " waiting" : ""), role: "progressbar",
        "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) }, [
        el("div", { class: "st-bar", style: "width:" + Math.max(pct, card.status === "queued" ? 0 : 4) + "%" })
      ]));
      body.appendChild(el("div", { class: "st-progress-label", text: card.status === "queued" ? "Queued" : pct + "%" }));
    }
    if (card.status === "failed") {
      var reason = (card.error && card.error.message) || "The video could not be made.";
      body.appendChild(el("div", { class: "st-failure" }, [
        el("strong", { text: "Failed: " }), reason,
        el("div", { class: "st-refund", text: fmt(card.cost) + " credits returned to your balance" })
      ]));
    }
    var foot = el("div", { class: "st-card-foot" });
    if (card.status === "succeeded" && card.video_url) {
      foot.appendChild(el("a", { class: "button small", href: card.video_url, download: card.id + ".mp4", "data-testid": "download", text: "Download MP4" }));
    }
    foot.appendChild(webhookLine(card));
    body.appendChild(foot);
    node.appendChild(body);
    return node;
  }

  function cardFromApi(g) {
    var m = models.find(function (x) { return x.id === g.model; });
    return {
      id: g.id, model: g.model, model_name: m ? (m.name || m.id) : g.model, prompt: g.prompt,
      negative_prompt: g.negative_prompt, duration: g.duration, aspect_ratio: g.aspect_ratio,
      cost: g.cost, status: g.status, progress: g.progress || 0, created_at: g.created_at,
      completed_at: null, video_url: null, poster_url: null, error: null, credits_returned: false,
      simulated: !!g.simulated, webhook: { heard: null, events: [], delivery: null }
    };
  }

  function upsert(card, prepend) {
    var before = cards[card.id];
    cards[card.id] = card;
    var existing = grid.querySelector('[data-id="' + card.id + '"]');
    if (existing) {
      var same = before && before.status === card.status && before.progress === card.progress &&
        JSON.stringify(before.webhook) === JSON.stringify(card.webhook);
      if (same) return;
      if (before && before.status === card.status && card.status === "succeeded") {
        // Keep a playing video: swap only the footer.
        var foot = existing.querySelector(".st-webhook");
        foot.replaceWith(webhookLine(card));
        return;
      }
      existing.replaceWith(buildCard(card));
    } else if (prepend) {
      grid.insertBefore(buildCard(card), grid.firstChild);
    } else {
      grid.appendChild(buildCard(card));
    }
    showEmpty();
  }

  function showEmpty() {
    var none = !grid.children.length;
    empty.hidden = !none;
    if (none && filter) {
      $("empty-title").textContent = "No " + (LABELS[filter] || filter).toLowerCase() + " videos";
      $("empty-text").textContent = "Nothing matches this filter yet.";
      $("ideas").hidden = true;
    } else {
      $("empty-title").textContent = "Your gallery is empty";
      $("empty-text").innerHTML = "Describe a scene above and press <strong>Generate</strong>. Your first clip appears here within seconds, and plays right in the page.";
      $("ideas").hidden = false;
    }
  }

  var counts = initial.counts || {};
  function setCounts(newCounts, addQueued) {
    if (newCounts) counts = newCounts;
    if (addQueued) { counts.all = (counts.all || 0) + 1; counts.queued = (counts.queued || 0) + 1; }
    document.querySelectorAll("[data-count]").forEach(function (s) {
      var n = counts[s.dataset.count] || 0;
      s.textContent = n ? String(n) : "";
    });
  }

  function renderPage(page, append) {
    if (!append) { grid.innerHTML = ""; cards = {}; }
    page.cards.forEach(function (c) { upsert(c, false); });
    nextCursor = page.next;
    loadMore.hidden = !nextCursor;
    if (page.counts) setCounts(page.counts);
    showEmpty();
  }

  function setFilter(status) {
    filter = status;
    document.querySelectorAll(".st-filter").forEach(function (b) {
      b.classList.toggle("active", b.dataset.status === status);
      b.setAttribute("aria-pressed", b.dataset.status === status ? "true" : "false");
    });
    var url = new URL(window.location.href);
    if (status) url.searchParams.set("status", status); else url.searchParams.delete("status");
    history.replaceState(null, "", url);
    return getJSON(config.feedUrl + (status ? "?status=" + status : "")).then(function (res) {
      if (res.status === 200) renderPage(res.body, false);
      schedulePoll();
    });
  }
  document.querySelectorAll(".st-filter").forEach(function (b) {
    b.addEventListener("click", function () { setFilter(b.dataset.status); });
  });
  loadMore.addEventListener("click", function () {
    loadMore.disabled = true;
    var q = "?before=" + encodeURIComponent(nextCursor) + (filter ? "&status=" + filter : "");
    getJSON(config.feedUrl + q).then(function (res) {
      if (res.status === 200) renderPage(res.body, true);
      loadMore.disabled = false;
    });
  });

  // ---------- live updates ----------
  var watchUntil = {};  // id -> time until which a resent webhook's card keeps being polled
  function unsettled() {
    var now = Date.now();
    return Object.keys(cards).filter(function (id) {
      var c = cards[id];
      return c.status === "queued" || c.status === "running" || (watchUntil[id] || 0) > now;
    });
  }
  function schedulePoll(soon) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, soon ? 300 : POLL_MS);
  }
  function poll() {
    var ids = unsettled();
    if (!ids.length) return;
    getJSON(config.feedUrl + "?ids=" + ids.join(",")).then(function (res) {
      if (res.status === 200) {
        var settledNow = false, changed = false;
        res.body.cards.forEach(function (c) {
          var before = cards[c.id];
          if (before && before.status !== c.status) {
            changed = true;
            if (c.status === "succeeded" || c.status === "failed") settledNow = true;
          }
          upsert(c, false);
        });
        if (changed) refreshCounts();
        if (settledNow) loadBalance();
      }
    }).catch(function () {}).then(function () {
      if (unsettled().length) schedulePoll();
    });
  }
  function refreshCounts() {
    getJSON(config.feedUrl + "?only=counts").then(function (res) {
      if (res.status === 200 && res.body.counts) setCounts(res.body.counts);
    });
  }

  // ---------- start ----------
  document.querySelectorAll(".st-filter").forEach(function (b) {
    b.classList.toggle("active", b.dataset.status === filter);
  });
  renderPage(initial, false);
  updateCount();
  loadModels();
  loadBalance();
  schedulePoll(true);
})();
