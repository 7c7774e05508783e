// The planning page of `coverage15 plan`: a Leaflet map and a side panel.
// Every text that comes from the data (station, unit and scenario names) is put in
// with textContent, never as HTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("plan-config").textContent);
  var text = config.text;
  var busy = false;
  var state = null;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? String(values[key]) : "{" + key + "}";
    });
  }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }
  function people(n) {
    return Math.round(n).toLocaleString(config.lang === "zh" ? "zh-CN" : "en-US");
  }
  function percent(x, digits) {
    return (100 * x).toFixed(digits === undefined ? 1 : digits) + "%";
  }
  function say(message, kind) {
    var box = document.getElementById("message");
    box.textContent = message || "";
    box.className = kind || "";
  }

  // --- the map --------------------------------------------------------------------
  var map = L.map("map", {zoomControl: true});
  window.planMap = map;
  config.tiles.forEach(function (t) {
    var layer = L.tileLayer(t.url, {attribution: t.attr, subdomains: t.subdomains,
                                    maxZoom: t.max_zoom});
    layer.on("tileerror", function () {
      document.getElementById("tile-notice").style.display = "block";
    });
    layer.addTo(map);
  });
  map.fitBounds(config.bounds);
  L.control.scale({imperial: false}).addTo(map);
  var surface = null;
  var levelLayers = {};
  var overlays = {};
  config.levels.forEach(function (level, i) {
    var layer = L.geoJSON(level.geojson, {
      style: function () { return {color: "#333333", weight: 1, fillOpacity: 0}; },
      onEachFeature: function (feature, lyr) {
        lyr.bindTooltip(el("span", null, feature.properties.unit), {sticky: true});
      }
    });
    levelLayers[level.level] = layer;
    overlays[level.label] = layer;
    if (i === 0) { layer.addTo(map); }
  });
  var stationLayer = L.layerGroup().addTo(map);
  overlays[text.stations] = stationLayer;
  L.control.layers(null, overlays, {collapsed: true}).addTo(map);

  function tierStyle(tier) {
    return config.tiers[tier] || config.tiers[""];
  }

  function drawUnits() {
    var changed = {};
    state.changed.forEach(function (c) { changed[c.level + "/" + c.index] = c; });
    state.levels.forEach(function (level) {
      var layer = levelLayers[level.level];
      if (!layer) { return; }
      var i = 0;
      layer.eachLayer(function (lyr) {
        var index = lyr.feature.properties.index;
        var verdict = level.covered[index];
        var colour = verdict === true ? "#1a9850" : verdict === false ? "#d73027" : "#999999";
        var hit = changed[level.level + "/" + index];
        lyr.setStyle({
          color: hit ? "#ff7f00" : "#333333",
          weight: hit ? 4 : 1,
          fillColor: colour,
          fillOpacity: verdict === null ? 0 : 0.18
        });
        if (hit) { lyr.bringToFront(); }
        i += 1;
      });
    });
  }

  function stationPopup(s) {
    var box = el("div", "popup");
    box.appendChild(el("b", null, s.name));
    box.appendChild(el("div", null, text.tier + text.colon + s.tier_label));
    box.appendChild(el("div", null, text.id + text.colon + s.id));
    if (s.catchment !== null) {
      box.appendChild(el("div", null, text.catchment + text.colon + people(s.catchment)));
    }
    var button = el("button", "close-station", text.close);
    button.setAttribute("data-id", s.id);
    button.addEventListener("click", function () {
      map.closePopup();
      send("close", {id: s.id});
    });
    box.appendChild(button);
    return box;
  }

  function drawStations() {
    stationLayer.clearLayers();
    state.stations.forEach(function (s) {
      var style = tierStyle(s.tier);
      var icon = L.divIcon({html: style.svg, iconSize: [style.size, style.size],
                            iconAnchor: [style.size / 2, style.size / 2],
                            className: "plan-station"});
      var marker = L.marker([s.lat, s.lon], {icon: icon, draggable: true, autoPan: false});
      marker.bindPopup(stationPopup(s));
      marker.bindTooltip(el("span", null, s.name));
      marker.on("dragend", function (e) {
        var p = e.target.getLatLng();
        send("move", {id: s.id, lon: p.lng, lat: p.lat});
      });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) { node.setAttribute("data-station", s.id); }
      });
      marker.addTo(stationLayer);
    });
  }

  function drawSurface() {
    if (!state.surface) { return; }
    if (surface === null) {
      surface = L.imageOverlay(state.surface.url, state.surface.bounds,
                               {opacity: 1, interactive: false, zIndex: 1}).addTo(map);
      overlays[text.surface] = surface;
    } else {
      surface.setUrl(state.surface.url);
    }
  }

  // --- the panel ------------------------------------------------------------------
  function drawHeadline() {
    var h = state.headline;
    document.getElementById("share").textContent = percent(h.share);
    document.getElementById("covered").textContent =
      format(text.covered, {covered: people(h.covered), total: people(h.total)});
    document.getElementById("station-count").textContent =
      format(text.station_count, {n: h.stations});
  }

  function drawLevels() {
    var box = document.getElementById("levels");
    box.textContent = "";
    state.levels.forEach(function (level) {
      var part = el("div", "level");
      part.setAttribute("data-level", level.level);
      part.appendChild(el("h3", null, format(text.level_units, {
        level: level.label, covered: level.units_covered, total: level.units_populated})));
      level.targets.forEach(function (t) {
        var row = el("div", t.met ? "target met" : "target not-met");
        row.setAttribute("data-year", t.year);
        var verdict = t.met ? text.met : format(text.not_met, {n: t.units_to_cover});
        row.textContent = format(text.target, {
          year: t.year, share: percent(t.target_share, 0), required: t.units_required,
          covered: t.units_covered}) + " — " + verdict;
        part.appendChild(row);
      });
      box.appendChild(part);
    });
    if (!state.levels.length) { box.appendChild(el("p", "muted", text.no_units)); }
  }

  function drawChanged() {
    var box = document.getElementById("changed");
    box.textContent = "";
    if (!state.changed.length) {
      box.appendChild(el("li", "muted", text.none_changed));
      return;
    }
    state.changed.forEach(function (c) {
      var level = state.levels.filter(function (l) { return l.level === c.level; })[0];
      var item = el("li", c.now ? "gained" : "lost",
                    (level ? level.label : c.level) + " · " + c.unit + ": " +
                    (c.now ? text.gained : text.lost));
      box.appendChild(item);
    });
  }

  function drawScenarios() {
    var list = document.getElementById("scenarios");
    list.textContent = "";
    state.scenarios.forEach(function (sc, i) {
      var item = el("li", i === state.current ? "current" : "");
      item.appendChild(el("span", "name", sc.name));
      item.appendChild(el("span", "share", percent(sc.share)));
      if (sc.edit) {
        var parts = sc.edit.split(" ");
        item.appendChild(el("span", "edit", (text["edit_" + parts[0]] || parts[0]) + " " +
                                               parts.slice(1).join(" ")));
      }
      list.appendChild(item);
    });
    document.getElementById("undo").disabled = state.scenarios.length < 2;
    document.getElementById("scenario-name").value = state.scenarios[state.current].name;
  }

  function draw(next) {
    state = next;
    window.planState = next;
    drawSurface();
    drawUnits();
    drawStations();
    drawHeadline();
    drawLevels();
    drawChanged();
    drawScenarios();
  }

  // --- talking to the server -------------------------------------------------------
  function send(action, body) {
    if (busy) { return; }
    busy = true;
    document.body.classList.add("busy");
    say(text.working, "");
    var started = performance.now();
    fetch("/api/" + action, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-Plan-Token": config.token},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (reply) {
      if (!reply.ok) {
        say(reply.data.message || text.failed, "error");
        if (state) { drawStations(); }  // a refused move puts the marker back
        return;
      }
      if (reply.data.state) { draw(reply.data.state); }
      var ms = Math.round(performance.now() - started);
      window.planLastEditMs = ms;
      window.planEdits = (window.planEdits || 0) + 1;
      say(reply.data.message || format(text.updated, {ms: ms}), "ok");
    }).catch(function () {
      say(text.failed, "error");
      if (state) { drawStations(); }
    }).then(function () {
      busy = false;
      document.body.classList.remove("busy");
    });
  }
  window.planSend = send;

  map.on("click", function (e) {
    send("add", {lon: e.latlng.lng, lat: e.latlng.lat,
                 tier: document.getElementById("tier").value,
                 name: document.getElementById("new-name").value});
  });
  document.getElementById("undo").addEventListener("click", function () { send("undo"); });
  document.getElementById("rename").addEventListener("click", function () {
    send("rename", {index: state.current,
                    name: document.getElementById("scenario-name").value});
  });
  document.getElementById("export").addEventListener("click", function () {
    send("export", {folder: document.getElementById("folder").value});
  });

  fetch("/api/state").then(function (r) { return r.json(); }).then(function (data) {
    draw(data.state);
    say(text.hint, "");
    window.planReady = true;
  }).catch(function () { say(text.failed, "error"); });
})();
