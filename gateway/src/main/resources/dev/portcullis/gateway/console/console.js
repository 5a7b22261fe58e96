// The console's one script (no inline script: the CSP allows 'self' only). Everything works without it
// except checking a policy as it is typed.
'use strict';
(function () {
  const editor = document.getElementById('policy-text');
  if (!editor) {
    return;
  }
  const csrf = document.querySelector('input[name=csrf]').value;
  const out = document.getElementById('policy-check');
  let timer = null;
  let sent = 0;

  function show(errors) {
    out.replaceChildren();
    if (errors.length === 0) {
      out.textContent = 'No errors.';
      out.className = 'good';
      editor.removeAttribute('aria-invalid');
      return;
    }
    out.className = 'bad';
    editor.setAttribute('aria-invalid', 'true');
    const list = document.createElement('ul');
    for (const error of errors) {
      const item = document.createElement('li');
      item.textContent = 'Line ' + error.line + ', column ' + error.column + ': '
        + (error.field ? error.field + ': ' : '') + error.message;
      item.dataset.line = error.line;
      list.appendChild(item);
    }
    out.appendChild(list);
  }

  function check() {
    const mine = ++sent;
    fetch('/console/api/policy/validate', {
      method: 'POST',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: JSON.stringify({text: editor.value}),
      credentials: 'same-origin'
    }).then(r => r.json()).then(answer => {
      if (mine === sent && answer.errors) {
        show(answer.errors);
      }
    }).catch(() => { out.textContent = 'Could not check the policy now.'; });
  }

  editor.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
})();
