// The graph view: a resource's neighbours (or a ready-made view) drawn with Cytoscape.js; a click on a
// node opens its relations, a click or hover on an edge shows the report's sentence behind it. Data comes
// from /api/neighbourhood and /api/views; everything shown is set as text, never as HTML.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("explore-config").textContent);
  let lang = config.lang || "zh";
  const palette = ["#0b5cad", "#c77700", "#2e7d32", "#8e24aa", "#c62828", "#00838f", "#6d4c41", "#5d6d7e",
                   "#ad1457", "#827717"];
  const colours = new Map();
  const expanded = new Set();
  const hidden = { kinds: new Set(["inferred"]), relations: new Set() };
  const details = document.getElementById("details");

  const cy = cytoscape({
    container: document.getElementById("graph"),
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", label: "data(label)", "font-size": 10, "text-wrap": "wrap",
        "text-max-width": 110, "text-valign": "bottom", "text-margin-y": 4, width: 18, height: 18 } },
      { selector: "node.start", style: { width: 28, height: 28, "border-width": 3, "border-color": "#1d232a" } },
      { selector: "edge", style: {
        width: 1.5, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1", "target-arrow-shape": "triangle",
        "curve-style": "bezier", label: "data(label)", "font-size": 9, color: "#5b6670",
        "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: "edge.curated", style: { "line-style": "dashed", "line-color": "#8a4b00", "target-arrow-color": "#8a4b00" } },
      { selector: "edge.inferred", style: { "line-style": "dotted", "line-color": "#b0b7bf" } },
      { selector: ":selected", style: { "overlay-color": "#ffe58a", "overlay-opacity": 0.5 } },
      { selector: ".filtered", style: { display: "none" } },
    ],
  });

  function pick(labels, fallback) {
    labels = labels || {};
    return labels[lang] || labels.zh || labels.en || fallback || "";
  }

  function shortName(iri) {
    return iri.replace(/^.*[/#]/, "");
  }

  function colourOf(cls) {
    const key = cls || "";
    if (!colours.has(key)) colours.set(key, palette[colours.size % palette.length]);
    return colours.get(key);
  }

  function kindOf(edge) {
    return edge.inferred ? "inferred" : edge.curated ? "curated" : "asserted";
  }

  function merge(data) {
    cy.batch(function () {
      for (const node of data.nodes) {
        if (cy.getElementById(node.iri).nonempty()) continue;
        cy.add({ group: "nodes", data: {
          id: node.iri, labels: node.labels, path: node.path, cls: node.class, classLabels: node.classLabels,
          colour: colourOf(node.class), label: pick(node.labels, shortName(node.iri)) } });
      }
      for (const edge of data.edges) {
        const id = edge.subject + " " + edge.predicate + " " + edge.object;
        if (cy.getElementById(id).nonempty()) continue;
        for (const end of [edge.subject, edge.object]) {
          if (cy.getElementById(end).empty()) {
            const labels = end === edge.subject ? edge.labels.subject : edge.labels.object;
            cy.add({ group: "nodes", data: { id: end, labels: labels, colour: colourOf(null),
                                              label: pick(labels, shortName(end)) } });
          }
        }
        cy.add({ group: "edges", classes: kindOf(edge), data: {
          id: id, source: edge.subject, target: edge.object, predicate: edge.predicate, edge: edge,
          kind: kindOf(edge), label: pick(edge.labels.predicate, shortName(edge.predicate)) } });
      }
    });
    refreshRelations();
    refreshLegend();
    applyFilters();
    cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: function () { return 600000; },
                idealEdgeLength: function () { return 110; }, nodeOverlap: 40, gravity: 0.2, numIter: 2500,
                componentSpacing: 120, padding: 30 }).run();
  }

  function load(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    }).then(merge).catch(function (error) { show([text("p", String(error.message))]); });
  }

  function expand(iri) {
    if (expanded.has(iri)) return Promise.resolve();
    expanded.add(iri);
    return load("/api/neighbourhood?inferred=true&iri=" + encodeURIComponent(iri));
  }

  function text(tag, value, className) {
    const element = document.createElement(tag);
    element.textContent = value;
    if (className) element.className = className;
    return element;
  }

  function link(href, value) {
    const a = text("a", value);
    a.href = href;
    return a;
  }

  function show(children) {
    details.replaceChildren.apply(details, children);
  }

  function showNode(node) {
    const parts = [text("h3", node.data("label"))];
    if (node.data("classLabels")) parts.push(text("p", pick(node.data("classLabels")), "muted"));
    if (node.data("path")) parts.push(link(node.data("path"), lang === "zh" ? "条目页面" : "entity page"));
    show(parts);
  }

  function showEdge(element) {
    const edge = element.data("edge");
    const parts = [text("h3", pick(edge.labels.subject, shortName(edge.subject)) + " — " +
      pick(edge.labels.predicate, shortName(edge.predicate)) + " → " + pick(edge.labels.object, shortName(edge.object)))];
    if (edge.inferred) parts.push(text("span", lang === "zh" ? "推理所得" : "inferred", "badge inferred"));
    if (edge.curated) parts.push(text("span", lang === "zh" ? "编者补充" : "curated", "badge curated"));
    const note = pick(edge.notes);
    if (note) parts.push(text("p", note, "muted"));
    for (const quote of edge.evidence) {
      const block = document.createElement("blockquote");
      block.lang = "zh";
      const at = quote.start - quote.sentenceStart;
      block.append(quote.sentenceText.slice(0, at), text("mark", quote.quote),
                   quote.sentenceText.slice(at + quote.quote.length));
      parts.push(block, link("/source/sentence/" + encodeURIComponent(quote.sentence),
                             (lang === "zh" ? "原句 " : "sentence ") + quote.sentence));
    }
    if (!edge.evidence.length && !edge.curated && !edge.inferred) {
      parts.push(text("p", lang === "zh" ? "没有证据记录。" : "No evidence recorded.", "muted"));
    }
    show(parts);
  }

  function refreshRelations() {
    const box = document.getElementById("relations");
    const present = new Map();
    cy.edges().forEach(function (e) {
      present.set(e.data("predicate"), pick(e.data("edge").labels.predicate, shortName(e.data("predicate"))));
    });
    const legend = box.querySelector("legend");
    const rows = Array.from(present.entries()).sort(function (a, b) { return a[1].localeCompare(b[1]); })
      .map(function (entry) {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = entry[0];
        box.checked = !hidden.relations.has(entry[0]);
        label.append(box, " " + entry[1]);
        return label;
      });
    box.replaceChildren(legend, ...rows);
  }

  function refreshLegend() {
    const box = document.getElementById("legend");
    const seen = new Map();
    cy.nodes().forEach(function (n) {
      const key = n.data("cls") || "";
      if (!seen.has(key)) seen.set(key, pick(n.data("classLabels"), key ? shortName(key) : "—"));
    });
    const rows = Array.from(seen.entries()).map(function (entry) {
      const row = document.createElement("div");
      const swatch = text("span", "", "swatch");
      swatch.style.backgroundColor = colourOf(entry[0] || null);  // CSSOM, which the content policy allows
      row.append(swatch, " " + entry[1]);
      return row;
    });
    box.replaceChildren(box.querySelector("legend"), ...rows);
  }

  function applyFilters() {
    cy.batch(function () {
      cy.edges().forEach(function (e) {
        const off = hidden.kinds.has(e.data("kind")) || hidden.relations.has(e.data("predicate"));
        e.toggleClass("filtered", off);
      });
      cy.nodes().forEach(function (n) {
        const start = n.hasClass("start");
        const visible = n.connectedEdges().filter(function (e) { return !e.hasClass("filtered"); });
        n.toggleClass("filtered", !start && n.connectedEdges().nonempty() && visible.empty());
      });
    });
  }

  function relabel() {
    cy.batch(function () {
      cy.nodes().forEach(function (n) { n.data("label", pick(n.data("labels"), shortName(n.id()))); });
      cy.edges().forEach(function (e) {
        e.data("label", pick(e.data("edge").labels.predicate, shortName(e.data("predicate"))));
      });
    });
    refreshRelations();
    refreshLegend();
    document.querySelectorAll("button[data-lang]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    });
  }

  cy.on("tap", "node", function (event) {
    showNode(event.target);
    expand(event.target.id());
  });
  cy.on("tap mouseover", "edge", function (event) { showEdge(event.target); });
  document.getElementById("kinds").addEventListener("change", function (event) {
    if (event.target.checked) hidden.kinds.delete(event.target.value); else hidden.kinds.add(event.target.value);
    applyFilters();
  });
  document.getElementById("relations").addEventListener("change", function (event) {
    if (event.target.checked) hidden.relations.delete(event.target.value); else hidden.relations.add(event.target.value);
    applyFilters();
  });
  document.querySelectorAll("button[data-lang]").forEach(function (button) {
    button.addEventListener("click", function () { lang = button.dataset.lang; relabel(); });
  });

  relabel();
  if (config.iri) {
    expand(config.iri).then(function () { cy.getElementById(config.iri).addClass("start"); });
  } else if (config.view) {
    load("/api/views/" + encodeURIComponent(config.view));
  }
  window.zgckgGraph = cy;  // for the page tests, which inspect what is drawn
})();
