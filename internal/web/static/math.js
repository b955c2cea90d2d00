// Typesets maths: elements of class "math" hold TeX in data-tex (the server
// leaves the source as their text, so pages read without JavaScript). KaTeX
// is loaded only when a page has maths, from the URLs on this script's tag.
// Other scripts that add content announce it with a "vidya:content" event.

const me = document.querySelector('script[data-katex]');
let loading = null;

function loadKatex() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = me.dataset.katexCss;
      document.head.append(css);
      const s = document.createElement('script');
      s.src = me.dataset.katex;
      s.addEventListener('load', () => resolve(window.katex));
      s.addEventListener('error', () => reject(new Error('KaTeX did not load')));
      document.head.append(s);
    });
  }
  return loading;
}

async function typeset(root) {
  const els = root.querySelectorAll('.math[data-tex]');
  if (!els.length || !me) return;
  const katex = await loadKatex();
  for (const el of els) {
    katex.render(el.dataset.tex, el, { displayMode: el.classList.contains('display'), throwOnError: false });
  }
}

typeset(document);
document.addEventListener('vidya:content', (e) => typeset(e.target));
