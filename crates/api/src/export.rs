//! Exports for spreadsheets and GIS: CSV with an HXL hashtag row under the
//! header (so humanitarian data tools recognise each column), and GeoJSON.
//!
//! An export is one bounded response: beyond
//! [`corridor_service::MAX_EXPORT_ROWS`] rows it is refused, and the paginated
//! views are the way to read more.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_geo::{Geometry, Position};
use corridor_service::{Filter, Service, View, MAX_EXPORT_ROWS};
use corridor_state::access::{Movement, Site};
use corridor_state::accountability::{Distribution, Incident};
use corridor_statement::access::Window;
use corridor_statement::accountability::Range;

use crate::dto::access::{MovementCollection, MovementFeature, SiteCollection, SiteFeature};
use crate::dto::accountability::{DistributionCollection, DistributionFeature, IncidentCollection};
use crate::dto::{time_ms, time_us};
use crate::dto::{CollectionTag, GeoJson};
use crate::extract::Path;
use crate::problem::Problem;
use crate::routes::{bad_request, geojson};

/// The GeoJSON export of one kind (documentation of `/v1/export/{kind}.geojson`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ExportGeoJson {
    Sites(SiteCollection),
    Movements(MovementCollection),
    Incidents(IncidentCollection),
    Distributions(DistributionCollection),
}

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportKind {
    Sites,
    Movements,
    Incidents,
    Distributions,
}

impl ExportKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "sites" => Some(Self::Sites),
            "movements" => Some(Self::Movements),
            "incidents" => Some(Self::Incidents),
            "distributions" => Some(Self::Distributions),
            _ => None,
        }
    }
}

/// Export sites, movements, incidents or distributions: `<kind>.csv` (header
/// row, then HXL hashtags, then one row per record) or `<kind>.geojson`.
#[utoipa::path(get, path = "/v1/export/{file}", tag = "accountability",
    params(("file" = String, Path, description = "sites, movements, incidents or distributions, then .csv or .geojson")),
    responses(
        (status = 200, description = "CSV, or GeoJSON of every record of the kind",
            content((String = "text/csv"), (ExportGeoJson = "application/geo+json"))),
        (status = 400, description = "More rows than one export holds", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export(State(svc): State<Service>, Path(file): Path<String>) -> Result<Response, Problem> {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "export sites, movements, incidents or distributions as .csv or .geojson",
        )
    };
    let (kind, format) = file.rsplit_once('.').ok_or_else(not_found)?;
    let kind = ExportKind::parse(kind).ok_or_else(not_found)?;
    match format {
        "csv" => {
            let body = svc.read(|v| csv(&v, kind)).await??;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
        }
        "geojson" => svc.read(|v| export_geojson(&v, kind)).await?,
        _ => Err(not_found()),
    }
}

fn too_many_rows() -> Problem {
    bad_request(format!("more than {MAX_EXPORT_ROWS} rows; page through the /v1 views"))
}

/// GeoJSON of everything of a kind (distributions: each report at its site).
fn export_geojson(v: &View<'_>, kind: ExportKind) -> Result<Response, Problem> {
    let all = Filter { limit: MAX_EXPORT_ROWS, ..Filter::default() };
    let (response, cut) = match kind {
        ExportKind::Sites => {
            let page = v.sites(&all);
            let cut = page.next_after.is_some();
            (geojson(&SiteCollection::new(page, SiteFeature::from)), cut)
        }
        ExportKind::Movements => {
            let page = v.movements(&all);
            let cut = page.next_after.is_some();
            (geojson(&MovementCollection::new(page, |m| MovementFeature::new(m, v.now_us))), cut)
        }
        ExportKind::Incidents => {
            let page = v.incidents(None, None, MAX_EXPORT_ROWS);
            (geojson(&IncidentCollection::from(&page)), page.page.next_after.is_some())
        }
        ExportKind::Distributions => {
            let reports: Vec<&Distribution> =
                v.state.accountability().distributions().take(MAX_EXPORT_ROWS + 1).collect();
            let cut = reports.len() > MAX_EXPORT_ROWS;
            let at_site = |d: &Distribution| {
                let site = v.state.access().site(&d.report.site);
                DistributionFeature::new(d, site.map(|s| GeoJson::from(&s.geometry)))
            };
            let features = reports.into_iter().map(at_site).collect();
            let body = DistributionCollection { kind: CollectionTag::Tag, features };
            (geojson(&body), cut)
        }
    };
    if cut {
        return Err(too_many_rows());
    }
    Ok(response)
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

/// A representative position as (lat, lon) text: a point's own, else the
/// middle of the positions' box.
fn position(g: &Geometry) -> (String, String) {
    let pts: Vec<Position> = g.coordinates().into_iter().flatten().flatten().collect();
    if pts.is_empty() {
        return (String::new(), String::new());
    }
    let (min_x, max_x) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.lon), b.max(p.lon)));
    let (min_y, max_y) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.lat), b.max(p.lat)));
    (format!("{}", (min_y + max_y) / 2.0), format!("{}", (min_x + max_x) / 2.0))
}

fn window_cells(w: &Window) -> [String; 2] {
    [opt(w.from_us().map(time_us)), opt(w.to_us().map(time_us))]
}

/// A table: its header, its HXL hashtag row, its rows.
struct Table {
    header: &'static [&'static str],
    hxl: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

/// CSV with the header row, then the HXL hashtag row, then one row per record.
fn csv(v: &View<'_>, kind: ExportKind) -> Result<String, Problem> {
    let table = match kind {
        ExportKind::Sites => Table {
            header: SITE_HEADER,
            hxl: SITE_HXL,
            rows: v.state.access().sites().map(site_row).collect(),
        },
        ExportKind::Movements => Table {
            header: MOVEMENT_HEADER,
            hxl: MOVEMENT_HXL,
            rows: v.state.access().movements().map(|m| movement_row(m, v.now_us)).collect(),
        },
        ExportKind::Incidents => Table {
            header: INCIDENT_HEADER,
            hxl: INCIDENT_HXL,
            rows: v.state.accountability().incidents().map(incident_row).collect(),
        },
        ExportKind::Distributions => Table {
            header: DISTRIBUTION_HEADER,
            hxl: DISTRIBUTION_HXL,
            rows: v.state.accountability().distributions().flat_map(distribution_rows).collect(),
        },
    };
    if table.rows.len() > MAX_EXPORT_ROWS {
        return Err(too_many_rows());
    }
    let texts = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    let mut out = row(&texts(table.header)) + &row(&texts(table.hxl));
    for r in table.rows {
        out.push_str(&row(&r));
    }
    Ok(out)
}

const SITE_HEADER: &[&str] = &[
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
const SITE_HXL: &[&str] = &[
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

fn site_row(s: &Site) -> Vec<String> {
    let (lat, lon) = position(&s.geometry);
    let [from, to] = window_cells(&s.window);
    vec![
        s.reference.to_string(),
        s.name.clone(),
        s.category.as_str().to_owned(),
        s.operator.clone(),
        lat,
        lon,
        s.buffer_m.to_string(),
        opt(s.people),
        from,
        to,
        time_ms(s.notified.at_us),
        opt(s.withdrawn.as_ref().map(|e| time_ms(e.at.at_us))),
    ]
}

const MOVEMENT_HEADER: &[&str] = &[
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
const MOVEMENT_HXL: &[&str] = &[
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

fn movement_row(m: &Movement, now_us: i64) -> Vec<String> {
    let route: Vec<Position> = m.plan.route.coordinates().into_iter().flatten().flatten().collect();
    let end = |p: Option<&Position>| (opt(p.map(|p| p.lat)), opt(p.map(|p| p.lon)));
    let (olat, olon) = end(route.first());
    let (dlat, dlon) = end(route.last());
    let [from, to] = window_cells(&m.plan.window);
    vec![
        m.reference.to_string(),
        m.requester.clone(),
        m.plan.purpose.as_str().to_owned(),
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
        m.approvers.keys().cloned().collect::<Vec<_>>().join(" "),
        time_ms(m.requested.at_us),
    ]
}

const INCIDENT_HEADER: &[&str] = &[
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
const INCIDENT_HXL: &[&str] = &[
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

fn incident_row(i: &Incident) -> Vec<String> {
    let r = &i.report;
    let (lat, lon) = position(&r.geometry);
    let [from, to] = window_cells(&r.window);
    let range = |r: Option<Range>| [opt(r.and_then(|r| r.min)), opt(r.and_then(|r| r.max))];
    let c = &r.casualties;
    let [km, kx] = range(Some(c.killed));
    let [im, ix] = range(Some(c.injured));
    let [ckm, ckx] = range(c.children_killed);
    let [cim, cix] = range(c.children_injured);
    let grade = i.grade();
    vec![
        i.reference.to_string(),
        r.kind.as_str().to_owned(),
        from,
        to,
        lat,
        lon,
        r.precision_m.to_string(),
        km,
        kx,
        im,
        ix,
        ckm,
        ckx,
        cim,
        cix,
        opt(r.alleged_perpetrator.clone()),
        opt(grade.map(|g| g.occurrence.as_str())),
        opt(grade.map(|g| g.attribution.as_str())),
        i.reporter.clone(),
        r.sources.iter().map(|s| s.outlet.clone()).collect::<Vec<_>>().join("; "),
    ]
}

const DISTRIBUTION_HEADER: &[&str] = &[
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
const DISTRIBUTION_HXL: &[&str] = &[
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

/// One row per item of a report.
fn distribution_rows(d: &Distribution) -> Vec<Vec<String>> {
    let r = &d.report;
    let [from, to] = window_cells(&r.period);
    r.items
        .iter()
        .map(|q| {
            let plan = r.planned_per_person.iter().find(|p| p.item == q.item && p.unit == q.unit);
            vec![
                d.reference.to_string(),
                r.site.to_string(),
                opt(r.consignment.clone()),
                r.round.clone(),
                from.clone(),
                to.clone(),
                q.item.clone(),
                q.unit.clone(),
                q.quantity.to_string(),
                r.households.to_string(),
                r.people.to_string(),
                opt(plan.map(|p| p.quantity)),
            ]
        })
        .collect()
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
        let p = |lon, lat| Position::new(lon, lat);
        let g = Geometry::polygon(&[vec![p(36.0, 33.0), p(38.0, 33.0), p(38.0, 35.0), p(36.0, 33.0)]])
            .expect("valid");
        assert_eq!(position(&g), ("34".to_owned(), "37".to_owned()));
    }
}
