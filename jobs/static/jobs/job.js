// A job's page, kept up to date from its JSON status without reloading; without JavaScript the
// page refreshes itself instead (a <noscript> meta refresh). Both show the same fields.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var follow = box.getAttribute("data-follow") === "1";
  var field = function (name) {
    return box.querySelector('[data-field="' + name + '"]');
  };

  function show(status) {
    field("state_label").textContent = status.state_label.charAt(0).toUpperCase() + status.state_label.slice(1);
    field("stage").textContent = status.stage ? ": " + status.stage : "";
    field("percent").value = status.percent;
    field("percent").textContent = status.percent + " %";
    field("counts").textContent = status.counts;
    field("message").textContent = status.message;
    box.setAttribute("data-state", status.state);
    if (status.result_url) {
      field("result_url").href = status.result_url;
      field("result_url").hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) {
          window.setTimeout(poll, 700);
        } else if (status.result_url && follow) {
          // Through the job's page, which hands on its message to the page of the result.
          window.location.assign(window.location.pathname + "?follow=1");
        } else {
          // The buttons change with the end (cancel becomes run again): show the page as it now is.
          window.location.replace(window.location.pathname);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  if (box.getAttribute("data-state") === "queued" || box.getAttribute("data-state") === "running") {
    window.setTimeout(poll, 300);
  }
})();
