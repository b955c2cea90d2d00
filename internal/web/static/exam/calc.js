// The on-screen calculator, for papers that allow one (the paper's
// "calculator" flag). exam.js loads this module only for such papers. The
// panel's markup and words are in the page (templates/exam.html, #x-calc);
// this module gives it the keys' behaviour. No eval: Calc is a small state
// machine that computes each operation as it is keyed, as a pocket
// calculator does (2 + 3 × 4 = 20).

// DIGITS is how many significant digits the display shows.
const DIGITS = 12;

// tidy drops the binary noise of floating point (0.1 + 0.2 is
// 0.30000000000000004) while keeping more digits than the display shows,
// so that 0.1 + 0.2 − 0.3 is 0 and 1 ÷ 3 × 3 is 1.
const tidy = (x) => Number(x.toPrecision(15));

// format writes x as the display shows it: at most 12 significant digits,
// without trailing zeros; very large and very small numbers in exponent
// form (1.5e+20).
export function format(x) {
  if (!Number.isFinite(x)) return '';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e15 || a < 1e-9) {
    const [m, e] = x.toExponential(DIGITS - 1).split('e');
    return m.replace(/\.?0+$/, '') + 'e' + e;
  }
  return String(Number(x.toPrecision(DIGITS)));
}

const OPS = { '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => (b === 0 ? NaN : a / b) };
const SYMBOL = { '+': '+', '-': '−', '*': '×', '/': '÷' };

// Calc is the calculator's state. press takes one key: a digit, ".", an
// operator (+ - * /), "=", "%", "neg" (±), "sqrt", "sq" (x²), "inv" (1/x),
// "C", "CE", "back", "MC", "MR", "M+", "M-"; unknown keys are ignored.
export class Calc {
  constructor() {
    this.mem = 0;
    this.clear();
  }

  clear() {
    this.entry = '0'; // what is being typed, or null while a computed value shows
    this.val = 0; // the value shown when entry is null
    this.acc = null; // the left operand
    this.op = ''; // the pending operator
    this.fresh = false; // the next digit starts a new number
    this.operand = false; // the shown number was given since the operator
    this.last = null; // the last operation, which "=" repeats
    this.err = false;
  }

  // value is the number shown, at full precision.
  value() {
    return this.entry === null ? this.val : Number(this.entry);
  }

  // display is the text of the main display; errorText is shown for an
  // impossible operation (division by zero, the root of a negative).
  display(errorText = 'Error') {
    if (this.err) return errorText;
    return this.entry === null ? format(this.val) : this.entry;
  }

  // expression is the pending operation, as the line above the display
  // shows it ("12 +"), or "".
  expression() {
    return !this.err && this.op ? `${format(this.acc)} ${SYMBOL[this.op]}` : '';
  }

  show(x) {
    if (!Number.isFinite(x)) {
      this.clear();
      this.err = true;
      return;
    }
    this.val = tidy(x) || 0; // no "-0"
    this.entry = null;
    this.fresh = true;
  }

  type(ch) {
    if (this.fresh || this.entry === null) {
      this.entry = '0';
      this.fresh = false;
    }
    if (ch === '.') {
      if (!this.entry.includes('.')) this.entry += '.';
    } else if (this.entry.replace(/[-.]/g, '').replace(/^0+/, '').length < DIGITS) {
      this.entry = this.entry === '0' ? ch : this.entry === '-0' ? '-' + ch : this.entry + ch;
    }
    this.operand = true;
  }

  press(key) {
    if (this.err) {
      // After an error only a new number or a clear starts again.
      if (!/^[0-9.]$|^CE?$/.test(key)) return;
      this.clear();
      if (key === 'C' || key === 'CE') return;
    }
    if (/^[0-9.]$/.test(key)) return this.type(key);
    const v = this.value();
    switch (key) {
      case '+': case '-': case '*': case '/':
        if (this.op && this.operand) {
          this.show(OPS[this.op](this.acc, v));
          if (this.err) return;
          this.acc = this.val;
        } else if (!this.op || this.acc === null) {
          this.acc = v;
        }
        this.op = key;
        this.fresh = true;
        this.operand = false;
        this.last = null;
        return;
      case '=':
        if (this.op) {
          const b = this.operand ? v : this.acc;
          const op = this.op;
          this.show(OPS[op](this.acc, b));
          if (this.err) return;
          this.last = { op, b };
          this.acc = null;
          this.op = '';
        } else if (this.last) {
          this.show(OPS[this.last.op](v, this.last.b));
        }
        this.operand = false;
        return;
      case '%':
        this.show((this.op === '+' || this.op === '-') && this.acc !== null ? this.acc * v / 100 : v / 100);
        this.operand = true;
        return;
      case 'neg':
        if (this.entry !== null && !this.fresh) {
          this.entry = this.entry.startsWith('-') ? this.entry.slice(1) : '-' + this.entry;
        } else {
          this.show(-v);
        }
        this.operand = true;
        return;
      case 'sqrt':
        this.show(v < 0 ? NaN : Math.sqrt(v));
        this.operand = true;
        return;
      case 'sq':
        this.show(v * v);
        this.operand = true;
        return;
      case 'inv':
        this.show(v === 0 ? NaN : 1 / v);
        this.operand = true;
        return;
      case 'C':
        this.clear();
        return;
      case 'CE':
        this.entry = '0';
        this.fresh = false;
        this.operand = true;
        return;
      case 'back':
        if (this.entry !== null && !this.fresh) {
          this.entry = this.entry.slice(0, -1);
          if (this.entry === '' || this.entry === '-') this.entry = '0';
        }
        return;
      case 'MC':
        this.mem = 0;
        return;
      case 'MR':
        this.show(this.mem);
        this.operand = true;
        return;
      case 'M+': case 'M-':
        this.mem = tidy(this.mem + (key === 'M+' ? v : -v));
        this.fresh = true;
        return;
    }
  }
}

// KEYS maps the keyboard to the calculator's keys, while focus is in the
// panel.
const KEYS = { ',': '.', x: '*', X: '*', Enter: '=', Backspace: 'back', Delete: 'CE' };

// PAD lays the keys out, five to a row: [key, text, name of the label on
// the panel (data-…), class]. Digits are their own label.
const FN = 'x-calc-fn';
const OP = 'x-calc-op';
const PAD = [
  ['MC', 'MC', 'mc', FN], ['MR', 'MR', 'mr', FN], ['M+', 'M+', 'mplus', FN], ['M-', 'M−', 'mminus', FN], ['back', '⌫', 'back', FN],
  ['C', 'C', 'c', FN], ['CE', 'CE', 'ce', FN], ['%', '%', 'pct', FN], ['sqrt', '√', 'sqrt', FN], ['/', '÷', 'div', OP],
  ['7'], ['8'], ['9'], ['sq', 'x²', 'sq', FN], ['*', '×', 'mul', OP],
  ['4'], ['5'], ['6'], ['inv', '1/x', 'inv', FN], ['-', '−', 'sub', OP],
  ['1'], ['2'], ['3'], ['neg', '±', 'neg', FN], ['+', '+', 'add', OP],
  ['0', '0', '', 'x-calc-wide'], ['.', '.', 'dot'], ['=', '=', 'eq', OP + ' x-calc-wide'],
];

function h(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
}

// mount builds the panel (#x-calc, which holds the words) and wires it and
// the toolbar button that opens it, once; it shows the button. The panel is not modal: the question
// stays usable beside it. Escape or the close button hides it and gives
// focus back to the toolbar button.
export function mount(panel, button) {
  button.hidden = false;
  if (panel.firstChild) return; // mounted already
  const calc = new Calc();
  const w = panel.dataset;
  const key = ([k, text = k, label, cls]) => h('button', { type: 'button', className: cls || '', 'data-k': k, ...(label && { 'aria-label': w[label] }) }, text);
  const out = h('output', { 'aria-live': 'polite', 'aria-atomic': 'true' });
  const expr = h('p', { className: 'x-calc-expr', 'aria-hidden': 'true' });
  const mem = h('abbr', { className: 'x-calc-mem', title: w.memory }, 'M');
  const screen = h('div', { className: 'x-calc-screen', tabIndex: 0, role: 'group', 'aria-label': button.textContent }, expr, out, mem);
  panel.replaceChildren(
    h('div', { className: 'x-calc-top' }, h('h2', {}, button.textContent), key(['close', '×', 'close', 'x-calc-x'])),
    screen, h('div', { className: 'x-calc-keys' }, ...PAD.map(key)));
  const draw = () => {
    out.value = calc.display(w.error);
    expr.textContent = calc.expression();
    mem.hidden = calc.mem === 0;
  };
  const open = (on) => {
    panel.hidden = !on;
    button.setAttribute('aria-expanded', String(on));
    if (on) screen.focus();
    else button.focus();
  };
  panel.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-k]');
    if (!b) return;
    if (b.dataset.k === 'close') return open(false);
    calc.press(b.dataset.k);
    draw();
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      return open(false);
    }
    // A key reached with the keyboard is pressed with Enter or Space, as
    // any button is; after a click, Enter is "=".
    if (e.ctrlKey || e.metaKey || e.altKey || ((e.key === 'Enter' || e.key === ' ') && e.target.matches('button:focus-visible'))) return;
    const k = KEYS[e.key] || e.key;
    if (!/^[0-9.+\-*/=%]$|^(back|CE)$/.test(k)) return;
    e.preventDefault();
    calc.press(k);
    draw();
  });
  button.addEventListener('click', () => open(panel.hidden));
  draw();
}
