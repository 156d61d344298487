// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Auto-submit the queue filters when htmx is not there to do it.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form && !window.htmx) { form.requestSubmit(); }
  });

  // "Select all" checkbox of the queue's bulk form.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-all]")) { return; }
    var form = event.target.closest("form");
    form.querySelectorAll("input[name=tickets]").forEach(function (box) { box.checked = event.target.checked; });
  });

  // Queue keyboard navigation: j / k move, Enter opens, x ticks, / searches, ? shows the help.
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".queue-table tbody tr[data-href]")); }
  function activeIndex(list) { return list.findIndex(function (row) { return row.classList.contains("active-row"); }); }
  function activate(list, index) {
    list.forEach(function (row) { row.classList.remove("active-row"); });
    var row = list[index];
    if (row) { row.classList.add("active-row"); row.scrollIntoView({ block: "nearest" }); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.closest("input, textarea, select, [contenteditable]")) { return; }
    var list = rows();
    if (!list.length && event.key !== "?") { return; }
    var index = activeIndex(list);
    if (event.key === "j") { activate(list, Math.min(index + 1, list.length - 1)); event.preventDefault(); }
    else if (event.key === "k") { activate(list, Math.max(index - 1, 0)); event.preventDefault(); }
    else if (event.key === "Enter" && index >= 0) { window.location.href = list[index].dataset.href; }
    else if (event.key === "x" && index >= 0) {
      var box = list[index].querySelector("input[name=tickets]");
      if (box) { box.checked = !box.checked; }
    }
    else if (event.key === "/") {
      var search = document.getElementById("id_q");
      if (search) { search.focus(); event.preventDefault(); }
    }
    else if (event.key === "?") {
      var help = document.getElementById("keyboard-help");
      if (help && window.bootstrap) { window.bootstrap.Modal.getOrCreateInstance(help).show(); }
    }
  });
})();

// Canned replies: choosing one appends its text to the reply box.
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-canned-target]");
  if (!select || !select.value) { return; }
  var box = document.querySelector(select.dataset.cannedTarget);
  if (box) {
    box.value = box.value ? box.value + "\n\n" + select.value : select.value;
    box.focus();
  }
  select.value = "";
});
