// The HTML report's only script, inlined (its hash is in the page's Content-Security-Policy). It
// reads each run's JSON data block and the SVG ladder, and adds: the message panel (click an arrow,
// or focus it and press Enter or Space; ↑/↓ move between messages, Esc clears), the call and
// retransmission filters (rows are stacked again so no gap is left), and the jumps to a failure.
// Every text from the run is put in the page with textContent, never as HTML.

/**
 * The report's JavaScript (plain ES2017, no modules), inlined in a `<script>` at the end of `<body>`.
 *
 * @example
 * ```ts
 * const hash = createHash('sha256').update(REPORT_SCRIPT).digest('base64'); // for script-src
 * const tail = `<script>${REPORT_SCRIPT}</script>`;
 * ```
 */
export const REPORT_SCRIPT = String.raw`(function () {
'use strict';
var sections = document.querySelectorAll('section.run');
for (var s = 0; s < sections.length; s++) init(sections[s]);
document.addEventListener('click', function (ev) {
  var link = ev.target && ev.target.closest ? ev.target.closest('a.jump') : null;
  if (!link) return;
  var id = (link.getAttribute('href') || '').slice(1);
  if (jump(id)) ev.preventDefault();
});
if (location.hash.length > 1) setTimeout(function () { jump(decodeURIComponent(location.hash.slice(1))); }, 0);

function jump(id) {
  var target = document.getElementById(id);
  if (!target) return false;
  var sec = target.closest('section.run');
  var api = sec && sec.sipflow;
  if (api && target.closest('svg.ladder')) { api.reveal(target); return true; }
  target.scrollIntoView({ block: 'center' });
  if (target.focus) target.focus({ preventScroll: true });
  return true;
}

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function init(sec) {
  var p = sec.getAttribute('data-prefix');
  var dataEl = document.getElementById(p + '-data');
  var svg = document.getElementById(p + '-svg');
  if (!dataEl || !svg) return;
  var data = JSON.parse(dataEl.textContent);
  var panel = document.getElementById(p + '-panel');
  var scroller = document.getElementById(p + '-scroll');
  var head = scroller.querySelector('.lhead');
  var tools = document.getElementById(p + '-tools');
  var rows = Array.prototype.slice.call(svg.querySelectorAll('.row'));
  var periods = Array.prototype.slice.call(svg.querySelectorAll('.period'));
  var ys = rows.map(function (r) { return { y: Number(r.getAttribute('transform').slice(12, -1)), h: Number(r.getAttribute('data-h')), vis: true }; });
  var selected = null;

  function mid(r) { return ys[r].vis ? ys[r].y + (rows[r].classList.contains('arrow') ? 26 : 12) : ys[r].y; }

  function select(a) {
    if (selected) selected.classList.remove('sel');
    selected = a;
    a.classList.add('sel');
    var i = Number(a.getAttribute('data-i'));
    var m = data.arrows[i];
    panel.textContent = '';
    panel.setAttribute('data-i', String(i));
    var h = el('div', 'ph');
    h.appendChild(el('b', null, '#' + (i + 1) + ' ' + m.l + (m.r ? '  \u21bb retransmission' : '')));
    h.appendChild(el('div', 'pm', data.cols[m.f] + ' \u2192 ' + data.cols[m.t] + (m.s ? '  \u00b7  ' + m.s : '')));
    var when = new Date(Math.floor(m.u / 1000)).toISOString().replace('Z', String(m.u % 1000).padStart(3, '0') + 'Z');
    h.appendChild(el('div', 'pm', '+' + ((m.u - data.t0) / 1e6).toFixed(6) + ' s  \u00b7  ' + when));
    h.appendChild(el('div', 'pm', 'call ' + data.calls[m.c] + '  \u00b7  Call-ID ' + m.id));
    panel.appendChild(h);
    var pre = el('pre', 'raw');
    var lines = m.raw.split(/\r?\n/);
    var body = false;
    for (var k = 0; k < lines.length; k++) {
      var line = lines[k];
      var span;
      if (k === 0) span = el('span', 'sl', line);
      else if (body) span = el('span', 'bd', line);
      else if (line === '') { body = true; span = el('span', null, ''); }
      else {
        var colon = line.indexOf(':');
        span = el('span');
        if (colon > 0) { span.appendChild(el('span', 'hn', line.slice(0, colon))); span.appendChild(document.createTextNode(line.slice(colon))); }
        else span.textContent = line;
      }
      pre.appendChild(span);
      if (k < lines.length - 1) pre.appendChild(document.createTextNode('\n'));
    }
    panel.appendChild(pre);
  }

  function show(row, center) {
    var r = Number(row.getAttribute('data-r'));
    var top = ys[r].y + head.offsetHeight;
    if (center) scroller.scrollTop = top - (scroller.clientHeight - ys[r].h) / 2;
    else if (top < scroller.scrollTop + head.offsetHeight) scroller.scrollTop = top - head.offsetHeight;
    else if (top + ys[r].h > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + ys[r].h - scroller.clientHeight;
  }

  function step(a, d) {
    for (var r = Number(a.getAttribute('data-r')) + d; r >= 0 && r < rows.length; r += d) {
      if (ys[r].vis && rows[r].classList.contains('arrow')) return rows[r];
    }
    return null;
  }

  svg.addEventListener('click', function (ev) {
    var a = ev.target.closest ? ev.target.closest('.arrow') : null;
    if (!a) return;
    select(a);
    a.focus({ preventScroll: true });
  });
  svg.addEventListener('keydown', function (ev) {
    var a = ev.target.closest ? ev.target.closest('.arrow') : null;
    if (!a) return;
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(a); }
    else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      var n = step(a, ev.key === 'ArrowDown' ? 1 : -1);
      if (n) { n.focus({ preventScroll: true }); show(n, false); select(n); }
    } else if (ev.key === 'Escape' && selected) { selected.classList.remove('sel'); selected = null; }
  });
  svg.addEventListener('focusin', function (ev) {
    var a = ev.target.closest ? ev.target.closest('.row') : null;
    if (a) show(a, false);
  });

  var callBoxes = Array.prototype.slice.call(tools.querySelectorAll('.f-call'));
  var retrans = tools.querySelector('.f-retrans');
  var count = tools.querySelector('.f-count');
  function relayout() {
    var hidden = {};
    callBoxes.forEach(function (b) { if (!b.checked) hidden[b.value] = true; });
    var y = 0, shown = 0, total = 0;
    rows.forEach(function (row, r) {
      var c = row.getAttribute('data-call');
      var isArrow = row.classList.contains('arrow');
      var vis = !(c !== '' && hidden[c]) && !(!retrans.checked && row.classList.contains('retrans'));
      row.style.display = vis ? '' : 'none';
      ys[r].y = y;
      ys[r].vis = vis;
      if (vis) { row.setAttribute('transform', 'translate(0,' + y + ')'); y += ys[r].h; }
      if (isArrow) { total++; if (vis) shown++; }
    });
    periods.forEach(function (b) {
      var c = b.getAttribute('data-call');
      var a = Number(b.getAttribute('data-a')), z = Number(b.getAttribute('data-b'));
      var vis = !(c !== '' && hidden[c]);
      b.style.display = vis ? '' : 'none';
      b.setAttribute('y', String(mid(a)));
      b.setAttribute('height', String(Math.max(2, mid(z) - mid(a))));
    });
    var height = Math.max(y, 24);
    svg.setAttribute('height', String(height));
    svg.setAttribute('viewBox', '0 0 ' + svg.getAttribute('width') + ' ' + height);
    if (count) count.textContent = shown === total ? '' : 'showing ' + shown + ' of ' + total + ' messages';
  }
  tools.addEventListener('change', relayout);
  tools.querySelector('.f-all').addEventListener('click', function () {
    callBoxes.forEach(function (b) { b.checked = true; });
    retrans.checked = true;
    relayout();
  });

  tools.querySelector('.f-none').addEventListener('click', function () {
    callBoxes.forEach(function (b) { b.checked = false; });
    relayout();
  });

  sec.sipflow = {
    reveal: function (row) {
      var r = Number(row.getAttribute('data-r'));
      if (!ys[r].vis) tools.querySelector('.f-all').click();
      scroller.scrollIntoView({ block: 'nearest' });
      show(row, true);
      row.classList.remove('flash');
      void row.getBoundingClientRect();
      row.classList.add('flash');
      if (row.classList.contains('arrow')) select(row);
      row.focus({ preventScroll: true });
    },
    select: select,
  };
}
})();
`;
