// Scan fields: a barcode scanner types the code and then presses Enter. In a field marked data-scan,
// Enter moves on to the next field instead of submitting the form half filled.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field || !field.matches || !field.matches("input[data-scan]")) {
      return;
    }
    var form = field.form;
    if (!form) {
      return;
    }
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.tabIndex >= 0 && el.tagName !== "FIELDSET";
    });
    var next = fields[fields.indexOf(field) + 1];
    if (next && next.type !== "submit") {
      event.preventDefault();
      next.focus();
      if (next.select) {
        next.select();
      }
    } else if (!field.value.trim()) {
      event.preventDefault();
    }
  });
})();
