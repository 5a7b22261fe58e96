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

// The audit page: new lines arrive as server-sent events from the gateway itself (same origin, the
// session cookie goes with them) and are put at the top of the list.
(function () {
  const live = document.getElementById('audit-live');
  const lines = document.getElementById('audit-lines');
  if (!live || !lines || !window.EventSource) {
    return;
  }
  const source = new EventSource(live.dataset.stream);
  let seen = 0;
  source.onopen = () => { live.dataset.state = 'open'; };
  source.onerror = () => { live.dataset.state = 'reconnecting'; };
  source.onmessage = (message) => {
    const line = JSON.parse(message.data);
    const item = document.createElement('li');
    item.dataset.kind = line.kind;
    item.className = 'new';
    const time = document.createElement('time');
    time.textContent = line.at;
    const code = document.createElement('code');
    code.textContent = line.line;
    item.append(time, ' ', code);
    lines.prepend(item);
    const none = document.getElementById('audit-none');
    if (none) {
      none.remove();
    }
    live.dataset.received = String(++seen);
  };
})();
