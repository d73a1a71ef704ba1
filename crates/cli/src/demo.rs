//! `corridor demo`: a data directory holding the exercise scenario (brief §9),
//! loaded through the same signed-statement path every client uses, then served.
//!
//! Every party is fictional and every record is marked as exercise data. Each
//! party's key is generated into `DIR/keys/<party>.key`, as that party would
//! keep it; the server never reads those files.

use std::path::Path;

use anyhow::{bail, Result};
use corridor_note::SignerKey;
use corridor_service::{Service, Submitted};
use serde_json::{json, Value};

use crate::data::{generate_key, write_new, DataDir};
use crate::keys::sign_statement_by;

pub const DEMO_ORIGIN: &str = "demo.corridor.local/log";

/// The exercise cast: (id, display name, kind). The operator comes first.
pub const PARTIES: &[(&str, &str, &str)] = &[
    ("ops", "Exercise Humanitarian Coordination Office", "coordination"),
    ("relief-consortium", "Desert Relief Consortium (exercise)", "agency"),
    ("health-alliance", "Field Health Alliance (exercise)", "agency"),
    ("central-authority", "Central Authority liaison (exercise)", "authority"),
    ("southern-task-force", "Southern Task Force liaison (exercise)", "armed_force"),
    ("monitoring-mission", "Ceasefire Monitoring Mission (exercise)", "monitor"),
];

/// The exercise witnesses: (directory and policy name, key name). Both are
/// fictional; each runs in this process with its own key and store.
pub const WITNESSES: &[(&str, &str)] = &[
    ("lindenmark", "lindenmark-observatory.example/witness"),
    ("saltmarsh", "saltmarsh-audit.example/witness"),
];

pub async fn demo(
    data: &Path,
    listen: &str,
    limits: &corridor_api::HttpLimits,
    witnesses: bool,
) -> Result<()> {
    let dir = DataDir::new(data);
    if dir.exists() {
        eprintln!("demo: using the existing data directory {}", data.display());
    } else {
        crate::serve::init(data, None, DEMO_ORIGIN, PARTIES[0].0, PARTIES[0].1).await?;
        load(&dir).await?;
    }
    let policy = if witnesses { Some(start_witnesses(&dir).await?) } else { None };
    let cosign = corridor_cosigner::CosignerConfig::default();
    crate::serve::serve(
        data,
        None,
        listen,
        limits,
        policy.map(|p| (p, cosign)),
        &Default::default(),
        &Default::default(),
    )
    .await
}

/// Starts the exercise witnesses on loopback ports of their own (creating
/// their data under `DIR/witnesses/` the first time), and writes the policy
/// naming them, quorum all of them, to `DIR/witness-policy.txt`: the file a
/// verifier passes to `corridor verify --policy`.
async fn start_witnesses(dir: &DataDir) -> Result<corridor_tlog::policy::Policy> {
    let log_vkey = dir.log_key()?.verifier().to_vkey();
    let mut policy =
        format!("# The exercise log and its two exercise witnesses (fictional).\nlog {log_vkey}\n");
    for (short, name) in WITNESSES {
        let wdir = dir.root.join("witnesses").join(short);
        if !wdir.join("witness.key").exists() {
            crate::witness::init(&wdir, name)?;
        }
        crate::witness::add_log(&wdir, None, &log_vkey)?;
        let args = crate::witness::WitnessArgs::default();
        let (addr, serving) =
            crate::witness::serve(&wdir, "127.0.0.1:0", &args, std::future::pending()).await?;
        tokio::spawn(async move {
            if let Err(e) = serving.await {
                eprintln!("demo: witness stopped: {e:#}");
            }
        });
        let vkey = std::fs::read_to_string(wdir.join("witness.vkey"))?;
        policy.push_str(&format!("witness {short} {} http://{addr}\n", vkey.trim()));
        eprintln!("demo: witness {name} on http://{addr}");
    }
    let names: Vec<&str> = WITNESSES.iter().map(|(s, _)| *s).collect();
    policy
        .push_str(&format!("group exercise-witnesses all {}\nquorum exercise-witnesses\n", names.join(" ")));
    let path = dir.root.join("witness-policy.txt");
    std::fs::write(&path, &policy)?;
    eprintln!("demo: witness policy in {}", path.display());
    Ok(corridor_tlog::policy::Policy::parse(&policy)?)
}

/// Generates the parties' keys and files the scenario.
async fn load(dir: &DataDir) -> Result<()> {
    let mut keys = vec![dir.operator_key()?];
    for (id, _, _) in &PARTIES[1..] {
        let key = generate_key(id)?;
        write_new(&dir.party_key_path(id), format!("{}\n", key.to_private_text()).as_bytes(), true)?;
        keys.push(key);
    }
    let (service, _lock) = dir.open_service()?;
    for ((id, name, kind), key) in PARTIES.iter().zip(&keys).skip(1) {
        let body = json!({"id": id, "name": name, "kind": kind, "keys": [key.verifier().to_vkey()]});
        file(&service, &keys, &[PARTIES[0].0], "party.register", &format!("register-{id}"), body).await?;
    }
    let now_us = crate::keys::now_us();
    let mut last_us = now_us;
    for (party, kind, id, body) in scenario(now_us) {
        last_us = file(&service, &keys, &[party], kind, id, body).await?;
    }
    // Incidents happen after the notifications above were sequenced (and acknowledged).
    for (signers, kind, id, body) in accountability_scenario(now_us, last_us) {
        file(&service, &keys, &signers, kind, id, body).await?;
    }
    eprintln!("demo: exercise scenario loaded ({} entries)", service.log_info().await?.size);
    Ok(())
}

/// Signs with the named parties' keys (the first is the issuer), submits, and
/// returns the entry's sequencing time.
async fn file(
    service: &Service,
    keys: &[SignerKey],
    signers: &[&str],
    kind: &str,
    id: &str,
    body: Value,
) -> Result<i64> {
    let signing: Vec<&SignerKey> =
        signers.iter().filter_map(|p| keys.iter().find(|k| k.name() == *p)).collect();
    if signing.len() != signers.len() {
        bail!("no exercise key for one of {signers:?}");
    }
    let envelope = sign_statement_by(&signing, kind, id, body)?;
    match service.submit(&serde_json::to_vec(&envelope)?).await {
        Ok(Submitted::Created(r) | Submitted::Existing(r)) => Ok(r.sequenced_at_us),
        Err(e) => bail!("scenario statement {id} refused: {e} ({})", e.code()),
    }
}

const HOUR_US: i64 = 3_600_000_000;

/// A window relative to the time the scenario is loaded.
fn window(now_us: i64, from_h: i64, to_h: Option<i64>) -> Value {
    let t =
        |h: i64| corridor_statement::timefmt::format_us(now_us.div_euclid(HOUR_US) * HOUR_US + h * HOUR_US);
    match to_h {
        Some(to) => json!({"from": t(from_h), "to": t(to)}),
        None => json!({"from": t(from_h)}),
    }
}

/// A closed ring approximating a circle of `radius_km` around (lon, lat).
fn circle(lon: f64, lat: f64, radius_km: f64, vertices: usize) -> Value {
    let dlat = radius_km / 111.2;
    let dlon = dlat / lat.to_radians().cos();
    let mut ring: Vec<[f64; 2]> = (0..vertices)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / vertices as f64;
            let round = |x: f64| (x * 1e5).round() / 1e5;
            [round(lon + dlon * a.cos()), round(lat + dlat * a.sin())]
        })
        .collect();
    ring.push(ring[0]);
    json!({"type": "Polygon", "coordinates": [ring]})
}

fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

/// The exercise scenario of the brief (§9): (signer, type, id, body), in filing order.
/// Real public geography, fictional organisations; every text says it is exercise data.
pub fn scenario(now_us: i64) -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let highway = json!({"type": "LineString", "coordinates": [
        [36.29, 33.51], [36.69, 33.64], [37.30, 33.60], [37.95, 33.55], [38.45, 33.49], [38.62, 33.38], [38.68, 33.30]]});
    vec![
        (
            "central-authority",
            "zone.declare",
            "zone-central",
            json!({
            "name": "[EXERCISE] Area held by the Central Authority",
            "geometry": {"type": "Polygon", "coordinates": [[[35.9, 32.6], [38.1, 32.6], [38.1, 35.2], [35.9, 35.2], [35.9, 32.6]]]},
            "window": window(now_us, -30 * 24, None)}),
        ),
        (
            "southern-task-force",
            "zone.declare",
            "zone-55km",
            json!({
            "name": "[EXERCISE] 55-km deconfliction zone around al-Tanf",
            "geometry": circle(38.63, 33.50, 55.0, 32),
            "window": window(now_us, -30 * 24, None)}),
        ),
        (
            "health-alliance",
            "site.notify",
            "site-rukban-clinic",
            json!({
            "name": "[EXERCISE] Rukban camp clinic", "category": "clinic",
            "geometry": point(38.681, 33.302), "buffer_m": 300, "window": window(now_us, -7 * 24, None), "people": 40}),
        ),
        (
            "relief-consortium",
            "site.notify",
            "site-rukban-distribution",
            json!({
            "name": "[EXERCISE] Rukban distribution point", "category": "distribution_point",
            "geometry": point(38.672, 33.296), "buffer_m": 250, "window": window(now_us, -7 * 24, None), "people": 40000}),
        ),
        (
            "relief-consortium",
            "site.notify",
            "site-dumayr-bakery",
            json!({
            "name": "[EXERCISE] Dumayr bakery", "category": "bakery",
            "geometry": point(36.69, 33.64), "buffer_m": 150, "window": window(now_us, -7 * 24, None)}),
        ),
        (
            "relief-consortium",
            "movement.request",
            "convoy-rukban",
            json!({
            "purpose": "aid_delivery", "route": highway, "corridor_m": 500,
            "window": window(now_us, 2 * 24, Some(5 * 24)),
            "origin": "Damascus", "destination": "Rukban camp",
            "destination_site": "relief-consortium/site-rukban-distribution",
            "vehicles": 100, "people": 160, "escort_from": [],
            "manifest": [
                {"item": "food parcels", "unit": "parcel", "quantity": 30000, "weight_kg": 360000},
                {"item": "medical supplies", "unit": "kit", "quantity": 900, "weight_kg": 90000}],
            "consignment": "EX-RUKBAN-01"}),
        ),
        (
            "central-authority",
            "acknowledge",
            "ack-convoy",
            json!({"refs": ["relief-consortium/convoy-rukban"]}),
        ),
        (
            "central-authority",
            "movement.respond",
            "resp-convoy",
            json!({
            "movement": "relief-consortium/convoy-rukban", "decision": "approve_with_conditions",
            "conditions": ["[EXERCISE] Manifest inspection at the Dumayr checkpoint"]}),
        ),
        (
            "southern-task-force",
            "acknowledge",
            "ack-convoy",
            json!({"refs": ["relief-consortium/convoy-rukban"]}),
        ),
        (
            "southern-task-force",
            "acknowledge",
            "ack-clinic",
            json!({"refs": ["health-alliance/site-rukban-clinic"]}),
        ),
        (
            "relief-consortium",
            "site.notify",
            "site-rukban-north",
            json!({
                "name": "[EXERCISE] Rukban north distribution point", "category": "distribution_point",
                "geometry": point(38.69, 33.315), "buffer_m": 250, "window": window(now_us, -7 * 24, None), "people": 20000}),
        ),
        (
            "health-alliance",
            "movement.request",
            "relocation-palmyra",
            json!({
            "purpose": "relocation",
            "route": {"type": "LineString", "coordinates": [[38.27, 34.55], [37.60, 34.62], [36.71, 34.73]]},
            "corridor_m": 300, "window": window(now_us, 24, Some(2 * 24)),
            "origin": "Palmyra", "destination": "Homs", "vehicles": 4, "people": 22, "escort_from": [], "manifest": []}),
        ),
        (
            "southern-task-force",
            "operation.notify",
            "op-rukban-east",
            json!({
            "name": "[EXERCISE] Patrol area east of Rukban",
            "geometry": {"type": "Polygon", "coordinates": [[[38.665, 33.29], [38.72, 33.29], [38.72, 33.33], [38.665, 33.33], [38.665, 33.29]]]},
            "window": window(now_us, 3 * 24, Some(4 * 24)), "standoff_m": 500,
            "notified": ["ops", "relief-consortium", "health-alliance"]}),
        ),
        (
            "ops",
            "agreement.declare",
            "pause-rukban",
            json!({
            "name": "[EXERCISE] Rukban humanitarian pause", "kind": "humanitarian_pause",
            "parties": ["central-authority", "southern-task-force"],
            "geometry": circle(38.63, 33.45, 80.0, 24),
            "window": window(now_us, -24, Some(10 * 24)),
            "terms": ["[EXERCISE] No offensive operations along the agreed corridor during the pause"],
            "corridors": [{"name": "Highway to Rukban", "route": {"type": "LineString", "coordinates": [[37.95, 33.55], [38.45, 33.49], [38.62, 33.38], [38.68, 33.30]]},
                "corridor_m": 1000, "window": window(now_us, -24, Some(10 * 24))}]}),
        ),
        ("central-authority", "agreement.accede", "accede-pause", json!({"agreement": "ops/pause-rukban"})),
        ("southern-task-force", "agreement.accede", "accede-pause", json!({"agreement": "ops/pause-rukban"})),
        (
            "relief-consortium",
            "message.send",
            "msg-convoy-request",
            json!({
            "to": ["central-authority", "southern-task-force", "ops"],
            "subject": "[EXERCISE] Convoy to Rukban: passage request pending",
            "text": "[EXERCISE DATA] Request relief-consortium/convoy-rukban awaits the Southern Task Force's answer.",
            "refs": ["relief-consortium/convoy-rukban"]}),
        ),
    ]
}

/// Accountability records (custody, distribution, incidents, grades, claims),
/// filed after the access scenario: `after_us` is when its last entry was
/// sequenced, so the incidents fall after the notifications they concern.
pub fn accountability_scenario(
    now_us: i64,
    after_us: i64,
) -> Vec<(Vec<&'static str>, &'static str, &'static str, Value)> {
    let t = corridor_statement::timefmt::format_us;
    let incident_window = json!({"from": t(after_us + 1_000), "to": t(after_us + 60_000_000)});
    let parcels = |q: u32| json!([{"item": "food parcels", "unit": "parcel", "quantity": q}]);
    vec![
        (
            vec!["relief-consortium", "central-authority"],
            "custody.transfer",
            "handoff-1",
            json!({
            "consignment": "EX-RUKBAN-01", "from": "relief-consortium", "to": "central-authority",
            "items": parcels(30000), "place": {"name": "[EXERCISE] Dumayr checkpoint (inspection)", "geometry": point(36.69, 33.64)}}),
        ),
        (
            vec!["central-authority", "relief-consortium"],
            "custody.transfer",
            "handoff-2",
            json!({
            "consignment": "EX-RUKBAN-01", "from": "central-authority", "to": "relief-consortium",
            "items": parcels(29100), "place": {"name": "[EXERCISE] Dumayr checkpoint (release)"}}),
        ),
        (
            vec!["relief-consortium"],
            "distribution.report",
            "dist-r1-main",
            json!({
            "site": "relief-consortium/site-rukban-distribution", "consignment": "EX-RUKBAN-01", "round": "R1",
            "period": window(now_us, -24, Some(0)), "items": parcels(15000), "households": 4000, "people": 20000,
            "planned_per_person": [{"item": "food parcels", "unit": "parcel", "quantity": 0.75}]}),
        ),
        (
            vec!["relief-consortium"],
            "distribution.report",
            "dist-r1-north",
            json!({
            "site": "relief-consortium/site-rukban-north", "consignment": "EX-RUKBAN-01", "round": "R1",
            "period": window(now_us, -24, Some(0)), "items": parcels(12000), "households": 4000, "people": 20000,
            "planned_per_person": [{"item": "food parcels", "unit": "parcel", "quantity": 0.75}]}),
        ),
        (
            vec!["health-alliance"],
            "incident.report",
            "inc-clinic-shelling",
            json!({
            "kind": "attack_on_site", "window": incident_window, "geometry": point(38.6812, 33.3021), "precision_m": 150,
            "casualties": {"killed": {"min": 2, "max": 4}, "injured": {"min": 5, "max": 11}, "children_injured": {"min": 1, "max": 3}},
            "affected_sites": ["health-alliance/site-rukban-clinic"],
            "sources": [{"outlet": "[EXERCISE] Field Health Alliance situation report"}]}),
        ),
        (
            vec!["central-authority"],
            "incident.report",
            "inc-pause-violation",
            json!({
            "kind": "ceasefire_violation", "window": incident_window, "geometry": point(38.55, 33.47), "precision_m": 2000,
            "alleged_perpetrator": "southern-task-force",
            "casualties": {"killed": {"min": 0, "max": 1}, "injured": {"min": 1}},
            "sources": [{"outlet": "[EXERCISE] Central Authority liaison statement"}]}),
        ),
        (
            vec!["monitoring-mission"],
            "incident.assess",
            "grade-clinic",
            json!({
            "incident": "health-alliance/inc-clinic-shelling", "occurrence": "confirmed", "attribution": "contested",
            "attributed_to": ["central-authority", "southern-task-force"],
            "rationale": "[EXERCISE] Damage confirmed on site; each party blames the other; no trajectory data."}),
        ),
        (
            vec!["monitoring-mission"],
            "incident.assess",
            "grade-violation",
            json!({
            "incident": "central-authority/inc-pause-violation", "occurrence": "likely", "attribution": "likely",
            "attributed_to": ["southern-task-force"], "rationale": "[EXERCISE] Two independent witnesses; no imagery."}),
        ),
        (
            vec!["ops"],
            "claim.record",
            "claim-no-request",
            json!({
            "speaker": "[EXERCISE] Spokesperson, Southern Task Force", "affiliation": "southern-task-force",
            "outlet": "[EXERCISE] Press briefing", "published": t(after_us), "stance": "denial",
            "text": "[EXERCISE] We never received a request for the Rukban convoy.",
            "subjects": ["relief-consortium/convoy-rukban"]}),
        ),
        (
            vec!["ops"],
            "claim.link",
            "link-no-request",
            json!({
            "claim": "ops/claim-no-request", "evidence": "southern-task-force/ack-convoy", "relation": "contradicts",
            "note": "The party acknowledged the request in the log."}),
        ),
        (
            vec!["ops"],
            "claim.record",
            "claim-diversion",
            json!({
            "speaker": "[EXERCISE] Spokesperson, Central Authority", "affiliation": "central-authority",
            "outlet": "[EXERCISE] Television interview", "published": t(after_us), "stance": "allegation",
            "text": "[EXERCISE] Aid delivered to Rukban is being diverted.",
            "figures": [{"what": "parcels diverted", "min": 3000, "unit": "parcel"}]}),
        ),
        (
            vec!["ops"],
            "claim.link",
            "link-diversion",
            json!({
            "claim": "ops/claim-diversion", "evidence": "relief-consortium/dist-r1-north", "relation": "context",
            "note": "Distribution reports account for 27,000 of 29,100 parcels released."}),
        ),
    ]
}
