/* The claims grid's "abstract" button (issue 13): sends the row's claim id (never an offset or a
 * text) through the grid's cellRendererData; the server looks the claim up and opens the dialog
 * of dashboard/abstracts.py. A native listener stops the click before AG Grid sees it, so opening
 * an abstract does not also add the row's paper to the comparison. */
(function () {
  var e = function () { return window.React.createElement.apply(window.React, arguments); };
  var renderers = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  renderers.AbstractButton = function (props) {
    var data = props.data || {};
    var id = typeof data.id === "string" ? data.id : "";
    if (!id || typeof props.setData !== "function") { return null; }
    var bind = function (el) {
      if (!el) { return; }
      el._claimboardOpen = props.setData;  /* the current cell's setter (rows are recycled) */
      if (el._claimboardBound) { return; }
      el._claimboardBound = true;
      var open = function (ev) {
        ev.stopPropagation();
        ev.preventDefault();
        el._claimboardOpen(el.getAttribute("data-claim"));
      };
      el.addEventListener("click", open);
    };
    return e("button", { type: "button", className: "abstract-button", "data-claim": id, ref: bind,
                         title: "Read the abstract with this claim's number highlighted",
                         "aria-label": "Abstract" }, "¶ abstract");
  };
})();
