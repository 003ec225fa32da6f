/* Meeting mode: one slide at a time, moved with ← → (or the buttons), Esc for full screen
 * and the list of slides. Without this script the deck is one long page with a table of
 * contents; every slide is a <section data-slide> of #meeting.
 *
 * The page draws the first slide only: every other one carries data-src, the address of the
 * slide alone, and is fetched before it is shown; the next ones are fetched while the
 * current one is on screen, so → does not wait. Its heading is there from the start (it
 * takes the focus at once); what arrives goes below it.
 */
(function () {
  "use strict";

  var deck = document.querySelector("[data-meeting]");
  if (!deck) {
    return;
  }
  var slides = Array.prototype.slice.call(deck.querySelectorAll("[data-slide]"));
  if (!slides.length) {
    return;
  }
  var index = deck.querySelector("#meeting-index");
  var counter = deck.querySelector("#meeting-counter");
  var prevButton = deck.querySelector("[data-prev]");
  var nextButton = deck.querySelector("[data-next]");
  var indexButton = deck.querySelector("[data-index-toggle]");
  var fullButton = deck.querySelector("[data-fullscreen]");
  var current = 0;
  var leftFullscreenAt = 0; // the Esc that leaves full screen may reach the page too

  function titleOf(slide) {
    var heading = slide.querySelector("h2");
    return heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
  }

  var PREFETCH = 2; // slides fetched ahead of the one shown

  /* Fetch slide n's content unless it is there or on its way; a failure leaves the plain
   * link to the slide's own page, and the next show tries again. */
  function load(n) {
    var slide = slides[n];
    if (!slide || !slide.hasAttribute("data-src") || slide.__loading) {
      return;
    }
    slide.__loading = true;
    slide.setAttribute("aria-busy", "true");
    fetch(slide.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var fetched = holder.content.querySelector("[data-slide]");
        if (!fetched) {
          throw new Error("no slide in the answer");
        }
        var heading = slide.querySelector("h2");
        Array.prototype.slice.call(slide.children).forEach(function (el) {
          if (el !== heading) {
            slide.removeChild(el);
          }
        });
        Array.prototype.slice.call(fetched.childNodes).forEach(function (node) {
          if (!(node.nodeType === 1 && node.tagName === "H2")) {
            slide.appendChild(node);
          }
        });
        slide.removeAttribute("data-src");
        slide.setAttribute("data-loaded", "");
        return drawCharts(slide);
      })
      .catch(function (err) {
        console.warn("meeting.js: slide " + slide.id + " could not be fetched", err);
      })
      .then(function () {
        slide.__loading = false;
        slide.classList.remove("is-drawing");
        slide.removeAttribute("aria-busy");
      });
  }

  /* Draw a fetched slide's charts at the width they will be shown at: a slide not on
   * screen is laid out unseen (.is-drawing) while Plotly measures it. */
  function drawCharts(slide) {
    if (!window.StrategyCharts || !window.Plotly) {
      return null;
    }
    var charts = slide.querySelectorAll("[data-figure]");
    if (!charts.length) {
      return null;
    }
    slide.classList.add("is-drawing");
    var drawn = Array.prototype.map.call(charts, function (el) {
      return window.StrategyCharts.draw(el);
    });
    return Promise.all(drawn);
  }

  function loadAround(n) {
    for (var k = 0; k <= PREFETCH; k += 1) {
      load(n + k);
    }
    load(n - 1);
  }

  function showingIndex() {
    return deck.classList.contains("meeting-show-index");
  }

  function setIndex(open) {
    deck.classList.toggle("meeting-show-index", open);
    indexButton.setAttribute("aria-expanded", open ? "true" : "false");
    indexButton.textContent = open ? "Back to the slide" : "All slides";
    if (open) {
      var link = index.querySelector('[data-goto="' + current + '"]');
      (link || index.querySelector("h2")).focus();
    } else {
      resizeCharts(slides[current]);
    }
  }

  function resizeCharts(slide) {
    if (window.StrategyCharts) {
      window.StrategyCharts.resizeWithin(slide);
    }
  }

  function show(n, options) {
    var opts = options || {};
    var target = Math.max(0, Math.min(slides.length - 1, n));
    var focusWasInside = slides[current].contains(document.activeElement);
    slides[current].classList.remove("is-current");
    current = target;
    var slide = slides[current];
    loadAround(current);
    slide.classList.add("is-current");
    if (showingIndex()) {
      setIndex(false);
    }
    counter.querySelector("[data-current]").textContent = String(current + 1);
    counter.querySelector("[data-title]").textContent = titleOf(slide);
    prevButton.disabled = current === 0;
    nextButton.disabled = current === slides.length - 1;
    if (!opts.initial && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + slide.id);
    }
    resizeCharts(slide);
    if (opts.focus || focusWasInside) {
      var heading = slide.querySelector("h2");
      if (heading) {
        heading.focus({ preventScroll: true });
      }
    }
    deck.scrollTop = 0;
    if (!document.fullscreenElement && deck.getBoundingClientRect().top < 0) {
      deck.scrollIntoView({ block: "start" });
    }
  }

  function fromHash() {
    var id = decodeURIComponent((window.location.hash || "").slice(1));
    for (var i = 0; i < slides.length; i += 1) {
      if (slides[i].id === id) {
        return i;
      }
    }
    return 0;
  }

  function toggleFullscreen() {
    var request;
    if (document.fullscreenElement) {
      request = document.exitFullscreen();
    } else {
      request = deck.requestFullscreen();
    }
    if (request && request.catch) {
      request.catch(function (err) {
        console.warn("meeting.js: full screen refused", err);
      });
    }
  }

  function typing(el) {
    if (!el) {
      return false;
    }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented || typing(e.target)) {
      return;
    }
    switch (e.key) {
      case "ArrowRight":
      case "PageDown":
        show(current + 1, { focus: true });
        break;
      case "ArrowLeft":
      case "PageUp":
        show(current - 1, { focus: true });
        break;
      case "Home":
        show(0, { focus: true });
        break;
      case "End":
        show(slides.length - 1, { focus: true });
        break;
      case "Escape":
        if (document.fullscreenElement) {
          toggleFullscreen();
        } else if (Date.now() - leftFullscreenAt > 500) {
          setIndex(!showingIndex());
        }
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  deck.classList.add("meeting-js");
  deck.querySelectorAll("[data-controls]").forEach(function (el) {
    el.hidden = false;
  });
  if (document.fullscreenEnabled && deck.requestFullscreen) {
    fullButton.hidden = false;
    fullButton.addEventListener("click", toggleFullscreen);
    document.addEventListener("fullscreenchange", function () {
      var on = document.fullscreenElement === deck;
      if (!on) {
        leftFullscreenAt = Date.now();
      }
      deck.classList.toggle("meeting-fullscreen", on);
      fullButton.textContent = on ? "Leave full screen" : "Full screen";
      resizeCharts(slides[current]);
    });
  }
  prevButton.addEventListener("click", function () {
    show(current - 1);
  });
  nextButton.addEventListener("click", function () {
    show(current + 1);
  });
  indexButton.addEventListener("click", function () {
    setIndex(!showingIndex());
  });
  index.addEventListener("click", function (e) {
    var link = e.target.closest("[data-goto]");
    if (link) {
      e.preventDefault();
      show(parseInt(link.getAttribute("data-goto"), 10), { focus: true });
    }
  });
  window.addEventListener("hashchange", function () {
    show(fromHash(), { focus: true });
  });
  document.addEventListener("keydown", onKey);

  current = fromHash();
  slides[current].classList.add("is-current");
  show(current, { initial: true });
})();
