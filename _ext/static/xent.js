/* The book's page behaviour, loaded on every page (see xent_html_fixes.py).

   1. Sidebar buttons. pydata-sphinx-theme binds its drawer handler to the first
      `.primary-toggle` / `.secondary-toggle` in the page, which under
      sphinx-book-theme is a hidden copy in the top navbar, so the visible buttons
      in the article header do nothing (pydata-sphinx-theme #2451,
      sphinx-book-theme #988). Here every visible toggle works: on a narrow
      screen it opens the sidebar as a drawer (the theme's own <dialog>), on a
      wide screen the contents button hides and shows the left sidebar.
   2. Derivations and scroll cues. A derivation chain (xentlib.symbolic) whose
      expressions do not fit beside their reasons is stacked, each reason under
      its step (class `xent-stacked`). A formula, table or output wider than
      its column scrolls in its own box; the box gets the classes
      `xent-scroll-left` / `xent-scroll-right` while there is more to see on
      that side, which xent.css draws as a shadow on that edge.
   3. Search results. Titles and summaries carry raw TeX (`\(\partial L\)`):
      they are shown with Unicode symbols instead (`∂L`), as are formulas in
      the sidebar of pages that load no MathJax.
   4. Print. A formula wider than the printed column is scaled down to fit.
   5. Small things. The title bar of a solution opens the solution (its link
      to the exercise above would leave the page position instead); buttons
      whose visible text is more than their label are named by that text; a
      link whose text is a title with raw TeX shows it as symbols.
*/
(function () {
  "use strict";

  // Widths at which pydata-sphinx-theme turns each sidebar into a drawer.
  var PRIMARY_DRAWER = "(max-width: 959.98px)";
  var SECONDARY_DRAWER = "(max-width: 1199.98px)";

  function ready(callback) {
    if (document.readyState !== "loading") callback();
    else document.addEventListener("DOMContentLoaded", callback);
  }

  /* ---- 1. sidebar buttons ------------------------------------------------ */

  function moveChildrenAndClasses(from, to) {
    while (from.firstChild) to.appendChild(from.firstChild);
    Array.from(from.classList).forEach(function (cls) {
      from.classList.remove(cls);
      to.classList.add(cls);
    });
  }

  function setUpDrawer(dialog, sidebar) {
    if (dialog.dataset.xentDrawer) return;
    dialog.dataset.xentDrawer = "1";
    dialog.addEventListener("close", function () {
      moveChildrenAndClasses(dialog, sidebar);
    });
    dialog.addEventListener("click", function (event) {
      // A click on the backdrop lands on the dialog itself, outside its box.
      if (event.target === dialog) {
        var r = dialog.getBoundingClientRect();
        var inside = event.clientX >= r.left && event.clientX <= r.right &&
                     event.clientY >= r.top && event.clientY <= r.bottom;
        if (!inside) dialog.close();
        return;
      }
      // Following a link to a section of this page closes the drawer, so the
      // section is visible; a link to another page simply navigates.
      var link = event.target.closest && event.target.closest("a[href]");
      if (link && link.hash && link.pathname === window.location.pathname) {
        window.setTimeout(function () { dialog.close(); }, 0);
      }
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        dialog.close();
      }
    });
  }

  function openDrawer(dialog, sidebar) {
    setUpDrawer(dialog, sidebar);
    if (dialog.open) return;
    moveChildrenAndClasses(sidebar, dialog);
    dialog.showModal();
    var first = dialog.querySelector("a[href]");
    if (first) first.focus({ preventScroll: true });
  }

  function setUpToggles() {
    var primary = document.getElementById("pst-primary-sidebar");
    var primaryDialog = document.getElementById("pst-primary-sidebar-modal");
    var secondary = document.getElementById("pst-secondary-sidebar");
    var secondaryDialog = document.getElementById("pst-secondary-sidebar-modal");

    // Capture phase: this runs before the theme's handler on the same button
    // and stops it, so a future theme release that fixes the binding cannot
    // open the drawer twice.
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button.sidebar-toggle");
      if (!button || button.closest("#pst-header")) return;
      if (button.classList.contains("primary-toggle") && primary && primaryDialog) {
        event.preventDefault();
        event.stopImmediatePropagation();
        if (window.matchMedia(PRIMARY_DRAWER).matches) {
          primary.classList.remove("hide-on-wide", "pst-sidebar-hidden");
          openDrawer(primaryDialog, primary);
        } else {
          // A mouse click leaves focus on the button, and its tooltip with it.
          if (event.detail > 0) button.blur();
          var hidden = primary.classList.toggle("hide-on-wide");
          button.setAttribute("aria-expanded", hidden ? "false" : "true");
        }
      } else if (button.classList.contains("secondary-toggle") && secondary && secondaryDialog) {
        event.preventDefault();
        event.stopImmediatePropagation();
        if (window.matchMedia(SECONDARY_DRAWER).matches) openDrawer(secondaryDialog, secondary);
      }
    }, true);

    document.querySelectorAll("button.sidebar-toggle").forEach(function (button) {
      if (button.closest("#pst-header")) return;
      var isPrimary = button.classList.contains("primary-toggle");
      button.setAttribute("aria-label", isPrimary ? "Contents" : "On this page");
      button.setAttribute("aria-controls", isPrimary ? "pst-primary-sidebar" : "pst-secondary-sidebar");
      if (isPrimary) button.setAttribute("aria-expanded", "true");
    });
  }

  /* ---- 2. scroll cues ---------------------------------------------------- */

  var SCROLLERS = [
    "mjx-container[display=\"true\"]",
    "span.math.xent-wide-inline",
    ".xent-derivation",
    ".xent-derivation .xent-expr",
    ".xent-derivation .xent-counterexample",
    ".pst-scrollable-table-container",
    ".cell_output .output pre",
    ".cell_input pre",
    "div.highlight pre",
  ].join(",");

  // Each pass below first measures every element, then changes classes, so
  // that a long page is laid out a few times, not once per formula.

  function cueState(box) {
    var max = box.scrollWidth - box.clientWidth;
    return { overflowing: max > 1, left: box.scrollLeft > 1, right: box.scrollLeft < max - 1 };
  }

  function applyCue(box, state) {
    box.classList.toggle("xent-scrolls", state.overflowing);
    box.classList.toggle("xent-scroll-left", state.overflowing && state.left);
    box.classList.toggle("xent-scroll-right", state.overflowing && state.right);
  }

  // An inline formula wider than its paragraph: the theme cuts it off
  // (span.math has overflow: hidden); it scrolls instead. The width is that of
  // the formula as drawn: MathJax's hidden copy for screen readers is wider.
  function markWideInlineMath() {
    var spans = Array.prototype.filter.call(
      document.querySelectorAll(".bd-article span.math"),
      function (span) { return span.parentElement && !span.closest(".xent-derivation"); }
    );
    var wide = spans.map(function (span) {
      var math = span.querySelector("mjx-container > mjx-math");
      return !!math && math.getBoundingClientRect().width > span.parentElement.clientWidth + 1;
    });
    spans.forEach(function (span, i) { span.classList.toggle("xent-wide-inline", wide[i]); });
  }

  // A derivation whose expression does not fit beside its reason is stacked:
  // each reason under its step, the expression on the whole width.
  function layoutDerivations() {
    var derivations = Array.prototype.slice.call(document.querySelectorAll(".xent-derivation"));
    derivations.forEach(function (d) { d.classList.remove("xent-stacked"); });
    var stack = derivations.map(function (d) {
      var clipped = Array.prototype.some.call(d.querySelectorAll(".xent-expr"), function (expr) {
        return expr.scrollWidth > expr.clientWidth + 1;
      });
      return clipped || d.scrollWidth > d.clientWidth + 1;
    });
    derivations.forEach(function (d, i) { d.classList.toggle("xent-stacked", stack[i]); });
  }

  function updateAllCues() {
    markWideInlineMath();
    layoutDerivations();
    var boxes = Array.prototype.slice.call(document.querySelectorAll(SCROLLERS));
    var states = boxes.map(cueState);
    boxes.forEach(function (box, i) {
      if (!box.dataset.xentCue) {
        box.dataset.xentCue = "1";
        box.addEventListener("scroll", function () { applyCue(box, cueState(box)); }, { passive: true });
      }
      applyCue(box, states[i]);
    });
  }

  function setUpScrollCues() {
    var pending = false;
    function schedule() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        updateAllCues();
      });
    }
    schedule();
    window.addEventListener("resize", schedule);
    window.addEventListener("load", schedule);
    // MathJax loads asynchronously and typesets after the page: the formulas
    // get their widths when its startup promise resolves.
    var tries = 0;
    (function whenMathJaxIsDone() {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(schedule);
      } else if (tries++ < 120 && document.querySelector(".math")) {
        window.setTimeout(whenMathJaxIsDone, 250);
      }
    })();
  }

  /* ---- 3. search results ------------------------------------------------- */

  var SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε",
    zeta: "ζ", eta: "η", theta: "θ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ",
    nu: "ν", xi: "ξ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", phi: "φ",
    varphi: "φ", chi: "χ", psi: "ψ", omega: "ω", Gamma: "Γ", Delta: "Δ",
    Theta: "Θ", Lambda: "Λ", Pi: "Π", Sigma: "Σ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
    partial: "∂", nabla: "∇", infty: "∞", sum: "∑", prod: "∏", int: "∫",
    cdot: "·", cdots: "⋯", ldots: "…", dots: "…", times: "×", pm: "±", mp: "∓",
    le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈",
    equiv: "≡", sim: "∼", propto: "∝", to: "→", rightarrow: "→", leftarrow: "←",
    mapsto: "↦", Rightarrow: "⇒", iff: "⇔", in: "∈", notin: "∉", subset: "⊂",
    mathbb: "", top: "ᵀ", intercal: "ᵀ", odot: "⊙", otimes: "⊗", circ: "∘",
    ell: "ℓ", log: "log", ln: "ln", exp: "exp", max: "max", min: "min",
    arg: "arg", softmax: "softmax", lVert: "‖", rVert: "‖", Vert: "‖",
    lvert: "|", rvert: "|", mid: "|", langle: "⟨", rangle: "⟩", checkmark: "✓",
  };
  var SPACES = /\\(?:left|right|big|Big|bigg|Bigg)\b|\\[,;:! ]|\\q?quad\b|\\displaystyle\b|\\color\{[^{}]*\}/g;

  // A control word ends at the space after it: `\partial L` is ∂L, `\log x` is log x.
  function symbolFor(name, space) {
    if (!Object.prototype.hasOwnProperty.call(SYMBOLS, name)) return null;
    var symbol = SYMBOLS[name];
    return /^[A-Za-z]+$/.test(symbol) ? symbol + space : symbol;
  }

  // TeX outside math delimiters (the print header repeats a title's formula bare).
  function bareMacros(text) {
    return text.replace(/\\([A-Za-z]+)( ?)/g, function (whole, name, space) {
      return symbolFor(name, space) || whole;
    });
  }

  function texToText(tex) {
    var text = tex.replace(SPACES, " ");
    text = text.replace(/\\(?:mathrm|mathbf|mathit|mathsf|mathcal|mathbb|boldsymbol|operatorname|text|textrm|textbf|bm)\s*\{([^{}]*)\}/g, "$1");
    text = text.replace(/\\([A-Za-z]+)( ?)/g, function (whole, name, space) {
      return symbolFor(name, space) || name + space;
    });
    // \frac{a}{b} -> a/b, innermost first, for nested fractions.
    var frac = /(?:dfrac|tfrac|frac)\s*\{([^{}]*)\}\s*\{([^{}]*)\}/;
    var wrap = function (s) {
      s = s.trim();
      return /^[\w∂′−-]?[\w∂′]*$/.test(s) ? s : "(" + s + ")";
    };
    var script = /([_^])\{([^{}]*)\}/g;
    for (var i = 0; i < 10 && /[{}]/.test(text); i++) {
      text = text.replace(script, function (_, op, x) { return op + wrap(x); });
      text = text.replace(frac, function (_, a, b) { return wrap(a) + "/" + wrap(b); });
    }
    text = text.replace(/\\([{}_^%$#&|])/g, "$1").replace(/[{}]/g, "").replace(/&/g, " ");
    text = text.replace(/\\\\/g, "; ").replace(/-/g, "−");
    return text.replace(/\s+/g, " ").trim();
  }

  // Math in a summary: \( \), \[ \] or $$ $$; a summary window may cut a formula
  // at either end, so an unmatched delimiter runs to the edge of the text.
  function plainSearchText(text) {
    var out = "";
    var rest = text;
    var close = rest.search(/\\\)|\\\]/);
    var open = rest.search(/\\\(|\\\[/);
    if (close >= 0 && (open < 0 || close < open)) {
      out += texToText(rest.slice(0, close));
      rest = rest.slice(close + 2);
    }
    var math = /\\\(([\s\S]*?)(?:\\\)|$)|\\\[([\s\S]*?)(?:\\\]|$)|\$\$([\s\S]*?)(?:\$\$|$)/g;
    var last = 0;
    rest.replace(math, function (whole, a, b, c, at) {
      out += bareMacros(rest.slice(last, at));
      out += texToText(a !== undefined ? a : b !== undefined ? b : c);
      last = at + whole.length;
      return whole;
    });
    return out + bareMacros(rest.slice(last));
  }

  function cleanSearchResult(item) {
    item.querySelectorAll("span.math").forEach(function (span) {
      span.textContent = texToText(span.textContent.replace(/^\\\(|\\\)$/g, ""));
      span.classList.remove("math");
      span.classList.add("xent-search-math");
    });
    item.querySelectorAll("p.context").forEach(function (p) {
      if (p.dataset.xentPlain) return;
      p.dataset.xentPlain = "1";
      // A highlighted term splits the text into several nodes; each node is
      // converted on its own so the highlights stay.
      var walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
      var nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      if (nodes.length === 1) {
        nodes[0].textContent = plainSearchText(nodes[0].textContent);
      } else {
        nodes.forEach(function (node) {
          if (/\\[A-Za-z()[\]]|\$\$/.test(node.textContent)) {
            node.textContent = plainSearchText(node.textContent);
          }
        });
      }
    });
  }

  // The print edition's title block repeats the page title with its formula
  // as bare TeX, which MathJax does not typeset.
  function cleanPrintTitle() {
    document.querySelectorAll("#jb-print-docs-body h1").forEach(function (h1) {
      if (!h1.querySelector(".math")) h1.textContent = plainSearchText(h1.textContent);
    });
  }

  // Pages without formulas of their own (search, index) load no MathJax, but
  // their contents sidebar lists a chapter whose title is a formula.
  function plainMathWithoutMathJax() {
    if (document.querySelector("script[src*='mathjax' i], script[src*='tex-mml' i]")) return;
    document.querySelectorAll("span.math").forEach(function (span) {
      if (span.closest("#search-results")) return;
      span.textContent = plainSearchText(span.textContent);
      span.classList.remove("math");
      span.classList.add("xent-plain-math");
    });
  }

  function setUpSearchResults() {
    var results = document.getElementById("search-results");
    if (!results) return;
    var clean = function () {
      results.querySelectorAll("li").forEach(cleanSearchResult);
    };
    new MutationObserver(clean).observe(results, { childList: true, subtree: true });
    clean();
  }

  window.xentTexToText = plainSearchText;

  /* ---- 4. print ---------------------------------------------------------- */

  // A printed page cannot scroll: a formula wider than the printed column
  // (about 680 CSS px on A4 and Letter) is scaled down to fit instead.
  var PRINT_WIDTH = 680;
  var PRINT_SCALED = "mjx-container[display=\"true\"], .xent-derivation .xent-expr";

  function fitForPrint() {
    var column = document.querySelector(".bd-article");
    var width = Math.min(PRINT_WIDTH, column ? column.clientWidth : PRINT_WIDTH);
    document.querySelectorAll(PRINT_SCALED).forEach(function (box) {
      var natural = box.scrollWidth;
      if (natural > width) {
        box.style.zoom = String(width / natural);
        box.dataset.xentPrintZoom = "1";
      }
    });
  }

  function unfitAfterPrint() {
    document.querySelectorAll("[data-xent-print-zoom]").forEach(function (box) {
      box.style.zoom = "";
      delete box.dataset.xentPrintZoom;
    });
  }

  /* ---- 5. small things -------------------------------------------------- */

  // sphinx-exercise titles a solution "Solution to Exercise N (title)" with a
  // link back to the exercise; in a dropdown that bar is the button that opens
  // the solution, and a click on its link jumped away instead. The words stay,
  // as plain text of the bar.
  function solutionBarsOpenSolutions() {
    document.querySelectorAll(".solution.dropdown > .admonition-title a.reference").forEach(function (a) {
      var span = document.createElement("span");
      span.className = "xent-solution-of";
      while (a.firstChild) span.appendChild(a.firstChild);
      a.replaceWith(span);
    });
  }

  // The search field's label "Search" leaves out its visible shortcut hint, and
  // myst-nb names every "Show code cell source" line "Toggle hidden content"
  // (WCAG 2.5.3, label in name): their names come from their visible text.
  function namesFromVisibleText() {
    document.querySelectorAll(
      "button.search-button-field[aria-label], details.hide > summary[aria-label]"
    ).forEach(function (element) {
      element.removeAttribute("aria-label");
    });
  }

  // A cross-reference to a page whose title holds a formula carries the
  // formula's TeX as text (Sphinx takes the title as plain text): the link
  // reads "softmax: \partial L / \partial z" unless it is shown as symbols.
  function plainTexInLinks() {
    document.querySelectorAll(".bd-article a.reference, .prev-next-area a").forEach(function (a) {
      if (a.querySelector(".math, mjx-container")) return;
      var walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
      var node;
      while ((node = walker.nextNode())) {
        if (/\\[A-Za-z]+|\\[()[\]]/.test(node.textContent)) {
          node.textContent = plainSearchText(node.textContent);
        }
      }
    });
  }

  ready(function () {
    plainTexInLinks();
    solutionBarsOpenSolutions();
    namesFromVisibleText();
    setUpToggles();
    setUpScrollCues();
    setUpSearchResults();
    cleanPrintTitle();
    plainMathWithoutMathJax();
    window.addEventListener("beforeprint", fitForPrint);
    window.addEventListener("afterprint", unfitAfterPrint);
  });
})();
