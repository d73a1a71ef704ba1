//! Read-side queries: the log's C2SP read API, entries, proofs, parties,
//! messages and the state digest. Every listing is bounded by [`crate::Limits`].

use corridor_state::{Acked, Message, Party};
use corridor_statement::ObjectRef;
use corridor_tlog::{encode_entry_bundle, Hash, TilePath, TILE_WIDTH};

use crate::error::QueryError;
use crate::paging::Page;
use crate::{Service, View};

/// The log's identity and its latest checkpoint.
#[derive(Debug, Clone)]
pub struct LogInfo {
    pub origin: String,
    pub vkey: String,
    pub size: u64,
    pub root_hash: Hash,
    /// The signed checkpoint note.
    pub checkpoint: String,
    /// The latest checkpoint the witnesses' quorum cosigned, if any.
    pub cosigned: Option<corridor_store::StoredCheckpoint>,
    /// The witnesses, when the log collects cosignatures.
    pub witnesses: Option<crate::CosignBoard>,
    /// "Now" on the service's clock, microseconds: what ages are measured from.
    pub now_us: i64,
    /// This node's part in a cluster.
    pub node: crate::NodeStatus,
}

/// One log entry, as stored.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub index: u64,
    pub leaf_hash: Hash,
    /// The entry bytes, exactly as hashed.
    pub bytes: Vec<u8>,
}

impl Service {
    pub async fn log_info(&self) -> Result<LogInfo, QueryError> {
        let published = self.published().await?;
        let cp = &published.checkpoint;
        Ok(LogInfo {
            origin: cp.checkpoint.origin.clone(),
            vkey: self.inner.log_vkey.to_vkey(),
            size: cp.checkpoint.size,
            root_hash: cp.checkpoint.root,
            checkpoint: cp.note.clone(),
            cosigned: published.cosigned.clone(),
            witnesses: self.witnesses(),
            now_us: self.inner.clock.now_us(),
            node: self.node_status(),
        })
    }

    pub async fn checkpoint_note(&self) -> Result<String, QueryError> {
        Ok(self.published().await?.checkpoint.note.clone())
    }

    /// A hash tile's bytes, if the published tree holds it.
    pub async fn hash_tile(&self, path: TilePath) -> Result<Vec<u8>, QueryError> {
        let published = self.published().await?;
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
        let size = self.published().await?.checkpoint.checkpoint.size;
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
        let size = self.published().await?.checkpoint.checkpoint.size;
        let not_found = || QueryError::NotFound(format!("no entry {index}; the log has {size}"));
        if index >= size {
            return Err(not_found());
        }
        let stored = self.inner.reader.entries(index, index + 1)?.pop().ok_or_else(not_found)?;
        Ok(EntryView { index, leaf_hash: stored.leaf_hash, bytes: stored.bytes })
    }

    /// Inclusion proof of `index` in the tree of `size` (default: the current size).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: Option<u64>,
    ) -> Result<(u64, Vec<Hash>), QueryError> {
        let published = self.published().await?;
        let size = size.unwrap_or(published.checkpoint.checkpoint.size);
        if size > published.checkpoint.checkpoint.size {
            return Err(QueryError::BadRequest(format!("size {size} is beyond the published checkpoint")));
        }
        let proof =
            published.tree.inclusion_proof(index, size).map_err(|e| QueryError::BadRequest(e.to_string()))?;
        Ok((size, proof))
    }

    /// Consistency proof between two published sizes.
    pub async fn consistency_proof(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<(u64, Vec<Hash>), QueryError> {
        let published = self.published().await?;
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
        Ok((to, proof))
    }

    /// The state digest: equal on every replica that folded the same log.
    pub async fn state_digest(&self) -> Result<[u8; 32], QueryError> {
        Ok(self.state_digest_at().await?.1)
    }

    /// The log size and the state digest at that size, read together. The
    /// digest is taken under the published state's read lock (the sequencer
    /// publishes nothing meanwhile), on this thread: about a second at ten
    /// million entries. It is kept for the log it was taken of (its size and
    /// root: a cluster node's rebuild may replace the log at a size). One
    /// digest is taken at a time; meanwhile other requests for a digest not
    /// kept get [`QueryError::Digesting`] rather than stall the sequencer
    /// once more each.
    pub async fn state_digest_at(&self) -> Result<(u64, [u8; 32]), QueryError> {
        let digesting = self.inner.digesting.try_lock();
        let published = self.published().await?;
        let size = published.state.size();
        let log = (size, published.tree.root(size).unwrap_or_default());
        let kept = *self.inner.digest_kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, digest)) = kept.filter(|(at, _)| *at == log) {
            return Ok((size, digest));
        }
        if digesting.is_err() {
            return Err(QueryError::Digesting);
        }
        let digest = published.state.digest();
        *self.inner.digest_kept.lock().unwrap_or_else(|e| e.into_inner()) = Some((log, digest));
        Ok((size, digest))
    }
}

impl<'a> View<'a> {
    pub fn parties(&self) -> impl Iterator<Item = &'a Party> {
        self.state.parties()
    }

    /// Messages to `party` after entry `after`, oldest first, each with its
    /// reference and who acknowledged it; cursors are entry indexes.
    pub fn messages_to(
        &self,
        party: &'a str,
        after: Option<u64>,
        limit: usize,
    ) -> Page<(&'a ObjectRef, &'a Message, Vec<Acked<'a>>), u64> {
        let state = self.state;
        let items = state.messages_to(party, after).map(|(r, m)| (r, m, state.acks_of(m)));
        Page::take(items, limit, |(_, m, _)| m.index)
    }
}
