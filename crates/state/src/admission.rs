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
//! Rules that need only the statement itself (canonical spellings, values
//! that make no sense) are in [`corridor_statement::Reading`].

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
            Body::MessageSend(m) => match m.refs.iter().find(|r| !self.statements.contains_key(*r)) {
                Some(r) => Err(Rejection::UnknownRef(r.to_string())),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}
