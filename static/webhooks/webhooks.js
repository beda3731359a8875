// The webhooks page: reveal and copy the signing secret, confirm a rotation.
(function () {
  document.querySelectorAll("[data-secret]").forEach(function (box) {
    var value = box.querySelector("[data-secret-value]");
    var mask = box.querySelector("[data-secret-mask]");
    var reveal = box.querySelector("[data-reveal]");
    reveal.addEventListener("click", function () {
      var hidden = value.hidden;
      value.hidden = !hidden;
      mask.hidden = hidden;
      reveal.textContent = hidden ? "Hide" : "Reveal";
    });
    box.querySelector("[data-copy]").addEventListener("click", function (e) {
      var button = e.currentTarget;
      navigator.clipboard.writeText(value.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });
})();
