//! Every listing pages by one rule, seen through the HTTP API in process: at
//! most `limit` items, a cursor only when more follow, the next page strictly
//! after it; `limit` refused the same way everywhere; exports never cut to a
//! page.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use corridor_api::{router, HttpLimits};
use corridor_console::Console;
use corridor_note::SignerKey;
use corridor_service::{Clock, Limits, Service};
use corridor_statement::sign;
use corridor_store::memory::MemoryStore;
use serde_json::{json, Value};
use tower::ServiceExt as _;

/// A clock that does not move.
struct Fixed;

impl Clock for Fixed {
    fn now_us(&self) -> i64 {
        1_795_341_600_000_000
    }
}

fn ops() -> SignerKey {
    SignerKey::from_seed("ops", [1; 32]).expect("name")
}

fn envelope(kind: &str, id: &str, body: Value) -> Vec<u8> {
    let st = json!({"type": kind, "issuer": "ops", "id": id, "issued_at": "2026-11-22T10:00:00.000Z", "body": body});
    serde_json::to_vec(&sign(st.to_string().as_bytes(), &[&ops()])).expect("json")
}

struct Api {
    router: axum::Router,
}

impl Api {
    /// A log whose operator is also an authority's stand-in: it files sites,
    /// an operation over them, messages to itself and distribution reports.
    async fn new(max_page: usize) -> Self {
        let (w, r) = MemoryStore::new().open();
        let log_key = SignerKey::from_seed("corridor.test/log", [7; 32]).expect("name");
        let limits = Limits { max_page, ..Limits::default() };
        let svc = Service::start(Box::new(w), Arc::new(r), log_key, Arc::new(Fixed), limits).expect("starts");
        let router = router(svc, &HttpLimits::default(), Console::Embedded);
        let api = Self { router };
        let genesis =
            json!({"id": "ops", "name": "Ops", "kind": "authority", "keys": [ops().verifier().to_vkey()]});
        api.submit(envelope("party.register", "g", genesis)).await;
        api
    }

    async fn submit(&self, body: Vec<u8>) {
        let req = Request::post("/v1/statements").body(Body::from(body)).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("answers");
        assert_eq!(resp.status(), StatusCode::CREATED);
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let req = Request::get(uri).body(Body::empty()).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("answers");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Follows `next_after` from the first page, returning each page's items.
    async fn pages(&self, path: &str, list: &str, limit: usize) -> Vec<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut uri = format!("{path}{sep}limit={limit}");
        let mut pages = vec![];
        loop {
            let (status, page) = self.get(&uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {page}");
            let items = page[list].as_array().expect("items").clone();
            assert!(items.len() <= limit, "{uri}: a page never exceeds the limit");
            pages.push(items);
            let after = match &page["next_after"] {
                Value::Null => return pages,
                Value::String(s) => s.clone(),
                n => n.to_string(),
            };
            uri = format!("{path}{sep}limit={limit}&after={after}");
        }
    }
}

fn point(i: u32) -> Value {
    json!({"type": "Point", "coordinates": [36.0 + f64::from(i) / 10.0, 33.0]})
}

async fn five_sites(api: &Api) {
    for i in 0..5 {
        let body = json!({"name": format!("site {i}"), "category": "clinic", "buffer_m": 100,
            "geometry": point(i), "window": {"from": "2026-11-22T00:00:00.000Z"}});
        api.submit(envelope("site.notify", &format!("s{i}"), body)).await;
    }
}

#[tokio::test]
async fn pages_chain_without_gaps_and_exports_are_not_cut_to_a_page() {
    let api = Api::new(2).await;
    five_sites(&api).await;
    let ids: Vec<String> = api
        .pages("/v1/sites", "features", 2)
        .await
        .concat()
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    let expected: Vec<String> = (0..5).map(|i| format!("ops/s{i}")).collect();
    assert_eq!(ids, expected);
    let (_, export) = api.get("/v1/export/sites.geojson").await;
    assert_eq!(export["features"].as_array().map(Vec::len), Some(5));
    assert!(export["next_after"].is_null());

    // Distribution rounds page the same way, each page carrying its rounds' reports.
    for (i, round) in ["R1", "R2", "R2", "R3"].iter().enumerate() {
        let body = json!({"site": format!("ops/s{i}"), "round": round, "households": 10, "people": 50,
            "period": {"from": "2026-11-22T00:00:00.000Z", "to": "2026-11-23T00:00:00.000Z"},
            "items": [{"item": "flour", "unit": "kg", "quantity": 100}]});
        api.submit(envelope("distribution.report", &format!("d{i}"), body)).await;
    }
    let mut rounds = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let uri =
            format!("/v1/distributions?limit=1{}", after.map(|a| format!("&after={a}")).unwrap_or_default());
        let (_, page) = api.get(&uri).await;
        let page_rounds: Vec<&str> =
            page["rounds"].as_array().expect("rounds").iter().filter_map(|r| r["round"].as_str()).collect();
        assert_eq!(page_rounds.len(), 1, "one round per page");
        for report in page["reports"].as_array().expect("reports") {
            assert_eq!(
                report["report"]["round"].as_str(),
                Some(page_rounds[0]),
                "a page holds its rounds' reports only"
            );
        }
        rounds.push((page_rounds[0].to_owned(), page["reports"].as_array().map_or(0, Vec::len)));
        let Some(next) = page["next_after"].as_str() else { break };
        after = Some(next.to_owned());
    }
    let expected: Vec<(String, usize)> = vec![("R1".into(), 1), ("R2".into(), 2), ("R3".into(), 1)];
    assert_eq!(rounds, expected);
}

#[tokio::test]
async fn messages_and_conflicts_follow_the_same_rule() {
    let api = Api::new(1_000).await;
    five_sites(&api).await;
    for i in 0..4 {
        api.submit(envelope(
            "message.send",
            &format!("m{i}"),
            json!({"to": ["ops"], "subject": "s", "text": "t"}),
        ))
        .await;
    }
    // One operation over every site: five conflicts.
    let area = json!({"type": "Polygon", "coordinates": [[[35.9, 32.9], [36.6, 32.9], [36.6, 33.1], [35.9, 33.1], [35.9, 32.9]]]});
    let op = json!({"name": "op", "geometry": area, "window": {"from": "2026-11-22T00:00:00.000Z"}, "standoff_m": 0, "notified": []});
    api.submit(envelope("operation.notify", "op", op)).await;
    for limit in [1, 2, 3, 4, 5] {
        let messages = api.pages("/v1/messages?to=ops", "messages", limit).await;
        assert_eq!(messages.concat().len(), 4, "limit {limit}: every message once");
        assert_eq!(messages.len(), 4usize.div_ceil(limit), "limit {limit}: no empty last page");
        let conflicts = api.pages("/v1/conflicts", "conflicts", limit).await;
        let sites: Vec<&str> =
            conflicts.iter().flatten().filter_map(|c| c["with"]["site"].as_str()).collect();
        assert_eq!(sites, (0..5).map(|i| format!("ops/s{i}")).collect::<Vec<_>>(), "limit {limit}");
        assert_eq!(conflicts.len(), 5usize.div_ceil(limit), "limit {limit}: no empty last page");
    }
}

#[tokio::test]
async fn every_listing_refuses_a_bad_limit_alike() {
    let api = Api::new(1_000).await;
    let listings = [
        "/v1/zones?",
        "/v1/sites?",
        "/v1/movements?",
        "/v1/operations?",
        "/v1/agreements?",
        "/v1/incidents?",
        "/v1/claims?",
        "/v1/consignments?",
        "/v1/distributions?",
        "/v1/conflicts?",
        "/v1/messages?to=ops&",
    ];
    for path in listings {
        for bad in ["0", "1001", "-1", "x"] {
            let (status, problem) = api.get(&format!("{path}limit={bad}")).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("bad_request")),
                "{path}limit={bad}"
            );
        }
        let (status, _) = api.get(&format!("{path}limit=1000")).await;
        assert_eq!(status, StatusCode::OK, "{path}limit=1000");
    }
}
