// The console's client code (plain JS, no build step): small conveniences; every page works without it.
'use strict';
(function () {
  // "Select all" for the conflict inbox's checkboxes.
  var table = document.querySelector('table.conflicts');
  var bulk = document.getElementById('bulk');
  if (table && bulk) {
    var label = document.createElement('label');
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.id = 'select-all';
    label.htmlFor = 'select-all';
    label.textContent = ' select all';
    box.addEventListener('change', function () {
      table.querySelectorAll('input[name="selected"]').forEach(function (c) {
        c.checked = box.checked;
      });
    });
    bulk.insertBefore(label, bulk.firstChild);
    bulk.insertBefore(box, label);
  }
})();
