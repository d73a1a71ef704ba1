//! Derived views that need the fold's spatial index (brief §6): the
//! notification evidence around an incident, and the violations of a
//! ceasefire. Both ask the index instead of scanning every object, and
//! return borrowed records for the caller to present.

use std::collections::BTreeMap;

use corridor_geo::{KindSet, Window};
use corridor_statement::accountability::Occurrence;
use corridor_statement::ObjectRef;

use crate::access::{Agreement, Movement, Site};
use crate::accountability::{CasualtyTotals, Incident};
use crate::spatial::Kind;
use crate::{Acked, State};

/// When a notification was sequenced, relative to an incident's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    Before,
    During,
    After,
}

impl Timing {
    pub const ALL: &'static [Self] = &[Self::Before, Self::During, Self::After];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::During => "during",
            Self::After => "after",
        }
    }

    fn of(at_us: i64, window: &Window) -> Self {
        match (window.from_us(), window.to_us()) {
            (Some(f), _) if at_us < f => Self::Before,
            (_, Some(t)) if at_us >= t => Self::After,
            _ => Self::During,
        }
    }
}

/// A notified object within reach of an incident.
#[derive(Debug, Clone)]
pub struct Notified<'a, T> {
    pub object: &'a T,
    /// From the incident's point to the object (metres; PostGIS `geography` semantics).
    pub distance_m: f64,
    /// When the notification was sequenced, relative to the incident window.
    pub timing: Timing,
    pub acknowledged_by: Vec<Acked<'a>>,
}

/// The notification evidence for an incident.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    pub incident: &'a Incident,
    /// Sites (live or withdrawn) within the incident's precision plus their buffer, by reference.
    pub sites: Vec<Notified<'a, Site>>,
    /// Movements within the incident's precision plus their corridor, by reference.
    pub movements: Vec<Notified<'a, Movement>>,
}

/// The incidents inside an agreement's area and window, tallied.
#[derive(Debug, Clone)]
pub struct Violations<'a> {
    pub agreement: &'a Agreement,
    /// By reference.
    pub incidents: Vec<&'a Incident>,
    /// Alleged perpetrator (`None`: unknown) × latest occurrence grade (`None`: unassessed) → count.
    pub by_alleged_perpetrator: BTreeMap<Option<&'a str>, BTreeMap<Option<Occurrence>, u64>>,
    /// Reporting party → (incidents, casualty totals).
    pub by_reporting_party: BTreeMap<&'a str, (u64, CasualtyTotals)>,
}

impl State {
    /// Every notified site and movement within reach of the incident `r`
    /// (its precision plus the site's buffer or the movement's corridor),
    /// whenever it was notified; `None` if there is no such incident.
    pub fn incident_evidence(&self, r: &ObjectRef) -> Option<Evidence<'_>> {
        let incident = self.accountability.incident(r)?;
        let point = &incident.report.geometry;
        let kinds = KindSet::only(Kind::Site).with(Kind::Movement);
        let near = self.index.query_kinds(kinds, point, incident.report.precision_m, Window::always());
        let window = &incident.report.window;
        let mut evidence = Evidence { incident, sites: vec![], movements: vec![] };
        for r in near {
            if let Some(s) = self.access.sites.get(&r) {
                evidence.sites.push(Notified {
                    object: s,
                    distance_m: corridor_geo::distance_m(point, &s.geometry),
                    timing: Timing::of(s.notified.at_us, window),
                    acknowledged_by: self.acknowledgements_of(&s.reference, s.notified.index),
                });
            } else if let Some(m) = self.access.movements.get(&r) {
                evidence.movements.push(Notified {
                    object: m,
                    distance_m: corridor_geo::distance_m(point, &m.plan.route),
                    timing: Timing::of(m.requested.at_us, window),
                    acknowledged_by: self.acknowledgements_of(&m.reference, m.requested.index),
                });
            }
        }
        Some(evidence)
    }

    /// The incidents inside the agreement `r`'s area (within each incident's
    /// precision; everywhere when it has no area) whose window overlaps the
    /// agreement's, tallied by alleged perpetrator × occurrence grade and by
    /// reporting party; `None` if there is no such agreement.
    pub fn violations(&self, r: &ObjectRef) -> Option<Violations<'_>> {
        let agreement = self.access.agreement(r)?;
        let incidents: Vec<&Incident> = match &agreement.geometry {
            Some(area) => self
                .index
                .query(Kind::Incident, area, 0.0, agreement.window)
                .iter()
                .filter_map(|r| self.accountability.incident(r))
                .collect(),
            None => self
                .accountability
                .incidents()
                .filter(|i| agreement.window.overlaps(&i.report.window))
                .collect(),
        };
        let mut v = Violations {
            agreement,
            incidents,
            by_alleged_perpetrator: BTreeMap::new(),
            by_reporting_party: BTreeMap::new(),
        };
        for i in &v.incidents {
            let who = i.report.alleged_perpetrator.as_deref();
            let grade = i.grade().map(|g| g.occurrence);
            *v.by_alleged_perpetrator.entry(who).or_default().entry(grade).or_default() += 1;
            let e = v.by_reporting_party.entry(i.reporter.as_str()).or_insert((0, CasualtyTotals::default()));
            *e = (e.0 + 1, e.1.plus(&i.report));
        }
        Some(v)
    }
}
