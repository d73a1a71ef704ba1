//! Admission: the rules a statement must meet, beyond the fold's, to be
//! logged today.
//!
//! The fold ([`State::check`]) is the log's meaning and never changes, so
//! that every log replays to the state it always had. Rules added later,
//! which earlier releases did not apply, live here instead: the sequencer
//! applies them to each submission before the fold, and the audit applies
//! them to each logged entry and reports the entries a submission would be
//! refused for today, without rejecting the log.
//!
//! Every reference must name a record that exists, so that no quantity or
//! link falls outside the views that should count it:
//! - a `distribution.report` naming a consignment: a `custody.transfer` has
//!   named that consignment (else its quantities would reconcile nowhere);
//! - a `message.send` naming records in `refs`: each is logged.
//!
//! A movement moves only once it is cleared: a `movement.update` other than
//! `aborted` on a movement that has not yet departed is refused
//! (`not_cleared`) unless every required approver has approved (with or
//! without conditions). Before this rule a denied or pending convoy could be
//! reported underway or arrived, and read as an ordinary one.
//!
//! Every party signs with its own keys: a public key that another party
//! holds (revoked or not) is refused in `party.register` and `party.key.add`
//! (`key_in_use`), since a statement signed with it would then speak for two
//! parties at once.
//!
//! Rules that need only the statement itself (canonical spellings, values
//! that make no sense) are in [`corridor_statement::Reading`].

use corridor_note::VerifierKey;
use corridor_statement::access::{Decision, UpdateStatus};
use corridor_statement::{Body, Statement};

use crate::{Rejection, State};

impl State {
    /// Refuses `statement` if a rule of admission (see the module docs)
    /// refuses it; changes nothing.
    pub fn admit(&self, statement: &Statement) -> Result<(), Rejection> {
        if self.statements.contains_key(&statement.reference) {
            // A resubmission or a duplicate id: the fold says which.
            return Ok(());
        }
        match &statement.body {
            Body::DistributionReport(d) => match &d.consignment {
                Some(c) if self.accountability.consignment(c).is_none() => {
                    Err(Rejection::UnknownRef(format!("consignment {c}: no hand-off names it")))
                }
                _ => Ok(()),
            },
            Body::MessageSend(m) => match m.refs.iter().find(|r| !self.statements.contains_key(r)) {
                Some(r) => Err(Rejection::UnknownRef(r.to_string())),
                None => Ok(()),
            },
            Body::MovementUpdate(u) if u.status != UpdateStatus::Aborted => {
                let Some(m) = self.access.movement(&u.movement) else { return Ok(()) };
                let approved = |a: &crate::access::Approver| {
                    a.response.as_ref().is_some_and(|r| r.decision != Decision::Deny)
                };
                if m.progress.is_some() || m.approvers.values().all(approved) {
                    return Ok(());
                }
                Err(Rejection::NotCleared(format!(
                    "{} has not been cleared by every required approver; only 'aborted' may be reported before it is",
                    u.movement
                )))
            }
            Body::PartyRegister(reg) => reg.keys.iter().try_for_each(|k| self.key_of_no_other(&reg.id, k)),
            Body::PartyKeyAdd(change) => {
                let party = change.party.as_deref().unwrap_or(statement.issuer());
                self.key_of_no_other(party, &change.vkey)
            }
            _ => Ok(()),
        }
    }

    /// Refuses `key` if a party other than `party` holds the same public key.
    fn key_of_no_other(&self, party: &str, key: &VerifierKey) -> Result<(), Rejection> {
        let public = key.public_bytes();
        let holder = self
            .parties()
            .filter(|p| p.id != party)
            .find(|p| p.keys.iter().any(|k| k.vkey.public_bytes() == public));
        match holder {
            Some(p) => Err(Rejection::KeyInUse(format!("{} holds this public key", p.id))),
            None => Ok(()),
        }
    }
}
