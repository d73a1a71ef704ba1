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
    /// The most precise place name the text gives, found or not in the
    /// gazetteer ("the village of Umm Jloud").
    pub place_text: Option<(String, Range<usize>)>,
    /// Some sentence of it gives a toll (casualties or damage).
    pub has_toll: bool,
    /// How precise `place` and `place_text` are (higher is more precise).
    place_rank: (u8, u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Weapon {
    Obstruction,
    Detention,
    Ceasefire,
    Site,
    Ground,
    Shelling,
    Air,
    Convoy,
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
        Weapon::Obstruction => IncidentKind::Obstruction,
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
        IncidentKind::Obstruction => Weapon::Obstruction,
        IncidentKind::Detention => Weapon::Detention,
    }
}

/// Verbs and nouns of an attack reaching its target.
const HIT_WORDS: &[&str] = &[
    "hit",
    "hitting",
    "struck",
    "strikes",
    "attacked",
    "attacking",
    "attack",
    "targeted",
    "targeting",
    "bombed",
    "bombing",
    "shelled",
    "shelling",
    "damaged",
    "destroyed",
    "ambushed",
    "fired",
    "shot",
    "looted",
    "stormed",
    "burned",
    "burnt",
    "torched",
    "raided",
    "levelled",
    "leveled",
    "flattened",
    "slammed",
    "fire",
    "opened",
];

/// Words of a truce broken.
const BREACH_WORDS: &[&str] =
    &["violation", "violations", "breach", "breaches", "violated", "breached", "violating", "breaching"];

/// The weapon a sentence names, with the token it was read from. Words
/// inside quotations count only when `quoted` is allowed.
fn weapon(doc: &Doc<'_>, s: Range<usize>, quoted: bool) -> Option<(Weapon, usize)> {
    let w = |k: usize| -> &str {
        if k < s.end && k >= s.start && (quoted || !doc.tokens[k].quoted) {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let near = |k: usize, set: &[&str]| {
        (k.saturating_sub(7).max(s.start)..(k + 8).min(s.end)).any(|j| set.contains(&w(j)))
    };
    let hit_near = |k: usize| {
        near(k, HIT_WORDS)
            || (k.saturating_sub(7).max(s.start)..(k + 8).min(s.end))
                .any(|j| matches!(casualty(w(j)), Some("killed" | "injured")))
    };
    let breach = (s.clone()).any(|j| BREACH_WORDS.contains(&w(j)));
    let aid_words =
        (s.clone()).any(|j| matches!(w(j), "convoy" | "convoys" | "trucks" | "aid" | "access" | "passage"));
    let detained = (s.clone()).any(|j| matches!(w(j), "detained" | "arrested" | "abducted" | "kidnapped"));
    let hurt = (s.clone()).any(|j| matches!(casualty(w(j)), Some("killed" | "injured")));
    let mut best: Option<(Weapon, usize)> = None;
    let mut put = |wp: Weapon, k: usize| {
        // A raid that only detained people is a detention.
        let wp = if wp == Weapon::Ground && detained && !hurt { Weapon::Detention } else { wp };
        if best.is_none_or(|(b, _)| wp > b) {
            best = Some((wp, k));
        }
    };
    for k in s.clone() {
        match w(k) {
            "convoy" | "convoys" if hit_near(k) => put(Weapon::Convoy, k),
            "truck" | "trucks" | "lorries" | "drivers"
                if (k.saturating_sub(3)..k).any(|j| matches!(w(j), "aid" | "relief" | "humanitarian"))
                    && hit_near(k) =>
            {
                put(Weapon::Convoy, k)
            }
            "airstrike" | "airstrikes" | "warplanes" | "warplane" | "jets" | "aircraft" | "helicopter"
            | "helicopters" | "drone" | "drones" | "air-strike" | "air-strikes" => put(Weapon::Air, k),
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
            | "missile" | "missiles" | "bombardment" | "shell" | "howitzer" => put(Weapon::Shelling, k),
            "raid" | "raids" | "raided" if w(k.saturating_sub(1)) != "air" => put(Weapon::Ground, k),
            "gunmen" | "clashes" | "stormed" | "ambush" | "ambushed" | "assault" | "gunfire" | "sniper"
            | "snipers" | "ied" | "landmine" | "explosive" | "suicide" | "shooting" | "gunman" | "shot" => {
                put(Weapon::Ground, k)
            }
            "fire"
                if w(k.saturating_sub(1)) == "set"
                    || (w(k.saturating_sub(1)) == "on" && w(k.saturating_sub(2)) == "set") =>
            {
                put(Weapon::Site, k)
            }
            "fire" if w(k.saturating_sub(1)) == "opened" => put(Weapon::Ground, k),
            "ceasefire" | "truce" | "de-escalation" | "agreement" | "breach" if breach => {
                put(Weapon::Ceasefire, k)
            }
            "detained" | "arrested" | "abducted" | "kidnapped" | "detention" | "held"
                if w(k) != "held" || w(k + 1) == "at" =>
            {
                put(Weapon::Detention, k)
            }
            "turned" if w(k + 1) == "back" && aid_words => put(Weapon::Obstruction, k),
            "blocked" | "halted" | "refused" | "denied" | "prevented" | "stopped" if aid_words => {
                put(Weapon::Obstruction, k)
            }
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
    let one = |c| Some((c, k..k + 1));
    match w(k) {
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
        "camp" | "camps" => one("camp"),
        "settlement" | "settlements"
            if k > 0 && doc.tokens[k - 1].is_any(&["tented", "informal", "tent", "refugee"]) =>
        {
            one("camp")
        }
        "warehouse" | "warehouses" | "depot" => one("warehouse"),
        "office" | "offices" if k > 0 && !doc.tokens[k - 1].is_any(&["media", "press"]) => one("office"),
        "house" | "home" | "residential" => one("residence"),
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
                "destroying",
                "damaging",
                "damage",
                "destruction",
                "casualties",
                "levelled",
                "flattened",
                "burned",
                "burnt",
                "torched",
                "looted",
                "burns",
                "fire",
                "gutted",
            ])
    })
}

fn separate_event(doc: &Doc<'_>, s: Range<usize>) -> bool {
    let words: Vec<&str> = doc.tokens[s].iter().take(6).map(|t| t.lower.as_str()).collect();
    words.iter().any(|w| matches!(*w, "separate" | "separately" | "elsewhere" | "another"))
        || words.windows(2).any(|w| w == ["a", "second"])
}

/// Every incident in the document.
pub fn incidents(
    doc: &Doc<'_>,
    gazetteer: &Gazetteer,
    places: &[PlaceMatch],
    claims: &[ClaimDraft],
) -> Vec<IncidentDraft> {
    // Places inside a speaker's description ("a mine worker from Homs") are not the event's.
    let speakers: Vec<Range<usize>> = claims
        .iter()
        .flat_map(|c| {
            [c.speaker.span.clone()].into_iter().chain(c.affiliation.iter().map(|a| a.span.clone()))
        })
        .collect();
    let places: Vec<PlaceMatch> = places
        .iter()
        .filter(|m| !speakers.iter().any(|s| s.start <= m.span.start && m.span.end <= s.end))
        .cloned()
        .collect();
    // What a party denies doing is not an allegation against it.
    let denials: Vec<Range<usize>> = claims
        .iter()
        .filter(|c| c.stance.value == corridor_statement::accountability::Stance::Denial)
        .map(|c| c.text.span.clone())
        .collect();
    let country = main_country(doc);
    let country = country.as_str();
    let mut out: Vec<IncidentDraft> = Vec::new();
    for (si, s) in doc.sentences.iter().enumerate() {
        let s = s.clone();
        let has_toll = toll(doc, s.clone());
        let place = best_place(doc, gazetteer, &places, s.clone(), country);
        let text_place = place_text(doc, gazetteer, s.clone());
        let opener = weapon(doc, s.clone(), false);
        let empty = out.is_empty();
        let separate = separate_event(doc, s.clone());
        match (opener.or_else(|| weapon(doc, s.clone(), true)), out.last_mut()) {
            (Some((wp, k)), Some(l))
                if opener.is_none()
                    || wp <= Weapon::Detention
                    || (!separate && !new_place(gazetteer, l, place.as_ref().map(|(p, _)| p))) =>
            {
                add_to(doc, l, si, s, wp, k, place, text_place);
                l.has_toll |= has_toll;
            }
            (Some((wp, k)), _) if opener.is_some() && (wp != Weapon::Detention || empty) => {
                let mut inc = start(doc, si, s, wp, k, place, text_place);
                inc.has_toll = has_toll;
                out.push(inc);
            }
            (None, Some(l))
                if has_toll
                    && l.sentences.last().is_some_and(|&x| x + 3 >= si)
                    && tolls(doc, s.clone()).iter().any(Option::is_some) =>
            {
                add_to(doc, l, si, s, Weapon::Obstruction, usize::MAX, place, text_place);
                l.has_toll = true;
            }
            _ => {}
        }
    }
    for inc in &mut out {
        inc.sites.retain(|(_, span)| !speakers.iter().any(|r| r.start <= span.start && span.end <= r.end));
    }
    out.retain(|i| {
        i.has_toll
            || matches!(
                i.kind,
                IncidentKind::Detention | IncidentKind::Obstruction | IncidentKind::CeasefireViolation
            )
    });
    let firsts: Vec<usize> = out.iter().map(|i| i.sentences[0]).collect();
    for (n, inc) in out.iter_mut().enumerate() {
        let region = firsts[n]..firsts.get(n + 1).copied().unwrap_or(doc.sentences.len());
        perpetrators(doc, inc, region, &speakers, &denials);
        if inc.place.is_none() {
            inc.place = fallback_place(doc, gazetteer, &places, country);
        }
        fill_general_from_children(inc);
    }
    out
}

fn new_place(g: &Gazetteer, l: &IncidentDraft, place: Option<&(PlaceMatch, usize)>) -> bool {
    match (place, l.place.as_ref()) {
        // A coarser name (the province, the nearby city) is the same event's.
        (Some(p), Some(lp)) => {
            !same_place(lp, p)
                && lp.0.span.end < p.0.span.start
                && precision_rank(g, p.1) >= precision_rank(g, lp.1)
        }
        _ => false,
    }
}

/// The country the report is mostly about, by its names and adjectives
/// ("Iraq", "Iraqi"); Syria when none is named.
fn main_country(doc: &Doc<'_>) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("syria", "SY"),
        ("syrian", "SY"),
        ("iraq", "IQ"),
        ("iraqi", "IQ"),
        ("lebanon", "LB"),
        ("lebanese", "LB"),
        ("jordan", "JO"),
        ("jordanian", "JO"),
        ("turkey", "TR"),
        ("türkiye", "TR"),
        ("turkish", "TR"),
        ("baghdad", "IQ"),
        ("erbil", "IQ"),
        ("mosul", "IQ"),
        ("beirut", "LB"),
        ("amman", "JO"),
        ("damascus", "SY"),
        ("kurdistan", "IQ"),
    ];
    let mut counts: Vec<(usize, &str)> = ["SY", "IQ", "LB", "JO", "TR"].iter().map(|c| (0, *c)).collect();
    for t in &doc.tokens {
        let w = t.lower.trim_end_matches("'s");
        if let Some((_, c)) = NAMES.iter().find(|(n, _)| *n == w) {
            if let Some(slot) = counts.iter_mut().find(|(_, k)| k == c) {
                slot.0 += 1;
            }
        }
    }
    // Ties go to the order above: Syria first.
    let best = counts.iter().fold((0, "SY"), |acc, &(n, c)| if n > acc.0 { (n, c) } else { acc });
    best.1.to_owned()
}

/// How precise a place's name is (higher is more precise).
fn precision_rank(g: &Gazetteer, place: usize) -> u8 {
    match g.place(place).kind {
        PlaceKind::Crossing | PlaceKind::Camp | PlaceKind::Village => 3,
        PlaceKind::Town => 2,
        PlaceKind::City => 1,
        PlaceKind::Admin1 | PlaceKind::Country => 0,
    }
}

/// Children are people: a toll given only for children is also the toll.
fn fill_general_from_children(inc: &mut IncidentDraft) {
    if inc.killed.is_none() {
        inc.killed = inc.children_killed.clone();
    }
    if inc.injured.is_none() {
        inc.injured = inc.children_injured.clone();
    }
}

fn same_place(a: &(PlaceMatch, usize), b: &(PlaceMatch, usize)) -> bool {
    a.1 == b.1 || a.0.places.iter().any(|p| b.0.places.contains(p))
}

#[allow(clippy::too_many_arguments)]
fn start(
    doc: &Doc<'_>,
    si: usize,
    s: Range<usize>,
    wp: Weapon,
    k: usize,
    place: Option<((PlaceMatch, usize), u8)>,
    text_place: Option<((String, Range<usize>), u8)>,
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
        place_text: None,
        has_toll: false,
        place_rank: (0, 0),
    };
    add_to(doc, &mut inc, si, s, wp, k, place, text_place);
    inc
}

#[allow(clippy::too_many_arguments)]
fn add_to(
    doc: &Doc<'_>,
    inc: &mut IncidentDraft,
    si: usize,
    s: Range<usize>,
    wp: Weapon,
    k: usize,
    place: Option<((PlaceMatch, usize), u8)>,
    text_place: Option<((String, Range<usize>), u8)>,
) {
    inc.sentences.push(si);
    if k != usize::MAX && wp > weapon_of(inc.kind) {
        inc.kind = kind_of(wp);
        inc.kind_span = doc.tokens[k].span.clone();
    }
    if let Some((p, score)) = place {
        if inc.place.is_none() || score > inc.place_rank.0 {
            inc.place = Some(p);
            inc.place_rank.0 = score;
        }
    }
    if let Some((t, rank)) = text_place {
        if inc.place_text.is_none() || rank > inc.place_rank.1 {
            inc.place_text = Some(t);
            inc.place_rank.1 = rank;
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

/// Keeps the first toll the report gives (its lead); later figures are
/// often parts ("three of the wounded were moved") or other sources' counts,
/// which the analyst sees in the claims.
fn merge(slot: &mut Option<(Quantity, Range<usize>)>, new: Option<(Quantity, Range<usize>)>) {
    if slot.is_none() {
        *slot = new;
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
        let noun_unit = crate::words::unit_after(doc, after, s.end).map(|(u, _)| u);
        if !matches!(noun_unit, None | Some("people" | "children" | "women" | "fighters" | "workers")) {
            continue;
        }
        let aged = q.tokens.start > s.start && doc.tokens[q.tokens.start - 1].is_any(&["aged", "age"]);
        if w(after).ends_with("-year-old") || aged {
            continue;
        }
        // "killing two guards and wounding three": the verb just before wins.
        let cat_right_before = (q.tokens.start > s.start).then(|| casualty(w(q.tokens.start - 1))).flatten();
        let cat_after = category_after(doc, after, s.end);
        let cat_before = (q.tokens.start.saturating_sub(5).max(s.start)..q.tokens.start)
            .rev()
            .find_map(|k| casualty(w(k)));
        let including = q.tokens.start > s.start
            && doc.tokens[q.tokens.start - 1].is_any(&["including", "among", "them"]);
        let cat = if including {
            last_cat.or(cat_after).or(cat_before)
        } else {
            cat_right_before.or(cat_after).or(cat_before)
        };
        // "three of them children": the toll just given.
        let of_them = w(after) == "of"
            && w(after + 1) == "them"
            && crate::words::unit(w(after + 2)) == Some("children");
        let cat = if of_them { last_cat.or(cat) } else { cat };
        let Some(cat) = cat.filter(|c| matches!(*c, "killed" | "injured")) else { continue };
        let children = noun_unit == Some("children") || of_them;
        let slot = match (cat, children) {
            ("killed", false) => 0,
            ("injured", false) => 1,
            ("killed", true) => 2,
            _ => 3,
        };
        last_cat = Some(cat);
        if out[slot].is_none() {
            out[slot] = Some((q.clone(), doc.bytes(q.tokens.clone())));
        }
    }
    out
}

/// The casualty word a figure's clause ends with: "14 civilians, including
/// three children, have been killed". Scans up to a dozen words, over an
/// "including …" aside, and stops at a conjunction that opens another count.
fn category_after(doc: &Doc<'_>, after: usize, end: usize) -> Option<&'static str> {
    let mut k = after;
    let mut aside = false;
    while k < end && k < after + 12 {
        let t = &doc.tokens[k];
        if t.is_punct(",") {
            aside = doc.tokens.get(k + 1).is_some_and(|n| n.is_any(&["including", "among", "of"]));
        } else if t.kind != Tok::Word {
            return None;
        } else if !aside {
            if let Some(c) = casualty(&t.lower) {
                return Some(c);
            }
            if t.is("and")
                && doc
                    .tokens
                    .get(k + 1)
                    .is_some_and(|n| crate::number::read_number(doc, k + 1, end).is_some() || n.is("between"))
            {
                return None;
            }
        }
        k += 1;
    }
    None
}

/// Words that name a kind of place after "the … of" or before a name.
const PLACE_NOUNS: &[&str] = &[
    "town",
    "village",
    "city",
    "district",
    "neighbourhood",
    "neighborhood",
    "area",
    "suburb",
    "hamlet",
    "camp",
    "settlement",
    "quarter",
    "outskirts",
    "countryside",
    "region",
    "province",
    "governorate",
];

/// The most precise place name a sentence gives, in the gazetteer or not:
/// "the village of Umm Jloud", "the al-Waer district", "near Sarmada".
fn place_text(doc: &Doc<'_>, g: &Gazetteer, s: Range<usize>) -> Option<((String, Range<usize>), u8)> {
    let name_at = |k: usize| -> Option<Range<usize>> {
        let mut e = k;
        while e < s.end
            && e < k + 4
            && doc.tokens[e].kind == Tok::Word
            && (doc.capitalized(e) || is_article_prefixed(doc, e))
            && !doc.tokens[e].quoted
        {
            e += 1;
        }
        (e > k).then_some(k..e)
    };
    let mut best: Option<(u8, Range<usize>)> = None;
    let mut consider = |rank: u8, r: Range<usize>| {
        if best.as_ref().is_none_or(|(b, _)| rank > *b) {
            best = Some((rank, r));
        }
    };
    for k in s.clone() {
        let t = &doc.tokens[k];
        // "the town of X", "the village of X"
        if t.is_any(&[
            "town",
            "village",
            "city",
            "district",
            "neighbourhood",
            "neighborhood",
            "suburb",
            "hamlet",
            "camp",
            "area",
        ]) && k + 2 < s.end
            && doc.tokens[k + 1].is("of")
        {
            if let Some(r) = name_at(k + 2) {
                consider(if t.is_any(&["district", "area", "city"]) { 4 } else { 6 }, r);
            }
        }
        // "the al-Waer district", "the Douris area", "the Rukban camp"
        if t.is("the") && k + 2 < s.end {
            if let Some(r) = name_at(k + 1) {
                let noun = |x: &[&str]| r.end < s.end && doc.tokens[r.end].is_any(x);
                if noun(&[
                    "neighbourhood",
                    "neighborhood",
                    "camp",
                    "crossing",
                    "garrison",
                    "base",
                    "quarter",
                    "station",
                    "water",
                    "market",
                ]) {
                    consider(5, r);
                } else if noun(&["district", "area"]) {
                    consider(4, r);
                }
            }
        }
        // "in X", "near X", "outside X"
        if t.is_any(&["in", "near", "outside", "at"]) && k + 1 < s.end {
            if let Some(r) = name_at(k + 1) {
                let known = g.find(doc.slice(r.clone())).first().is_some_and(|m| m.span.start == 0);
                let rank = if known { 2 } else { 3 };
                let not_place = doc.tokens[r.clone()].iter().any(|x| ORG_OR_TIME.contains(&x.lower.as_str()));
                if !not_place {
                    consider(rank, r);
                }
            }
        }
    }
    let (rank, mut r) = best?;
    // "Syria's Ras al-Ain" → "Ras al-Ain"
    if r.len() > 1 && doc.tokens[r.start].lower.ends_with("'s") {
        r.start += 1;
    }
    Some(((doc.slice(r.clone()).to_owned(), doc.bytes(r)), rank))
}

/// Capitalised words after "in" that are not places.
const ORG_OR_TIME: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "a",
    "the",
    "ministry",
    "council",
    "statement",
    "english",
    "arabic",
    "un",
    "geneva",
    "new",
    "washington",
    "moscow",
    "ankara",
    "london",
    "brussels",
    "paris",
    "tehran",
];

fn is_article_prefixed(doc: &Doc<'_>, k: usize) -> bool {
    let w = doc.word(k);
    [
        "al-", "ar-", "as-", "ad-", "at-", "an-", "az-", "el-", "ash-", "ez-", "es-", "esh-", "er-", "ed-",
        "et-", "en-",
    ]
    .iter()
    .any(|p| w.strip_prefix(p).is_some_and(|rest| rest.chars().next().is_some_and(char::is_uppercase)))
}

/// The place of an event in a sentence, most precise first; a name after a
/// locative word ("in", "near", "town of") or before a place noun ("camp",
/// "province") breaks ties.
fn best_place(
    doc: &Doc<'_>,
    g: &Gazetteer,
    places: &[PlaceMatch],
    s: Range<usize>,
    country: &str,
) -> Option<((PlaceMatch, usize), u8)> {
    let bytes = doc.bytes(s);
    let mut best: Option<(PlaceMatch, usize, u8)> = None;
    for m in places.iter().filter(|m| bytes.start <= m.span.start && m.span.end <= bytes.end) {
        let (m, idx) = refine(doc, g, m, country);
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
        ) || PLACE_NOUNS.contains(&next.as_str());
        let score = u8::from(locative) * 3
            + match kind {
                PlaceKind::Crossing | PlaceKind::Camp | PlaceKind::Village => 12,
                PlaceKind::Town => 10,
                PlaceKind::City => 8,
                PlaceKind::Admin1 => 4,
                PlaceKind::Country => 0,
            };
        if best.as_ref().is_none_or(|b| score > b.2) {
            best = Some((m, idx, score));
        }
    }
    best.map(|(m, i, score)| ((m, i), score))
}

/// Picks the candidate a place noun asks for: "Idlib province" is the
/// governorate, "Rukban camp" the camp.
fn refine(doc: &Doc<'_>, g: &Gazetteer, m: &PlaceMatch, country: &str) -> (PlaceMatch, usize) {
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
            // Prefer the country the report is about, then the first (largest).
            m.places
                .iter()
                .copied()
                .find(|&p| g.place(p).country == country && g.place(p).kind != PlaceKind::Country)
                .unwrap_or(m.places[0])
        });
    (m.clone(), idx)
}

/// When no sentence of the event names a place: the first place of the
/// document that is not a country (a dateline, a headline).
fn fallback_place(
    doc: &Doc<'_>,
    g: &Gazetteer,
    places: &[PlaceMatch],
    country: &str,
) -> Option<(PlaceMatch, usize)> {
    let m = places
        .iter()
        .find(|m| m.places.iter().any(|&p| g.place(p).kind != PlaceKind::Country))
        .or_else(|| places.first())?;
    Some(refine(doc, g, m, country))
}

/// Who is said to have carried it out, from the sentences about it:
/// "by X", "X shelled", "X warplanes struck", "blamed X for", "accused X
/// of", "clashes between A and B", with "either A or B" kept as two.
fn perpetrators(
    doc: &Doc<'_>,
    inc: &mut IncidentDraft,
    region: Range<usize>,
    speakers: &[Range<usize>],
    denials: &[Range<usize>],
) {
    let mut found: Vec<(String, Range<usize>)> = Vec::new();
    for si in region {
        let s = doc.sentences[si].clone();
        for (text, span) in in_sentence(doc, s) {
            let key = norm(&text);
            let inside = |r: &Range<usize>| r.start <= span.start && span.end <= r.end;
            let is_speaker = speakers.iter().any(inside) || denials.iter().any(inside);
            let generic = matches!(
                key.as_str(),
                "it" | "them" | "him" | "her" | "they" | "us" | "each other" | "one another"
            ) || is_weapon_phrase(&key);
            if !key.is_empty() && !is_speaker && !generic && !found.iter().any(|(t, _)| norm(t) == key) {
                found.push((text, span));
            }
        }
    }
    inc.perpetrators = found;
}

/// "mortar fire", "the shelling", "drones": a weapon, not who used it.
fn is_weapon_phrase(key: &str) -> bool {
    let last = key.split(' ').next_back().unwrap_or("");
    let weapon = matches!(
        last,
        "fire"
            | "shelling"
            | "shells"
            | "bombardment"
            | "rockets"
            | "mortars"
            | "mortar"
            | "strike"
            | "strikes"
            | "airstrike"
            | "airstrikes"
            | "attack"
            | "attacks"
    );
    weapon || (!key.contains(' ') && matches!(key, "drone" | "drones" | "aircraft" | "warplanes" | "jets"))
}

/// Verbs whose subject carried out the attack.
const ATTACK_VERBS: &[&str] = &[
    "struck", "hit", "shelled", "fired", "attacked", "opened", "killed", "bombed", "targeted", "launched",
    "carried", "stormed", "ambushed", "shot", "turned", "detained", "arrested", "blocked", "raided", "set",
    "pounded", "seized", "abducted", "breached", "violated",
];

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
        let by_attack = w(k) == "by"
            && k > s.start
            && (HIT_WORDS.contains(&w(k - 1))
                || matches!(
                    w(k - 1),
                    "out"
                        | "strike"
                        | "strikes"
                        | "airstrike"
                        | "airstrikes"
                        | "launched"
                        | "raid"
                        | "bombardment"
                        | "conducted"
                ));
        if by_attack {
            if let Some(r) = phrase_after(doc, k + 1, s.end) {
                out.extend(alternatives(doc, r));
            }
        }
        // "blamed X for", "accused X of"
        if w(k).starts_with("blam") || matches!(w(k), "accused" | "accuses" | "accusing" | "charged") {
            let end = (k + 1..s.end)
                .find(|&j| {
                    doc.tokens[j].is_any(&[
                        "for",
                        "of",
                        "over",
                        "and",
                        "hiding",
                        "operating",
                        "in",
                        "on",
                        "near",
                        "based",
                        "who",
                        "which",
                        "that",
                    ]) || (doc.tokens[j].kind != Tok::Word && doc.tokens[j].kind != Tok::Quote)
                })
                .unwrap_or(s.end);
            if end > k + 1 && end - k <= 9 {
                let r = trim_quotes(doc, k + 1..end);
                out.extend(alternatives(doc, cut_participle(doc, r)));
            }
        }
        // "clashes between A (ACR) and B"
        if w(k) == "between" && k > s.start && w(k - 1).starts_with("clash") {
            let and = (k + 1..s.end.min(k + 12)).find(|&j| w(j) == "and");
            if let Some(a) = and {
                let first = without_acronym(doc, k + 1..a);
                out.extend(alternatives(doc, first));
                if let Some(r) = phrase_after(doc, a + 1, s.end) {
                    out.extend(alternatives(doc, r));
                }
            }
        }
        // "believed to belong to an Islamic State cell", "linked to X"
        let belongs = matches!(
            (w(k), w(k + 1)),
            ("belong" | "belonging" | "belongs" | "linked" | "loyal", "to") | ("affiliated", "with")
        );
        if belongs {
            if let Some(r) = phrase_after(doc, k + 2, s.end) {
                out.extend(alternatives(doc, r));
            }
        }
        // "X was behind the strike", "X had been behind it"
        let copula = matches!(w(k), "was" | "were" | "is" | "are")
            || (w(k) == "been" && k > s.start && matches!(w(k - 1), "had" | "have" | "has"));
        if copula && w(k + 1) == "behind" {
            let k = if w(k) == "been" { k - 1 } else { k };
            let mut start = k;
            while start > s.start
                && doc.tokens[start - 1].kind == Tok::Word
                && (doc.capitalized(start - 1) || modifier(doc, start - 1))
                && !doc.tokens[start - 1].is("that")
            {
                start -= 1;
            }
            if start < k {
                out.push((doc.slice(start..k).to_owned(), doc.bytes(start..k)));
            }
        }
        // "Russian warplanes struck", "Syrian government forces turned back", "… had carried out"
        let verb_at = if matches!(w(k + 1), "had" | "have" | "has" | "were" | "was") { k + 2 } else { k + 1 };
        if PERPETRATOR_HEADS.contains(&w(k)) && !doc.tokens[k].quoted && ATTACK_VERBS.contains(&w(verb_at)) {
            let mut start = k;
            while start > s.start && modifier(doc, start - 1) {
                start -= 1;
            }
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
            if start < k
                && !doc.tokens[start..=k]
                    .iter()
                    .any(|t| t.is_any(&["aid", "civil", "defence", "rescue", "relief", "peacekeeping", "un"]))
            {
                out.push((doc.slice(start..k + 1).to_owned(), doc.bytes(start..k + 1)));
            }
        }
        // "either A or B", wherever it stands ("belonged to either A or B")
        if w(k) == "either"
            && !(k > s.start && (w(k - 1).starts_with("blam") || w(k - 1).starts_with("accus")))
        {
            let end = (k + 1..s.end)
                .find(|&j| {
                    doc.tokens[j].kind != Tok::Word
                        || doc.tokens[j].is_any(&[
                            "for", "of", "on", "in", "had", "was", "were", "carried", "struck", "hit",
                            "that", "which", "who",
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

fn trim_quotes(doc: &Doc<'_>, mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && doc.tokens[r.start].kind == Tok::Quote {
        r.start += 1;
    }
    while r.end > r.start && doc.tokens[r.end - 1].kind == Tok::Quote {
        r.end -= 1;
    }
    r
}

/// A phrase without a bracketed acronym at its end: "the Syrian Democratic
/// Forces (SDF)" → "the Syrian Democratic Forces".
fn without_acronym(doc: &Doc<'_>, r: Range<usize>) -> Range<usize> {
    let end = (r.clone()).find(|&j| doc.tokens[j].is_punct("(")).unwrap_or(r.end);
    r.start..end
}

/// A noun phrase after a preposition: up to punctuation or a clause word.
fn phrase_after(doc: &Doc<'_>, from: usize, end: usize) -> Option<Range<usize>> {
    let stop = (from..end)
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
                    "after",
                    "as",
                    "wounding",
                    "injuring",
                    "from",
                    "to",
                    "last",
                    "this",
                    "earlier",
                    "hours",
                    "days",
                ])
        })
        .unwrap_or(end);
    let r = cut_participle(doc, from..stop);
    (r.end > r.start && r.end - r.start <= 8).then_some(r)
}

/// "government forces positioned near Saraqib" → "government forces".
fn cut_participle(doc: &Doc<'_>, r: Range<usize>) -> Range<usize> {
    let end = (r.clone())
        .find(|&j| {
            j > r.start
                && doc.tokens[j].is_any(&[
                    "operating",
                    "based",
                    "positioned",
                    "stationed",
                    "deployed",
                    "loyal",
                    "who",
                    "which",
                    "that",
                    "inside",
                    "in",
                    "near",
                    "on",
                    "at",
                    "from",
                    "with",
                    "over",
                    "after",
                ])
        })
        .unwrap_or(r.end);
    r.start..end
}

fn modifier(doc: &Doc<'_>, k: usize) -> bool {
    let t = &doc.tokens[k];
    let number = crate::number::read_number(doc, k, k + 1).is_some();
    t.kind == Tok::Word
        && !t.quoted
        && !number
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
                "state",
                "security",
                "military",
                "air",
                "border",
                "tribal",
                "terrorist",
            ]))
        && !t.is_any(&["the", "a", "an", "on", "in", "by", "and", "or", "either"])
}

/// Splits "either A or B" (and "A or B") into alternatives, giving a bare
/// modifier the head of the other ("either Russian or Syrian aircraft" →
/// "Russian aircraft", "Syrian aircraft").
fn alternatives(doc: &Doc<'_>, r: Range<usize>) -> Vec<(String, Range<usize>)> {
    let r = strip_article(doc, r);
    let mut parts = Vec::new();
    let mut s = r.start;
    for k in r.clone() {
        if doc.tokens[k].is_any(&["or", "and/or"]) {
            parts.push(strip_article(doc, s..k));
            s = k + 1;
        }
    }
    parts.push(strip_article(doc, s..r.end));
    parts.retain(|p| !p.is_empty());
    let last = parts.last().cloned().unwrap_or(r.clone());
    let head_word = doc.tokens.get(last.end.saturating_sub(1)).map(|t| t.lower.clone()).unwrap_or_default();
    let many = parts.len() > 1;
    parts
        .into_iter()
        .map(|p| {
            let text = doc.slice(p.clone()).to_owned();
            let has_head =
                doc.tokens[p.clone()].iter().any(|t| PERPETRATOR_HEADS.contains(&t.lower.as_str()));
            if many && !has_head && PERPETRATOR_HEADS.contains(&head_word.as_str()) {
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
