//! The log's side of C2SP tlog-witness: collecting cosignatures.
//!
//! Every [`CosignerConfig::interval`], if the log has grown, a round starts:
//! the latest signed checkpoint goes to every witness of the policy that is
//! not backing off, all at once, each with a consistency proof from the size
//! that witness last cosigned. A 409 tells the witness's size; the request is
//! then sent again once with a proof from it. The cosignature lines that
//! verify are added to the note, and when they meet the policy's quorum the
//! note is stored through the service ([`Service::record_cosigned`]) and from
//! then on served at `/checkpoint`.
//!
//! Nothing here is on the path of a receipt: the sequencer never waits for a
//! witness. A witness that fails or times out backs off (doubling from
//! [`CosignerConfig::min_backoff`] to [`CosignerConfig::max_backoff`]) and
//! sits out rounds until then, so a dead witness costs one timeout per
//! backoff period and never stalls the others; rounds wait for the slowest
//! live witness, at most [`CosignerConfig::request_timeout`], so that all of
//! them cosign the same checkpoint.

use std::sync::Arc;
use std::time::Duration;

use corridor_note::cosignature::CosignerKey;
use corridor_service::{Clock, CosignBoard, Service, WitnessStatus};
use corridor_store::StoredCheckpoint;
use corridor_tlog::policy::Policy;
use corridor_tlog::witness::{AddCheckpoint, SIZE_CONTENT_TYPE};
use corridor_tlog::SignedCheckpoint;
use tokio::task::JoinSet;

/// When and how hard to ask.
#[derive(Debug, Clone)]
pub struct CosignerConfig {
    /// Between the starts of two rounds: how checkpoints are batched.
    pub interval: Duration,
    /// One add-checkpoint request, connection included.
    pub request_timeout: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for CosignerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(250),
            request_timeout: Duration::from_secs(5),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CosignerError {
    #[error("witness {0:?} has no URL in the policy; the log needs its submission prefix")]
    NoUrl(String),
    #[error("the policy's quorum is `none`: there is nothing to collect")]
    NoQuorum,
    #[error("the policy lists logs, and this log's key {0} is not one of them")]
    NotThisLog(String),
    #[error("witness {0:?}: URL {1:?} is not http://host[:port][/path]; this build speaks plain HTTP only (put a TLS witness behind a local proxy)")]
    BadUrl(String, String),
    #[error("HTTP client: {0}")]
    Client(String),
}

/// Longest answer read from a witness: a few cosignature lines, or a size.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024;

/// One witness as the cosigner tracks it.
#[derive(Debug, Clone)]
struct Peer {
    vkey: CosignerKey,
    endpoint: String,
    /// The size it last cosigned (as far as this log knows).
    size: u64,
    backoff: Duration,
    /// Rounds to sit out before trying again.
    resting_until_us: i64,
}

impl Peer {
    /// Doubles the backoff (within the config's bounds) and rests that long.
    fn back_off(&mut self, config: &CosignerConfig, now_us: i64) {
        self.backoff = (self.backoff * 2).clamp(config.min_backoff, config.max_backoff);
        self.resting_until_us = now_us + i64::try_from(self.backoff.as_micros()).unwrap_or(i64::MAX);
    }
}

/// Checks the policy against this log and starts collecting; returns the task.
pub fn spawn(
    service: Service,
    policy: Policy,
    clock: Arc<dyn Clock>,
    config: CosignerConfig,
) -> Result<tokio::task::JoinHandle<()>, CosignerError> {
    if !policy.accepts_log(service.log_vkey()) {
        return Err(CosignerError::NotThisLog(service.log_vkey().to_vkey()));
    }
    if !policy.requires_cosignatures() {
        return Err(CosignerError::NoQuorum);
    }
    let mut peers = Vec::new();
    let mut board = CosignBoard { quorum: policy.describe_quorum(), witnesses: Vec::new() };
    for w in &policy.witnesses {
        let url = w.url.clone().ok_or_else(|| CosignerError::NoUrl(w.name.clone()))?;
        let parsed = reqwest::Url::parse(&url).ok().filter(|u| u.scheme() == "http" && u.host().is_some());
        if parsed.is_none() {
            return Err(CosignerError::BadUrl(w.name.clone(), url));
        }
        let endpoint = format!("{}/add-checkpoint", url.trim_end_matches('/'));
        peers.push(Peer {
            vkey: w.vkey.clone(),
            endpoint,
            size: 0,
            backoff: Duration::ZERO,
            resting_until_us: 0,
        });
        board.witnesses.push(WitnessStatus {
            name: w.name.clone(),
            vkey: w.vkey.to_vkey(),
            url,
            cosigned: None,
            last_answer_us: None,
            last_error: None,
        });
    }
    let http = reqwest::Client::builder()
        .timeout(config.request_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| CosignerError::Client(e.to_string()))?;
    service.configure_witnesses(board);
    let cosigner = Cosigner { service, policy, clock, config, http, peers, recorded: None, gathered: None };
    Ok(tokio::spawn(cosigner.run()))
}

struct Cosigner {
    service: Service,
    policy: Policy,
    clock: Arc<dyn Clock>,
    config: CosignerConfig,
    http: reqwest::Client,
    peers: Vec<Peer>,
    /// The size of the last checkpoint stored with the quorum's cosignatures.
    recorded: Option<u64>,
    /// Cosignature lines gathered so far for one size, per witness: a round
    /// for the same size asks only the witnesses missing from it.
    gathered: Option<(u64, Vec<Option<String>>)>,
}

/// What one witness answered in a round.
#[derive(Debug)]
enum Reply {
    /// A verified cosignature line, with its timestamp.
    Cosigned(String, u64),
    /// The witness's latest size (409), to retry from.
    Conflict(u64),
    Failed(String),
}

impl Cosigner {
    async fn run(mut self) {
        let mut tick = tokio::time::interval(self.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // In a cluster only the leader gathers cosignatures and stores
            // them; followers serve what it stored.
            let role = self.service.node_status().role;
            if !matches!(role, corridor_service::Role::Single | corridor_service::Role::Leader) {
                continue;
            }
            let Ok(cp) = self.service.latest_checkpoint().await else { continue };
            let size = cp.checkpoint.size;
            if size == 0 || self.recorded == Some(size) {
                continue;
            }
            if self.round(&cp).await {
                self.recorded = Some(size);
            }
        }
    }

    /// Sends `cp` to every witness that is not resting; stores the note if
    /// the cosignatures meet the quorum. Returns whether they did.
    async fn round(&mut self, cp: &SignedCheckpoint) -> bool {
        let now_us = self.clock.now_us();
        let size = cp.checkpoint.size;
        if self.gathered.as_ref().is_none_or(|(s, _)| *s != size) {
            self.gathered = Some((size, vec![None; self.peers.len()]));
        }
        let have: Vec<bool> =
            self.gathered.as_ref().map(|(_, g)| g.iter().map(Option::is_some).collect()).unwrap_or_default();
        let mut set = JoinSet::new();
        for (i, peer) in self.peers.iter().enumerate() {
            if peer.resting_until_us > now_us || have.get(i).copied().unwrap_or(false) {
                continue;
            }
            let (service, http, peer, cp) =
                (self.service.clone(), self.http.clone(), peer.clone(), cp.clone());
            let now_s = u64::try_from(now_us / 1_000_000).unwrap_or(0);
            set.spawn(async move { (i, ask(&service, &http, &peer, &cp, now_s).await) });
        }
        while let Some(joined) = set.join_next().await {
            let Ok((i, reply)) = joined else { continue };
            if let Some(line) = self.settle(i, size, reply) {
                if let Some((_, g)) = self.gathered.as_mut() {
                    g[i] = Some(line);
                }
            }
        }
        let lines: String =
            self.gathered.iter().flat_map(|(_, g)| g.iter().flatten()).map(String::as_str).collect();
        let note = format!("{}{lines}", cp.note);
        let reached = self.policy.check_cosignatures(&note).is_ok_and(|c| c.satisfied);
        if reached {
            let stored = StoredCheckpoint { size: cp.checkpoint.size, note };
            if let Err(e) = self.service.record_cosigned(stored).await {
                tracing::warn!(error = %e, "could not store a cosigned checkpoint");
                return false;
            }
        }
        reached
    }

    /// Records what witness `i` answered; returns its line if it cosigned.
    fn settle(&mut self, i: usize, size: u64, reply: Reply) -> Option<String> {
        let now_us = self.clock.now_us();
        let peer = &mut self.peers[i];
        match reply {
            Reply::Cosigned(line, timestamp) => {
                peer.size = size;
                peer.backoff = Duration::ZERO;
                self.service.update_witness(i, |w| {
                    w.cosigned = Some((size, timestamp));
                    w.last_answer_us = Some(now_us);
                    w.last_error = None;
                });
                Some(line)
            }
            Reply::Conflict(latest) => {
                // Asked twice already (once from the size it named): it holds
                // a tree this log cannot extend to, or keeps changing its
                // answer. Back off, and relearn its size from scratch next time.
                peer.size = 0;
                peer.back_off(&self.config, now_us);
                let error = if latest > size {
                    format!("the witness holds size {latest}, beyond this log's {size}: a fork or a rollback")
                } else {
                    format!("the witness still answers 409 (size {latest})")
                };
                self.service.update_witness(i, |w| {
                    w.last_answer_us = Some(now_us);
                    w.last_error = Some(error);
                });
                None
            }
            Reply::Failed(error) => {
                peer.back_off(&self.config, now_us);
                tracing::debug!(witness = %peer.endpoint, %error, backoff_s = peer.backoff.as_secs_f64(), "witness failed");
                self.service.update_witness(i, |w| w.last_error = Some(error));
                None
            }
        }
    }
}

/// Asks one witness to cosign `cp`: from the size it last cosigned, and once
/// more from the size it names if that was not it.
async fn ask(
    service: &Service,
    http: &reqwest::Client,
    peer: &Peer,
    cp: &SignedCheckpoint,
    now_s: u64,
) -> Reply {
    let first = request(service, http, peer, peer.size, cp, now_s).await;
    match first {
        Reply::Conflict(latest) if latest != peer.size && latest <= cp.checkpoint.size => {
            request(service, http, peer, latest, cp, now_s).await
        }
        other => other,
    }
}

async fn request(
    service: &Service,
    http: &reqwest::Client,
    peer: &Peer,
    old: u64,
    cp: &SignedCheckpoint,
    now_s: u64,
) -> Reply {
    let proof = match service.consistency_proof(old, Some(cp.checkpoint.size)).await {
        Ok((_, proof)) => proof,
        Err(e) => return Reply::Failed(format!("no consistency proof from {old}: {e}")),
    };
    let body = AddCheckpoint { old_size: old, proof, checkpoint_note: cp.note.clone() }.to_body();
    let resp = match http.post(&peer.endpoint).body(body).send().await {
        Ok(r) => r,
        Err(e) => return Reply::Failed(format!("request failed: {e}")),
    };
    let status = resp.status().as_u16();
    let is_size = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SIZE_CONTENT_TYPE.as_bytes()));
    let text = match read_capped(resp).await {
        Ok(t) => t,
        Err(e) => return Reply::Failed(e),
    };
    match status {
        200 => verify_line(&peer.vkey, cp, &text, now_s),
        409 if is_size => match text.trim_end_matches('\n').parse::<u64>() {
            Ok(latest) => Reply::Conflict(latest),
            Err(_) => Reply::Failed("409 without a size".into()),
        },
        _ => Reply::Failed(format!("HTTP {status}: {}", text.chars().take(200).collect::<String>())),
    }
}

/// Reads at most [`MAX_ANSWER_BYTES`] of an answer: a witness (or whatever
/// answers at its URL) must not be able to make the log hold more.
async fn read_capped(mut resp: reqwest::Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading the answer: {e}"))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is longer than {MAX_ANSWER_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_owned())
}

/// Keeps, from a 200 answer, the line by this witness's key that verifies,
/// unless its timestamp is more than [`corridor_tlog::policy::MAX_FUTURE_S`]
/// ahead of `now_s`.
fn verify_line(vkey: &CosignerKey, cp: &SignedCheckpoint, text: &str, now_s: u64) -> Reply {
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let note = format!("{}{line}", cp.note);
        if let Ok(Some(c)) = vkey.find_in(&note) {
            if c.timestamp > now_s.saturating_add(corridor_tlog::policy::MAX_FUTURE_S) {
                return Reply::Failed(format!("the cosignature's time {} is in the future", c.timestamp));
            }
            return Reply::Cosigned(line.to_owned(), c.timestamp);
        }
    }
    Reply::Failed("the answer carries no valid cosignature by the witness's key".into())
}
