//! Reported events with casualties or damage.
//!
//! A sentence reports an event when it names an attack (an airstrike, shelling,
//! a raid, a convoy or a site hit, a breach of a ceasefire) together with its
//! toll (killed, injured, damaged, destroyed). Later sentences add to the same
//! event unless they name another place or open with "in a separate attack",
//! "elsewhere", "another". Sentences that only give a toll ("The death toll
//! rose to 15") belong to the event before them.
//!
//! The kind follows the brief's order of specificity: a convoy hit is
//! `attack_on_convoy` whatever the weapon; otherwise the weapon decides
//! (airstrike, shelling, ground attack); a site hit with no weapon named is
//! `attack_on_site`; a breach of a truce with no weapon is
//! `ceasefire_violation`.

use std::ops::Range;

use corridor_statement::accountability::IncidentKind;

use crate::claim::ClaimDraft;
use crate::gazetteer::{Gazetteer, PlaceKind, PlaceMatch};
use crate::number::{quantities, Quantity};
use crate::text::{Doc, Tok};
use crate::words::{casualty, PERPETRATOR_HEADS};

/// A drafted incident.
#[derive(Debug, Clone)]
pub struct IncidentDraft {
    pub kind: IncidentKind,
    pub kind_span: Range<usize>,
    /// Sentence indexes that report it.
    pub sentences: Vec<usize>,
    pub place: Option<(PlaceMatch, usize)>,
    pub perpetrators: Vec<(String, Range<usize>)>,
    pub killed: Option<(Quantity, Range<usize>)>,
    pub injured: Option<(Quantity, Range<usize>)>,
    pub children_killed: Option<(Quantity, Range<usize>)>,
    pub children_injured: Option<(Quantity, Range<usize>)>,
    pub sites: Vec<(&'static str, Range<usize>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Weapon {
    Convoy = 6,
    Air = 5,
    Shelling = 4,
    Ground = 3,
    Site = 2,
    Ceasefire = 1,
    Detention = 0,
}

fn kind_of(w: Weapon) -> IncidentKind {
    match w {
        Weapon::Convoy => IncidentKind::AttackOnConvoy,
        Weapon::Air => IncidentKind::Airstrike,
        Weapon::Shelling => IncidentKind::Shelling,
        Weapon::Ground => IncidentKind::GroundAttack,
        Weapon::Site => IncidentKind::AttackOnSite,
        Weapon::Ceasefire => IncidentKind::CeasefireViolation,
        Weapon::Detention => IncidentKind::Detention,
    }
}

const HIT_WORDS: &[&str] = &[
    "hit",
    "struck",
    "strikes",
    "attacked",
    "targeted",
    "bombed",
    "shelled",
    "damaged",
    "destroyed",
    "ambushed",
    "fired",
    "shot",
    "looted",
    "stormed",
    "burned",
    "torched",
    "raided",
    "levelled",
    "leveled",
    "flattened",
];

/// The weapon a sentence names, with the token it was read from.
fn weapon(doc: &Doc<'_>, s: Range<usize>) -> Option<(Weapon, usize)> {
    let w = |k: usize| -> &str {
        if k < s.end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let mut best: Option<(Weapon, usize)> = None;
    let mut put = |wp: Weapon, k: usize| {
        if best.is_none_or(|(b, _)| wp > b) {
            best = Some((wp, k));
        }
    };
    let hit_near = |k: usize| {
        (k.saturating_sub(6).max(s.start)..(k + 7).min(s.end)).any(|j| {
            w(j).is_empty()
                || HIT_WORDS.contains(&w(j))
                || casualty(w(j)).is_some_and(|c| c == "killed" || c == "injured")
        })
    };
    for k in s.clone() {
        let t = w(k);
        match t {
            "convoy" | "convoys" => {
                if hit_near(k) {
                    put(Weapon::Convoy, k);
                }
            }
            "truck" | "trucks" | "lorries"
                if (k.saturating_sub(2)..k).any(|j| matches!(w(j), "aid" | "relief" | "humanitarian"))
                    && hit_near(k) =>
            {
                put(Weapon::Convoy, k);
            }
            "airstrike" | "airstrikes" | "warplanes" | "warplane" | "jets" | "aircraft" | "helicopter"
            | "helicopters" | "drone" | "drones" | "air-strike" | "air-strikes" | "airstrike's" => {
                put(Weapon::Air, k)
            }
            "air"
                if matches!(
                    w(k + 1),
                    "strike" | "strikes" | "raid" | "raids" | "attack" | "attacks" | "bombardment"
                ) =>
            {
                put(Weapon::Air, k)
            }
            "barrel" if w(k + 1).starts_with("bomb") => put(Weapon::Air, k),
            "shelling" | "shelled" | "shells" | "artillery" | "mortar" | "mortars" | "rocket" | "rockets"
            | "missile" | "missiles" | "bombardment" | "shell" | "howitzer" | "grad" => {
                put(Weapon::Shelling, k)
            }
            "raid" | "raids" | "raided" if !matches!(w(k.saturating_sub(1)), "air") => put(Weapon::Ground, k),
            "gunmen" | "clashes" | "stormed" | "ambush" | "ambushed" | "assault" | "gunfire" | "sniper"
            | "snipers" | "ied" | "landmine" | "mine" | "explosive" | "suicide" | "shooting" | "shot" => {
                put(Weapon::Ground, k)
            }
            "ceasefire" | "truce" | "de-escalation"
                if (k.saturating_sub(3)..(k + 3).min(s.end)).any(|j| {
                    matches!(
                        w(j),
                        "violation"
                            | "violations"
                            | "breach"
                            | "breaches"
                            | "violated"
                            | "breached"
                            | "violating"
                    )
                }) =>
            {
                put(Weapon::Ceasefire, k);
            }
            "detained" | "arrested" | "abducted" | "kidnapped" | "detention" => put(Weapon::Detention, k),
            _ => {
                if site_word(doc, k, s.end).is_some() && hit_near(k) {
                    put(Weapon::Site, k);
                }
            }
        }
    }
    best
}

/// A protected site named at token `k`, as a site category of the brief.
fn site_word(doc: &Doc<'_>, k: usize, end: usize) -> Option<(&'static str, Range<usize>)> {
    let w = |j: usize| -> &str {
        if j < end {
            doc.tokens[j].lower.as_str()
        } else {
            ""
        }
    };
    let t = w(k);
    let one = |c| Some((c, k..k + 1));
    match t {
        "distribution" if matches!(w(k + 1), "point" | "points" | "centre" | "center" | "site") => {
            Some(("distribution_point", k..k + 2))
        }
        "hospital" | "hospitals" => one("hospital"),
        "clinic" | "clinics" => one("clinic"),
        "medical" | "health" if matches!(w(k + 1), "centre" | "center" | "point" | "facility") => {
            Some(("clinic", k..k + 2))
        }
        "school" | "schools" => one("school"),
        "bakery" | "bakeries" => one("bakery"),
        "camp" | "camps" if !matches!(w(k + 1), "david") => one("camp"),
        "warehouse" | "warehouses" | "depot" => one("warehouse"),
        "office" | "offices" if k > 0 && !doc.tokens[k - 1].is_any(&["media", "press", "the"]) => {
            one("office")
        }
        _ => None,
    }
}

/// Whether a sentence gives a toll: people killed or hurt, or something
/// damaged.
fn toll(doc: &Doc<'_>, s: Range<usize>) -> bool {
    doc.tokens[s].iter().any(|t| {
        matches!(casualty(&t.lower), Some("killed" | "injured"))
            || t.is_any(&[
                "damaged",
                "destroyed",
                "damage",
                "destruction",
                "casualties",
                "hit",
                "struck",
                "levelled",
                "flattened",
                "burned",
                "torched",
                "looted",
            ])
    })
}

fn separate_event(doc: &Doc<'_>, s: Range<usize>) -> bool {
    let words: Vec<&str> = doc.tokens[s.clone()].iter().take(6).map(|t| t.lower.as_str()).collect();
    let has = |seq: &[&str]| words.windows(seq.len()).any(|w| w == seq);
    has(&["separate"])
        || has(&["separately"])
        || has(&["elsewhere"])
        || has(&["another"])
        || has(&["a", "second"])
        || has(&["in", "a", "separate"])
}

/// Every incident in the document.
pub fn incidents(
    doc: &Doc<'_>,
    gazetteer: &Gazetteer,
    places: &[PlaceMatch],
    claims: &[ClaimDraft],
) -> Vec<IncidentDraft> {
    let mut out: Vec<IncidentDraft> = Vec::new();
    for (si, s) in doc.sentences.iter().enumerate() {
        let s = s.clone();
        let wp = weapon(doc, s.clone());
        let has_toll = toll(doc, s.clone());
        let place = best_place(doc, gazetteer, places, s.clone());
        match (wp, out.last_mut()) {
            (Some((wp, k)), last) if has_toll || wp == Weapon::Detention => {
                let new_place = match (&place, last.as_ref().and_then(|l| l.place.as_ref())) {
                    (Some(p), Some(lp)) => !same_place(lp, p),
                    _ => false,
                };
                let separate = separate_event(doc, s.clone()) || new_place;
                match last {
                    Some(l) if !separate => add_to(doc, l, si, s, wp, k, place),
                    _ => out.push(start(doc, si, s, wp, k, place)),
                }
            }
            (None, Some(l))
                if has_toll
                    && l.sentences.last().is_some_and(|&x| x + 3 >= si)
                    && tolls(doc, s.clone()).iter().any(Option::is_some) =>
            {
                add_to(doc, l, si, s, Weapon::Detention, usize::MAX, place);
            }
            _ => {}
        }
    }
    for inc in &mut out {
        perpetrators(doc, inc, claims);
        if inc.place.is_none() {
            inc.place = fallback_place(doc, gazetteer, places);
        }
    }
    out
}

fn same_place(a: &(PlaceMatch, usize), b: &(PlaceMatch, usize)) -> bool {
    a.0.places.first() == b.0.places.first() || a.0.places.iter().any(|p| b.0.places.contains(p))
}

fn start(
    doc: &Doc<'_>,
    si: usize,
    s: Range<usize>,
    wp: Weapon,
    k: usize,
    place: Option<(PlaceMatch, usize)>,
) -> IncidentDraft {
    let mut inc = IncidentDraft {
        kind: kind_of(wp),
        kind_span: doc.tokens[k].span.clone(),
        sentences: Vec::new(),
        place: None,
        perpetrators: Vec::new(),
        killed: None,
        injured: None,
        children_killed: None,
        children_injured: None,
        sites: Vec::new(),
    };
    add_to(doc, &mut inc, si, s, wp, k, place);
    inc
}

fn add_to(
    doc: &Doc<'_>,
    inc: &mut IncidentDraft,
    si: usize,
    s: Range<usize>,
    wp: Weapon,
    k: usize,
    place: Option<(PlaceMatch, usize)>,
) {
    inc.sentences.push(si);
    let current = weapon_of(inc.kind);
    if k != usize::MAX && wp > current {
        inc.kind = kind_of(wp);
        inc.kind_span = doc.tokens[k].span.clone();
    }
    if inc.place.is_none() {
        inc.place = place;
    } else if let (Some(new), Some(old)) = (&place, &inc.place) {
        if new.1 < old.1 {
            inc.place = place;
        }
    }
    let [killed, injured, ck, ci] = tolls(doc, s.clone());
    merge(&mut inc.killed, killed);
    merge(&mut inc.injured, injured);
    merge(&mut inc.children_killed, ck);
    merge(&mut inc.children_injured, ci);
    for j in s.clone() {
        if let Some((cat, r)) = site_word(doc, j, s.end) {
            if !inc.sites.iter().any(|(c, _)| *c == cat) {
                inc.sites.push((cat, doc.bytes(r)));
            }
        }
    }
}

fn weapon_of(k: IncidentKind) -> Weapon {
    match k {
        IncidentKind::AttackOnConvoy => Weapon::Convoy,
        IncidentKind::Airstrike => Weapon::Air,
        IncidentKind::Shelling => Weapon::Shelling,
        IncidentKind::GroundAttack => Weapon::Ground,
        IncidentKind::AttackOnSite => Weapon::Site,
        IncidentKind::CeasefireViolation => Weapon::Ceasefire,
        _ => Weapon::Detention,
    }
}

/// Keeps the most conservative toll: the lowest minimum.
fn merge(slot: &mut Option<(Quantity, Range<usize>)>, new: Option<(Quantity, Range<usize>)>) {
    let Some(n) = new else { return };
    match slot {
        None => *slot = Some(n),
        Some(old) => {
            let lower = |q: &Quantity| q.min.or(q.max).or(q.about).unwrap_or(f64::MAX);
            if lower(&n.0) < lower(&old.0) {
                *slot = Some(n);
            }
        }
    }
}

/// Killed, injured, children killed and children injured in one sentence.
fn tolls(doc: &Doc<'_>, s: Range<usize>) -> [Option<(Quantity, Range<usize>)>; 4] {
    let mut out: [Option<(Quantity, Range<usize>)>; 4] = [None, None, None, None];
    let skip = crate::when::spans(doc, s.clone());
    let w = |k: usize| -> &str {
        if k < s.end && k >= s.start {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let mut last_cat: Option<&str> = None;
    for q in quantities(doc, s.clone()) {
        if skip.iter().any(|r| r.start <= q.tokens.start && q.tokens.end <= r.end) {
            continue;
        }
        let after = q.tokens.end;
        // What is counted: the noun after, then a casualty word after or before.
        let noun = (after..(after + 3).min(s.end)).map(&w).find(|x| crate::words::unit(x).is_some());
        let noun_unit = noun.and_then(crate::words::unit);
        if !matches!(noun_unit, None | Some("people" | "children" | "women" | "fighters")) {
            continue;
        }
        if w(after).ends_with("-year-old")
            || (q.tokens.start > s.start && doc.tokens[q.tokens.start - 1].is_any(&["aged"]))
        {
            continue;
        }
        let cat_after = (after..(after + 6).min(s.end))
            .take_while(|&k| doc.tokens[k].kind == Tok::Word || doc.tokens[k].is_punct(","))
            .find_map(|k| casualty(w(k)));
        let cat_before = (q.tokens.start.saturating_sub(5).max(s.start)..q.tokens.start)
            .rev()
            .find_map(|k| casualty(w(k)));
        let including = q.tokens.start > s.start
            && doc.tokens[q.tokens.start - 1].is_any(&["including", "among", "them"]);
        let cat = if including { last_cat.or(cat_after).or(cat_before) } else { cat_after.or(cat_before) };
        let Some(cat) = cat.filter(|c| matches!(*c, "killed" | "injured")) else { continue };
        let children = noun_unit == Some("children");
        let slot = match (cat, children) {
            ("killed", false) => 0,
            ("injured", false) => 1,
            ("killed", true) => 2,
            _ => 3,
        };
        if children && !including && out[slot - 2].is_none() {
            // "killed five children" with no other toll: the children are also the toll.
        }
        last_cat = Some(cat);
        if out[slot].is_none() {
            out[slot] = Some((q.clone(), doc.bytes(q.tokens.clone())));
        }
    }
    out
}

/// The place of an event in a sentence: a name after a locative word ("in",
/// "near", "outside", "town of") or before a place noun ("camp",
/// "province"), most precise first.
fn best_place(
    doc: &Doc<'_>,
    g: &Gazetteer,
    places: &[PlaceMatch],
    s: Range<usize>,
) -> Option<(PlaceMatch, usize)> {
    let bytes = doc.bytes(s);
    let mut best: Option<(PlaceMatch, usize, u8)> = None;
    for m in places.iter().filter(|m| bytes.start <= m.span.start && m.span.end <= bytes.end) {
        let (m, idx) = refine(doc, g, m);
        let kind = g.place(idx).kind;
        let before = doc.text[..m.span.start].trim_end();
        let prev = before.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_lowercase();
        let next = doc.text[m.span.end..]
            .trim_start()
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("")
            .to_lowercase();
        let locative = matches!(
            prev.as_str(),
            "in" | "near"
                | "outside"
                | "at"
                | "of"
                | "on"
                | "into"
                | "around"
                | "from"
                | "rural"
                | "eastern"
                | "western"
                | "northern"
                | "southern"
                | "central"
                | "town"
                | "city"
                | "village"
                | "hit"
                | "struck"
                | "targeted"
                | "shelled"
                | "bombed"
        ) || matches!(
            next.as_str(),
            "camp"
                | "province"
                | "governorate"
                | "countryside"
                | "crossing"
                | "district"
                | "city"
                | "town"
                | "village"
                | "border"
                | "area"
                | "region"
        );
        let score = if locative { 10 } else { 0 }
            + match kind {
                PlaceKind::Crossing | PlaceKind::Camp | PlaceKind::Village => 6,
                PlaceKind::Town => 5,
                PlaceKind::City => 4,
                PlaceKind::Admin1 => 2,
                PlaceKind::Country => 0,
            };
        if best.as_ref().is_none_or(|b| score > b.2) {
            best = Some((m, idx, score));
        }
    }
    best.map(|(m, i, _)| (m, i))
}

/// Picks the candidate a place noun asks for: "Idlib province" is the
/// governorate, "Rukban camp" the camp.
fn refine(doc: &Doc<'_>, g: &Gazetteer, m: &PlaceMatch) -> (PlaceMatch, usize) {
    let next = doc.text[m.span.end..]
        .trim_start()
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    let prev_word = doc.text[..m.span.start]
        .trim_end()
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    let want = match (next.as_str(), prev_word.as_str()) {
        ("province" | "governorate" | "countryside", _) | (_, "rural") => Some(PlaceKind::Admin1),
        ("camp", _) => Some(PlaceKind::Camp),
        ("crossing", _) => Some(PlaceKind::Crossing),
        _ => None,
    };
    let idx =
        want.and_then(|k| m.places.iter().copied().find(|&p| g.place(p).kind == k)).unwrap_or_else(|| {
            // Prefer Syria, the region's centre, then the first (largest).
            m.places
                .iter()
                .copied()
                .find(|&p| g.place(p).country == "SY" && g.place(p).kind != PlaceKind::Country)
                .unwrap_or(m.places[0])
        });
    (m.clone(), idx)
}

/// When no sentence of the event names a place: the first place of the
/// document that is not a country (a dateline, a headline).
fn fallback_place(doc: &Doc<'_>, g: &Gazetteer, places: &[PlaceMatch]) -> Option<(PlaceMatch, usize)> {
    let m = places
        .iter()
        .find(|m| m.places.iter().any(|&p| g.place(p).kind != PlaceKind::Country))
        .or_else(|| places.first())?;
    Some(refine(doc, g, m))
}

/// Who is said to have carried it out: "by X", "X shelled", "X warplanes",
/// "blamed X for", "accused X of", with "either A or B" kept as two.
fn perpetrators(doc: &Doc<'_>, inc: &mut IncidentDraft, claims: &[ClaimDraft]) {
    let mut found: Vec<(String, Range<usize>)> = Vec::new();
    let push = |found: &mut Vec<(String, Range<usize>)>, text: String, span: Range<usize>| {
        let key = norm(&text);
        if !key.is_empty() && !found.iter().any(|(t, _)| norm(t) == key) {
            found.push((text, span));
        }
    };
    for &si in &inc.sentences {
        let s = doc.sentences[si].clone();
        for (text, span) in in_sentence(doc, s) {
            push(&mut found, text, span);
        }
    }
    // Blame in claims anywhere in the text.
    for c in claims {
        let s = doc.sentences[c.sentence].clone();
        for k in s.clone() {
            let t = &doc.tokens[k];
            if t.is_any(&["blamed", "blames", "blaming", "accused", "accuses", "accusing"]) {
                let end = (k + 1..s.end)
                    .find(|&j| doc.tokens[j].is_any(&["for", "of"]) || doc.tokens[j].kind != Tok::Word)
                    .unwrap_or(s.end);
                if end > k + 1 && end - k <= 8 {
                    for (text, span) in alternatives(doc, k + 1..end) {
                        push(&mut found, text, span);
                    }
                }
            }
        }
    }
    found.retain(|(t, _)| {
        !matches!(
            norm(t).as_str(),
            "it" | "them" | "him" | "her" | "they" | "us" | "each other" | "one another"
        )
    });
    inc.perpetrators = found;
}

fn in_sentence(doc: &Doc<'_>, s: Range<usize>) -> Vec<(String, Range<usize>)> {
    let w = |k: usize| -> &str {
        if k < s.end && k >= s.start {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let mut out = Vec::new();
    for k in s.clone() {
        // "carried out by X", "shelling by X", "hit by X"
        if w(k) == "by"
            && k > s.start
            && (HIT_WORDS.contains(&w(k - 1))
                || matches!(
                    w(k - 1),
                    "out"
                        | "shelling"
                        | "strike"
                        | "strikes"
                        | "airstrike"
                        | "airstrikes"
                        | "attack"
                        | "attacks"
                        | "launched"
                        | "fire"
                        | "raid"
                        | "bombardment"
                        | "conducted"
                ))
        {
            let end = (k + 1..s.end)
                .find(|&j| {
                    doc.tokens[j].kind != Tok::Word
                        || doc.tokens[j].is_any(&[
                            "on",
                            "in",
                            "near",
                            "at",
                            "killing",
                            "which",
                            "that",
                            "who",
                            "according",
                            "late",
                            "early",
                            "overnight",
                            "during",
                            "while",
                            "and",
                            "after",
                            "as",
                            "wounding",
                            "injuring",
                        ])
                })
                .unwrap_or(s.end);
            if end > k + 1 && end - k <= 10 {
                out.extend(alternatives(doc, k + 1..end));
            }
        }
        // "Russian warplanes", "government forces", "Turkish-backed factions"
        if PERPETRATOR_HEADS.contains(&w(k)) && !doc.tokens[k].quoted {
            let mut start = k;
            while start > s.start && modifier(doc, start - 1) {
                start -= 1;
            }
            // "either A or B aircraft"
            if start > s.start + 1 && w(start - 1) == "or" {
                let mut a = start - 1;
                while a > s.start && modifier(doc, a - 1) {
                    a -= 1;
                }
                if a > s.start && w(a - 1) == "either" {
                    out.extend(alternatives(doc, a - 1..k + 1));
                    continue;
                }
            }
            if start < k && !(w(k) == "air" || w(k) == "force" && w(k - 1) != "air") {
                let end = if w(k) == "air" && w(k + 1) == "force" { k + 2 } else { k + 1 };
                if !doc.tokens[start..end]
                    .iter()
                    .any(|t| t.is_any(&["aid", "civil", "defence", "rescue", "relief", "peacekeeping", "un"]))
                {
                    out.push((doc.slice(start..end).to_owned(), doc.bytes(start..end)));
                }
            }
        }
        if w(k) == "either" {
            let end = (k + 1..s.end)
                .find(|&j| {
                    doc.tokens[j].kind != Tok::Word
                        || doc.tokens[j].is_any(&[
                            "for", "of", "on", "in", "had", "was", "were", "carried", "struck", "hit",
                        ])
                })
                .unwrap_or(s.end);
            if (k + 1..end).any(|j| w(j) == "or") {
                out.extend(alternatives(doc, k..end));
            }
        }
    }
    out
}

fn modifier(doc: &Doc<'_>, k: usize) -> bool {
    let t = &doc.tokens[k];
    t.kind == Tok::Word
        && !t.quoted
        && (doc.capitalized(k)
            || t.lower.ends_with("-backed")
            || t.lower.ends_with("-led")
            || t.lower.ends_with("-aligned")
            || t.is_any(&[
                "government",
                "regime",
                "pro-government",
                "opposition",
                "rebel",
                "unidentified",
                "unknown",
                "allied",
                "armed",
                "militant",
                "jihadist",
                "islamist",
                "coalition",
                "israeli",
                "russian",
                "syrian",
                "turkish",
                "iranian",
                "american",
                "kurdish",
                "iraqi",
                "state",
                "security",
                "military",
                "air",
            ]))
        && !t.is_any(&["the", "a", "an", "on", "in", "by", "and", "or", "either"])
}

/// Splits "either A or B" (and "A or B") into alternatives, giving a bare
/// modifier the head of the other ("either Russian or Syrian aircraft" →
/// "Russian aircraft", "Syrian aircraft").
fn alternatives(doc: &Doc<'_>, r: Range<usize>) -> Vec<(String, Range<usize>)> {
    let mut r = r;
    while r.start < r.end && doc.tokens[r.start].is_any(&["either", "the", "a", "an"]) {
        r.start += 1;
    }
    let parts: Vec<Range<usize>> = {
        let mut v = Vec::new();
        let mut s = r.start;
        for k in r.clone() {
            if doc.tokens[k].is_any(&["or", "and/or"]) {
                v.push(s..k);
                s = k + 1;
            }
        }
        v.push(s..r.end);
        v.into_iter().map(|p| strip_article(doc, p)).filter(|p| !p.is_empty()).collect()
    };
    if parts.len() < 2 {
        return parts.into_iter().map(|p| (doc.slice(p.clone()).to_owned(), doc.bytes(p))).collect();
    }
    let last = parts.last().cloned().unwrap_or(r.clone());
    let head = doc.tokens[last.end - 1].lower.clone();
    parts
        .into_iter()
        .map(|p| {
            let text = doc.slice(p.clone()).to_owned();
            let has_head =
                doc.tokens[p.clone()].iter().any(|t| PERPETRATOR_HEADS.contains(&t.lower.as_str()));
            if !has_head && PERPETRATOR_HEADS.contains(&head.as_str()) {
                (format!("{text} {}", doc.word(last.end - 1)), doc.bytes(p))
            } else {
                (text, doc.bytes(p))
            }
        })
        .collect()
}

fn strip_article(doc: &Doc<'_>, mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && doc.tokens[r.start].is_any(&["the", "a", "an", "either"]) {
        r.start += 1;
    }
    r
}

/// Lower case without articles or punctuation, for comparing names.
pub fn norm(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "the" | "a" | "an"))
        .collect::<Vec<_>>()
        .join(" ")
}
