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

// A checkbox marked data-submit-on-change saves its form at once (the workspace's deliverables); without
// JavaScript the form's own button does it.
document.addEventListener("change", function (event) {
  var box = event.target.closest("[data-submit-on-change]");
  if (box && box.form) { box.form.requestSubmit(); }
});

// Forms marked data-strip-empty leave their empty fields out of the URL (the queue's filters): on a plain
// submit the empty fields are disabled for the moment of the submit, and htmx requests drop them too.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("form[data-strip-empty]") || form.method.toLowerCase() !== "get") { return; }
  var emptied = Array.prototype.filter.call(form.elements, function (field) {
    return field.name && !field.disabled && field.value === "" && field.type !== "submit";
  });
  emptied.forEach(function (field) { field.disabled = true; });
  window.setTimeout(function () { emptied.forEach(function (field) { field.disabled = false; }); }, 0);
});
document.addEventListener("htmx:configRequest", function (event) {
  if (!event.detail.elt.closest("form[data-strip-empty]") || event.detail.verb !== "get") { return; }
  var parameters = event.detail.parameters;
  Array.from(new Set(Array.from(event.detail.formData.keys()))).forEach(function (name) {
    var values = event.detail.formData.getAll(name).filter(function (value) { return value !== ""; });
    if (!values.length) { delete parameters[name]; }
  });
});

// After htmx swaps a region marked data-keep-focus, the focus returns where it was: the same control
// (by id, or by name and value) if the new content has it, else the region itself, never the page's top.
// The queue's highlighted row (j/k) comes back too, and the region's summary is read out.
(function () {
  "use strict";
  var saved = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = event.detail.target;
    if (!region || !region.matches("[data-keep-focus]")) { saved = null; return; }
    var active = document.activeElement;
    var row = region.querySelector("tr.active-row[data-href]");
    saved = {
      inside: !!(active && region.contains(active) && active !== region),
      id: active && active.id, name: active && active.name, value: active && active.value,
      row: row && row.dataset.href,
    };
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail.target;
    if (!saved || !region || !region.matches("[data-keep-focus]")) { return; }
    if (saved.row) {
      var again = region.querySelector('tr[data-href="' + CSS.escape(saved.row) + '"]');
      if (again) { again.classList.add("active-row"); }
    }
    if (saved.inside || document.activeElement === document.body) {
      var target = (saved.id && document.getElementById(saved.id)) ||
        (saved.name && region.querySelector('[name="' + CSS.escape(saved.name) + '"][value="' + CSS.escape(saved.value || "") + '"]')) ||
        region;
      target.focus({ preventScroll: target === region });
    }
    var summary = region.querySelector("[data-queue-summary]");
    var live = document.getElementById("queue-announce");
    if (summary && live) { live.textContent = summary.textContent; }
    saved = null;
  });
})();

// A <details data-fold-on-phone> is served open; on a phone it starts folded (the queue's filters).
document.querySelectorAll("details[data-fold-on-phone]").forEach(function (details) {
  if (window.matchMedia("(max-width: 575.98px)").matches) { details.open = false; }
});
