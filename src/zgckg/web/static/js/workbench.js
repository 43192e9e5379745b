/* The query workbench (/query): the vendored YASGUI editor (Yasqe) and result views (Yasr) over this
 * server's /sparql, the analyst queries as examples, and two views of our own: a bar chart (Chart.js) and
 * a graph (Cytoscape.js). Nothing is fetched from anywhere but this server, and nothing needs an inline
 * script or style: what the page knows comes in the JSON data block #wb-data. */
(function () {
  "use strict";

  var dataBlock = document.getElementById("wb-data");
  if (!dataBlock || !window.Yasqe || !window.Yasr) return;
  var data = JSON.parse(dataBlock.textContent);
  var Yasqe = window.Yasqe, Yasr = window.Yasr;
  var zh = data.lang === "zh";
  function say(zhText, enText) { return zh ? zhText : enText; }

  // --- the content policy ------------------------------------------------------------------------------
  // Yasr's table adds its column resizer's rules as a <style> element, which the policy (style-src 'self')
  // refuses. The same rules are in workbench.css; the element is simply not added. Nothing else is touched.
  var head = document.head, appendToHead = head.appendChild;
  head.appendChild = function (node) {
    if (node instanceof HTMLStyleElement && node.gripid !== undefined) return node;
    return appendToHead.call(this, node);
  };

  // Yasqe's tooltip for a syntax error writes its text as HTML with style="" attributes, which the policy
  // refuses (and reports) too: while such a tooltip is made, its element drops them (workbench.css underlines).
  var innerHTML = Object.getOwnPropertyDescriptor(Element.prototype, "innerHTML");
  function withoutStyleAttributes(element) {
    Object.defineProperty(element, "innerHTML", {
      configurable: true,
      get: function () { return innerHTML.get.call(this); },
      set: function (html) { innerHTML.set.call(this, String(html).replace(/\sstyle=(['"])[^'"]*\1/g, "")); },
    });
    return element;
  }
  document.addEventListener("mouseover", function (event) {
    var icon = event.target.closest && event.target.closest(".parseErrorIcon");
    if (!icon || icon.wbSafe || typeof icon.onmouseover !== "function") return;
    var show = icon.onmouseover;
    icon.wbSafe = true;
    icon.onmouseover = function () {
      var create = document.createElement;
      document.createElement = function () { return withoutStyleAttributes(create.apply(document, arguments)); };
      try { return show.apply(this, arguments); } finally { document.createElement = create; }
    };
  }, true);

  // --- query text --------------------------------------------------------------------------------------
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte"].map(function (name) { return XSD + name; });
  var IRI_AT = /^<[^<>"{}|^`\\\u0000-\u0020]*>/;

  function prologue() {
    return Object.keys(data.prefixes).map(function (p) {
      return "PREFIX " + p + ": <" + data.prefixes[p] + ">";
    }).join("\n") + "\n";
  }

  var STARTER = prologue() + "\n" +
    "SELECT ?class (COUNT(?instance) AS ?instances) WHERE {\n  ?instance a ?class .\n}\n" +
    "GROUP BY ?class\nORDER BY DESC(?instances)\nLIMIT 20\n";

  /* Where the query's WHERE group opens: the first "{" outside comments, strings and IRIs. */
  function openingBrace(text) {
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (c === "#") {
        var end = text.indexOf("\n", i);
        if (end < 0) return -1;
        i = end;
      } else if (c === '"' || c === "'") {
        for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
      } else if (c === "<") {
        var iri = IRI_AT.exec(text.slice(i));
        if (iri) i += iri[0].length - 1;
      } else if (c === "{") {
        return i;
      }
    }
    return -1;
  }

  /* An analyst query with its parameters bound to their defaults, as the command line binds them: a VALUES
   * row at the start of the WHERE group, which the reader may change. */
  function bound(text, params) {
    var names = Object.keys(params || {});
    var at = openingBrace(text);
    if (!names.length || at < 0) return text;
    var rows = names.map(function (name) {
      return "  VALUES ?" + name + " { <" + params[name] + "> }  # " + say("参数（默认值）", "parameter (its default)");
    });
    return text.slice(0, at + 1) + "\n" + rows.join("\n") + text.slice(at + 1);
  }

  function shorten(iri) {
    var best = null;
    Object.keys(data.prefixes).forEach(function (p) {
      var ns = data.prefixes[p];
      if (iri.indexOf(ns) === 0 && iri.length > ns.length && (!best || ns.length > data.prefixes[best].length)) best = p;
    });
    return best ? best + ":" + iri.slice(data.prefixes[best].length) : iri;
  }

  function termLabel(term) {
    if (!term) return "";
    if (term.type === "uri") return shorten(term.value);
    if (term.type === "bnode") return "_:" + term.value;
    return term.value;
  }

  function isNumeric(term) {
    return !!term && (term.type === "literal" || term.type === "typed-literal") &&
      NUMERIC.indexOf(term.datatype) >= 0 && isFinite(parseFloat(term.value));
  }

  function clip(text, length) { return text.length > length ? text.slice(0, length - 1) + "…" : text; }

  // --- the chart view ----------------------------------------------------------------------------------
  /* The first numeric column of a SELECT answer, and the first column that is not numeric as its labels. */
  function chartColumns(results) {
    var vars = results.getVariables() || [], rows = results.getBindings() || [];
    if (!rows.length) return null;
    var values = [], label = null;
    vars.forEach(function (v) {
      var numeric = rows.some(function (r) { return isNumeric(r[v]); }) &&
        rows.every(function (r) { return !r[v] || isNumeric(r[v]); });
      if (numeric) values.push(v);
      if (!numeric && label === null && rows.some(function (r) { return r[v]; })) label = v;
    });
    return values.length ? { value: values[0], values: values, label: label } : null;
  }

  function ChartPlugin(yasr) {
    this.yasr = yasr;
    this.priority = 5;
    this.label = say("图表", "Chart");
    this.chart = null;
  }
  ChartPlugin.prototype.canHandleResults = function () {
    var r = this.yasr.results;
    return !!(window.Chart && r && r.getBindings() && chartColumns(r));
  };
  ChartPlugin.prototype.getIcon = function () { return icon("▥"); };
  ChartPlugin.prototype.destroy = function () { if (this.chart) this.chart.destroy(); this.chart = null; };
  ChartPlugin.prototype.draw = function () {
    this.destroy();
    var plugin = this, results = this.yasr.results, columns = chartColumns(results), rows = results.getBindings();
    if (columns.values.indexOf(this.column) >= 0) columns.value = this.column;
    var shown = rows.filter(function (r) { return isNumeric(r[columns.value]); }).slice(0, 200);
    var box = document.createElement("div");
    box.className = "wb-chart";
    var caption = document.createElement("p");
    caption.className = "wb-view-caption";
    caption.textContent = "?" + columns.value + (columns.label ? say(" 按 ?", " by ?") + columns.label : "") +
      (shown.length < rows.length ? say("（前 " + shown.length + " 行）", " (first " + shown.length + " rows)") : "");
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", caption.textContent);
    box.appendChild(caption);
    if (columns.values.length > 1) {  // which numeric column to draw: the first unless the reader picks another
      var picker = document.createElement("select");
      picker.className = "wb-chart-column";
      picker.setAttribute("aria-label", say("数值列", "numeric column"));
      columns.values.forEach(function (v) {
        var option = document.createElement("option");
        option.value = v;
        option.textContent = "?" + v;
        option.selected = v === columns.value;
        picker.appendChild(option);
      });
      picker.addEventListener("change", function () { plugin.column = picker.value; plugin.yasr.draw(); });
      caption.appendChild(document.createTextNode(" "));
      caption.appendChild(picker);
    }
    box.appendChild(canvas);
    this.yasr.resultsEl.appendChild(box);
    var labels = shown.map(function (r, i) { return columns.label ? clip(termLabel(r[columns.label]), 40) : String(i + 1); });
    this.chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ label: "?" + columns.value, data: shown.map(function (r) { return parseFloat(r[columns.value].value); }),
          backgroundColor: "rgba(11, 92, 173, 0.7)", borderColor: "#0b5cad", borderWidth: 1 }],
      },
      options: {
        animation: false, maintainAspectRatio: false, indexAxis: shown.length > 12 ? "y" : "x",
        plugins: { legend: { display: false } },
      },
    });
    if (shown.length > 12) box.classList.add("wb-chart-tall");
    this.chart.resize();
  };

  // --- the graph view ----------------------------------------------------------------------------------
  /* The triples of an answer: a CONSTRUCT or DESCRIBE (read by Yasr as ?subject ?predicate ?object), or a
   * SELECT of ?s ?p ?o. */
  function tripleColumns(results) {
    var vars = results.getVariables() || [];
    var names = [["subject", "predicate", "object"], ["s", "p", "o"]];
    for (var i = 0; i < names.length; i++) {
      if (names[i].every(function (v) { return vars.indexOf(v) >= 0; })) return names[i];
    }
    return null;
  }

  var MAX_TRIPLES = 500;

  function GraphPlugin(yasr) {
    this.yasr = yasr;
    this.priority = 4;
    this.label = say("关系图", "Graph");
    this.cy = null;
  }
  GraphPlugin.prototype.canHandleResults = function () {
    var r = this.yasr.results;
    return !!(window.cytoscape && r && r.getBindings() && r.getBindings().length && tripleColumns(r));
  };
  GraphPlugin.prototype.getIcon = function () { return icon("⋈"); };
  GraphPlugin.prototype.destroy = function () { if (this.cy) this.cy.destroy(); this.cy = null; };
  GraphPlugin.prototype.draw = function () {
    this.destroy();
    var results = this.yasr.results, cols = tripleColumns(results);
    var rows = results.getBindings().filter(function (r) { return r[cols[0]] && r[cols[1]] && r[cols[2]]; });
    var shown = rows.slice(0, MAX_TRIPLES), nodes = {}, elements = [];
    function node(term) {
      var id = term.type === "uri" ? "<" + term.value + ">" : term.type === "bnode" ? "_:" + term.value
        : JSON.stringify([term.value, term["xml:lang"] || "", term.datatype || ""]);
      if (!nodes[id]) {
        nodes[id] = "n" + Object.keys(nodes).length;
        elements.push({ group: "nodes", data: { id: nodes[id], label: clip(termLabel(term), 40), iri: term.type === "uri" ? term.value : "" },
          classes: term.type === "uri" ? "iri" : term.type === "bnode" ? "bnode" : "literal" });
      }
      return nodes[id];
    }
    shown.forEach(function (r, i) {
      elements.push({ group: "edges", data: { id: "e" + i, source: node(r[cols[0]]), target: node(r[cols[2]]),
        label: termLabel(r[cols[1]]) } });
    });
    var box = document.createElement("div");
    box.className = "wb-graph-box";
    var caption = document.createElement("p");
    caption.className = "wb-view-caption";
    caption.textContent = say(Object.keys(nodes).length + " 个节点，" + shown.length + " 条边",
      Object.keys(nodes).length + " nodes, " + shown.length + " edges") +
      (shown.length < rows.length ? say("（共 " + rows.length + " 个三元组，只画前 " + MAX_TRIPLES + " 个）",
        " (of " + rows.length + " triples, the first " + MAX_TRIPLES + " drawn)") : "");
    var canvasBox = document.createElement("div");
    canvasBox.className = "wb-graph";
    box.appendChild(caption);
    box.appendChild(canvasBox);
    this.yasr.resultsEl.appendChild(box);
    this.cy = window.cytoscape({
      container: canvasBox,
      elements: elements,
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3,
          "background-color": "#0b5cad", "width": 14, "height": 14, "color": "#1d232a", "text-wrap": "ellipsis",
          "text-max-width": 160 } },
        { selector: "node.literal", style: { "shape": "round-rectangle", "background-color": "#ffe58a",
          "border-color": "#8a4b00", "border-width": 1 } },
        { selector: "node.bnode", style: { "background-color": "#5b6670" } },
        { selector: "edge", style: { "label": "data(label)", "font-size": 8, "curve-style": "bezier",
          "target-arrow-shape": "triangle", "width": 1, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1",
          "color": "#5b6670", "text-rotation": "autorotate", "text-background-color": "#fff",
          "text-background-opacity": 0.8 } },
      ],
      layout: { name: elements.length > 400 ? "circle" : "cose", animate: false, nodeDimensionsIncludeLabels: true },
    });
    this.cy.on("tap", "node", function (event) {
      var iri = event.target.data("iri");
      if (iri && iri.indexOf(data.iriBase) === 0) window.location.href = "/" + encodeURI(iri.slice(data.iriBase.length));
    });
  };

  function icon(symbol) {
    var span = document.createElement("span");
    span.className = "wb-plugin-icon";
    span.setAttribute("aria-hidden", "true");
    span.textContent = symbol;
    return span;
  }

  Yasr.registerPlugin("chart", ChartPlugin);
  Yasr.registerPlugin("graph", GraphPlugin);

  // --- the editor and the results ----------------------------------------------------------------------
  // Only completions that need nothing from the network: prefixes and variables (the class and property
  // completers ask Linked Open Vocabularies).
  Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var form = document.getElementById("wb-form"), textarea = document.getElementById("wb-text");
  var given = textarea.value;
  form.hidden = true;

  var yasqe = new Yasqe(document.getElementById("wb-editor"), {
    value: given || STARTER,
    persistenceId: null,          // the page, its link or the chosen example says what is in the editor
    consumeShareLink: null,
    createShareableLink: null,    // the page's own share link below the editor
    editorHeight: "320px",
    requestConfig: {
      endpoint: data.endpoint, method: "POST",
      acceptHeaderSelect: "application/sparql-results+json", acceptHeaderGraph: "text/turtle",
    },
  });
  var yasr = new Yasr(document.getElementById("wb-results"), {
    persistenceId: null,
    prefixes: data.prefixes,
    pluginOrder: ["table", "chart", "graph", "response"],
    defaultPlugin: "table",
  });
  yasqe.on("queryResponse", function (_editor, response, duration) { yasr.setResponse(response, duration); });

  var share = document.getElementById("wb-share");
  function updateShareLink() { share.href = "/query?query=" + encodeURIComponent(yasqe.getValue()); }
  yasqe.on("change", updateShareLink);
  updateShareLink();

  function run() { return yasqe.query().catch(function () { /* Yasr shows the error */ }); }

  var select = document.getElementById("wb-example"), question = document.getElementById("wb-question");
  function load(name) {
    var example = data.examples[name];
    if (!example) return;
    select.value = name;
    var option = select.options[select.selectedIndex];
    question.textContent = option ? option.title : "";
    yasqe.setValue(bound(example.text, example.params));
    yasqe.scrollTo(0, 0);
    updateShareLink();
  }
  select.addEventListener("change", function () { if (select.value) load(select.value); });
  Array.prototype.forEach.call(document.querySelectorAll("button.wb-load[data-example]"), function (button) {
    button.addEventListener("click", function () {
      load(button.getAttribute("data-example"));
      document.getElementById("wb-editor").scrollIntoView();
    });
  });

  window.workbench = { yasqe: yasqe, yasr: yasr, load: load, run: run, bound: bound };
  if (given) run();
})();
