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
use crate::keys::sign_statement;

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

pub async fn demo(data: &Path, listen: &str) -> Result<()> {
    let dir = DataDir::new(data);
    if dir.exists() {
        eprintln!("demo: using the existing data directory {}", data.display());
    } else {
        crate::serve::init(data, DEMO_ORIGIN, PARTIES[0].0, PARTIES[0].1).await?;
        load(&dir).await?;
    }
    crate::serve::serve(data, listen).await
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
    let ops = &keys[0];
    for ((id, name, kind), key) in PARTIES.iter().zip(&keys).skip(1) {
        let body = json!({"id": id, "name": name, "kind": kind, "keys": [key.verifier().to_vkey()]});
        file(&service, ops, "party.register", &format!("register-{id}"), body).await?;
    }
    let by_id = |id: &str| keys.iter().find(|k| k.name() == id).cloned();
    let (Some(relief), Some(central)) = (by_id("relief-consortium"), by_id("central-authority")) else {
        bail!("exercise cast is incomplete");
    };
    let request = json!({
        "to": ["central-authority", "southern-task-force", "ops"],
        "subject": "[EXERCISE] Convoy Damascus to Rukban: request for passage",
        "text": "[EXERCISE DATA] About 100 trucks, 450 t of food and medical supplies, along the Damascus-Baghdad highway to Rukban camp. Please confirm passage through the areas you hold.",
    });
    file(&service, &relief, "message.send", "msg-convoy-request", request).await?;
    let ack = json!({"refs": ["relief-consortium/msg-convoy-request"]});
    file(&service, &central, "acknowledge", "ack-convoy-request", ack).await?;
    eprintln!("demo: exercise scenario loaded ({} entries)", service.log_info().await.size);
    Ok(())
}

async fn file(service: &Service, key: &SignerKey, kind: &str, id: &str, body: Value) -> Result<()> {
    let envelope = sign_statement(key, kind, id, body)?;
    match service.submit(&serde_json::to_vec(&envelope)?).await {
        Ok(Submitted::Created(_) | Submitted::Existing(_)) => Ok(()),
        Err(e) => bail!("scenario statement {id} refused: {e} ({})", e.code()),
    }
}
