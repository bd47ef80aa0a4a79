/* ClaimBoard's AG Grid cell renderers and client-side helpers.
 *
 * Every value from the data becomes a React text child (React escapes it): no HTML string is
 * ever parsed, so a sentence holding <script> or a javascript: link shows as that text.
 */
(function () {
  var e = function () { return window.React.createElement.apply(window.React, arguments); };

  var LEAD = 60;  /* characters of a sentence shown before the claim's number */
  var renderers = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

  /* The claim sentence with the claim's number (row field "number") in a <mark>. */
  renderers.ClaimSentence = function (props) {
    var sentence = typeof props.value === "string" ? props.value : "";
    var number = props.data && typeof props.data.number === "string" ? props.data.number : "";
    var at = number ? sentence.indexOf(number) : -1;
    var open = renderers.AbstractButton ? e(renderers.AbstractButton, props) : null;  /* assets/abstracts.js */
    if (at < 0) {
      return e("span", { className: "claim-sentence", title: sentence }, open, sentence);
    }
    /* rows are three lines tall: a long sentence starts a little before its number */
    var start = at > LEAD ? sentence.lastIndexOf(" ", at - LEAD) : 0;
    start = start > 0 ? start + 1 : 0;
    return e("span", { className: "claim-sentence", title: sentence }, open,
      (start ? "…" : "") + sentence.slice(start, at), e("mark", { className: "claim-number" }, number),
      sentence.slice(at + number.length));
  };

  /* A flagged claim: the warning as text, marked. */
  renderers.ClaimWarning = function (props) {
    var text = typeof props.value === "string" ? props.value : "";
    return text ? e("span", { className: "claim-warning", title: text }, "⚠ " + text) : e("span", null, "");
  };

  /* The paper title, linked to its page when the row has a url (https only); a title-search link says so. */
  renderers.PaperLink = function (props) {
    var title = typeof props.value === "string" ? props.value : "";
    var data = props.data || {};
    var url = typeof data.url === "string" && /^https:\/\//i.test(data.url) ? data.url : null;
    if (!url) { return e("span", null, title); }
    var search = data.url_kind === "search";
    return e("span", null, title, " ",
      e("a", { href: url, target: "_blank", rel: "noopener noreferrer", className: "paper-link",
               title: search ? "no id known: a title search" : "the paper's page",
               onClick: function (ev) { ev.stopPropagation(); } },
        search ? "search ↗" : (data.url_kind === "hf" ? "HF ↗" : "arXiv ↗")));
  };

  /* Clientside callbacks (functions here, not strings: no eval under the CSP). */
  function params(search) {
    return (search || "").replace(/^\?/, "").split("&").filter(function (p) { return p; });
  }
  function urlSort(search) {  /* ["multiplier:desc", "title:asc"] */
    return params(search).filter(function (p) { return p.indexOf("sort=") === 0; }).map(function (p) {
      var key = decodeURIComponent(p.slice(5));
      return key.indexOf(":") < 0 ? key + ":asc" : key;
    });
  }
  function gridSort(api) {
    return api.getColumnState().filter(function (c) { return c.sort; })
      .sort(function (a, b) { return (a.sortIndex || 0) - (b.sortIndex || 0); })
      .map(function (c) { return c.colId + ":" + c.sort; });
  }
  var lastRows = null;
  var NARROW_PX = 700;
  var NARROW_HIDDEN = ["metric", "baseline", "hardware", "model_size", "gpu_count", "warning"];
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.claimboard = {
    /* The URL drives the claims grid: a new filter (the URL less its sort= keys) empties its row
       cache so it asks again; a sort in the URL (a shared link, back/forward) is applied to it. */
    refreshClaims: function (search) {
      var rows = params(search).filter(function (p) { return p.indexOf("sort=") !== 0; }).join("&");
      var purge = lastRows !== null && rows !== lastRows;
      lastRows = rows;
      if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
        window.dash_ag_grid.getApiAsync("claims-table").then(function (api) {
          var wanted = urlSort(search);
          var changed = wanted.join(",") !== gridSort(api).join(",");
          if (changed) {
            api.applyColumnState({
              state: wanted.map(function (key, i) {
                var parts = key.split(":");
                return { colId: parts[0], sort: parts[1], sortIndex: i };
              }),
              defaultState: { sort: null },
            });
          }
          api.setGridOption("context", { urlSort: true });
          /* a phone shows paper, multiplier and sentence only: no sideways scrolling */
          api.setColumnsVisible(NARROW_HIDDEN, window.innerWidth > NARROW_PX);
          if (purge && !changed) { api.purgeInfiniteCache(); }
        });
      }
      return window.dash_clientside.no_update;
    },
  };
})();

/* Review marks (issue 12): a corrected multiplier with ✎ (the extracted value on hover), a
 * decision of this browser's review session not yet refreshed with its word; text nodes only. */
(function () {
  var e = function () { return window.React.createElement.apply(window.React, arguments); };
  var renderers = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  renderers.ClaimValue = function (props) {
    var value = props.value === null || props.value === undefined ? "" : String(props.value);
    var data = props.data || {};
    var hover = typeof data.original === "string" ? data.original : "";
    if (typeof data.pending === "string") {
      return e("span", { className: "claim-pending", title: hover }, value, " ",
        e("span", { className: "claim-mark" }, data.pending === "edited" ? "✎ pending" : data.pending));
    }
    if (typeof data.correction === "string") {
      return e("span", { className: "claim-corrected", title: "corrected (" + data.correction + ")" + (hover ? "; " + hover : "") },
        value, " ", e("span", { className: "claim-mark" }, "✎"));
    }
    return e("span", null, value);
  };
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.claimboard = window.dash_clientside.claimboard || {};
  /* after a review decision: the claims grid asks for its rows again (with the overlay) */
  window.dash_clientside.claimboard.purgeClaims = function () {
    if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
      window.dash_ag_grid.getApiAsync("claims-table").then(function (api) { api.purgeInfiniteCache(); });
    }
    return window.dash_clientside.no_update;
  };
})();
