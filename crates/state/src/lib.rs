//! The current state of the record: a deterministic fold over the log.
//!
//! `State::apply(entry)` either accepts the entry, changing the state, or rejects
//! it with a [`Rejection`] and changes nothing. Time comes only from the entry's
//! `sequenced_at`, so whoever replays the log gets the same state and the same
//! [`State::digest`].
//!
//! Authorization lives here, because it depends on the log so far:
//! - the first entry of a log is the operator registering itself (genesis);
//! - only the operator registers parties;
//! - only a live key of a party signs for it, and a key revoked at entry i signs
//!   nothing after i;
//! - the issuer must be among the signers;
//! - (issuer, id) is logged once: an identical envelope is a resubmission, a
//!   different one is `duplicate_id`.
//!
//! Signatures themselves are checked before the fold ([`State::key_for`] gives
//! the key to check each with), so replay can skip them and audit can redo them.

pub mod access;
pub mod accountability;
mod party;
mod rejection;

use std::collections::{BTreeMap, HashMap};

use corridor_note::VerifierKey;
use corridor_statement::body::{AckTarget, Acknowledge, Body, KeyChange, MessageSend, PartyRegister};
use corridor_statement::{KeyRef, ObjectRef, SignedEnvelope};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use access::{Access, Notice};
pub use party::{KeyStatus, Party, PartyKey};
pub use rejection::Rejection;

/// Most parties a log may hold; a bound on memory and on every per-party scan.
pub const MAX_PARTIES: usize = 10_000;

/// One log entry as the fold sees it.
#[derive(Debug, Clone, Copy)]
pub struct EntryContext<'a> {
    pub index: u64,
    pub sequenced_at_us: i64,
    pub signed: &'a SignedEnvelope,
}

/// A position in the log and its sequencing time: when something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Stamp {
    pub index: u64,
    #[serde(rename = "at", serialize_with = "ser_time")]
    pub at_us: i64,
}

fn ser_time<S: serde::Serializer>(us: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&corridor_statement::timefmt::format_ms(*us))
}

/// A window as JSON: `{"from": time, "to": time | null}`.
pub fn window_json(w: &corridor_geo::Window) -> serde_json::Value {
    let t = |us: Option<i64>| us.map(corridor_statement::timefmt::format_us);
    serde_json::json!({"from": t(w.from_us()), "to": t(w.to_us())})
}

fn ser_window<S: serde::Serializer>(w: &corridor_geo::Window, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&window_json(w), s)
}

/// Where an accepted statement lives in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatementRecord {
    pub index: u64,
    #[serde(skip)]
    pub envelope_digest: [u8; 32],
}

/// A message on the structured deconfliction channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub index: u64,
    pub sequenced_at_us: i64,
    pub from: String,
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub refs: Vec<String>,
}

/// One party's acknowledgement of something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ack {
    pub party: String,
    pub index: u64,
    pub sequenced_at_us: i64,
}

#[derive(Debug, Clone, Default)]
pub struct State {
    size: u64,
    last_sequenced_at_us: i64,
    operator: Option<String>,
    parties: BTreeMap<String, Party>,
    statements: HashMap<(String, String), StatementRecord>,
    messages: Vec<Message>,
    acks: HashMap<AckTarget, Vec<Ack>>,
    access: Access,
    accountability: accountability::Accountability,
}

/// Canonical digest of an envelope, to tell a resubmission from a reuse of an id.
pub fn envelope_digest(signed: &SignedEnvelope) -> [u8; 32] {
    signed.digest
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries have been folded.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The `sequenced_at` of the last folded entry (0 before the first).
    pub fn last_sequenced_at_us(&self) -> i64 {
        self.last_sequenced_at_us
    }

    pub fn operator(&self) -> Option<&str> {
        self.operator.as_deref()
    }

    pub fn parties(&self) -> impl Iterator<Item = &Party> {
        self.parties.values()
    }

    /// Zones, sites, movements, operations, agreements and conflicts.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Custody, distributions, incidents and claims.
    pub fn accountability(&self) -> &accountability::Accountability {
        &self.accountability
    }

    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.get(id)
    }

    /// The record of (issuer, id), if logged.
    pub fn statement(&self, issuer: &str, id: &str) -> Option<StatementRecord> {
        self.statements.get(&(issuer.to_owned(), id.to_owned())).copied()
    }

    /// Messages addressed to `party`, oldest first, from `after_index` (exclusive).
    pub fn messages_to<'a>(
        &'a self,
        party: &'a str,
        after_index: Option<u64>,
    ) -> impl Iterator<Item = &'a Message> + 'a {
        let start = after_index.map_or(0, |i| self.messages.partition_point(|m| m.index <= i));
        self.messages[start..].iter().filter(move |m| m.to.iter().any(|t| t == party))
    }

    /// Acknowledgements of an object, by its reference or by the index of the
    /// entry that created it, oldest first.
    pub fn acknowledgements_of(&self, r: &ObjectRef, index: u64) -> Vec<&Ack> {
        let targets = [AckTarget::Object(r.clone()), AckTarget::Entry(index)];
        let mut out: Vec<&Ack> = targets.iter().filter_map(|t| self.acks.get(t)).flatten().collect();
        out.sort_by_key(|a| a.index);
        out
    }

    /// Acknowledgements of a message, by its reference or by its entry index.
    pub fn acks_of(&self, m: &Message) -> Vec<&Ack> {
        self.acknowledgements_of(&ObjectRef { issuer: m.from.clone(), id: m.id.clone() }, m.index)
    }

    /// The key that must have made a signature: a registered key of the named
    /// party (live or revoked: whether it may sign is the fold's decision), or,
    /// before genesis, a key the genesis registration itself carries.
    pub fn key_for(&self, key_ref: &KeyRef, signed: &SignedEnvelope) -> Option<VerifierKey> {
        if let Some(party) = self.parties.get(&key_ref.name) {
            return party.key(key_ref.key_id).map(|k| k.vkey.clone());
        }
        if self.operator.is_some() {
            return None;
        }
        let Body::PartyRegister(reg) = &signed.statement.body else { return None };
        reg.keys
            .iter()
            .filter_map(|k| VerifierKey::parse(k).ok())
            .find(|k| k.name() == key_ref.name && k.key_id() == key_ref.key_id)
    }

    /// Checks that every signer's key is live and that the issuer signed.
    fn authorize_signers(&self, ctx: &EntryContext<'_>) -> Result<(), Rejection> {
        let issuer = &ctx.signed.statement.issuer;
        for key_ref in ctx.signed.signers() {
            let party =
                self.parties.get(&key_ref.name).ok_or_else(|| Rejection::UnknownKey(key_ref.to_string()))?;
            let key = party.key(key_ref.key_id).ok_or_else(|| Rejection::UnknownKey(key_ref.to_string()))?;
            if let Some(at) = key.revoked_at_index {
                return Err(Rejection::RevokedKey { key: key_ref.to_string(), revoked_at_index: at });
            }
        }
        if !ctx.signed.signers().any(|k| &k.name == issuer) {
            return Err(Rejection::Unauthorized(format!("issuer {issuer} did not sign")));
        }
        Ok(())
    }

    /// Applies one entry. On `Err`, nothing changed. On `Ok`, the notices to push
    /// to parties once the entry is durable.
    pub fn apply(&mut self, ctx: EntryContext<'_>) -> Result<Vec<Notice>, Rejection> {
        if ctx.index != self.size {
            return Err(Rejection::OutOfOrder { expected: self.size, got: ctx.index });
        }
        let st = &ctx.signed.statement;
        let digest = envelope_digest(ctx.signed);
        if let Some(rec) = self.statement(&st.issuer, &st.id) {
            return Err(if rec.envelope_digest == digest {
                Rejection::Resubmission { index: rec.index }
            } else {
                Rejection::DuplicateId { index: rec.index }
            });
        }
        if self.operator.is_none() {
            self.check_genesis(&ctx)?;
        } else {
            self.authorize_signers(&ctx)?;
            self.check_body(&ctx)?;
        }
        Ok(self.commit(&ctx, digest))
    }

    /// The first entry must be the operator registering itself, signed by a key
    /// it registers.
    fn check_genesis(&self, ctx: &EntryContext<'_>) -> Result<(), Rejection> {
        let st = &ctx.signed.statement;
        let Body::PartyRegister(reg) = &st.body else {
            return Err(Rejection::Unauthorized(
                "the log starts with the operator registering itself".into(),
            ));
        };
        if reg.id != st.issuer || ctx.signed.signers().any(|k| k.name != st.issuer) {
            return Err(Rejection::Unauthorized("genesis must register its own issuer".into()));
        }
        Ok(())
    }

    /// Type-specific authorization against the state. Pure check, no mutation.
    fn check_body(&self, ctx: &EntryContext<'_>) -> Result<(), Rejection> {
        let st = &ctx.signed.statement;
        match &st.body {
            Body::PartyRegister(reg) => self.check_register(&st.issuer, reg),
            Body::PartyKeyAdd(kc) => self.check_key_add(&st.issuer, kc),
            Body::PartyKeyRevoke(kc) => self.check_key_revoke(&st.issuer, kc),
            Body::MessageSend(m) => self.check_message(m),
            Body::Acknowledge(a) => self.check_ack(ctx.index, a),
            Body::CustodyTransfer(_)
            | Body::DistributionReport(_)
            | Body::IncidentReport(_)
            | Body::IncidentAssess(_)
            | Body::ClaimRecord(_)
            | Body::ClaimLink(_) => self.check_accountability(ctx),
            _ => self.check_access(&st.issuer, &st.body),
        }
    }

    fn check_accountability(&self, ctx: &EntryContext<'_>) -> Result<(), Rejection> {
        let st = &ctx.signed.statement;
        let party = |p: &str| self.parties.contains_key(p);
        let is_monitor = |p: &str| {
            self.parties.get(p).is_some_and(|p| p.kind == corridor_statement::body::PartyKind::Monitor)
        };
        let site = |r: &ObjectRef| self.access.sites().any(|s| &s.reference == r);
        let movement = |r: &ObjectRef| self.access.movement(r).is_some();
        let statement = |r: &ObjectRef| self.statement(&r.issuer, &r.id).is_some();
        let known = accountability::Known {
            party: &party,
            is_monitor: &is_monitor,
            site: &site,
            movement: &movement,
            statement: &statement,
            next_index: ctx.index,
        };
        let a = &self.accountability;
        match &st.body {
            Body::CustodyTransfer(t) => {
                let signers: Vec<&str> = ctx.signed.signers().map(|k| k.name.as_str()).collect();
                a.check_custody(&st.issuer, &signers, t, &known)
            }
            Body::DistributionReport(d) => a.check_distribution(d, &known),
            Body::IncidentReport(i) => a.check_incident(i, &known),
            Body::IncidentAssess(x) => a.check_assess(&st.issuer, x, &known),
            Body::ClaimRecord(c) => a.check_claim(c, &known),
            Body::ClaimLink(l) => a.check_link(l, &known),
            _ => Ok(()),
        }
    }

    fn check_access(&self, issuer: &str, body: &Body) -> Result<(), Rejection> {
        let kind_of = |p: &str| self.parties.get(p).map(|p| p.kind);
        let parties = access::Parties { kind_of: &kind_of };
        let a = &self.access;
        match body {
            Body::ZoneDeclare(z) => a.check_zone(issuer, z, &parties),
            Body::ZoneWithdraw(w) => a.check_zone_withdraw(issuer, &w.target),
            Body::SiteNotify(s) => a.check_site(s, &parties),
            Body::SiteWithdraw(w) => a.check_site_withdraw(issuer, &w.target),
            Body::MovementRequest(p) => a.check_request(p, &parties),
            Body::MovementAmend(am) => {
                let plan = a.amended_plan(issuer, am)?;
                a.check_plan_refs(&plan, &parties)
            }
            Body::MovementCancel(c) => a.check_cancel(issuer, &c.movement),
            Body::MovementRespond(r) => a.check_respond(issuer, r),
            Body::MovementUpdate(u) => a.check_update(issuer, u),
            Body::OperationNotify(o) => a.check_operation(issuer, o, &parties),
            Body::OperationWithdraw(w) => a.check_operation_withdraw(issuer, &w.target),
            Body::AgreementDeclare(ag) => a.check_agreement(ag, &parties),
            Body::AgreementAccede(r) => a.check_accede(issuer, r),
            Body::CustodyTransfer(_)
            | Body::DistributionReport(_)
            | Body::IncidentReport(_)
            | Body::IncidentAssess(_)
            | Body::ClaimRecord(_)
            | Body::ClaimLink(_) => Ok(()),
            Body::PartyRegister(_)
            | Body::PartyKeyAdd(_)
            | Body::PartyKeyRevoke(_)
            | Body::MessageSend(_)
            | Body::Acknowledge(_) => Ok(()),
        }
    }

    fn is_operator(&self, party: &str) -> bool {
        self.operator.as_deref() == Some(party)
    }

    fn check_register(&self, issuer: &str, reg: &PartyRegister) -> Result<(), Rejection> {
        if !self.is_operator(issuer) {
            return Err(Rejection::Unauthorized("only the operator registers parties".into()));
        }
        if self.parties.contains_key(&reg.id) {
            return Err(Rejection::PartyExists(reg.id.clone()));
        }
        if self.parties.len() >= MAX_PARTIES {
            return Err(Rejection::LimitReached("parties"));
        }
        Ok(())
    }

    /// The party a key change is for: the issuer's own, or the operator acting for another.
    fn key_change_target<'a>(&'a self, issuer: &str, kc: &KeyChange) -> Result<&'a Party, Rejection> {
        let target = kc.party.as_deref().unwrap_or(issuer);
        if target != issuer && !self.is_operator(issuer) {
            return Err(Rejection::Unauthorized("only the operator changes another party's keys".into()));
        }
        let party = self.parties.get(target).ok_or_else(|| Rejection::UnknownParty(target.to_owned()))?;
        Ok(party)
    }

    fn check_key_add(&self, issuer: &str, kc: &KeyChange) -> Result<(), Rejection> {
        let party = self.key_change_target(issuer, kc)?;
        let vkey = parse_body_vkey(&kc.vkey)?;
        if vkey.name() != party.id {
            return Err(Rejection::InvalidBody(format!("key is not named after party {}", party.id)));
        }
        if party.key(vkey.key_id()).is_some() {
            return Err(Rejection::KeyExists(vkey.key_ref()));
        }
        if party.keys.len() >= corridor_statement::body::MAX_KEYS_PER_PARTY {
            return Err(Rejection::LimitReached("keys per party"));
        }
        Ok(())
    }

    fn check_key_revoke(&self, issuer: &str, kc: &KeyChange) -> Result<(), Rejection> {
        let party = self.key_change_target(issuer, kc)?;
        let vkey = parse_body_vkey(&kc.vkey)?;
        match party.keys.iter().find(|k| k.vkey == vkey) {
            None => Err(Rejection::UnknownKey(vkey.key_ref())),
            Some(k) if k.revoked_at_index.is_some() => Err(Rejection::RevokedKey {
                key: vkey.key_ref(),
                revoked_at_index: k.revoked_at_index.unwrap_or_default(),
            }),
            Some(_) => Ok(()),
        }
    }

    fn check_message(&self, m: &MessageSend) -> Result<(), Rejection> {
        match m.to.iter().find(|p| !self.parties.contains_key(*p)) {
            Some(p) => Err(Rejection::UnknownParty(p.clone())),
            None => Ok(()),
        }
    }

    fn check_ack(&self, index: u64, a: &Acknowledge) -> Result<(), Rejection> {
        for target in &a.refs {
            let known = match target {
                AckTarget::Entry(i) => *i < index,
                AckTarget::Object(r) => self.statement(&r.issuer, &r.id).is_some(),
            };
            if !known {
                return Err(Rejection::UnknownRef(ack_target_text(target)));
            }
        }
        Ok(())
    }

    /// Records an accepted entry. Everything that can fail was checked before.
    fn commit(&mut self, ctx: &EntryContext<'_>, digest: [u8; 32]) -> Vec<Notice> {
        let st = &ctx.signed.statement;
        let (index, at) = (ctx.index, ctx.sequenced_at_us);
        let stamp = Stamp { index, at_us: at };
        let notices = self.commit_access(&st.issuer, st.object_ref(), &st.body, stamp);
        match &st.body {
            Body::PartyRegister(reg) => {
                if self.operator.is_none() {
                    self.operator = Some(reg.id.clone());
                }
                self.parties.insert(reg.id.clone(), Party::register(reg, index, at));
            }
            Body::PartyKeyAdd(kc) => self.change_key(&st.issuer, kc, |p, vkey| p.add_key(vkey, index, at)),
            Body::PartyKeyRevoke(kc) => {
                self.change_key(&st.issuer, kc, |p, vkey| p.revoke_key(&vkey, index, at))
            }
            Body::MessageSend(m) => self.messages.push(Message {
                index,
                sequenced_at_us: at,
                from: st.issuer.clone(),
                id: st.id.clone(),
                to: m.to.clone(),
                subject: m.subject.clone(),
                text: m.text.clone(),
                refs: m.refs.clone(),
            }),
            Body::Acknowledge(a) => {
                for target in &a.refs {
                    let ack = Ack { party: st.issuer.clone(), index, sequenced_at_us: at };
                    self.acks.entry(target.clone()).or_default().push(ack);
                    if let Some(r) = self.object_of(target) {
                        self.access.acknowledge(&st.issuer, &r, stamp);
                    }
                }
            }
            _ => {}
        }
        let record = StatementRecord { index, envelope_digest: digest };
        self.statements.insert((st.issuer.clone(), st.id.clone()), record);
        self.size += 1;
        self.last_sequenced_at_us = at;
        notices
    }

    /// The object an acknowledgement points at, by reference or by the index of
    /// the entry that created it.
    fn object_of(&self, target: &AckTarget) -> Option<ObjectRef> {
        match target {
            AckTarget::Object(r) => Some(r.clone()),
            AckTarget::Entry(i) => self.access.movement_at_index(*i),
        }
    }

    fn commit_access(&mut self, issuer: &str, own: ObjectRef, body: &Body, at: Stamp) -> Vec<Notice> {
        let a = &mut self.access;
        match body {
            Body::ZoneDeclare(z) => a.declare_zone(own, z, at),
            Body::ZoneWithdraw(w) => a.withdraw_zone(&w.target, w.reason.clone(), at),
            Body::SiteNotify(s) => a.notify_site(own, s, at),
            Body::SiteWithdraw(w) => {
                a.withdraw_site(&w.target, w.reason.clone(), at);
                vec![]
            }
            Body::MovementRequest(p) => a.request_movement(own, p, at),
            Body::MovementAmend(am) => match a.amended_plan(issuer, am) {
                Ok(plan) => a.amend_movement(&am.movement, plan, at),
                Err(_) => vec![],
            },
            Body::MovementCancel(c) => a.cancel_movement(&c.movement, c.reason.clone(), at),
            Body::MovementRespond(r) => a.respond(issuer, r, at),
            Body::MovementUpdate(u) => a.update_movement(u, at),
            Body::OperationNotify(o) => a.notify_operation(own, o, at),
            Body::OperationWithdraw(w) => {
                a.withdraw_operation(&w.target, w.reason.clone(), at);
                vec![]
            }
            Body::AgreementDeclare(ag) => a.declare_agreement(own, ag, at),
            Body::AgreementAccede(r) => {
                a.accede(issuer, r, at);
                vec![]
            }
            Body::CustodyTransfer(t) => {
                self.accountability.record_custody(own, t, at);
                vec![]
            }
            Body::DistributionReport(d) => {
                self.accountability.record_distribution(own, d, at);
                vec![]
            }
            Body::IncidentReport(i) => {
                self.accountability.record_incident(own, i, at);
                vec![]
            }
            Body::IncidentAssess(x) => {
                self.accountability.record_assessment(issuer, x, at);
                vec![]
            }
            Body::ClaimRecord(c) => {
                self.accountability.record_claim(own, c, at);
                vec![]
            }
            Body::ClaimLink(l) => {
                self.accountability.record_link(issuer, l, at);
                vec![]
            }
            _ => vec![],
        }
    }

    fn change_key(&mut self, issuer: &str, kc: &KeyChange, f: impl FnOnce(&mut Party, VerifierKey)) {
        let target = kc.party.as_deref().unwrap_or(issuer).to_owned();
        if let (Some(party), Ok(vkey)) = (self.parties.get_mut(&target), VerifierKey::parse(&kc.vkey)) {
            f(party, vkey);
        }
    }

    /// A SHA-256 digest of the whole state in a canonical form: two replicas that
    /// folded the same log have the same digest.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        let mut feed = |v: serde_json::Value| h.update(v.to_string().as_bytes());
        feed(serde_json::json!([self.size, self.last_sequenced_at_us, self.operator]));
        for p in self.parties.values() {
            feed(serde_json::to_value(p).unwrap_or_default());
        }
        let mut statements: Vec<_> = self.statements.iter().collect();
        statements.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for ((issuer, id), rec) in statements {
            feed(serde_json::json!([issuer, id, rec.index, rec.envelope_digest]));
        }
        for m in &self.messages {
            feed(serde_json::to_value(m).unwrap_or_default());
        }
        let mut acks: Vec<_> = self.acks.iter().map(|(t, v)| (ack_target_text(t), v)).collect();
        acks.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (t, v) in acks {
            feed(serde_json::json!([t, v]));
        }
        feed(self.access.digest_value());
        feed(self.accountability.digest_value());
        h.finalize().into()
    }
}

fn parse_body_vkey(text: &str) -> Result<VerifierKey, Rejection> {
    VerifierKey::parse(text).map_err(|e| Rejection::InvalidBody(e.to_string()))
}

fn ack_target_text(t: &AckTarget) -> String {
    match t {
        AckTarget::Entry(i) => i.to_string(),
        AckTarget::Object(r) => r.to_string(),
    }
}

#[cfg(test)]
mod tests;
