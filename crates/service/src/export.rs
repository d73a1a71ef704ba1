//! Exports for spreadsheets and GIS: CSV with an HXL hashtag row under the
//! header (so humanitarian data tools recognise each column), and GeoJSON.
//!
//! An export is one bounded response: beyond [`MAX_EXPORT_ROWS`] rows it is
//! refused, and the paginated views are the way to read more.

use corridor_state::accountability::Incident;
use corridor_state::State;
use corridor_statement::timefmt::{format_ms, format_us};
use serde_json::{json, Value};

use crate::error::QueryError;
use crate::Service;

pub const MAX_EXPORT_ROWS: usize = 100_000;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Sites,
    Movements,
    Incidents,
    Distributions,
}

impl ExportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sites" => Some(Self::Sites),
            "movements" => Some(Self::Movements),
            "incidents" => Some(Self::Incidents),
            "distributions" => Some(Self::Distributions),
            _ => None,
        }
    }
}

/// One CSV field, quoted when it must be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn row(cells: &[String]) -> String {
    let mut line = cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A representative position: a point's own, else the middle of the positions' box.
fn position(g: &Value) -> (String, String) {
    fn walk(v: &Value, acc: &mut Vec<(f64, f64)>) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a[0].is_number() => {
                acc.push((a[0].as_f64().unwrap_or(0.0), a[1].as_f64().unwrap_or(0.0)));
            }
            Some(a) => a.iter().for_each(|c| walk(c, acc)),
            None => {}
        }
    }
    let mut pts = Vec::new();
    walk(&g["coordinates"], &mut pts);
    if pts.is_empty() {
        return (String::new(), String::new());
    }
    let (min_x, max_x) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (min_y, max_y) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    (format!("{}", (min_y + max_y) / 2.0), format!("{}", (min_x + max_x) / 2.0))
}

fn window_cells(w: &corridor_geo::Window) -> [String; 2] {
    [opt(w.from_us().map(format_us)), opt(w.to_us().map(format_us))]
}

fn sites_csv(state: &State) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    let header = [
        "ref",
        "name",
        "category",
        "operator",
        "lat",
        "lon",
        "buffer_m",
        "people",
        "valid_from",
        "valid_to",
        "notified_at",
        "withdrawn_at",
    ];
    let hxl = [
        "#loc+code",
        "#loc+name",
        "#loc+type",
        "#org+code",
        "#geo+lat",
        "#geo+lon",
        "#geo+buffer",
        "#population",
        "#date+start",
        "#date+end",
        "#date+reported",
        "#date+withdrawn",
    ];
    let rows = state
        .access()
        .sites()
        .map(|s| {
            let (lat, lon) = position(&s.geometry);
            let [from, to] = window_cells(&s.window);
            let category = serde_json::to_value(s.category).ok().and_then(|v| v.as_str().map(str::to_owned));
            vec![
                s.reference.to_string(),
                s.name.clone(),
                opt(category),
                s.operator.clone(),
                lat,
                lon,
                s.buffer_m.to_string(),
                opt(s.people),
                from,
                to,
                format_ms(s.notified.at_us),
                opt(s.withdrawn.as_ref().map(|e| format_ms(e.at.at_us))),
            ]
        })
        .collect();
    (header.map(str::to_owned).to_vec(), hxl.map(str::to_owned).to_vec(), rows)
}

fn movements_csv(state: &State, now_us: i64) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    let header = [
        "ref",
        "requester",
        "purpose",
        "status",
        "origin",
        "destination",
        "origin_lat",
        "origin_lon",
        "destination_lat",
        "destination_lon",
        "window_from",
        "window_to",
        "vehicles",
        "people",
        "consignment",
        "approvers",
        "requested_at",
    ];
    let hxl = [
        "#activity+code",
        "#org+code",
        "#activity+type",
        "#status",
        "#loc+origin+name",
        "#loc+destination+name",
        "#geo+lat+origin",
        "#geo+lon+origin",
        "#geo+lat+destination",
        "#geo+lon+destination",
        "#date+start",
        "#date+end",
        "#capacity+vehicles",
        "#population+travelling",
        "#item+consignment",
        "#org+approvers",
        "#date+reported",
    ];
    let rows = state
        .access()
        .movements()
        .map(|m| {
            let coords = m.plan.route["coordinates"].as_array().cloned().unwrap_or_default();
            let end =
                |p: Option<&Value>| (opt(p.and_then(|p| p[1].as_f64())), opt(p.and_then(|p| p[0].as_f64())));
            let (olat, olon) = end(coords.first());
            let (dlat, dlon) = end(coords.last());
            let [from, to] = window_cells(&m.window);
            let purpose =
                serde_json::to_value(m.plan.purpose).ok().and_then(|v| v.as_str().map(str::to_owned));
            let approvers = m.approvers.keys().cloned().collect::<Vec<_>>().join(" ");
            vec![
                m.reference.to_string(),
                m.requester.clone(),
                opt(purpose),
                m.status(now_us).as_str().to_owned(),
                m.plan.origin.clone(),
                m.plan.destination.clone(),
                olat,
                olon,
                dlat,
                dlon,
                from,
                to,
                m.plan.vehicles.to_string(),
                m.plan.people.to_string(),
                opt(m.plan.consignment.clone()),
                approvers,
                format_ms(m.requested.at_us),
            ]
        })
        .collect();
    (header.map(str::to_owned).to_vec(), hxl.map(str::to_owned).to_vec(), rows)
}

fn incident_row(i: &Incident) -> Vec<String> {
    let (lat, lon) = position(&i.report.geometry);
    let [from, to] = window_cells(&i.window);
    let c = &i.report.casualties;
    let range = |r: Option<corridor_statement::accountability::Range>| {
        [opt(r.and_then(|r| r.min)), opt(r.and_then(|r| r.max))]
    };
    let [km, kx] = range(Some(c.killed));
    let [im, ix] = range(Some(c.injured));
    let [ckm, ckx] = range(c.children_killed);
    let [cim, cix] = range(c.children_injured);
    let grade = i.grade();
    let text = |v: Option<Value>| opt(v.and_then(|v| v.as_str().map(str::to_owned)));
    let kind = text(serde_json::to_value(i.report.kind).ok());
    let occurrence = text(grade.and_then(|g| serde_json::to_value(g.occurrence).ok()));
    let attribution = text(grade.and_then(|g| serde_json::to_value(g.attribution).ok()));
    let sources = i.report.sources.iter().map(|s| s.outlet.clone()).collect::<Vec<_>>().join("; ");
    vec![
        i.reference.to_string(),
        kind,
        from,
        to,
        lat,
        lon,
        i.report.precision_m.to_string(),
        km,
        kx,
        im,
        ix,
        ckm,
        ckx,
        cim,
        cix,
        opt(i.report.alleged_perpetrator.clone()),
        occurrence,
        attribution,
        i.reporter.clone(),
        sources,
    ]
}

fn incidents_csv(state: &State) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    let header = [
        "ref",
        "kind",
        "from",
        "to",
        "lat",
        "lon",
        "precision_m",
        "killed_min",
        "killed_max",
        "injured_min",
        "injured_max",
        "children_killed_min",
        "children_killed_max",
        "children_injured_min",
        "children_injured_max",
        "alleged_perpetrator",
        "occurrence",
        "attribution",
        "reporter",
        "sources",
    ];
    let hxl = [
        "#event+code",
        "#event+type",
        "#date+start",
        "#date+end",
        "#geo+lat",
        "#geo+lon",
        "#geo+precision",
        "#affected+killed+min",
        "#affected+killed+max",
        "#affected+injured+min",
        "#affected+injured+max",
        "#affected+killed+children+min",
        "#affected+killed+children+max",
        "#affected+injured+children+min",
        "#affected+injured+children+max",
        "#org+perpetrator+alleged",
        "#status+occurrence",
        "#status+attribution",
        "#org+reporter",
        "#meta+source",
    ];
    let rows = state.accountability().incidents().map(incident_row).collect();
    (header.map(str::to_owned).to_vec(), hxl.map(str::to_owned).to_vec(), rows)
}

fn distributions_csv(state: &State) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    let header = [
        "ref",
        "site",
        "consignment",
        "round",
        "period_from",
        "period_to",
        "item",
        "unit",
        "quantity",
        "households",
        "people",
        "planned_per_person",
    ];
    let hxl = [
        "#activity+code",
        "#loc+code",
        "#item+consignment",
        "#activity+round",
        "#date+start",
        "#date+end",
        "#item+name",
        "#item+unit",
        "#output+quantity",
        "#reached+hh",
        "#reached+ind",
        "#targeted+per_person",
    ];
    let mut rows = Vec::new();
    for d in state.accountability().distributions() {
        let period = corridor_statement::access::parse_window("period", &d.report.period).ok();
        let [from, to] = period.map_or([String::new(), String::new()], |w| window_cells(&w));
        for q in &d.report.items {
            let plan = d.report.planned_per_person.iter().find(|p| p.item == q.item && p.unit == q.unit);
            rows.push(vec![
                d.reference.to_string(),
                d.report.site.clone(),
                opt(d.report.consignment.clone()),
                d.report.round.clone(),
                from.clone(),
                to.clone(),
                q.item.clone(),
                q.unit.clone(),
                q.quantity.to_string(),
                d.report.households.to_string(),
                d.report.people.to_string(),
                opt(plan.map(|p| p.quantity)),
            ]);
        }
    }
    (header.map(str::to_owned).to_vec(), hxl.map(str::to_owned).to_vec(), rows)
}

impl Service {
    /// CSV with the header row, then the HXL hashtag row, then one row per record.
    pub async fn export_csv(&self, kind: ExportKind) -> Result<String, QueryError> {
        let now = self.inner.clock.now_us();
        let p = self.inner.published.read().await;
        let (header, hxl, rows) = match kind {
            ExportKind::Sites => sites_csv(&p.state),
            ExportKind::Movements => movements_csv(&p.state, now),
            ExportKind::Incidents => incidents_csv(&p.state),
            ExportKind::Distributions => distributions_csv(&p.state),
        };
        if rows.len() > MAX_EXPORT_ROWS {
            return Err(too_many_rows());
        }
        let mut out = row(&header) + &row(&hxl);
        for r in rows {
            out.push_str(&row(&r));
        }
        Ok(out)
    }

    /// GeoJSON of everything of a kind (distributions: the report records),
    /// refused like the CSV beyond [`MAX_EXPORT_ROWS`].
    pub async fn export_geojson(&self, kind: ExportKind) -> Result<Value, QueryError> {
        let max = MAX_EXPORT_ROWS;
        let filter = crate::Filter::default();
        let collection = match kind {
            ExportKind::Sites => self.sites_upto(&filter, max).await,
            ExportKind::Movements => self.movements_upto(&filter, max).await,
            ExportKind::Incidents => self.incidents_upto(None, None, max).await,
            ExportKind::Distributions => {
                let p = self.inner.published.read().await;
                let reports: Vec<_> = p.state.accountability().distributions().take(max + 1).collect();
                if reports.len() > max {
                    return Err(too_many_rows());
                }
                return Ok(json!({"distributions": reports}));
            }
        };
        if !collection["next_after"].is_null() {
            return Err(too_many_rows());
        }
        Ok(collection)
    }
}

fn too_many_rows() -> QueryError {
    QueryError::BadRequest(format!("more than {MAX_EXPORT_ROWS} rows; page through the /v1 views"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(row(&["a".into(), "b,c".into(), "say \"hi\"".into()]), "a,\"b,c\",\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn position_of_a_polygon_is_the_middle_of_its_box() {
        let g = json!({"type": "Polygon", "coordinates": [[[36, 33], [38, 33], [38, 35], [36, 33]]]});
        assert_eq!(position(&g), ("34".to_owned(), "37".to_owned()));
    }
}
