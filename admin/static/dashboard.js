// The dashboard's few enhancements. Pages work without them; the Content-Security-Policy allows
// scripts from this origin only, so none is written inline in a template.
(function () {
  "use strict";

  // Inbox reply: how many SMS segments the reply will take, as it is typed.
  function segmentCounter() {
    var box = document.getElementById("reply-text"), out = document.getElementById("reply-count");
    if (!box || !out || !out.dataset.label) return;
    var label = out.dataset.label;
    var gsm = /^[A-Za-z0-9 \r\n@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-.\/:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\\[~\]|€]*$/;
    function update() {
      var n = box.value.length, single = gsm.test(box.value) ? 160 : 70, part = single === 160 ? 153 : 67;
      out.textContent = n ? label.replace("__N__", n <= single ? 1 : Math.ceil(n / part)) : "";
    }
    box.addEventListener("input", update);
  }

  // Simulator: show the newest bubble.
  function newestBubble() {
    var n = document.getElementById("newest");
    if (n && !location.hash) n.scrollIntoView({block: "end"});
  }

  // New event: suggest an id from the English title and the date until one is typed.
  function suggestEventId() {
    var form = document.querySelector("form[data-suggest-id]");
    if (!form) return;
    var id = document.getElementById("id"), title = document.getElementById("title_en"),
        day = document.getElementById("start_date");
    if (!id || !title || !day) return;
    var typed = id.value !== "";
    id.addEventListener("input", function () { typed = id.value !== ""; });
    function suggest() {
      if (typed) return;
      var slug = title.value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 37).replace(/-+$/, "");
      id.value = [slug, day.value].filter(Boolean).join("-");
    }
    title.addEventListener("input", suggest); day.addEventListener("change", suggest);
  }

  segmentCounter();
  newestBubble();
  suggestEventId();
})();
