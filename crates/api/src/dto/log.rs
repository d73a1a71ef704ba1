//! The log's own shapes: receipts, the log's identity, entries, proofs,
//! parties and their keys, messages, the state digest.

use corridor_state::{Acked, Message, Party};
use corridor_statement::ObjectRef;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{b64, time_ms, PartyKind};

/// The answer to a submission (brief §4): HTTP 201, or 200 for a resubmission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    pub index: u64,
    /// SHA-256(0x00 || entry bytes), base64.
    pub leaf_hash: String,
    #[schema(format = DateTime)]
    pub sequenced_at: String,
    /// The signed checkpoint (C2SP signed note) the proof is against.
    pub checkpoint: String,
    /// RFC 6962 inclusion proof against `checkpoint`, base64 hashes.
    pub inclusion_proof: Vec<String>,
    /// The same proof as C2SP tlog-proof text (`c2sp.org/tlog-proof@v1`).
    pub tlog_proof: String,
}

impl From<&corridor_service::Receipt> for Receipt {
    fn from(r: &corridor_service::Receipt) -> Self {
        Self {
            index: r.index,
            leaf_hash: b64(&r.leaf_hash),
            sequenced_at: time_ms(r.sequenced_at_us),
            checkpoint: r.checkpoint.clone(),
            inclusion_proof: r.inclusion_proof.iter().map(|h| b64(h)).collect(),
            tlog_proof: r.tlog_proof.clone(),
        }
    }
}

/// The log's origin, verifier key, size and latest checkpoint.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogInfo {
    pub origin: String,
    /// The log key as a C2SP vkey.
    pub vkey: String,
    pub size: u64,
    /// Base64.
    pub root_hash: String,
    /// The freshest checkpoint the log signed (also at `/v1/checkpoints/latest`).
    pub checkpoint: String,
    /// The latest checkpoint the witnesses' quorum cosigned, with the
    /// cosignature lines (served at `/checkpoint`); null when the log collects
    /// no cosignatures, or none has reached the quorum yet.
    pub cosigned_checkpoint: Option<String>,
    pub cosigned_size: Option<u64>,
    /// The witnesses the log sends checkpoints to; null when it sends none.
    pub witnesses: Option<Witnesses>,
    /// The node that answered: its role in a cluster, the term, the leader
    /// and how far behind the store it was when it last looked.
    pub node: NodeInfo,
}

/// A node's part in a cluster sharing one PostgreSQL log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeInfo {
    /// `single` (the only writer of its store), `leader`, `follower`, or
    /// `recovering` (rebuilding from the store after stepping down).
    pub role: String,
    /// The fencing term of the latest writer this node knows of (0 for SQLite).
    pub term: u64,
    /// The leader's advertised URL, while its lease is live; followers
    /// forward submissions there.
    pub leader: Option<String>,
    /// Entries the store held beyond this node's size when it last looked.
    pub lag: u64,
    /// A random name for this run of the node (empty outside a cluster):
    /// a node checks that its advertised URL answers with its own.
    pub instance: String,
}

/// The witness policy as the log applies it, and what each witness last did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Witnesses {
    /// The quorum, for people (`2 of {a, b}`).
    pub quorum: String,
    pub witnesses: Vec<WitnessInfo>,
}

/// One witness (C2SP tlog-witness) and its latest cosignature of this log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WitnessInfo {
    /// The policy's name for it.
    pub name: String,
    /// Its cosignature key (C2SP tlog-cosignature vkey, type 0x04).
    pub vkey: String,
    /// Its submission prefix.
    pub url: String,
    /// The largest tree size it cosigned.
    pub cosigned_size: Option<u64>,
    /// The timestamp of that cosignature (the witness's clock).
    #[schema(format = DateTime)]
    pub cosigned_at: Option<String>,
    /// Seconds from that timestamp to now (the log's clock).
    pub age_s: Option<f64>,
    /// Its last refusal or failure, until it cosigns again.
    pub last_error: Option<String>,
}

impl From<corridor_service::LogInfo> for LogInfo {
    fn from(l: corridor_service::LogInfo) -> Self {
        let now_us = l.now_us;
        Self {
            origin: l.origin,
            vkey: l.vkey,
            size: l.size,
            root_hash: b64(&l.root_hash),
            checkpoint: l.checkpoint,
            cosigned_size: l.cosigned.as_ref().map(|c| c.size),
            cosigned_checkpoint: l.cosigned.map(|c| c.note),
            witnesses: l.witnesses.map(|b| Witnesses {
                quorum: b.quorum,
                witnesses: b.witnesses.into_iter().map(|w| WitnessInfo::new(w, now_us)).collect(),
            }),
            node: NodeInfo {
                role: l.node.role.as_str().to_owned(),
                term: l.node.term,
                leader: l.node.leader,
                lag: l.node.lag,
                instance: l.node.instance,
            },
        }
    }
}

impl WitnessInfo {
    fn new(w: corridor_service::WitnessStatus, now_us: i64) -> Self {
        let at_us = w.cosigned.map(|(_, t)| i64::try_from(t).unwrap_or(i64::MAX / 1_000_000) * 1_000_000);
        Self {
            name: w.name,
            vkey: w.vkey,
            url: w.url,
            cosigned_size: w.cosigned.map(|(s, _)| s),
            cosigned_at: at_us.map(time_ms),
            age_s: at_us.map(|at| (now_us - at) as f64 / 1e6),
            last_error: w.last_error,
        }
    }
}

/// One entry: its exact bytes, leaf hash, and what it holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub index: u64,
    /// Base64.
    pub leaf_hash: String,
    #[schema(format = DateTime)]
    pub sequenced_at: String,
    /// The entry bytes, base64, exactly as hashed.
    pub entry: String,
    /// The DSSE envelope, as logged.
    #[schema(value_type = super::statement::Envelope)]
    pub envelope: Value,
    /// The statement JSON the envelope's signatures cover.
    #[schema(value_type = super::statement::Statement)]
    pub statement: Value,
}

impl EntryView {
    /// Presents stored entry bytes; `None` if they are not an entry (the
    /// store checks that they are, so this does not happen).
    pub fn new(e: &corridor_service::EntryView) -> Option<Self> {
        use base64::Engine as _;
        let entry: Value = serde_json::from_slice(&e.bytes).ok()?;
        let envelope = entry.get("envelope")?.clone();
        let payload = base64::engine::general_purpose::STANDARD.decode(envelope["payload"].as_str()?).ok()?;
        Some(Self {
            index: e.index,
            leaf_hash: b64(&e.leaf_hash),
            sequenced_at: entry.get("sequenced_at")?.as_str()?.to_owned(),
            entry: b64(&e.bytes),
            statement: serde_json::from_slice(&payload).ok()?,
            envelope,
        })
    }
}

/// An RFC 6962 inclusion proof of `index` in the tree of `size`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// Base64 hashes.
    pub proof: Vec<String>,
}

/// An RFC 6962 consistency proof between the trees of `from` and `to` entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    /// Base64 hashes.
    pub proof: Vec<String>,
}

/// The state digest and the log size it is for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateDigest {
    pub size: u64,
    /// Lower-case hex of the SHA-256 of the state's canonical encoding.
    pub digest: String,
}

/// A party's key, with where in the log it was added and revoked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyKey {
    /// C2SP vkey.
    pub vkey: String,
    pub added_at_index: u64,
    /// Microseconds since the Unix epoch.
    pub added_at_us: i64,
    pub revoked_at_index: Option<u64>,
    pub revoked_at_us: Option<i64>,
}

/// A registered party.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyView {
    pub id: String,
    pub name: String,
    pub kind: PartyKind,
    pub registered_at_index: u64,
    /// Microseconds since the Unix epoch.
    pub registered_at_us: i64,
    pub keys: Vec<PartyKey>,
}

impl From<&Party> for PartyView {
    fn from(p: &Party) -> Self {
        let keys = p
            .keys
            .iter()
            .map(|k| PartyKey {
                vkey: k.vkey.to_vkey(),
                added_at_index: k.added_at_index,
                added_at_us: k.added_at_us,
                revoked_at_index: k.revoked_at_index,
                revoked_at_us: k.revoked_at_us,
            })
            .collect();
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            kind: p.kind.into(),
            registered_at_index: p.registered_at_index,
            registered_at_us: p.registered_at_us,
            keys,
        }
    }
}

/// Every registered party.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Parties {
    pub parties: Vec<PartyView>,
}

/// Who acknowledged a message, and when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckView {
    pub party: String,
    /// The acknowledgement's entry.
    pub index: u64,
    #[schema(format = DateTime)]
    pub at: String,
}

impl From<&Acked<'_>> for AckView {
    fn from(a: &Acked<'_>) -> Self {
        Self { party: a.party.to_string(), index: a.index, at: time_ms(a.sequenced_at_us) }
    }
}

/// A message on the deconfliction channel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub index: u64,
    #[schema(format = DateTime)]
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

impl MessageView {
    /// The message `m`, logged as `reference`, and its acknowledgements.
    pub fn new(reference: &ObjectRef, m: &Message, acks: &[Acked<'_>]) -> Self {
        Self {
            index: m.index,
            sequenced_at: time_ms(m.sequenced_at_us),
            reference: reference.to_string(),
            from: reference.issuer.to_string(),
            to: m.to.iter().map(ToString::to_string).collect(),
            subject: m.subject.to_string(),
            text: m.text.to_string(),
            refs: m.refs.iter().map(ToString::to_string).collect(),
            acknowledged_by: acks.iter().map(AckView::from).collect(),
        }
    }
}

/// A page of messages to a party, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessagesPage {
    pub messages: Vec<MessageView>,
    /// The last message's entry index, when more follow: pass as `after=`.
    pub next_after: Option<u64>,
}
