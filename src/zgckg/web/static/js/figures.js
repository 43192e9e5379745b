/* The charts of the figures pages (/figures, /figures/<measure>), drawn with Chart.js.
 *
 * The page carries its data in <script type="application/json" id="figures-data"> (never run) and a table
 * under each chart, so it reads without this script. Each chart: values in base units on the value axis;
 * a hedged figure (近, 约, 余, 以上) gets a whisker pointing where the true value lies and its hedge written
 * next to it; a period the report does not state is drawn faded (bars) or hollow (points); the tooltip
 * gives the figure as written, the period and its basis, and the quote; a click opens the observation's
 * page, where the evidence is.
 */
(function () {
  "use strict";

  var block = document.getElementById("figures-data");
  if (!block || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var words = data.words;
  var locale = words.lang === "zh" ? "zh-CN" : "en-US";
  var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var COLOURS = ["#0b5cad", "#c2571a", "#2e7d32", "#6b3fa0", "#8a6d00", "#00838f"];
  var HEDGE_INK = "#7a3d00";
  var NAME_LENGTH = words.lang === "zh" ? 22 : 40;

  function faded(colour) {
    return colour + "59"; // the same colour at 35 % opacity
  }

  function shorten(text, length) {
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  function wrap(text, width) {
    var lines = [];
    for (var i = 0; i < text.length; i += width) {
      lines.push(text.slice(i, i + width));
    }
    return lines;
  }

  function rowAt(chart, datasetIndex, index) {
    var dataset = chart.data.datasets[datasetIndex];
    return dataset && dataset.rows ? dataset.rows[index] : null;
  }

  /* Whiskers for hedged figures, along the value axis, from the drawn value towards the true one. */
  var hedges = {
    id: "zgckgHedges",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === "y";
      var more = horizontal ? 1 : -1; // the pixel direction of "more" on the value axis
      var length = 22;
      chart.data.datasets.forEach(function (dataset, datasetIndex) {
        var meta = chart.getDatasetMeta(datasetIndex);
        if (meta.hidden) {
          return;
        }
        meta.data.forEach(function (element, index) {
          var row = dataset.rows[index];
          if (!row || !row.hedge || row.value === null) {
            return;
          }
          var from = row.direction === "above" ? 0 : -length;
          var to = row.direction === "below" ? 0 : length;
          var x = element.x;
          var y = element.y;
          ctx.save();
          ctx.strokeStyle = HEDGE_INK;
          ctx.fillStyle = HEDGE_INK;
          ctx.lineWidth = 2;
          ctx.beginPath();
          if (horizontal) {
            ctx.moveTo(x + from * more, y);
            ctx.lineTo(x + to * more, y);
            [from, to].forEach(function (end) {
              ctx.moveTo(x + end * more, y - 5);
              ctx.lineTo(x + end * more, y + 5);
            });
          } else {
            ctx.moveTo(x, y + from * more);
            ctx.lineTo(x, y + to * more);
            [from, to].forEach(function (end) {
              ctx.moveTo(x - 5, y + end * more);
              ctx.lineTo(x + 5, y + end * more);
            });
          }
          ctx.stroke();
          ctx.font = "bold 12px system-ui, sans-serif";
          ctx.textBaseline = "middle";
          if (horizontal) {
            ctx.textAlign = "left";
            ctx.fillText(row.hedge, x + Math.max(to, 0) * more + 6, y);
          } else {
            ctx.textAlign = "center";
            ctx.fillText(row.hedge, x, y + Math.min(from, 0) * -more - 10);
          }
          ctx.restore();
        });
      });
    }
  };

  function tooltip() {
    return {
      callbacks: {
        title: function (items) {
          var row = items.length ? rowAt(items[0].chart, items[0].datasetIndex, items[0].dataIndex) : null;
          return row ? wrap(row.name, NAME_LENGTH + 8) : "";
        },
        label: function (item) {
          var row = rowAt(item.chart, item.datasetIndex, item.dataIndex);
          return row ? words.written + ": " + row.written : "";
        },
        afterLabel: function (item) {
          var row = rowAt(item.chart, item.datasetIndex, item.dataIndex);
          if (!row) {
            return "";
          }
          var lines = [words.base + ": " + numbers.format(row.value) + (row.unit ? " " + row.unit : "")];
          if (row.hedge) {
            lines.push(words.hedge + ": " + row.hedge + (row.hedgeWords ? " (" + row.hedgeWords + ")" : ""));
          }
          lines.push(words.period + ": " + row.period + (row.basis ? " · " + words.basis + ": " + row.basis : ""));
          wrap("“" + row.quote + "”", NAME_LENGTH + 8).forEach(function (line) {
            lines.push(line);
          });
          lines.push(words.open);
          return lines;
        }
      }
    };
  }

  function openEvidence(event, elements, chart) {
    if (!elements.length) {
      return;
    }
    var row = rowAt(chart, elements[0].datasetIndex, elements[0].index);
    if (row && row.href) {
      window.location.assign(row.href);
    }
  }

  function pointer(event, elements, chart) {
    chart.canvas.style.cursor = elements.length ? "pointer" : "default";
  }

  function valueAxis(spec) {
    return {
      beginAtZero: true,
      grace: "8%",
      title: { display: true, text: spec.axis },
      ticks: {
        maxTicksLimit: 6,
        callback: function (value) {
          return numbers.format(value);
        }
      }
    };
  }

  function barChart(canvas, spec) {
    var rows = spec.rows;
    var labels = rows.map(function (row) {
      return [shorten(row.name, NAME_LENGTH), row.period + (row.basis ? " · " + row.basis : "")];
    });
    var datasets = spec.series.map(function (series, n) {
      var colour = COLOURS[n % COLOURS.length];
      var values = rows.map(function () { return null; });
      var own = rows.map(function () { return null; });
      series.rows.forEach(function (i) {
        values[i] = rows[i].value;
        own[i] = rows[i];
      });
      return {
        label: series.name,
        data: values,
        rows: own,
        backgroundColor: own.map(function (row) { return row && !row.stated ? faded(colour) : colour; }),
        borderColor: colour,
        borderWidth: 1,
        maxBarThickness: 26
      };
    });
    canvas.parentNode.style.height = Math.max(180, rows.length * 46 + 90) + "px";
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      plugins: [hedges],
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        skipNull: true,
        grouped: false,
        layout: { padding: { right: 40 } },
        interaction: { mode: "nearest", intersect: true, axis: "y" },
        scales: { x: valueAxis(spec), y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: spec.series.length > 1 }, tooltip: tooltip() },
        onClick: openEvidence,
        onHover: pointer
      }
    });
  }

  function lineChart(canvas, spec) {
    var rows = spec.rows.filter(function (row) { return row.year !== null && row.year !== undefined; });
    var colour = COLOURS[0];
    canvas.parentNode.style.height = "20rem";
    return new Chart(canvas, {
      type: "line",
      data: {
        datasets: [{
          label: spec.title,
          data: rows.map(function (row) { return { x: row.year, y: row.value }; }),
          rows: rows,
          borderColor: colour,
          backgroundColor: colour,
          pointRadius: 8,
          pointHoverRadius: 10,
          pointBorderWidth: 3,
          pointBackgroundColor: rows.map(function (row) { return row.stated ? colour : "#ffffff"; })
        }]
      },
      plugins: [hedges],
      options: {
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        layout: { padding: { top: 24, right: 24 } },
        interaction: { mode: "nearest", intersect: true },
        scales: {
          x: {
            type: "linear",
            grace: "5%",
            title: { display: true, text: words.year },
            ticks: { precision: 0, callback: function (value) { return String(value); } }
          },
          y: valueAxis(spec)
        },
        plugins: { legend: { display: false }, tooltip: tooltip() },
        onClick: openEvidence,
        onHover: pointer
      }
    });
  }

  data.charts.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas || !spec.rows.length) {
      return;
    }
    canvas.parentNode.hidden = false;
    var legend = document.querySelector('[data-chart-legend="' + spec.id + '"]');
    if (legend) {
      legend.hidden = false;
    }
    if (spec.kind === "line") {
      lineChart(canvas, spec);
    } else {
      barChart(canvas, spec);
    }
  });
}());
