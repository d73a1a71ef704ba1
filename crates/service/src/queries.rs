//! Read-side queries: the log's C2SP read API, proofs, and the first views.
//! Every listing is bounded by [`crate::Limits`].

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_state::Party;
use corridor_statement::{parse_entry, SignedEnvelope};
use corridor_tlog::{encode_entry_bundle, Hash, TilePath, TILE_WIDTH};
use serde::Serialize;
use serde_json::Value;

use crate::error::QueryError;
use crate::Service;

#[derive(Debug, Clone, Serialize)]
pub struct LogInfo {
    pub origin: String,
    pub vkey: String,
    pub size: u64,
    pub root_hash: String,
    pub checkpoint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub index: u64,
    pub leaf_hash: String,
    pub sequenced_at: String,
    /// The entry bytes, base64, exactly as hashed.
    pub entry: String,
    pub envelope: Value,
    /// The decoded statement JSON.
    pub statement: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub index: u64,
    pub sequenced_at: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub refs: Vec<String>,
    pub acknowledged_by: Vec<AckView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AckView {
    pub party: String,
    pub index: u64,
    pub at: String,
}

fn b64_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

impl Service {
    pub async fn log_info(&self) -> LogInfo {
        let published = self.inner.published.read().await;
        let cp = &published.checkpoint;
        LogInfo {
            origin: cp.checkpoint.origin.clone(),
            vkey: self.inner.log_vkey.to_vkey(),
            size: cp.checkpoint.size,
            root_hash: B64.encode(cp.checkpoint.root),
            checkpoint: cp.note.clone(),
        }
    }

    pub async fn checkpoint_note(&self) -> String {
        self.inner.published.read().await.checkpoint.note.clone()
    }

    /// A hash tile's bytes, if the published tree holds it.
    pub async fn hash_tile(&self, path: TilePath) -> Result<Vec<u8>, QueryError> {
        let published = self.inner.published.read().await;
        let level = path.level.ok_or_else(|| QueryError::BadRequest("not a hash tile".into()))?;
        let size = published.checkpoint.checkpoint.size;
        if !path.available_at(size) {
            return Err(QueryError::NotFound("tile not available at the current tree size".into()));
        }
        published
            .tree
            .tile_bytes(level, path.index, path.count())
            .ok_or_else(|| QueryError::NotFound("tile not available".into()))
    }

    /// An entry bundle's bytes, if the published tree holds them.
    pub async fn entry_bundle(&self, path: TilePath) -> Result<Vec<u8>, QueryError> {
        let size = self.inner.published.read().await.checkpoint.checkpoint.size;
        if path.level.is_some() || !path.available_at(size) {
            return Err(QueryError::NotFound("entry bundle not available at the current tree size".into()));
        }
        let start = path.index * TILE_WIDTH;
        let entries = self.inner.reader.entries(start, start + path.count())?;
        if entries.len() as u64 != path.count() {
            return Err(QueryError::Store("entries missing from the store".into()));
        }
        encode_entry_bundle(entries.iter().map(|e| e.bytes.as_slice()))
            .map_err(|e| QueryError::Store(e.to_string()))
    }

    pub async fn entry(&self, index: u64) -> Result<EntryView, QueryError> {
        let size = self.inner.published.read().await.checkpoint.checkpoint.size;
        let not_found = || QueryError::NotFound(format!("no entry {index}; the log has {size}"));
        if index >= size {
            return Err(not_found());
        }
        let stored = self.inner.reader.entries(index, index + 1)?.pop().ok_or_else(not_found)?;
        let entry = parse_entry(&stored.bytes).map_err(|e| QueryError::Store(e.to_string()))?;
        let signed = SignedEnvelope::from_envelope(entry.envelope.clone())
            .map_err(|e| QueryError::Store(e.to_string()))?;
        Ok(EntryView {
            index,
            leaf_hash: B64.encode(stored.leaf_hash),
            sequenced_at: corridor_statement::timefmt::format_ms(entry.sequenced_at_us),
            entry: B64.encode(&stored.bytes),
            envelope: serde_json::to_value(&entry.envelope).unwrap_or_default(),
            statement: serde_json::from_slice(&signed.payload).unwrap_or_default(),
        })
    }

    /// Inclusion proof of `index` in the tree of `size` (default: the current size).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: Option<u64>,
    ) -> Result<(u64, Vec<String>), QueryError> {
        let published = self.inner.published.read().await;
        let size = size.unwrap_or(published.checkpoint.checkpoint.size);
        if size > published.checkpoint.checkpoint.size {
            return Err(QueryError::BadRequest(format!("size {size} is beyond the published checkpoint")));
        }
        let proof =
            published.tree.inclusion_proof(index, size).map_err(|e| QueryError::BadRequest(e.to_string()))?;
        Ok((size, b64_all(&proof)))
    }

    /// Consistency proof between two published sizes.
    pub async fn consistency_proof(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<(u64, Vec<String>), QueryError> {
        let published = self.inner.published.read().await;
        let to = to.unwrap_or(published.checkpoint.checkpoint.size);
        if to > published.checkpoint.checkpoint.size {
            return Err(QueryError::BadRequest(format!("size {to} is beyond the published checkpoint")));
        }
        if from == to || from == 0 {
            // Equal trees, or the empty tree: consistent with an empty proof.
            return Ok((to, vec![]));
        }
        let proof =
            published.tree.consistency_proof(from, to).map_err(|e| QueryError::BadRequest(e.to_string()))?;
        Ok((to, b64_all(&proof)))
    }

    pub async fn parties(&self) -> Vec<Party> {
        self.inner.published.read().await.state.parties().cloned().collect()
    }

    /// Messages to `party` after entry `after`, at most `limit` (capped by the limits).
    pub async fn messages_to(&self, party: &str, after: Option<u64>, limit: usize) -> Vec<MessageView> {
        let limit = limit.min(self.inner.limits.max_page);
        let published = self.inner.published.read().await;
        let state = &published.state;
        state
            .messages_to(party, after)
            .take(limit)
            .map(|m| MessageView {
                index: m.index,
                sequenced_at: corridor_statement::timefmt::format_ms(m.sequenced_at_us),
                reference: format!("{}/{}", m.from, m.id),
                from: m.from.clone(),
                to: m.to.clone(),
                subject: m.subject.clone(),
                text: m.text.clone(),
                refs: m.refs.clone(),
                acknowledged_by: state
                    .acks_of(m)
                    .into_iter()
                    .map(|a| AckView {
                        party: a.party.clone(),
                        index: a.index,
                        at: corridor_statement::timefmt::format_ms(a.sequenced_at_us),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The state digest: equal on every replica that folded the same log.
    pub async fn state_digest(&self) -> [u8; 32] {
        self.state_digest_at().await.1
    }

    /// The log size and the state digest at that size, read together.
    pub async fn state_digest_at(&self) -> (u64, [u8; 32]) {
        let published = self.inner.published.read().await;
        (published.state.size(), published.state.digest())
    }
}
