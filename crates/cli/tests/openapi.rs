//! The OpenAPI document against the real server: every documented route is
//! called on the demo, and every response's status, content type and body
//! must be what `/openapi.json` says for it. Objects are held to their
//! documented properties (no undocumented field passes), and every route the
//! document lists must have been walked.

mod support;

use std::collections::BTreeSet;

use corridor_note::SignerKey;
use corridor_statement::sign;
use serde_json::{json, Map, Value};
use support::start_with;

/// The document's schema for one response, its `$ref`s resolving against
/// the document's components, with objects closed to undocumented properties.
fn response_schema(doc: &Value, path: &str, method: &str, status: u16, ctype: &str) -> Result<Value, String> {
    let op = &doc["paths"][path][method];
    let resp = &op["responses"][status.to_string()];
    if resp.is_null() {
        return Err(format!("{method} {path}: status {status} is not documented"));
    }
    let media = ctype.split(';').next().unwrap_or("").trim();
    let content =
        resp["content"].as_object().ok_or_else(|| format!("{method} {path} {status}: no content"))?;
    let schema = content.get(media).map(|c| c["schema"].clone()).ok_or_else(|| {
        format!(
            "{method} {path} {status}: content type {media} is not documented ({:?})",
            content.keys().collect::<Vec<_>>()
        )
    })?;
    let mut root = json!({"components": doc["components"].clone()});
    let root_map = root.as_object_mut().expect("object");
    if let Value::Object(m) = schema {
        root_map.extend(m);
    }
    close_objects(&mut root);
    Ok(root)
}

/// Sets `additionalProperties: false` on every object schema that lists its
/// properties and says nothing of others.
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            m.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn check(schema: &Value, body: &Value, what: &str) {
    let validator =
        jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{what}: schema does not compile: {e}"));
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{what}: the response does not match its schema:\n{}\n{body}",
        errors.join("\n")
    );
}

struct Walk {
    doc: Value,
    url: String,
    client: reqwest::Client,
    walked: BTreeSet<(String, String)>,
}

impl Walk {
    /// Calls `method uri` as the documented `path`, and checks the answer.
    async fn call(&mut self, method: &str, path: &str, uri: &str, body: Option<Vec<u8>>) -> (u16, Value) {
        let req = match method {
            "post" => self.client.post(format!("{}{uri}", self.url)).body(body.unwrap_or_default()),
            _ => self.client.get(format!("{}{uri}", self.url)),
        };
        let resp = req.send().await.expect("answers");
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = resp.bytes().await.expect("body");
        let what = format!("{} {uri} -> {status} {ctype}", method.to_uppercase());
        let schema = response_schema(&self.doc, path, method, status, &ctype)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let value = if ctype.contains("json") {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
            check(&schema, &v, &what);
            v
        } else {
            Value::Null
        };
        self.walked.insert((method.to_owned(), path.to_owned()));
        (status, value)
    }

    async fn get(&mut self, path: &str, uri: &str) -> (u16, Value) {
        self.call("get", path, uri, None).await
    }
}

fn signed(key: &SignerKey, kind: &str, id: &str, body: Value) -> Vec<u8> {
    let st = json!({"type": kind, "issuer": key.name(), "id": id, "issued_at": "2026-11-22T10:00:00.000Z", "body": body});
    serde_json::to_vec(&sign(st.to_string().as_bytes(), &[key])).expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_as_documented() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let demo = start_with(&["demo", "--data", "d", "--listen", "127.0.0.1:0"], tmp.path());
    let client = reqwest::Client::new();
    let doc: Value = client
        .get(format!("{}/openapi.json", demo.url))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut w = Walk { doc: doc.clone(), url: demo.url.clone(), client, walked: BTreeSet::new() };

    // Listings: a page, a page of one, a refused limit.
    for (path, extra) in [
        ("/v1/zones", ""),
        ("/v1/sites", ""),
        ("/v1/movements", ""),
        ("/v1/operations", ""),
        ("/v1/agreements", ""),
        ("/v1/incidents", ""),
        ("/v1/claims", ""),
        ("/v1/consignments", ""),
        ("/v1/distributions", ""),
        ("/v1/conflicts", ""),
        ("/v1/messages", "to=southern-task-force&"),
    ] {
        let (status, page) = w.get(path, &format!("{path}?{extra}")).await;
        assert_eq!(status, 200, "{path}");
        assert!(!page.as_object().map(Map::is_empty).unwrap_or(true), "{path}");
        w.get(path, &format!("{path}?{extra}limit=1")).await;
        assert_eq!(w.get(path, &format!("{path}?{extra}limit=0")).await.0, 400, "{path}");
    }
    w.get("/v1/sites", "/v1/sites?bbox=36,33,39,34&status=active").await;
    w.get("/v1/movements", "/v1/movements?status=pending&party=southern-task-force").await;
    assert_eq!(w.get("/v1/zones", "/v1/zones?at=yesterday").await.0, 400);

    // One object each, and one that does not exist.
    for (path, found, missing) in [
        (
            "/v1/movements/{issuer}/{id}",
            "/v1/movements/relief-consortium/convoy-rukban",
            "/v1/movements/nobody/none",
        ),
        (
            "/v1/incidents/{issuer}/{id}/evidence",
            "/v1/incidents/health-alliance/inc-clinic-shelling/evidence",
            "/v1/incidents/x/y/evidence",
        ),
        (
            "/v1/agreements/{issuer}/{id}/violations",
            "/v1/agreements/ops/pause-rukban/violations",
            "/v1/agreements/x/y/violations",
        ),
        ("/v1/claims/{issuer}/{id}", "/v1/claims/ops/claim-no-request", "/v1/claims/x/y"),
        ("/v1/consignments/{id}", "/v1/consignments/EX-RUKBAN-01", "/v1/consignments/none"),
        ("/v1/entries/{index}", "/v1/entries/3", "/v1/entries/99999"),
        ("/v1/receipts/{index}", "/v1/receipts/3", "/v1/receipts/99999"),
    ] {
        assert_eq!(w.get(path, found).await.0, 200, "{found}");
        assert_eq!(w.get(path, missing).await.0, 404, "{missing}");
    }
    assert_eq!(w.get("/v1/entries/{index}", "/v1/entries/x").await.0, 400);
    assert_eq!(w.get("/v1/consignments/{id}", "/v1/consignments/EX-RUKBAN-01?tolerance=5").await.0, 400);

    // The log and its proofs; every entry's statement against its type's body schema.
    let (_, log) = w.get("/v1/log", "/v1/log").await;
    let size = log["size"].as_u64().expect("size");
    let mut request = None;
    for index in 0..size {
        let (status, entry) = w.get("/v1/entries/{index}", &format!("/v1/entries/{index}")).await;
        assert_eq!(status, 200, "entry {index}");
        if entry["statement"]["type"] == "movement.request" && request.is_none() {
            request = Some(entry["statement"].clone());
        }
        let body_type =
            format!("{}Body", body_schema_name(entry["statement"]["type"].as_str().expect("type")));
        let mut schema = json!({"$ref": format!("#/components/schemas/{body_type}"), "components": doc["components"].clone()});
        close_objects(&mut schema);
        check(&schema, &entry["statement"]["body"], &format!("entry {index}'s body against {body_type}"));
    }
    w.get("/checkpoint", "/checkpoint").await;
    w.get("/v1/checkpoints/latest", "/v1/checkpoints/latest").await;
    w.get("/v1/receipts/{index}/cosigned", "/v1/receipts/0/cosigned").await;
    assert_eq!(w.get("/v1/receipts/{index}/cosigned", "/v1/receipts/x/cosigned").await.0, 400);
    w.get("/v1/state/digest", "/v1/state/digest").await;
    w.get("/v1/parties", "/v1/parties").await;
    w.get("/v1/proofs/inclusion", "/v1/proofs/inclusion?index=3").await;
    assert_eq!(w.get("/v1/proofs/inclusion", "/v1/proofs/inclusion").await.0, 400);
    w.get("/v1/proofs/consistency", "/v1/proofs/consistency?from=3").await;
    assert_eq!(w.get("/v1/proofs/consistency", "/v1/proofs/consistency?from=x").await.0, 400);
    assert_eq!(w.get("/tile/{path}", &format!("/tile/0/000.p/{size}")).await.0, 200);
    assert_eq!(w.get("/tile/{path}", &format!("/tile/entries/000.p/{size}")).await.0, 200);
    assert_eq!(w.get("/tile/{path}", "/tile/9/999").await.0, 404);

    // A movement previewed: a logged request's own body, sent again, gets
    // the approvers the fold gave it (the demo changes no zone after its
    // requests); refusals carry the submission's codes and log nothing.
    let request = request.expect("the demo requests a movement");
    let logged =
        format!("/v1/movements/{}/{}", request["issuer"].as_str().unwrap(), request["id"].as_str().unwrap());
    let (_, movement) = w.get("/v1/movements/{issuer}/{id}", &logged).await;
    let preview = |issuer: &str, kind: &str, body: &Value| {
        serde_json::to_vec(&json!({"issuer": issuer, "type": kind, "body": body})).expect("json")
    };
    let path = "/v1/movements/preview";
    let again = preview(request["issuer"].as_str().unwrap(), "movement.request", &request["body"]);
    let (status, previewed) = w.call("post", path, path, Some(again)).await;
    assert_eq!(status, 200, "{previewed}");
    let parties = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|a| a["party"].as_str().expect("party").to_owned())
            .collect()
    };
    assert_eq!(parties(&previewed["required_approvers"]), parties(&movement["required_approvers"]));
    assert!(!parties(&previewed["required_approvers"]).is_empty(), "{previewed}");
    let stranger = preview("nobody", "movement.request", &request["body"]);
    assert_eq!(w.call("post", path, path, Some(stranger)).await.1["code"], "unknown_party");
    let other = preview("ops", "site.notify", &request["body"]);
    assert_eq!(w.call("post", path, path, Some(other)).await.1["code"], "invalid_statement");
    let mut wide = request["body"].clone();
    wide["corridor_m"] = json!(-1);
    let wide = preview(request["issuer"].as_str().unwrap(), "movement.request", &wide);
    assert_eq!(w.call("post", path, path, Some(wide)).await.0, 400);
    assert_eq!(w.call("post", path, path, Some(b"{".to_vec())).await.1["code"], "malformed_json");
    assert_eq!(w.get("/v1/log", "/v1/log").await.1["size"], size, "a preview logs nothing");

    // Exports.
    for kind in ["sites", "movements", "incidents", "distributions"] {
        for format in ["csv", "geojson"] {
            let uri = format!("/v1/export/{kind}.{format}");
            assert_eq!(w.get("/v1/export/{file}", &uri).await.0, 200, "{uri}");
        }
    }
    assert_eq!(w.get("/v1/export/{file}", "/v1/export/nothing.csv").await.0, 404);

    // Operations.
    w.get("/healthz", "/healthz").await;
    w.get("/readyz", "/readyz").await;
    w.get("/metrics", "/metrics").await;
    w.get("/openapi.json", "/openapi.json").await;

    // Submissions: created, resubmitted, refused for each class of fault;
    // and the event stream's data.
    let ops_text = std::fs::read_to_string(tmp.path().join("d/keys/ops.key")).expect("operator key");
    let ops = SignerKey::parse(ops_text.trim()).expect("key");
    let mut events = reqwest::get(format!("{}/v1/events", demo.url)).await.expect("events");
    let ctype = events.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(response_schema(&doc, "/v1/events", "get", 200, &ctype).is_ok(), "{ctype}");
    w.walked.insert(("get".into(), "/v1/events".into()));
    let message = signed(&ops, "message.send", "walk-1", json!({"to": ["ops"], "subject": "s", "text": "t"}));
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(message.clone())).await.0, 201);
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(message)).await.0, 200);
    let reuse =
        signed(&ops, "message.send", "walk-1", json!({"to": ["ops"], "subject": "other", "text": "t"}));
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(reuse)).await.0, 409);
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(b"{".to_vec())).await.0, 400);
    let stranger = SignerKey::from_seed("stranger", [3; 32]).expect("key");
    let forged =
        signed(&stranger, "message.send", "walk-2", json!({"to": ["ops"], "subject": "s", "text": "t"}));
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(forged)).await.0, 403);
    let unknown =
        signed(&ops, "message.send", "walk-3", json!({"to": ["nobody"], "subject": "s", "text": "t"}));
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(unknown)).await.0, 422);
    assert_eq!(w.call("post", "/v1/statements", "/v1/statements", Some(vec![b' '; 200_000])).await.0, 413);
    let report =
        b"Shelling hit a school in Manbij on Wednesday, killing at least two people, a medic said.".to_vec();
    let drafted = "/v1/intake?published=2026-03-05T07:50:00Z&outlet=Walk";
    let (status, drafts) = w.call("post", "/v1/intake", drafted, Some(report)).await;
    assert_eq!(status, 200);
    assert!(drafts["drafts"].as_array().is_some_and(|d| d.len() >= 2), "{drafts}");
    assert_eq!(w.call("post", "/v1/intake", "/v1/intake", Some(Vec::new())).await.1["code"], "empty_text");
    let (status, problem) =
        w.call("post", "/v1/intake", "/v1/intake?published=soon", Some(b"text".to_vec())).await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("bad_time")));
    let data = next_event_data(&mut events).await;
    let entry_event =
        json!({"$ref": "#/components/schemas/EntryEvent", "components": doc["components"].clone()});
    let mut entry_event = entry_event;
    close_objects(&mut entry_event);
    check(&entry_event, &data, "an entry event's data");

    // Every method a path does not have, and every parameter written wrongly:
    // problem+json with a stable code, as documented.
    let mut problem_schema =
        json!({"$ref": "#/components/schemas/Problem", "components": doc["components"].clone()});
    close_objects(&mut problem_schema);
    let mut malformed_refused = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let uri = example_uri(path, &[]);
        let methods: Vec<&String> = item.as_object().expect("methods").keys().collect();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if methods.iter().any(|m| m.eq_ignore_ascii_case(method)) {
                continue;
            }
            assert!(item[methods[0]]["responses"]["405"].is_object(), "{path}: 405 documented");
            let req = w.client.request(method.parse().expect("method"), format!("{}{uri}", w.url));
            let (status, body, allow) = problem_of(req, &problem_schema, &format!("{method} {uri}")).await;
            assert_eq!((status, body["code"].as_str()), (405, Some("method_not_allowed")), "{method} {uri}");
            let allow = allow.unwrap_or_else(|| panic!("{method} {uri}: Allow"));
            assert!(
                methods.iter().all(|m| allow.contains(&m.to_uppercase())),
                "{method} {uri}: Allow {allow}"
            );
        }
        for method in methods {
            for param in item[method]["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().expect("a name");
                for (uri, want_code) in malformed(path, name, param) {
                    let req = w
                        .client
                        .request(method.to_uppercase().parse().expect("method"), format!("{}{uri}", w.url));
                    let (status, body, _) =
                        problem_of(req, &problem_schema, &format!("{method} {uri}")).await;
                    assert_eq!(status, 400, "{method} {uri}: {body}");
                    malformed_refused += 1;
                    if let Some(code) = want_code {
                        assert_eq!(body["code"], code, "{method} {uri}");
                    }
                }
            }
        }
    }
    assert!(malformed_refused > 60, "{malformed_refused} malformed parameters tried");

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, item)| item.as_object().expect("item").keys().map(move |m| (m.clone(), p.clone())))
        .collect();
    assert_eq!(w.walked, documented, "every documented route was walked");
}

/// A URI for a documented path, with `overrides` for some of its parameters.
fn example_uri(path: &str, overrides: &[(&str, &str)]) -> String {
    let mut uri = path.to_owned();
    for (name, example) in
        [("index", "1"), ("issuer", "ops"), ("id", "x"), ("file", "sites.csv"), ("path", "0/000")]
    {
        let value = overrides.iter().find(|(n, _)| *n == name).map_or(example, |(_, v)| v);
        uri = uri.replace(&format!("{{{name}}}"), value);
    }
    uri
}

/// Requests that write parameter `name` of `path` wrongly, each with the code
/// it must be refused with (`None`: the handler's own code for a bad value).
fn malformed(path: &str, name: &str, param: &Value) -> Vec<(String, Option<&'static str>)> {
    if param["in"] == "path" {
        let mut out = vec![(example_uri(path, &[(name, "%FF")]), Some("bad_path"))];
        if name == "index" {
            out.push((example_uri(path, &[(name, "one")]), None));
        }
        return out;
    }
    let base = example_uri(path, &[]);
    let mut out = vec![
        (format!("{base}?{name}=%FF"), Some("bad_query")),
        (format!("{base}?{name}=%zz"), Some("bad_query")),
        (format!("{base}?{name}=1&{name}=2"), Some("bad_query")),
    ];
    let numeric = |t: &Value| t == "integer" || t == "number";
    let typed = numeric(&param["schema"]["type"])
        || param["schema"]["type"].as_array().is_some_and(|types| types.iter().any(numeric))
        || ["at", "bbox"].contains(&name);
    if typed {
        out.push((format!("{base}?{name}=not-a-value"), None));
    }
    // A status no object of the listing can have.
    if name == "status" && ["/v1/zones", "/v1/sites", "/v1/movements", "/v1/operations"].contains(&path) {
        out.push((format!("{base}?status=bogus"), None));
    }
    out
}

/// Sends `req` and checks that the answer is problem+json: its status, body and `Allow`.
async fn problem_of(
    req: reqwest::RequestBuilder,
    schema: &Value,
    what: &str,
) -> (u16, Value, Option<String>) {
    let resp = req.send().await.expect("answers");
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (ctype, allow) = (header("content-type").unwrap_or_default(), header("allow"));
    assert_eq!(ctype, "application/problem+json", "{what}: {status}");
    let body: Value = resp.json().await.expect("JSON");
    check(schema, &body, what);
    assert!(body["code"].as_str().is_some_and(|c| !c.is_empty()), "{what}: a code");
    (status, body, allow)
}

/// The body schema's name for a statement type: `movement.request` → `MovementRequest`.
fn body_schema_name(kind: &str) -> String {
    match kind {
        "party.key.add" | "party.key.revoke" => "KeyChange".to_owned(),
        _ => kind.split(['.', '_']).map(|w| w[..1].to_uppercase() + &w[1..]).collect(),
    }
}

/// The data of the next event on a server-sent event stream.
async fn next_event_data(resp: &mut reqwest::Response) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), resp.chunk())
            .await
            .expect("an event within 10 s")
            .expect("stream")
            .expect("open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buf.lines().find_map(|l| l.strip_prefix("data:")) {
            return serde_json::from_str(line.trim()).expect("event data is JSON");
        }
    }
}
