// Measures the browser tests take in the page (tests/browser/helpers.py): the WCAG 2 contrast
// ratio, the focus indicator of the focused element, the borders of form controls, and the
// visible text of the main content, through every shadow root.
window.__measure = (function () {
  const rgb = (s) => {
    const m = (s || "").match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(",").map((x) => parseFloat(x));
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const WHITE = { r: 255, g: 255, b: 255, a: 1 };
  const parentOf = (el) => el.parentElement || (el.getRootNode && el.getRootNode().host) || null;
  const background = (el) => {
    for (let e = el; e; e = parentOf(e)) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return WHITE;
  };
  const deepActive = () => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el;
  };
  return {
    focusStyle() {
      const el = deepActive();
      if (!el || el === document.body || el === document.documentElement) return null;
      const path = [];
      for (let e = el; e; e = parentOf(e)) {
        const index = e.parentNode && e.parentNode.children ? [...e.parentNode.children].indexOf(e) : 0;
        path.push(e.tagName + (e.id ? "#" + e.id : "") + ":" + index);
      }
      const s = getComputedStyle(el);
      const outline = rgb(s.outlineColor);
      const behind = parentOf(el) ? background(parentOf(el)) : WHITE;
      return {
        tag: el.tagName.toLowerCase(),
        text: (el.textContent || "").trim().slice(0, 80),
        path: path.join("/"),
        outline_style: s.outlineStyle,
        outline_width: parseFloat(s.outlineWidth),
        outline_ratio: outline ? ratio(outline, behind) : 0,
      };
    },
    borders() {
      const out = [];
      const walk = (root) => {
        root.querySelectorAll("select, input:not([type=hidden]), textarea, button").forEach((el) => {
          const r = el.getBoundingClientRect();
          if (!r.width || !r.height) return;
          const s = getComputedStyle(el);
          const name = (el.textContent || "").trim().slice(0, 40) || el.id || el.tagName;
          const w = s.borderTopStyle === "none" ? 0 : parseFloat(s.borderTopWidth);
          const own = background(el);
          const behind = parentOf(el) ? background(parentOf(el)) : WHITE;
          const c = rgb(s.borderTopColor);
          // a control is told apart by its border, or by its own fill, against what is behind
          const edge = Math.max(w && c ? ratio(c, behind) : 1, ratio(own, behind));
          out.push({ tag: el.tagName.toLowerCase(), name: name, border: w, colour: s.borderTopColor,
                     ratio: edge, font: parseFloat(s.fontSize), disabled: !!el.disabled });
        });
        root.querySelectorAll("*").forEach((e) => { if (e.shadowRoot) walk(e.shadowRoot); });
      };
      walk(document);
      return out;
    },
    mainText() {
      const parts = [];
      const walk = (root) => {
        for (const n of root.childNodes) {
          if (n.nodeType === 3) {
            const el = n.parentElement;
            if (el && el.closest("[lang]:not(html)") === null && el.getClientRects().length) parts.push(n.textContent);
          } else if (n.nodeType === 1) {
            if (n.shadowRoot) walk(n.shadowRoot);
            walk(n);
          }
        }
      };
      walk(document.querySelector("main"));
      return parts.join(" ");
    },
  };
})();
