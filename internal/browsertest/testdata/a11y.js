// The accessibility checks a11y_test.go runs in a loaded page. Evaluating
// this file defines window.__a11y; each method returns a list of problems,
// {check, el, msg, text}: el is a CSS path without positions (so the same
// element on every page reads the same), text a sample of its words.
//
//   check()  text contrast and structure; also remembers how each focusable
//            element looks unfocused and starts logging focus. Returns
//            {problems, tabs}: tabs is how many Tab presses visit them all.
//   focus()  after the Tab presses: every focused element showed a visible
//            indicator, and every link was reached.
//   motion() under prefers-reduced-motion: reduce: nothing animates.
window.__a11y = (() => {
  const cs = (e, pseudo) => getComputedStyle(e, pseudo);

  // --- colours -----------------------------------------------------------
  // Chromium returns rgb()/rgba() for plain colours but keeps color(srgb ...)
  // for color-mix() and oklch()/lab()/... as written. Mixing any colour 100%
  // with transparent in srgb gives color(srgb r g b / a) at full precision.
  let probe;
  const cache = new Map();
  const parse = (s) => {
    if (cache.has(s)) return cache.get(s);
    let m = s.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
    let c;
    if (m) {
      c = { r: +m[1] / 255, g: +m[2] / 255, b: +m[3] / 255, a: m[4] === undefined ? 1 : +m[4] };
    } else if ((m = s.match(/^color\(srgb ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)(?: \/ ([\d.e]+))?\)$/))) {
      const k = (v) => Math.min(1, Math.max(0, +v)); // out of gamut: clip
      c = { r: k(m[1]), g: k(m[2]), b: k(m[3]), a: m[4] === undefined ? 1 : +m[4] };
    } else {
      if (!probe) {
        probe = document.createElement("div");
        probe.hidden = true;
        document.documentElement.append(probe);
      }
      probe.style.color = "";
      probe.style.color = "color-mix(in srgb, " + s + " 100%, transparent)";
      const out = cs(probe).color;
      c = out.startsWith("color(srgb") ? parse(out) : null;
      if (!c) throw new Error("a11y.js: cannot read the colour " + JSON.stringify(s));
    }
    cache.set(s, c);
    return c;
  };
  // over paints c (with its alpha times o) over the opaque colour b.
  const over = (c, b, o = 1) => {
    const a = c.a * o;
    return { r: c.r * a + b.r * (1 - a), g: c.g * a + b.g * (1 - a), b: c.b * a + b.b * (1 - a), a: 1 };
  };
  const lum = (c) => {
    const f = (v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (x, y) => {
    const [l1, l2] = [lum(x), lum(y)].sort((p, q) => q - p);
    return (l1 + 0.05) / (l2 + 0.05);
  };
  const hex = (c) =>
    "#" + [c.r, c.g, c.b].map((v) => Math.round(v * 255).toString(16).padStart(2, "0")).join("") +
    (c.a < 1 ? " at " + Math.round(c.a * 100) + "%" : "");
  const fmt = (r) => (Math.floor(r * 100) / 100).toFixed(2);

  // The canvas under the page: the system Canvas colour of the root's scheme.
  const canvas = () => {
    const d = document.createElement("div");
    d.hidden = true;
    d.style.backgroundColor = "Canvas";
    document.documentElement.append(d);
    const c = parse(cs(d).backgroundColor);
    d.remove();
    return c;
  };

  // backdrops returns the colours that can be behind el's text (several
  // where a gradient is), compositing every ancestor's background with its
  // alpha and opacity from the canvas up; null where a url() image is. own
  // says whether el's own background counts (not for a focus outline, which
  // is drawn outside it). layers lists extra backgrounds above el's own.
  const backdrops = (el, own = true, layers = []) => {
    const stack = [...layers]; // nearest first: {colours: [c], o}
    const opacity = (e) => {
      let o = 1;
      for (; e; e = e.parentElement) o *= +cs(e).opacity;
      return o;
    };
    for (let e = own ? el : el.parentElement; e; e = e.parentElement) {
      const s = cs(e);
      const o = opacity(e);
      if (s.backgroundImage !== "none") {
        if (/url\(/.test(s.backgroundImage)) return null;
        const stops = s.backgroundImage.match(/(?:rgba?|color|oklch|oklab|lab|lch|hsla?|hwb)\([^)]*\)/g) || [];
        if (stops.length) stack.push({ colours: stops.map(parse), o });
      }
      const bg = parse(s.backgroundColor);
      if (bg.a > 0) stack.push({ colours: [bg], o });
      if (bg.a * o >= 1) break;
    }
    let under = [canvas()];
    for (const layer of stack.reverse()) {
      under = under.flatMap((b) => layer.colours.map((c) => over(c, b, layer.o)));
    }
    return under;
  };

  // --- elements ----------------------------------------------------------
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      let p = e.localName;
      if (e.id) p += "#" + e.id;
      for (const c of e.classList) p += "." + c;
      parts.unshift(p);
      if (e.id || e === document.body) break;
    }
    return parts.join(" > ");
  };
  const words = (el) => (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 60);
  const problem = (check, el, msg) => ({ check, el: el ? path(el) : "", msg, text: el ? words(el) : "" });

  const ariaHidden = (el) => !!el.closest('[aria-hidden="true"]');
  const rendered = (el) => el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true });
  // Visually hidden text (the .vh / sr-only pattern) is for screen readers
  // only; its colours don't matter.
  const clippedAway = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = cs(e);
      if (/^inset\(\s*50%/.test(s.clipPath) || /^rect\((0px,? ?){3}0px\)$/.test(s.clip)) return true;
      const r = e.getBoundingClientRect();
      if ((r.width <= 1 || r.height <= 1) && s.overflow !== "visible") return true;
    }
    return false;
  };
  // exposed says whether assistive technology sees el.
  const exposed = (el) => rendered(el) && !ariaHidden(el) && !el.closest("[hidden]");

  // --- contrast ------------------------------------------------------------
  const large = (s) => {
    const px = parseFloat(s.fontSize);
    return px >= 24 || (px >= 18.66 && +s.fontWeight >= 700);
  };
  const contrastOf = (out, el, s, fg, layers, what) => {
    const bgs = backdrops(el, true, layers);
    if (!bgs) {
      out.push(problem("contrast", el, what + "text over a url() background image: its contrast can't be computed"));
      return;
    }
    const want = large(s) ? 3 : 4.5;
    let worst;
    for (const b of bgs) {
      const f = over(fg, b, opacityOf(el));
      const r = ratio(f, b);
      if (!worst || r < worst.r) worst = { r, f, b };
    }
    if (worst.r < want) {
      out.push(problem("contrast", el,
        `${what}${hex(fg)} on ${hex(worst.b)} is ${fmt(worst.r)}:1, want ≥ ${want}:1 ` +
        `(${s.fontSize} ${s.fontWeight >= 700 ? "bold" : "normal"}${large(s) ? ", large" : ""})`));
    }
  };
  const opacityOf = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= +cs(e).opacity;
    return o;
  };
  // generated returns the strings a computed content shows: those before
  // its "/ alt text", if any.
  const generated = (content) => {
    let shown = "";
    for (let i = 0; i < content.length; i++) {
      if (content[i] === "/") break;
      if (content[i] !== '"') continue;
      let j = i + 1;
      for (; j < content.length && content[j] !== '"'; j++) shown += content[j] === "\\" ? content[++j] : content[j];
      i = j;
    }
    return shown;
  };
  const svgText = new Set(["text", "tspan", "textPath"]);
  const contrast = (out) => {
    for (const el of document.body.querySelectorAll("*")) {
      if (ariaHidden(el) || !rendered(el)) continue;
      const s = cs(el);
      const isSVG = el instanceof SVGElement;
      const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && /\S/.test(n.data));
      if (hasText && !(isSVG && !svgText.has(el.localName)) && !clippedAway(el) && opacityOf(el) > 0) {
        const paint = isSVG ? s.fill : s.webkitTextFillColor || s.color;
        if (!isSVG || /^(rgb|color)/.test(paint)) contrastOf(out, el, s, parse(paint), [], "");
      }
      // Generated text that carries words (not a decorative "→" or "#").
      for (const pseudo of ["::before", "::after"]) {
        const p = cs(el, pseudo);
        if (p.content === "none" || p.content === "normal" || p.display === "none") continue;
        const shown = generated(p.content);
        if (!/[\p{L}\p{N}]/u.test(shown) || clippedAway(el) || opacityOf(el) === 0) continue;
        const bg = parse(p.backgroundColor);
        const layers = bg.a > 0 ? [{ colours: [bg], o: 1 }] : [];
        contrastOf(out, el, p, parse(p.webkitTextFillColor || p.color), layers, `${pseudo} "${shown}": `);
      }
    }
  };

  // --- structure -----------------------------------------------------------
  const name = (el) => {
    const by = el.getAttribute("aria-labelledby");
    if (by) {
      const t = by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ").trim();
      if (t) return t;
    }
    const label = (el.getAttribute("aria-label") || "").trim();
    if (label) return label;
    const walk = (n) => {
      if (n.nodeType === Node.TEXT_NODE) return n.data;
      if (n.nodeType !== Node.ELEMENT_NODE || n.getAttribute("aria-hidden") === "true") return "";
      if (n !== el && !n.checkVisibility({ visibilityProperty: true })) return "";
      if (n.localName === "img") return n.getAttribute("alt") || "";
      if (n !== el && (n.getAttribute("role") === "img" || n.localName === "svg")) return name(n);
      if (n.localName === "svg" && n.querySelector(":scope > title")) return n.querySelector(":scope > title").textContent;
      return [...n.childNodes].map(walk).join("");
    };
    return walk(el).trim() || (el.getAttribute("title") || "").trim();
  };
  // landmark counts the exposed elements that are the given landmark:
  // header/footer only when not scoped to sectioning content.
  const landmark = (tag, role) =>
    [...document.querySelectorAll(`${tag}, [role="${role}"]`)].filter((e) => exposed(e) &&
      (e.getAttribute("role") === role || (!e.hasAttribute("role") &&
        (tag === "main" || !e.parentElement.closest("article, aside, main, nav, section, [role]:not([role=none]):not([role=presentation])"))))).length;
  const structure = (out) => {
    if (!document.documentElement.getAttribute("lang")?.trim()) out.push(problem("structure", null, "no lang on <html>"));
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]')].filter(exposed);
    const level = (h) => (h.getAttribute("role") === "heading" ? +(h.getAttribute("aria-level") || 2) : +h.localName[1]);
    const h1s = headings.filter((h) => level(h) === 1);
    if (h1s.length !== 1) out.push(problem("structure", null, `${h1s.length} h1, want exactly one`));
    let prev = 0;
    for (const h of headings) {
      const l = level(h);
      if (l > prev + 1) out.push(problem("structure", h, prev ? `h${l} follows h${prev}: a heading level is skipped` : `the first heading is h${l}, want h1`));
      if (!name(h)) out.push(problem("structure", h, "empty heading"));
      prev = l;
    }
    for (const [tag, role, want] of [["main", "main", "exactly one"], ["header", "banner", "one"], ["footer", "contentinfo", "one"]]) {
      const n = landmark(tag, role);
      if (n !== 1) out.push(problem("structure", null, `${n} ${tag} landmarks (role=${role}), want ${want}`));
    }
    for (const a of document.querySelectorAll("a")) {
      const href = (a.getAttribute("href") || "").trim();
      if (!href) out.push(problem("structure", a, "link without an href"));
      else if (href.startsWith("#") && href.length > 1 && !document.getElementById(decodeURIComponent(href.slice(1))))
        out.push(problem("structure", a, `link to ${href}, which is not on the page`));
      if (!name(a)) out.push(problem("structure", a, "link without an accessible name (text or aria-label)"));
    }
    for (const img of document.querySelectorAll("img")) {
      if (!img.hasAttribute("alt") && !ariaHidden(img)) out.push(problem("structure", img, "img without alt and not aria-hidden"));
    }
    for (const svg of document.querySelectorAll("svg")) {
      if (svg.parentElement.closest("svg") || ariaHidden(svg)) continue;
      if (svg.getAttribute("role") !== "img") out.push(problem("structure", svg, 'svg neither role="img" with a label nor aria-hidden'));
      else if (!name(svg)) out.push(problem("structure", svg, 'svg with role="img" but no aria-label, aria-labelledby or <title>'));
    }
    for (const el of document.querySelectorAll('[role="img"]:not(svg)')) {
      if (!ariaHidden(el) && !name(el)) out.push(problem("structure", el, 'role="img" without a label'));
    }
  };

  // --- focus ---------------------------------------------------------------
  const look = (el) => {
    const s = cs(el);
    return { outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor, boxShadow: s.boxShadow };
  };
  const focusable = () =>
    [...document.querySelectorAll("a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]")]
      .filter((e) => e.tabIndex >= 0 && !e.disabled && rendered(e));
  const before = new Map();
  const log = [];

  return {
    check() {
      const out = [];
      contrast(out);
      structure(out);
      const all = focusable();
      for (const e of all) before.set(e, look(e));
      document.addEventListener("focusin", (ev) => log.push({ el: ev.target, look: look(ev.target), visible: ev.target.matches(":focus-visible") }), true);
      return { problems: out, tabs: all.length + 1 };
    },
    focus() {
      const out = [];
      const seen = new Set();
      for (const { el, look: l, visible } of log) {
        if (seen.has(el)) continue;
        seen.add(el);
        const b = before.get(el) || look(document.body);
        const outline = l.outlineStyle !== "none" && l.outlineWidth > 0 && parse(l.outlineColor).a > 0;
        const shadow = l.boxShadow !== "none" && l.boxShadow !== b.boxShadow;
        if (!visible) out.push(problem("focus", el, "focused by Tab but not :focus-visible"));
        if (!outline && !shadow) {
          out.push(problem("focus", el, `no visible focus indicator: outline ${l.outlineStyle} ${l.outlineWidth}px, box-shadow ${l.boxShadow} (unfocused: ${b.boxShadow})`));
        } else if (outline && !shadow) {
          const c = parse(l.outlineColor);
          const bgs = backdrops(el, false);
          const worst = bgs && Math.min(...bgs.map((bg) => ratio(over(c, bg), bg)));
          if (bgs && worst < 3) out.push(problem("focus", el, `focus outline ${hex(c)} on ${hex(bgs[0])} is ${fmt(worst)}:1, want ≥ 3:1`));
        }
      }
      for (const a of document.querySelectorAll("a[href]")) {
        if (rendered(a) && !seen.has(a)) out.push(problem("focus", a, "link not reached with Tab"));
      }
      return out;
    },
    motion() {
      const out = [];
      const secs = (t) => (t.endsWith("ms") ? parseFloat(t) / 1000 : parseFloat(t));
      for (const el of document.querySelectorAll("*")) {
        for (const pseudo of [null, "::before", "::after"]) {
          const s = cs(el, pseudo);
          if (pseudo && (s.content === "none" || s.content === "normal")) continue;
          const what = pseudo ? pseudo + " " : "";
          const names = s.animationName.split(", "), durs = s.animationDuration.split(", ");
          names.forEach((n, i) => {
            const d = secs(durs[i % durs.length]);
            if (n !== "none" && d > 0) out.push(problem("motion", el, `${what}animation ${n} (${durs[i % durs.length]}) runs under prefers-reduced-motion: reduce`));
          });
          const props = s.transitionProperty.split(", "), tdurs = s.transitionDuration.split(", ");
          props.forEach((p, i) => {
            const d = secs(tdurs[i % tdurs.length]);
            if (p !== "none" && d > 0.01) out.push(problem("motion", el, `${what}transition of ${p} (${tdurs[i % tdurs.length]}) under prefers-reduced-motion: reduce`));
          });
        }
      }
      for (const a of document.getAnimations()) {
        if (a.playState === "running" && !(a instanceof CSSAnimation) && !(a instanceof CSSTransition)) {
          out.push(problem("motion", a.effect?.target || null, "a script animation runs under prefers-reduced-motion: reduce"));
        }
      }
      for (const el of document.querySelectorAll("animate, animateTransform, animateMotion, set")) {
        if (el.ownerSVGElement && rendered(el.ownerSVGElement)) out.push(problem("motion", el, `SVG <${el.localName}> animates regardless of prefers-reduced-motion`));
      }
      return out;
    },
  };
})();
