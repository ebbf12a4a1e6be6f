/* "Your turn" exercises on the static site: the reader types the final formula, the page
 * checks it against the book's result at the random points the exercise carries.
 *
 * Each exercise is a <div class="xent-yourturn"> written by xentlib.yourturn.static,
 * with its data in <script type="application/json" class="xent-yourturn-data">: the
 * names the formula may use, the points, the book's value at each point (computed by
 * SymPy when the notebook ran), the typical mistakes' values and hints, and points where
 * the formula must stay finite (no overflow, no underflow of a term that matters).
 * math.js (yourturn-mathjs.min.js, 153 kB, fetched when the reader first uses a form)
 * parses the formula and typesets it back ("read as"); the evaluator below computes it
 * in double precision,
 * with vectors and matrices indexed from 1 as in the book. Agreement at every point is
 * reported as what it is, a test, not a proof.
 */
(function () {
  "use strict";

  var OPERATORS = {
    add: function (x, y) { return x + y; },
    subtract: function (x, y) { return x - y; },
    multiply: function (x, y) { return x * y; },
    divide: function (x, y) { return x / y; },
    pow: function (x, y) { return Math.pow(x, y); },
    unaryMinus: function (x) { return -x; },
    unaryPlus: function (x) { return x; },
  };
  var FUNCTIONS = {
    exp: [1, Math.exp],
    log: [1, Math.log],
    sqrt: [1, Math.sqrt],
    abs: [1, Math.abs],
    max: [2, Math.max],
    min: [2, Math.min],
    sigma: [1, function (x) { return 1 / (1 + Math.exp(-x)); }],
    delta: [2, function (i, j) { return i === j ? 1 : 0; }],
  };
  var CONSTANTS = { pi: Math.PI };
  var TEX_NAMES = { theta: "\\theta", pi: "\\pi" };

  function ReadError(message) { this.message = message; }

  // The parser is loaded from beside this script, once, when a reader first focuses a
  // form or checks an answer: a page that is only read does not download it.
  var MATHJS_URL = new URL("yourturn-mathjs.min.js", document.currentScript.src).href;
  var mathLoading = null;
  function loadMath() {
    if (window.xentMath) return Promise.resolve();
    if (mathLoading === null) {
      mathLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = MATHJS_URL;
        tag.onload = function () { window.xentMath ? resolve() : reject(new Error("no parser")); };
        tag.onerror = function () { mathLoading = null; reject(new Error("not loaded")); };
        document.head.appendChild(tag);
      });
    }
    return mathLoading;
  }

  // ---- reading: brackets, then math.js's parser, then every node checked -------------

  function bracketProblem(text) {
    var pairs = { "(": ")", "[": "]" }, stack = [];
    for (var pos = 0; pos < text.length; pos++) {
      var ch = text[pos];
      if (ch === "(" || ch === "[") stack.push([ch, pos]);
      else if (ch === ")" || ch === "]") {
        if (!stack.length) return "the '" + ch + "' at position " + (pos + 1) + " closes a bracket that was never opened";
        var top = stack.pop();
        if (pairs[top[0]] !== ch) {
          return "the '" + top[0] + "' at position " + (top[1] + 1) + " is closed by '" + ch +
            "' at position " + (pos + 1) + "; it needs '" + pairs[top[0]] + "'";
        }
      }
    }
    if (stack.length) {
      var open = stack[stack.length - 1];
      return "the '" + open[0] + "' at position " + (open[1] + 1) + " is never closed";
    }
    return null;
  }

  function listNames(data) {
    return Object.keys(data.names).concat(data.functions).sort().join(", ");
  }

  function checkNode(node, data, bound) {
    var t = node.type;
    if (t === "ConstantNode") {
      if (typeof node.value !== "number") throw new ReadError("only numbers may appear as constants, not '" + node.toString() + "'");
      return;
    }
    if (t === "ParenthesisNode") return checkNode(node.content, data, bound);
    if (t === "SymbolNode") {
      var kind = data.names[node.name];
      if (CONSTANTS[node.name] !== undefined) return;
      if (kind === undefined) {
        if (FUNCTIONS[node.name] || node.name === "Sum") throw new ReadError("'" + node.name + "' is a function: write " + node.name + "(...)");
        throw new ReadError("unknown name '" + node.name + "': this exercise knows " + listNames(data));
      }
      if (kind === "array") throw new ReadError("'" + node.name + "' is a vector or matrix: write one entry, e.g. " + node.name + (data.axes[node.name] === 2 ? "[i, j]" : "[i]"));
      if (kind === "bound" && !bound[node.name]) throw new ReadError("'" + node.name + "' is the index of a sum: use it inside Sum(..., " + node.name + ", 1, ...)");
      if (kind === "absent") throw new ReadError("the book's result does not depend on '" + node.name + "': the final formula should not either");
      return;
    }
    if (t === "OperatorNode") {
      if (node.implicit) throw new ReadError("'" + node.toString() + "': write * between factors");
      if (!OPERATORS[node.fn]) throw new ReadError("'" + node.op + "' is not an operation a formula may use (use + - * / ^ and brackets)");
      node.args.forEach(function (a) { checkNode(a, data, bound); });
      return;
    }
    if (t === "FunctionNode") {
      var name = node.fn && node.fn.name;
      if (name === "Sum") {
        if (node.args.length !== 4 || node.args[1].type !== "SymbolNode" || data.names[node.args[1].name] !== "bound") {
          throw new ReadError("write a sum as Sum(term, k, 1, C): the term, the index, its first and last value");
        }
        var inner = Object.assign({}, bound);
        inner[node.args[1].name] = true;
        checkNode(node.args[0], data, inner);
        checkNode(node.args[2], data, bound);
        checkNode(node.args[3], data, bound);
        return;
      }
      var f = FUNCTIONS[name];
      if (!f) throw new ReadError("unknown function '" + (name || node.fn.toString()) + "': this exercise knows " + data.functions.join(", "));
      if (node.args.length !== f[0]) throw new ReadError(name + " takes " + f[0] + " argument" + (f[0] > 1 ? "s" : "") + ", e.g. " + (f[0] > 1 ? name + "(i, j)" : name + "(z)"));
      node.args.forEach(function (a) { checkNode(a, data, bound); });
      return;
    }
    if (t === "AccessorNode") {
      var obj = node.object;
      if (obj.type !== "SymbolNode" || data.names[obj.name] !== "array") {
        throw new ReadError("only a vector or matrix can be indexed, e.g. a[i]; '" + obj.toString() + "' is not one");
      }
      var dims = node.index.dimensions;
      if (dims.length !== data.axes[obj.name]) {
        throw new ReadError("'" + obj.name + "' has " + data.axes[obj.name] + " ind" + (data.axes[obj.name] > 1 ? "ices" : "ex") + ", e.g. " + obj.name + (data.axes[obj.name] === 2 ? "[i, j]" : "[i]"));
      }
      dims.forEach(function (d) { checkNode(d, data, bound); });
      return;
    }
    var what = { AssignmentNode: "an assignment '='", FunctionAssignmentNode: "a function definition",
      ConditionalNode: "a condition '? :'", RelationalNode: "a comparison", ArrayNode: "a list [...]",
      BlockNode: "several expressions", RangeNode: "a range ':'", ObjectNode: "an object" }[t];
    throw new ReadError((what || "'" + node.toString() + "'") + " is not part of a formula");
  }

  function read(text, data) {
    var trimmed = text.trim();
    if (!trimmed) throw new ReadError("the field is empty: type your formula first");
    if (/__|[;'"`\\$@#!&|~?{}=<>:]/.test(trimmed)) {
      var bad = trimmed.match(/__|[;'"`\\$@#!&|~?{}=<>:]/)[0];
      throw new ReadError("'" + bad + "' is not part of a formula");
    }
    if (/^\s*(import|from|lambda|exec|eval)\b/.test(trimmed)) {
      throw new ReadError("'" + trimmed.split(/\s/)[0] + "' is a Python keyword, not part of a formula");
    }
    var problem = bracketProblem(trimmed);
    if (problem) throw new ReadError(problem);
    var node;
    try {
      node = window.xentMath.parse(trimmed.replace(/\*\*/g, "^"));
    } catch (e) {
      throw new ReadError("could not read the formula (" + e.message.replace(/\s*\(char \d+\)/, "") + ")");
    }
    checkNode(node, data, {});
    return node;
  }

  // ---- evaluating in double precision ------------------------------------------------

  function evaluate(node, scope) {
    switch (node.type) {
      case "ConstantNode": return node.value;
      case "ParenthesisNode": return evaluate(node.content, scope);
      case "SymbolNode":
        if (CONSTANTS[node.name] !== undefined) return CONSTANTS[node.name];
        return scope[node.name];
      case "OperatorNode":
        return OPERATORS[node.fn].apply(null, node.args.map(function (a) { return evaluate(a, scope); }));
      case "AccessorNode": {
        var value = scope[node.object.name];
        var dims = node.index.dimensions;
        for (var d = 0; d < dims.length; d++) {
          var i = evaluate(dims[d], scope);
          if (!Array.isArray(value) || i !== Math.round(i) || i < 1 || i > value.length) return NaN;
          value = value[i - 1];
        }
        return typeof value === "number" ? value : NaN;
      }
      case "FunctionNode": {
        if (node.fn.name === "Sum") {
          var index = node.args[1].name;
          var lo = evaluate(node.args[2], scope), hi = evaluate(node.args[3], scope);
          if (lo !== Math.round(lo) || hi !== Math.round(hi)) return NaN;
          var inner = Object.assign({}, scope), total = 0;
          for (var k = lo; k <= hi; k++) { inner[index] = k; total += evaluate(node.args[0], inner); }
          return total;
        }
        return FUNCTIONS[node.fn.name][1].apply(null, node.args.map(function (a) { return evaluate(a, scope); }));
      }
    }
    return NaN;
  }

  function agree(mine, book, rtol) {
    if (book === null) return mine === null || !isFinite(mine);
    return isFinite(mine) && Math.abs(mine - book) <= rtol * Math.max(1, Math.abs(book));
  }

  // ---- showing -------------------------------------------------------------------------

  function fmt(v) {
    if (v === null || !isFinite(v)) return "undefined";
    if (v === Math.round(v) && Math.abs(v) < 1e6) return String(v);
    return String(Number(v.toPrecision(4)));
  }

  function fmtPair(mine, book) {
    var digits = [4, 7, 10, 13, 17];
    for (var n = 0; n < digits.length; n++) {
      var a = isFinite(mine) ? String(Number(mine.toPrecision(digits[n]))) : "undefined";
      var b = book !== null ? String(Number(book.toPrecision(digits[n]))) : "undefined";
      if (a !== b) return [a, b];
    }
    return [String(mine), String(book)];
  }

  function fmtPoint(point) {
    return Object.keys(point).map(function (k) {
      var v = point[k];
      var shown = Array.isArray(v)
        ? "(" + v.map(function (x) { return Array.isArray(x) ? "(" + x.map(fmt).join(", ") + ")" : fmt(x); }).join(", ") + ")"
        : fmt(v);
      return k + " = " + shown;
    }).join(", ");
  }

  function texOf(node) {
    return node.toTex({
      parenthesis: "keep",
      handler: function (n) {
        if (n.type === "FunctionNode" && n.fn.name === "delta") {
          return "\\delta_{" + n.args[0].toTex() + n.args[1].toTex() + "}";
        }
        if (n.type === "FunctionNode" && n.fn.name === "sigma") {
          return "\\sigma\\left(" + n.args[0].toTex() + "\\right)";
        }
        if (n.type === "FunctionNode" && n.fn.name === "Sum") {
          return "\\sum_{" + n.args[1].toTex() + "=" + n.args[2].toTex() + "}^{" + n.args[3].toTex() +
            "}\\left(" + n.args[0].toTex() + "\\right)";
        }
        if (n.type === "SymbolNode" && TEX_NAMES[n.name]) return TEX_NAMES[n.name];
        return undefined;
      },
    });
  }

  function typeset(el) {
    if (window.MathJax && window.MathJax.typesetPromise) {
      window.MathJax.typesetPromise([el]).catch(function () {});
    }
  }

  function show(el, html, state) {
    el.innerHTML = html;
    el.className = el.className.replace(/\s*xent-yourturn-(right|wrong|error)/g, "") +
      (state ? " xent-yourturn-" + state : "");
    typeset(el);
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  // ---- one exercise ------------------------------------------------------------------

  function judge(node, data) {
    var n = data.points.length, mine = new Array(n);
    for (var p = 0; p < n; p++) {
      var v = evaluate(node, data.points[p]);
      mine[p] = isFinite(v) ? v : null;
    }
    // Of the points where the formula differs, the reader is shown the shortest to read.
    var shown = -1, shortest = Infinity;
    for (p = 0; p < n; p++) {
      if (data.reference[p] !== null && !agree(mine[p], data.reference[p], data.rtol)) {
        var length = JSON.stringify(data.points[p]).length;
        if (length < shortest) { shown = p; shortest = length; }
      }
    }
    if (shown >= 0) {
      var hint = null;
      data.mistakes.forEach(function (m) {
        if (hint === null && mine.every(function (x, q) { return agree(x, m.values[q], data.rtol); })) hint = m.hint;
      });
      return { ok: false, point: data.points[shown], mine: mine[shown], book: data.reference[shown], hint: hint };
    }
    for (var s = 0; s < data.stable.length; s++) {
      var w = evaluate(node, data.stable[s]);
      if (!isFinite(w)) return { ok: false, overflow: data.stable[s], mine: w };
    }
    var tested = data.reference.filter(function (r) { return r !== null; }).length;
    return { ok: true, tested: tested };
  }

  function setUp(root) {
    var script = root.querySelector("script.xent-yourturn-data");
    var form = root.querySelector(".xent-yourturn-static");
    if (!script || !form) return;
    var data = JSON.parse(script.textContent);
    var input = form.querySelector(".xent-yourturn-input");
    var button = form.querySelector(".xent-yourturn-check");
    var echo = form.querySelector(".xent-yourturn-echo");
    var result = form.querySelector(".xent-yourturn-result");
    form.hidden = false;

    function check() {
      loadMath().then(judgeAnswer, function () {
        show(echo, "", null);
        show(result, "The formula reader (yourturn-mathjs.min.js) could not be loaded: " +
          "check the connection and try again.", "error");
      });
    }

    function judgeAnswer() {
      var node;
      try {
        node = read(input.value, data);
      } catch (e) {
        if (!(e instanceof ReadError)) throw e;
        show(echo, "", null);
        show(result, "Not read: " + escapeHtml(e.message) + ".", "error");
        return;
      }
      show(echo, 'read as <span class="math notranslate nohighlight">\\(\\displaystyle ' +
        escapeHtml(texOf(node)) + "\\)</span>", null);
      var v = judge(node, data);
      if (v.ok) {
        show(result, "✓ Agrees with the book's result at all " + v.tested +
          " random points: tested, not proved. The stepwise version in Jupyter checks each line with SymPy.", "right");
      } else if (v.overflow) {
        show(result, "✗ Equal to the book's result at every point, but it is not finite in floating point " +
          "(overflow or underflow) at " + escapeHtml(fmtPoint(v.overflow)) + " (yours gives " + fmt(v.mine) +
          "): find a form that stays within the range of double precision, one that never " +
          "exponentiates a large positive number and whose terms that matter never round to 0.", "wrong");
      } else {
        var pair = fmtPair(v.mine, v.book);
        show(result, "✗ Differs at " + escapeHtml(fmtPoint(v.point)) + ": yours is " + pair[0] +
          ", the book's result is " + pair[1] + "." +
          (v.hint ? '<div class="xent-yourturn-hint">Hint: ' + v.hint + ".</div>" : ""), "wrong");
      }
    }

    input.addEventListener("focus", function () { loadMath().catch(function () {}); });
    button.addEventListener("click", check);
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); check(); } });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".xent-yourturn"), setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
