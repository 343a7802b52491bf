// The Policies page's editor (plain JS, no build step): live check as you type, the laws and the diff on demand,
// and the diff shown before a save. Without it the page still saves (the server checks again and refuses errors).
'use strict';
/* global document, fetch, setTimeout, clearTimeout, HTMLElement */
(function () {
  var form = document.getElementById('policy-form');
  var area = document.getElementById('policy-text');
  var gutter = document.getElementById('policy-gutter');
  var list = document.getElementById('policy-diagnostics');
  var status = document.getElementById('policy-status');
  if (!form || !area || !gutter || !list || !status) return;
  var file = form.getAttribute('data-file');
  var csrf = form.getAttribute('data-csrf');
  var lawsButton = document.getElementById('run-laws');
  var diffButton = document.getElementById('preview-diff');
  var runs = document.getElementById('law-runs');
  var lawsResult = document.getElementById('laws-result');
  var diffResult = document.getElementById('diff-result');
  var DEBOUNCE_MS = 300;
  var timer = null;
  var sequence = 0;
  var diagnostics = [];
  // The text whose diff was shown: Save writes only text whose diff the person has seen.
  var previewed = null;

  function post(path, extra) {
    var body = { file: file, text: area.value, _csrf: csrf };
    for (var k in extra) body[k] = extra[k];
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error || json.message || 'HTTP ' + response.status);
        return json;
      });
    });
  }

  function lineCount() {
    return area.value.split(/\r\n|\r|\n/).length;
  }

  // Line numbers, each marked with the worst problem on its line.
  function drawGutter() {
    var marks = {};
    diagnostics.forEach(function (d) {
      if (!marks[d.line]) marks[d.line] = d.severity;
    });
    var n = lineCount();
    var fragment = document.createDocumentFragment();
    for (var i = 1; i <= n; i++) {
      var span = document.createElement('span');
      span.setAttribute('data-line', String(i));
      span.textContent = String(i);
      if (marks[i]) span.className = marks[i];
      fragment.appendChild(span);
    }
    gutter.replaceChildren(fragment);
    gutter.scrollTop = area.scrollTop;
  }

  function drawList() {
    var fragment = document.createDocumentFragment();
    diagnostics.forEach(function (d) {
      var li = document.createElement('li');
      li.className = d.severity;
      li.setAttribute('data-line', String(d.line));
      var go = document.createElement('button');
      go.type = 'button';
      go.className = 'goto';
      go.setAttribute('data-line', String(d.line));
      go.textContent = 'line ' + d.line;
      var severity = document.createElement('span');
      severity.className = 'severity';
      severity.textContent = d.severity;
      li.appendChild(go);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(severity);
      li.appendChild(document.createTextNode(': '));
      if (d.path) {
        var code = document.createElement('code');
        code.textContent = d.path;
        li.appendChild(code);
        li.appendChild(document.createTextNode(' '));
      }
      li.appendChild(document.createTextNode(d.message));
      fragment.appendChild(li);
    });
    list.replaceChildren(fragment);
  }

  function showCheck(result) {
    diagnostics = result.diagnostics;
    status.textContent = result.summary;
    status.className = result.errors > 0 ? 'bad' : 'good';
    if (result.errors > 0) area.setAttribute('aria-invalid', 'true');
    else area.removeAttribute('aria-invalid');
    drawGutter();
    drawList();
  }

  function checkNow() {
    var mine = ++sequence;
    status.textContent = 'Checking…';
    return post('/ui/policies/check', {}).then(
      function (result) {
        if (mine === sequence) showCheck(result);
      },
      function (error) {
        if (mine === sequence) status.textContent = 'Could not check: ' + error.message;
      },
    );
  }

  area.addEventListener('input', function () {
    previewed = null;
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(checkNow, DEBOUNCE_MS);
  });
  area.addEventListener('scroll', function () {
    gutter.scrollTop = area.scrollTop;
  });

  // "line N" moves the caret to that line and selects it.
  list.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement) || !target.classList.contains('goto')) return;
    var line = Number(target.getAttribute('data-line'));
    var lines = area.value.split('\n');
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[line - 1] || '').length;
    area.focus();
    area.setSelectionRange(start, end);
    var height = area.scrollHeight / Math.max(1, lines.length);
    area.scrollTop = Math.max(0, (line - 3) * height);
  });

  function show(target, text, failed) {
    var pre = document.createElement('pre');
    pre.textContent = text;
    if (failed) pre.className = 'bad';
    target.replaceChildren(pre);
  }

  function runLaws() {
    lawsResult.textContent = 'Running the laws…';
    return post('/ui/policies/laws', { runs: Number(runs && runs.value) }).then(
      function (result) {
        show(
          lawsResult,
          (result.ok ? 'All laws hold.' : 'A law is broken.') +
            '\n\n' +
            result.results
              .map(function (r) {
                return r.text;
              })
              .join('\n\n'),
          !result.ok,
        );
      },
      function (error) {
        show(lawsResult, error.message, true);
      },
    );
  }

  function previewDiff() {
    var text = area.value;
    diffResult.textContent = 'Comparing…';
    return post('/ui/policies/diff', {}).then(
      function (result) {
        show(diffResult, result.text, false);
        previewed = text;
        return true;
      },
      function (error) {
        show(diffResult, error.message, true);
        return false;
      },
    );
  }

  if (lawsButton) {
    lawsButton.hidden = false;
    lawsButton.addEventListener('click', runLaws);
  }
  if (diffButton) {
    diffButton.hidden = false;
    diffButton.addEventListener('click', previewDiff);
  }

  // Save: the first press shows the diff of this text; the second (with the diff seen) saves.
  form.addEventListener('submit', function (event) {
    if (previewed === area.value) return;
    event.preventDefault();
    previewDiff().then(function (ok) {
      if (!ok) return;
      status.textContent = 'Review the diff below, then press Save again to save this version.';
      diffResult.scrollIntoView({ block: 'nearest' });
    });
  });

  drawGutter();
})();
