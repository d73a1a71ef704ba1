//! Witness cosignatures, as the service sees them: the latest checkpoint the
//! quorum cosigned (stored by the sequencer, the store's only writer), the
//! earliest cosigned checkpoint covering an entry, and a board of what each
//! witness last did (kept by the cosigner, shown by `/v1/log` and `/metrics`).
//!
//! The service does not talk to witnesses; the `cosigner` crate does, and
//! hands over each checkpoint once the quorum's cosignatures are on it.
//! Receipts never wait for any of this.

use corridor_store::{CheckpointKind, StoredCheckpoint};
use corridor_tlog::SignedCheckpoint;
use tokio::sync::oneshot;

use crate::error::QueryError;
use crate::receipt::{self, Receipt};
use crate::{Service, Work};

/// One witness of the policy and what it last did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessStatus {
    /// The policy's name for it.
    pub name: String,
    /// Its cosignature vkey (C2SP tlog-cosignature, type 0x04).
    pub vkey: String,
    /// Its tlog-witness submission prefix.
    pub url: String,
    /// The largest size it cosigned for this log, and its timestamp (POSIX s).
    pub cosigned: Option<(u64, u64)>,
    /// Microseconds (service clock) of its last answer, good or bad.
    pub last_answer_us: Option<i64>,
    /// Its last refusal or failure, cleared by a cosignature.
    pub last_error: Option<String>,
}

/// The witnesses the log sends its checkpoints to, and the quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignBoard {
    /// The quorum, for people (`2 of {a, b}`).
    pub quorum: String,
    pub witnesses: Vec<WitnessStatus>,
}

impl Service {
    /// Declares that this log collects cosignatures: from now on
    /// [`Service::served_checkpoint`] serves only cosigned checkpoints.
    pub fn configure_witnesses(&self, board: CosignBoard) {
        *self.board() = Some(board);
    }

    fn board(&self) -> std::sync::MutexGuard<'_, Option<CosignBoard>> {
        // A panic while holding it leaves a board that is still whole (each
        // update is one assignment): keep using it.
        self.inner.witnesses.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Updates witness `i` of the board (no-op without a board).
    pub fn update_witness(&self, i: usize, f: impl FnOnce(&mut WitnessStatus)) {
        if let Some(w) = self.board().as_mut().and_then(|b| b.witnesses.get_mut(i)) {
            f(w);
        }
    }

    /// The board, when the log collects cosignatures.
    pub fn witnesses(&self) -> Option<CosignBoard> {
        self.board().clone()
    }

    /// The freshest checkpoint the log signed.
    pub async fn latest_checkpoint(&self) -> Result<SignedCheckpoint, QueryError> {
        Ok(self.published().await?.checkpoint.clone())
    }

    /// What `/checkpoint` serves: the latest cosigned checkpoint when the log
    /// collects cosignatures (`AwaitingCosignatures` before the first), the
    /// latest signed one otherwise.
    pub async fn served_checkpoint(&self) -> Result<String, QueryError> {
        let collects = self.board().is_some();
        let published = self.published().await?;
        match (&published.cosigned, collects) {
            (_, false) => Ok(published.checkpoint.note.clone()),
            (Some(c), true) => Ok(c.note.clone()),
            (None, true) => Err(QueryError::AwaitingCosignatures),
        }
    }

    /// Stores `checkpoint` (the log's note with the quorum's cosignature
    /// lines, for a size the log has reached) through the sequencer, and
    /// serves it once durable if it is newer than the one served.
    pub async fn record_cosigned(&self, checkpoint: StoredCheckpoint) -> Result<(), QueryError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .pool
            .send(Work::Cosigned { checkpoint, reply })
            .await
            .map_err(|_| QueryError::Unavailable)?;
        rx.await.map_err(|_| QueryError::Unavailable)?
    }

    /// The earliest cosigned checkpoint covering entry `index`, with an
    /// inclusion proof against it (`NotFound` while none covers it yet).
    pub async fn cosigned_receipt(&self, index: u64) -> Result<Receipt, QueryError> {
        let published = self.published().await?;
        let reader = self.inner.reader.as_ref();
        let sequenced_at_us = receipt::sequenced_at(reader, &published.tree, index)?;
        let cp = reader.checkpoints_from(CheckpointKind::Cosigned, index + 1, 1)?.pop().ok_or_else(|| {
            QueryError::NotFound(format!("no cosigned checkpoint covers entry {index} yet"))
        })?;
        receipt::build(&published.tree, index, sequenced_at_us, cp.size, &cp.note)
    }
}
