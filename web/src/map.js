// The map: an offline base map (countries, admin-1 lines, place names from
// basemap.json, built from npm data at build time; no tile server), the
// record's layers styled by what matters to a reader (who controls a zone,
// what a site is, whether a movement is cleared, how an incident is graded),
// a legend with labelled layer switches, click-to-place for the forms, and
// draggable markers for the incidents the Intake panel drafts.

import L from 'leaflet';
import { h, replace, fmtWindow, fmtTime, fmtRange, humanize } from './dom.js';

// Colour-blind-safe palette (Okabe-Ito plus darker companions), assigned to
// parties in id order so a party keeps its colour across reloads.
const PARTY_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#8c564b', '#7a7a00', '#332288', '#882255'];

export const SITE_COLOURS = {
  hospital: '#b2182b', clinic: '#d6604d', school: '#762a83', bakery: '#e08214', distribution_point: '#1b7837',
  camp: '#01665e', warehouse: '#8c510a', office: '#4d4d4d', residence: '#5aae61', other: '#878787',
};

export const STATUS_COLOURS = {
  pending: '#e69f00', cleared: '#009e73', cleared_with_conditions: '#0072b2', denied: '#d55e00',
  underway: '#cc79a7', arrived: '#4d4d4d', aborted: '#7a7a7a', expired: '#a0a0a0',
};

export const GRADE_COLOURS = {
  confirmed: '#67001f', likely: '#d6604d', possible: '#f4a582', unverified: '#fddbc7', discounted: '#bababa', ungraded: '#ffffff',
};

const OPERATION_COLOUR = '#6a3d9a';
const AGREEMENT_COLOUR = '#1b7837';

export const LAYERS = [
  { key: 'zones', label: 'Zones of control' },
  { key: 'sites', label: 'Protected sites' },
  { key: 'movements', label: 'Movement routes' },
  { key: 'operations', label: 'Areas of operation' },
  { key: 'agreements', label: 'Agreements and corridors' },
  { key: 'incidents', label: 'Incidents' },
];

const PLACE_ZOOM = 8;

export class CorridorMap {
  constructor(el) {
    this.el = el;
    this.partyColours = new Map();
    this.map = L.map(el, {
      zoomControl: true,
      attributionControl: true,
      minZoom: 4,
      maxZoom: 15,
      zoomSnap: 0.5,
      keyboard: true,
    });
    this.map.attributionControl.setPrefix(false);
    this.map.createPane('base').style.zIndex = 200;
    this.map.createPane('baseLines').style.zIndex = 250;
    const labels = this.map.createPane('labels');
    labels.style.zIndex = 380;
    labels.style.pointerEvents = 'none';
    this.map.createPane('draft').style.zIndex = 450;
    this.layers = Object.fromEntries(LAYERS.map((l) => [l.key, L.featureGroup().addTo(this.map)]));
    this.draft = L.featureGroup().addTo(this.map);
    this.intake = L.layerGroup().addTo(this.map);
    this.intakeMarkers = new Map();
    this.places = L.layerGroup().addTo(this.map);
    this.basePlaces = [];
    this.picker = null;
    this.fitted = false;
    this.map.on('click', (e) => this.picker?.(e.latlng));
    this.map.on('moveend zoomend', () => this.drawPlaces());
    this.map.fitBounds([[26, 30], [40, 52]], { animate: false });
  }

  async loadBasemap() {
    const res = await fetch('basemap.json');
    if (!res.ok) throw new Error('the base map could not be loaded');
    const base = await res.json();
    const { west, south, east, north } = base.region;
    this.map.setMaxBounds([[south - 4, west - 6], [north + 4, east + 6]]);
    this.map.attributionControl.addAttribution(base.attribution);
    L.geoJSON(base.countries, {
      pane: 'base', interactive: false,
      style: { stroke: false, fillColor: '#f3efe6', fillOpacity: 1, className: 'base-country' },
    }).addTo(this.map);
    L.geoJSON(base.borders, {
      pane: 'baseLines', interactive: false,
      style: { color: '#6f6a60', weight: 1.2, className: 'base-border' },
    }).addTo(this.map);
    L.geoJSON(base.admin1, {
      pane: 'baseLines', interactive: false,
      style: { color: '#a39d92', weight: 0.6, dashArray: '3 3', fill: false, className: 'base-admin1' },
    }).addTo(this.map);
    const major = new Set(base.major.map(([n]) => n));
    for (const [name, lon, lat] of base.major) this.placeLabel(name, lon, lat, true).addTo(this.map);
    this.basePlaces = base.places.filter(([n]) => !major.has(n));
    this.drawPlaces();
  }

  placeLabel(name, lon, lat, major) {
    return L.marker([lat, lon], {
      pane: 'labels', interactive: false, keyboard: false,
      icon: L.divIcon({ className: major ? 'place major' : 'place', html: '', iconSize: [6, 6] }),
    }).on('add', (e) => {
      const el = e.target.getElement();
      el.append(h('span', { class: 'place-name' }, name));
    });
  }

  // Places without population data are shown only close in, and only those
  // in view, so the map stays light however many there are.
  drawPlaces() {
    this.places.clearLayers();
    if (this.map.getZoom() < PLACE_ZOOM) return;
    const b = this.map.getBounds().pad(0.2);
    for (const [name, lon, lat] of this.basePlaces) {
      if (b.contains([lat, lon])) this.placeLabel(name, lon, lat, false).addTo(this.places);
    }
  }

  setParties(parties) {
    this.partyColours = new Map(parties.map((p, i) => [p.id, PARTY_COLOURS[i % PARTY_COLOURS.length]]));
  }

  partyColour(party) {
    return this.partyColours.get(party) || '#555555';
  }

  setLayerVisible(key, on) {
    const layer = this.layers[key];
    if (on) layer.addTo(this.map);
    else layer.remove();
  }

  // Marks each drawn path with its layer and reference, for people using
  // assistive technology and for tests, and makes it a keyboard stop that
  // opens the same details a click does.
  tag(layer, kind, ref, label, open) {
    layer.on('add', () => {
      const el = layer.getElement?.();
      if (!el) return;
      el.dataset.layer = kind;
      el.dataset.ref = ref;
      el.setAttribute('aria-label', label);
      el.setAttribute('role', 'button');
      el.setAttribute('tabindex', '0');
      el.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' && ev.key !== ' ') return;
        ev.preventDefault();
        open(layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter());
      });
    });
    return layer;
  }

  update(key, features, style, popup, label) {
    const group = this.layers[key];
    group.clearLayers();
    for (const f of features) {
      const geo = L.geoJSON(f, {
        style: () => style(f),
        pointToLayer: (_, latlng) => L.circleMarker(latlng, style(f)),
      });
      const open = (latlng) => L.popup().setLatLng(latlng).setContent(popup(f)).openOn(this.map);
      geo.eachLayer((layer) => {
        this.tag(layer, key, f.id, label(f), open);
        // While a form is picking points, a click on a feature places a point instead.
        layer.on('click', (e) => {
          if (!this.picker) open(e.latlng);
        });
        group.addLayer(layer);
      });
    }
  }

  setZones(fc) {
    this.update('zones', fc.features, (f) => ({
      color: this.partyColour(f.properties.party), weight: 2, fillOpacity: 0.12, className: 'cx-zone',
    }), (f) => card(f.properties.name, [
      ['Controlled by', f.properties.party], ['Valid', fmtWindow(f.properties.window)], ['Status', humanize(f.properties.status)],
    ]), (f) => `Zone ${f.properties.name} held by ${f.properties.party}`);
  }

  setSites(fc) {
    this.update('sites', fc.features, (f) => ({
      radius: 7, color: '#1a1a1a', weight: 1.5, fillColor: SITE_COLOURS[f.properties.category] || SITE_COLOURS.other,
      fillOpacity: 0.95, className: 'cx-site',
    }), (f) => card(f.properties.name, [
      ['Category', humanize(f.properties.category)], ['Operator', f.properties.operator],
      ['Buffer', `${f.properties.buffer_m} m`], ['People', f.properties.people ?? '—'],
      ['Valid', fmtWindow(f.properties.window)], ['Notified', `entry ${f.properties.notified?.index} at ${fmtTime(f.properties.notified?.at)}`],
    ]), (f) => `Site ${f.properties.name}, ${humanize(f.properties.category)}`);
  }

  setMovements(fc) {
    this.update('movements', fc.features, (f) => ({
      color: STATUS_COLOURS[f.properties.status] || '#555555', weight: 5, opacity: 0.9,
      dashArray: f.properties.status === 'pending' ? '10 6' : null, className: 'cx-movement',
    }), (f) => card(`${f.properties.origin} → ${f.properties.destination}`, [
      ['Movement', f.id], ['Status', humanize(f.properties.status)], ['Purpose', humanize(f.properties.purpose)],
      ['Window', fmtWindow(f.properties.window)],
      ['Approvers', (f.properties.required_approvers || []).map((a) => `${a.party}: ${a.response ? humanize(a.response.decision) : 'waiting'}`).join('; ') || 'none'],
    ]), (f) => `Movement ${f.id}, ${humanize(f.properties.status)}`);
  }

  setOperations(fc) {
    this.update('operations', fc.features, (f) => ({
      color: OPERATION_COLOUR, weight: 2, dashArray: '6 4', fillColor: OPERATION_COLOUR, fillOpacity: 0.18, className: 'cx-operation',
    }), (f) => card(f.properties.name, [
      ['Notified by', f.properties.party], ['Window', fmtWindow(f.properties.window)],
      ['Standoff', `${f.properties.standoff_m} m`], ['Parties notified', (f.properties.notified_parties || []).join(', ') || '—'],
    ]), (f) => `Area of operation ${f.properties.name} by ${f.properties.party}`);
  }

  // An agreement draws its area (if any) and each agreed corridor's route.
  setAgreements(fc) {
    const shapes = [];
    for (const f of fc.features) {
      if (f.geometry) shapes.push({ ...f, corridor: null });
      for (const c of f.properties.corridors || []) {
        shapes.push({ type: 'Feature', id: f.id, geometry: c.route, properties: f.properties, corridor: c });
      }
    }
    this.update('agreements', shapes, (f) => (f.corridor
      ? { color: AGREEMENT_COLOUR, weight: 9, opacity: 0.45, lineCap: 'round', className: 'cx-corridor' }
      : { color: AGREEMENT_COLOUR, weight: 2, dashArray: '2 6', fill: false, className: 'cx-agreement' }),
    (f) => card(f.corridor ? `Corridor: ${f.corridor.name}` : f.properties.name, [
      ['Agreement', f.properties.name], ['Kind', humanize(f.properties.agreement_kind)],
      ['Parties', (f.properties.parties || []).join(', ')],
      ['Window', fmtWindow(f.corridor ? f.corridor.window : f.properties.window)],
      ...(f.corridor ? [['Half-width', `${f.corridor.corridor_m} m`]] : []),
    ]), (f) => (f.corridor ? `Agreed corridor ${f.corridor.name}` : `Agreement area ${f.properties.name}`));
  }

  setIncidents(fc) {
    this.update('incidents', fc.features, (f) => {
      const g = f.properties.grade?.occurrence || 'ungraded';
      return { radius: 8, color: '#000000', weight: 2, fillColor: GRADE_COLOURS[g], fillOpacity: 1, className: 'cx-incident' };
    }, (f) => {
      const p = f.properties;
      return card(humanize(p.kind), [
        ['Reported by', p.reporter], ['Alleged perpetrator', p.alleged_perpetrator || p.perpetrator_text || 'unknown'],
        ['Occurrence', humanize(p.grade?.occurrence || 'not assessed')], ['Attribution', humanize(p.grade?.attribution || 'not assessed')],
        ['Killed', fmtRange(p.casualties?.killed)], ['Injured', fmtRange(p.casualties?.injured)], ['When', fmtWindow(p.window)],
      ]);
    }, (f) => `Incident ${humanize(f.properties.kind)}, ${f.properties.grade?.occurrence || 'not assessed'}`);
  }

  /**
   * The area in view with a margin, as a `bbox` query value
   * (`min_lon,min_lat,max_lon,max_lat`, degrees), clamped to the globe.
   */
  viewBbox() {
    const b = this.map.getBounds().pad(0.25);
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    const r = (v) => Math.round(v * 1e5) / 1e5;
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(r).join(',');
  }

  /** Calls `cb()` after each pan or zoom has ended. */
  onViewChange(cb) {
    this.map.on('moveend', cb);
  }

  // Frames the record once, when main.js says every framing layer has
  // answered; later refreshes keep the reader's view.
  fitOnce() {
    if (this.fitted) return;
    const b = L.latLngBounds([]);
    for (const key of ['zones', 'movements', 'sites']) {
      const lb = this.layers[key].getBounds();
      if (lb.isValid()) b.extend(lb);
    }
    if (b.isValid()) {
      this.map.fitBounds(b.pad(0.05), { animate: false });
      this.fitted = true;
    }
  }

  /** Map clicks go to `onPick(lon, lat)` until stopPicking(). */
  startPicking(onPick) {
    this.map.closePopup();
    this.picker = (latlng) => onPick(round6(latlng.lng), round6(latlng.lat));
    this.el.classList.add('picking');
  }

  stopPicking() {
    this.picker = null;
    this.el.classList.remove('picking');
  }

  /** Shows what a form is about to file: a point, or the polygon's vertices so far. */
  showDraft(points, closed) {
    this.draft.clearLayers();
    const latlngs = points.map(([lon, lat]) => [lat, lon]);
    const style = { pane: 'draft', color: '#000000', weight: 2, dashArray: '4 4', className: 'cx-draft' };
    if (latlngs.length === 1 && !closed) {
      L.circleMarker(latlngs[0], { ...style, radius: 8, fillColor: '#ffff00', fillOpacity: 0.9 }).addTo(this.draft);
    } else if (latlngs.length > 1) {
      (closed ? L.polygon(latlngs, { ...style, fillOpacity: 0.2 }) : L.polyline(latlngs, style)).addTo(this.draft);
      for (const ll of latlngs) L.circleMarker(ll, { ...style, radius: 4, dashArray: null, fillOpacity: 1 }).addTo(this.draft);
    }
  }

  clearDraft() {
    this.draft.clearLayers();
  }

  /**
   * Shows a drafted incident's point as a marker the analyst can drag;
   * `onMove(lon, lat)` hears where it was dropped. One marker per `key`.
   */
  setIntakeMarker(key, [lon, lat], label, onMove) {
    const at = [lat, lon];
    let marker = this.intakeMarkers.get(key);
    if (marker) {
      marker.setLatLng(at);
      return;
    }
    marker = L.marker(at, {
      draggable: true, keyboard: true, title: label, alt: label, riseOnHover: true,
      icon: L.divIcon({ className: 'intake-pin', html: '', iconSize: [22, 22], iconAnchor: [11, 22] }),
    }).on('add', () => {
      const el = marker.getElement();
      el.dataset.intake = key;
      el.setAttribute('aria-label', `${label} (drag to move)`);
    }).on('dragend', () => {
      const ll = marker.getLatLng();
      onMove(round6(ll.lng), round6(ll.lat));
    });
    this.intakeMarkers.set(key, marker);
    marker.addTo(this.intake);
  }

  removeIntakeMarker(key) {
    this.intakeMarkers.get(key)?.remove();
    this.intakeMarkers.delete(key);
  }

  clearIntakeMarkers() {
    this.intake.clearLayers();
    this.intakeMarkers.clear();
  }

  /** Brings a point into view, unless it already is. */
  reveal(lon, lat) {
    if (!this.map.getBounds().contains([lat, lon])) this.map.panTo([lat, lon], { animate: false });
  }

  invalidate() {
    this.map.invalidateSize();
  }
}

const round6 = (v) => Math.round(v * 1e6) / 1e6;

function card(title, rows) {
  return h('div', { class: 'card' }, h('strong', null, title),
    h('dl', null, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '—')])));
}

/** Labelled layer switches with each layer's key, in one fieldset. */
export function renderLegend(container, cmap, parties) {
  const swatch = (colour, shape, text) => h('li', null,
    h('span', { class: `swatch ${shape}`, style: `--c:${colour}`, 'aria-hidden': 'true' }), text);
  const keys = {
    zones: parties.map((p) => swatch(cmap.partyColour(p.id), 'area', p.id)),
    sites: Object.entries(SITE_COLOURS).map(([k, c]) => swatch(c, 'dot', humanize(k))),
    movements: Object.entries(STATUS_COLOURS).map(([k, c]) => swatch(c, k === 'pending' ? 'dash' : 'line', humanize(k))),
    operations: [swatch(OPERATION_COLOUR, 'area dashed', 'area of operation')],
    agreements: [swatch(AGREEMENT_COLOUR, 'line wide', 'agreed corridor'), swatch(AGREEMENT_COLOUR, 'area dotted', 'agreement area')],
    incidents: Object.entries(GRADE_COLOURS).map(([k, c]) => swatch(c, 'dot', humanize(k))),
  };
  replace(container, h('legend', null, 'Layers and legend'), LAYERS.map((l) => {
    const id = `layer-${l.key}`;
    const box = h('input', { type: 'checkbox', id, checked: cmap.map.hasLayer(cmap.layers[l.key]), dataset: { layer: l.key } });
    box.addEventListener('change', () => cmap.setLayerVisible(l.key, box.checked));
    return h('div', { class: 'layer' }, h('label', { for: id }, box, ` ${l.label}`),
      h('ul', { class: 'key', 'aria-label': `Key: ${l.label.toLowerCase()}` }, keys[l.key]));
  }));
}
