//! Attributed statements: who said what, in which stance.
//!
//! Each sentence is searched for a reporting verb outside quotation marks
//! ("said", "denied", "accused", …) or "according to". The speaker is found
//! in one of the shapes news writing uses:
//!
//! - `SPEAKER [, APPOSITIVE,] VERB …` ("Ahmed Haddad, a spokesman for the
//!   foreign ministry, said …");
//! - `"QUOTE," VERB SPEAKER` and `"QUOTE," SPEAKER VERB`;
//! - `…, VERB SPEAKER.` ("…, said a medic at the hospital.");
//! - `according to SPEAKER`.
//!
//! Pronouns ("he said"), surnames ("Haddad said") and definite descriptions
//! ("the ministry said") are resolved to an earlier speaker. Unnamed speakers
//! are kept as the text describes them. The stance comes from the verb, and
//! a statement reported with "said" whose clause rejects an accusation ("did
//! not target", "were false") is a denial.

use std::ops::Range;

use corridor_statement::accountability::Stance;

use crate::number::{quantities, Quantity};
use crate::text::{Doc, Tok};
use crate::words::{
    casualty, reporting_verb, unit, AUXILIARIES, CLAUSE_BOUNDARIES, LEADING_ADVERBIALS, NOT_NAMES, ORG_WORDS,
    TITLES,
};

/// Text with the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// A figure stated in a claim.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureDraft {
    pub what: String,
    pub quantity: Quantity,
    pub unit: Option<String>,
    pub span: Range<usize>,
}

/// A drafted claim.
#[derive(Debug, Clone)]
pub struct ClaimDraft {
    pub speaker: Spanned<String>,
    pub affiliation: Option<Spanned<String>>,
    pub text: Spanned<String>,
    pub stance: Spanned<Stance>,
    pub figures: Vec<FigureDraft>,
    /// The speaker was resolved from a pronoun or a surname.
    pub resolved: bool,
    /// Token range of the content (for figures and incident cues).
    pub content: Range<usize>,
    /// The sentence it came from.
    pub sentence: usize,
    /// The speaker is a named person.
    pub person: bool,
}

struct Speaker {
    name: Spanned<String>,
    affiliation: Option<Spanned<String>>,
    person: bool,
}

/// Every claim in the document, in order, with consecutive statements of one
/// speaker and stance merged.
pub fn claims(doc: &Doc<'_>) -> Vec<ClaimDraft> {
    let mut out: Vec<ClaimDraft> = Vec::new();
    for (si, s) in doc.sentences.iter().enumerate() {
        let found = in_sentence(doc, s.clone(), si, &out);
        if found.is_empty() {
            continue_quote(doc, s.clone(), si, &mut out);
        }
        for c in found {
            push_merged(doc, &mut out, c);
        }
    }
    resolve_generic_affiliations(&mut out);
    out
}

/// "a volunteer with the group": a one-word affiliation names the
/// organisation that spoke last before it.
fn resolve_generic_affiliations(claims: &mut [ClaimDraft]) {
    for i in 0..claims.len() {
        let Some(a) = &claims[i].affiliation else { continue };
        let generic = matches!(
            a.value.to_lowercase().as_str(),
            "group"
                | "organisation"
                | "organization"
                | "agency"
                | "charity"
                | "alliance"
                | "network"
                | "coalition"
                | "faction"
        );
        let named = claims[..i]
            .iter()
            .rev()
            .find(|c| !c.person)
            .map(|c| c.speaker.value.trim_start_matches("the ").to_owned());
        if let (true, Some(name)) = (generic, named) {
            claims[i].affiliation = Some(Spanned { value: name, span: a.span.clone() });
        }
    }
}

/// A sentence entirely in quotation marks, right after a quoted claim,
/// continues it.
fn continue_quote(doc: &Doc<'_>, s: Range<usize>, si: usize, out: &mut [ClaimDraft]) {
    let Some(last) = out.last_mut() else { return };
    let all_quoted = doc.tokens[s.clone()].iter().all(|t| t.quoted || t.kind != Tok::Word);
    let starts_quote = doc.tokens.get(s.start).is_some_and(|t| t.kind == Tok::Quote);
    if last.sentence + 1 == si && all_quoted && starts_quote && s.len() > 2 {
        let inner = s.start + 1..s.end.saturating_sub(1);
        let inner = trim_punct(doc, inner);
        last.text.value = format!("{} {}", last.text.value, doc.slice(inner.clone()));
        last.text.span =
            last.text.span.start.min(doc.bytes(inner.clone()).start)..doc.bytes(inner.clone()).end;
        last.figures.extend(figures(doc, inner));
        last.sentence = si;
    }
}

fn push_merged(doc: &Doc<'_>, out: &mut Vec<ClaimDraft>, c: ClaimDraft) {
    if let Some(last) = out.last_mut() {
        let same = last.speaker.value == c.speaker.value && last.stance.value == c.stance.value;
        if same && last.sentence + 1 >= c.sentence {
            let end = doc.text.len().min(c.text.span.end);
            last.text.value = format!("{} {}", last.text.value, c.text.value);
            last.text.span = last.text.span.start.min(c.text.span.start)..end.max(last.text.span.end);
            last.figures.extend(c.figures);
            last.sentence = c.sentence;
            return;
        }
    }
    out.push(c);
}

/// Claims in one sentence: one per reporting verb with its own speaker.
fn in_sentence(doc: &Doc<'_>, s: Range<usize>, si: usize, earlier: &[ClaimDraft]) -> Vec<ClaimDraft> {
    let mut out = Vec::new();
    // A dateline ("ALEPPO, Syria (Wire) —") is not part of the sentence's grammar.
    let mut floor = dateline_end(doc, s.clone()).unwrap_or(s.start);
    let mut i = floor;
    while i < s.end {
        let t = &doc.tokens[i];
        let according = t.is("according") && doc.tokens.get(i + 1).is_some_and(|n| n.is("to"));
        // "put the death toll at 15"
        let put_toll = t.is("put")
            && doc.tokens.get(i + 1).is_some_and(|n| n.is("the"))
            && doc.tokens.get(i + 2).is_some_and(|n| n.is_any(&["death", "toll", "number", "casualty"]));
        let verb = (!t.quoted && t.kind == Tok::Word).then(|| reporting_verb(&t.lower)).flatten();
        let verb = if put_toll { Some(Stance::Assertion) } else { verb };
        let noun_use = i > s.start
            && doc.tokens[i - 1].is_any(&[
                "the",
                "these",
                "those",
                "such",
                "his",
                "her",
                "their",
                "its",
                "a",
                "an",
                "of",
                "unconfirmed",
                "false",
                "similar",
                "be",
                "been",
                "being",
                "is",
                "was",
                "were",
                "are",
                "not",
                "to",
            ]);
        let responsibility = doc.tokens.get(i + 1).is_some_and(|n| n.is("responsibility"));
        // "a province claimed by both": a participle, not a report.
        let passive = doc.tokens.get(i + 1).is_some_and(|n| n.is("by"));
        let noun_use = noun_use || responsibility || passive;
        let c = if according {
            according_to(doc, s.clone(), i, si, earlier)
        } else if let (Some(stance), false) = (verb, noun_use) {
            with_verb(doc, s.clone(), floor, i, stance, si, earlier)
        } else {
            None
        };
        if let Some(c) = c {
            floor = c.content.end.max(i + 1);
            i = floor;
            out.push(c);
            continue;
        }
        i += 1;
    }
    out
}

/// Where a dateline ends: a dash among a sentence's first tokens after a
/// place in capitals or an outlet in brackets.
pub(crate) fn dateline_end(doc: &Doc<'_>, s: Range<usize>) -> Option<usize> {
    let head = s.start..(s.start + 16).min(s.end);
    let dash = head.clone().find(|&k| {
        doc.tokens[k].kind == Tok::Punct && matches!(doc.tokens[k].lower.as_str(), "—" | "–" | "-")
    })?;
    let looks = (s.start..dash).any(|k| {
        doc.tokens[k].is_punct(")")
            || (doc.tokens[k].kind == Tok::Word
                && doc.word(k).len() > 2
                && doc.word(k).chars().all(|c| !c.is_lowercase()))
    });
    looks.then_some(dash + 1)
}

fn trim_punct(doc: &Doc<'_>, mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && doc.tokens[r.start].kind != Tok::Word {
        r.start += 1;
    }
    while r.end > r.start && doc.tokens[r.end - 1].kind != Tok::Word && !doc.tokens[r.end - 1].is_punct("%") {
        r.end -= 1;
    }
    r
}

/// The claim around a reporting verb at `v`.
fn with_verb(
    doc: &Doc<'_>,
    s: Range<usize>,
    floor: usize,
    v: usize,
    stance: Stance,
    si: usize,
    earlier: &[ClaimDraft],
) -> Option<ClaimDraft> {
    // Skip auxiliaries and negation between subject and verb.
    let mut left = v;
    while left > floor && doc.tokens[left - 1].is_any(AUXILIARIES) {
        left -= 1;
    }
    let comma_before = left > floor && doc.tokens[left - 1].is_punct(",");
    // `SUBJECT ordered an inquiry and said …`: the clause's subject speaks.
    if left > floor + 1
        && doc.tokens[left - 1].is("and")
        && doc.tokens[v].is_any(&["said", "says", "added", "told", "warned"])
    {
        let np = leading_subject(doc, floor, left - 1)?;
        let speaker = analyse(doc, np, None, earlier)?;
        let content = trim_punct(doc, content_after(doc, v, s.end));
        return (!content.is_empty()).then(|| build(doc, speaker, content, stance, v, si));
    }
    // `"QUOTE," VERB SPEAKER [, APPOSITIVE]`
    if let Some(q) = quote_ending_at(doc, floor, left) {
        let (np, appos) = np_after(doc, v + 1, s.end);
        if np.is_empty() || !np_like(doc, np.start) {
            return None;
        }
        let speaker = analyse(doc, np, appos, earlier)?;
        return Some(build(doc, speaker, q, stance, v, si));
    }
    // `…, VERB SPEAKER.` when what follows the verb is a short phrase that ends the sentence.
    if comma_before && doc.tokens[v].is_any(INVERTING_VERBS) {
        let (np, appos) = np_after(doc, v + 1, s.end);
        let last = appos.as_ref().map_or(np.end, |a| a.end);
        let ends_sentence = last + 2 >= s.end;
        if !np.is_empty()
            && np.len() <= 14
            && ends_sentence
            && np_like(doc, np.start)
            && !has_verb(doc, np.clone())
        {
            let content = trim_punct(doc, floor.max(s.start)..left - 1);
            let speaker = analyse(doc, np, appos, earlier)?;
            return Some(build(doc, speaker, content, stance, v, si));
        }
    }
    // `SUBJECT [, APPOSITIVE,] VERB …` and `"QUOTE," SUBJECT VERB`
    let (np, appos) = if comma_before {
        appositive_subject(doc, floor, left - 1)?
    } else {
        (subject_before(doc, floor, left)?, None)
    };
    if doc.tokens[np.start].is_any(&["who", "which", "that", "no", "nobody", "none", "neither", "it's"]) {
        return None;
    }
    let quoted = quote_ending_at(doc, floor, np.start);
    let speaker = analyse(doc, np.clone(), appos, earlier)?;
    if let Some(q) = quoted {
        return Some(build(doc, speaker, q, stance, v, si));
    }
    let mut content = trim_punct(doc, content_after(doc, v, s.end));
    // `CONTENT, SPEAKER said, in …`: what follows the comma is the reporter's.
    let aside_after =
        doc.tokens.get(v + 1).is_some_and(|t| t.is_punct(",")) && !doc.tokens[v].is_any(&["told", "tells"]);
    let attributed_after = np.start > floor + 1 && doc.tokens[np.start - 1].is_punct(",");
    if (content.is_empty() || aside_after) && attributed_after {
        // `CONTENT, SPEAKER said (on Monday).`
        content = trim_punct(doc, floor..np.start - 1);
        if !content.is_empty() {
            return Some(build(doc, speaker, content, stance, v, si));
        }
    }
    if content.is_empty() {
        return None;
    }
    let start = if matches!(stance, Stance::Allegation | Stance::Denial) { v } else { content.start };
    Some(build(doc, speaker, start..content.end, stance, v, si))
}

/// Verbs that may come before their speaker ("…, said a medic").
const INVERTING_VERBS: &[&str] = &[
    "said",
    "says",
    "added",
    "wrote",
    "reported",
    "stated",
    "explained",
    "noted",
    "warned",
    "insisted",
    "confirmed",
    "continued",
    "estimated",
];

/// The noun phrase that opens a clause: capitalised words, titles and the
/// words that join them, up to the first other word ("Nineveh Governor
/// Muthanna al-Jubouri", "The army").
fn leading_subject(doc: &Doc<'_>, floor: usize, end: usize) -> Option<Range<usize>> {
    let mut k = floor;
    while k < end {
        let t = &doc.tokens[k];
        let joins = t.is_any(&["the", "a", "an", "of", "for"]) || t.lower.starts_with("al-");
        if t.kind != Tok::Word || !(doc.capitalized(k) || joins || TITLES.contains(&t.lower.as_str())) {
            break;
        }
        k += 1;
    }
    let np = trim_punct(doc, floor..k);
    (np.len() >= 2 || (np.len() == 1 && doc.capitalized(np.start))).then_some(np)
}

/// A noun phrase after a verb, and the appositive after it ("said Rania
/// Daher, a spokeswoman for the World Food Programme").
fn np_after(doc: &Doc<'_>, from: usize, end: usize) -> (Range<usize>, Option<Range<usize>>) {
    let np = from..clause_end(doc, from, end);
    let appos = (np.end < end && doc.tokens[np.end].is_punct(",")).then(|| {
        let a = np.end + 1;
        let e = (a..end)
            .find(|&k| doc.tokens[k].is_punct(",") || doc.tokens[k].kind == Tok::Quote)
            .unwrap_or(end);
        trim_punct(doc, a..e)
    });
    let appos = appos.filter(|a| {
        !a.is_empty()
            && (!doc.capitalized(a.start)
                || TITLES.contains(&doc.tokens[a.start].lower.as_str())
                || person_name(doc, a.clone()).is_some_and(|n| n == *a))
    });
    (np, appos)
}

/// `HEAD, APPOSITIVE[, APPOSITIVE], VERB`: the head is the first
/// comma-separated segment that is not an adverbial ("On Monday, …").
fn appositive_subject(
    doc: &Doc<'_>,
    floor: usize,
    close: usize,
) -> Option<(Range<usize>, Option<Range<usize>>)> {
    let commas: Vec<usize> =
        (floor..close).rev().take(40).filter(|&k| doc.tokens[k].is_punct(",")).take(3).collect();
    for &open in commas.iter().rev() {
        let Some(head) = subject_before(doc, floor, open) else { continue };
        let opens_clause = head.start == floor || doc.tokens[head.start - 1].kind != Tok::Word;
        let adverbial =
            doc.tokens[head.start].is_any(LEADING_ADVERBIALS) || is_time_word(&doc.tokens[head.start].lower);
        if opens_clause && !adverbial {
            return Some((head, Some(open + 1..close)));
        }
    }
    let open = *commas.first()?;
    Some((subject_before(doc, floor, open)?, Some(open + 1..close)))
}

/// `according to SPEAKER`, before or after the content.
fn according_to(
    doc: &Doc<'_>,
    s: Range<usize>,
    i: usize,
    si: usize,
    earlier: &[ClaimDraft],
) -> Option<ClaimDraft> {
    // "according to figures compiled by the World Health Organization": the
    // compiler is the speaker.
    let w = |k: usize| -> &str {
        if k < s.end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let mut from = i + 2;
    if matches!(w(from), "figures" | "data" | "a" | "the") {
        let by = (from..(from + 6).min(s.end)).find(|&k| matches!(w(k), "by" | "from"));
        let document = (from..(from + 3).min(s.end)).any(|k| {
            matches!(w(k), "figures" | "data" | "statement" | "report" | "tally" | "count" | "toll")
        });
        if let (Some(k), true) = (by, document) {
            from = k + 1;
        }
    }
    let (np, appos) = np_after(doc, from, s.end);
    if np.is_empty() {
        return None;
    }
    let after = appos.as_ref().map_or(np.end, |a| a.end);
    let speaker = analyse(doc, np.clone(), appos, earlier)?;
    let before = trim_punct(doc, s.start..i);
    let content = if before.len() >= 3 { before } else { trim_punct(doc, after..s.end) };
    if content.is_empty() {
        return None;
    }
    Some(build(doc, speaker, content, Stance::Assertion, i, si))
}

/// The content of a quotation that closes just before `at` (allowing a
/// comma inside or outside the marks).
fn quote_ending_at(doc: &Doc<'_>, floor: usize, at: usize) -> Option<Range<usize>> {
    let mut k = at;
    if k > floor && doc.tokens[k - 1].is_punct(",") {
        k -= 1;
    }
    if k == floor || doc.tokens[k - 1].kind != Tok::Quote {
        return None;
    }
    let close = k - 1;
    let open = (floor..close).rev().find(|&j| doc.tokens[j].kind == Tok::Quote)?;
    let inner = trim_punct(doc, open + 1..close);
    (!inner.is_empty()).then_some(inner)
}

/// Where a noun phrase that starts at `from` ends: at a comma, a clause word,
/// or the sentence's end.
fn clause_end(doc: &Doc<'_>, from: usize, end: usize) -> usize {
    (from..end)
        .find(|&k| {
            let t = &doc.tokens[k];
            let place_follows =
                k + 1 < end && doc.capitalized(k + 1) && !is_time_word(&doc.tokens[k + 1].lower);
            (t.kind != Tok::Word && !t.is_punct("-"))
                || t.is_any(&["that", "who", "which", "adding", "while", "but", "after", "as", "when"])
                || (t.is_any(&["on", "in"]) && !place_follows)
        })
        .unwrap_or(end)
}

fn np_like(doc: &Doc<'_>, i: usize) -> bool {
    let t = &doc.tokens[i];
    t.kind == Tok::Word
        && (doc.capitalized(i)
            || t.is_any(&[
                "a",
                "an",
                "the",
                "one",
                "two",
                "officials",
                "residents",
                "activists",
                "witnesses",
                "sources",
                "he",
                "she",
                "they",
                "it",
                "medics",
                "doctors",
                "rescuers",
                "monitors",
            ])
            || TITLES.contains(&t.lower.as_str()))
}

fn has_verb(doc: &Doc<'_>, r: Range<usize>) -> bool {
    doc.tokens[r].iter().any(|t| {
        t.is_any(&[
            "was", "were", "is", "are", "had", "has", "have", "will", "would", "killed", "hit", "struck",
        ]) || casualty(&t.lower).is_some()
    })
}

/// The subject ending just before `end`: the longest phrase back to a clause
/// boundary, without a leading adverbial.
fn subject_before(doc: &Doc<'_>, floor: usize, end: usize) -> Option<Range<usize>> {
    let mut start = end;
    let mut end = end;
    // "the Syrian Democratic Forces (SDF) said": step over the acronym.
    if end >= floor + 3 && doc.tokens[end - 1].is_punct(")") && doc.tokens[end - 3].is_punct("(") {
        end -= 3;
        start = end;
    }
    while start > floor && end - start < 14 {
        let t = &doc.tokens[start - 1];
        let ok = t.kind == Tok::Word
            && !t.quoted
            && !t.is_any(CLAUSE_BOUNDARIES)
            && reporting_verb(&t.lower).is_none();
        if !ok {
            break;
        }
        start -= 1;
    }
    // Drop a leading adverbial ("On Monday the ministry said").
    while start < end && doc.tokens[start].is_any(LEADING_ADVERBIALS) {
        let next_det = (start + 1..end).find(|&k| {
            doc.tokens[k].is_any(&["the", "a", "an"])
                || (doc.capitalized(k) && !is_time_word(&doc.tokens[k].lower))
        });
        match next_det {
            Some(k) if k > start => start = k,
            _ => break,
        }
        if !doc.tokens[start].is_any(LEADING_ADVERBIALS) {
            break;
        }
    }
    (start < end).then_some(start..end)
}

fn is_time_word(w: &str) -> bool {
    matches!(
        w,
        "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "saturday"
            | "sunday"
            | "january"
            | "february"
            | "march"
            | "april"
            | "may"
            | "june"
            | "july"
            | "august"
            | "september"
            | "october"
            | "november"
            | "december"
    )
}

/// What follows a reporting verb: skipping "on Monday", "in a statement",
/// "told Reuters", "to reporters", "that".
fn content_after(doc: &Doc<'_>, v: usize, end: usize) -> Range<usize> {
    let mut k = v + 1;
    let told = doc.tokens[v].is_any(&["told", "tells"]);
    if told {
        // the object: up to "that", a comma or the end of a short phrase
        let stop = (k..end.min(k + 6))
            .find(|&j| doc.tokens[j].is("that") || doc.tokens[j].is_punct(","))
            .unwrap_or(k + 1);
        k = stop;
    }
    loop {
        let w = |j: usize| -> &str {
            if j < end {
                doc.tokens[j].lower.as_str()
            } else {
                ""
            }
        };
        if w(k) == "that" || w(k) == "," || w(k) == ":" {
            k += 1;
        } else if w(k) == "on" && (is_time_word(w(k + 1)) || w(k + 1) == "x" || w(k + 1) == "social") {
            k += 2;
        } else if w(k) == "in"
            && matches!(w(k + 1), "a" | "an" | "the")
            && matches!(
                w(k + 2),
                "statement"
                    | "interview"
                    | "briefing"
                    | "post"
                    | "video"
                    | "report"
                    | "communique"
                    | "message"
            )
        {
            k += 3;
        } else if w(k) == "to" && matches!(w(k + 1), "reporters" | "journalists") {
            k += 2;
        } else if is_time_word(w(k))
            || (matches!(w(k), "yesterday" | "today" | "late" | "earlier" | "later")
                && !doc.tokens[k].quoted
                && w(k + 1) != "of")
        {
            k += 1;
        } else {
            break;
        }
    }
    k.min(end)..end
}

/// Who a subject phrase (and its appositive) names.
fn analyse(
    doc: &Doc<'_>,
    np: Range<usize>,
    appos: Option<Range<usize>>,
    earlier: &[ClaimDraft],
) -> Option<Speaker> {
    let mut np = trim_punct(doc, np);
    // "a statement from the Anbar Operations Command said"
    let w = |k: usize| -> &str {
        if k < np.end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    if matches!(w(np.start), "a" | "the")
        && matches!(w(np.start + 1), "statement" | "communique" | "report")
        && matches!(w(np.start + 2), "from" | "by" | "issued" | "released")
    {
        np.start += if matches!(w(np.start + 2), "issued" | "released") { 4 } else { 3 };
    }
    if np.is_empty() {
        return None;
    }
    let words: Vec<&str> = doc.tokens[np.clone()].iter().map(|t| t.lower.as_str()).collect();
    // Pronouns and back-references.
    if np.len() == 1 && matches!(words[0], "he" | "she" | "they" | "it" | "we" | "i") {
        return resolve_pronoun(words[0], earlier);
    }
    // "The aid group, Waer Relief, said": the name in the appositive.
    if let Some(sp) = appositive_name(doc, np.clone(), appos.clone()) {
        return Some(sp);
    }
    // "the ministry", "the Kurdish-led alliance": a description whose head is
    // a common noun (capitalised modifiers such as nationalities allowed).
    let modifier = |k: usize| {
        let w = &doc.tokens[k].lower;
        !doc.capitalized(k)
            || w.ends_with("-led")
            || w.ends_with("-backed")
            || w.ends_with("-based")
            || w.ends_with("ish")
            || w.ends_with("ian")
            || w.ends_with("ese")
    };
    let description = words[0] == "the"
        && np.len() <= 4
        && !doc.capitalized(np.end - 1)
        && (np.start + 1..np.end).all(modifier);
    if description {
        if let Some(sp) = resolve_back(&words[1..], earlier)
            .or_else(|| resolve_definite(doc, np.start, &words[1..], earlier))
        {
            return Some(sp);
        }
    }
    if let Some(name) = person_name(doc, np.clone()) {
        if name.len() == 1 {
            if let Some(sp) = resolve_surname(doc.slice(name.clone()), earlier) {
                return Some(sp);
            }
        }
        let prefix = np.start..name.start;
        let affiliation =
            appos.clone().and_then(|a| affiliation_in(doc, a)).or_else(|| title_affiliation(doc, prefix));
        return Some(person(doc, name, affiliation));
    }
    // "the foreign ministry's spokesman, Ahmed Haddad,"
    if let Some(a) = appos.clone() {
        let a = trim_punct(doc, a);
        let titled = |n: &Range<usize>| {
            n.end == a.end && (a.start..n.start).all(|k| TITLES.contains(&doc.tokens[k].lower.as_str()))
        };
        if let Some(name) = person_name(doc, a.clone()).filter(titled) {
            let affiliation = affiliation_in(doc, np.clone())
                .or_else(|| title_affiliation(doc, np.clone()))
                .or_else(|| possessive_org(doc, np.clone(), earlier));
            return Some(person(doc, name, affiliation));
        }
    }
    // "Turkey's disaster agency AFAD": the name after its description.
    if is_acronym(doc.word(np.end - 1))
        && (np.len() > 1 || doc.text.contains(&format!("({})", doc.word(np.end - 1))))
    {
        let k = np.end - 1;
        let full = expand_acronym(doc, format!("the {}", doc.word(k)));
        let value = if full.split_whitespace().count() > 2 { full } else { doc.word(k).to_owned() };
        return Some(Speaker {
            name: Spanned { value, span: doc.tokens[k].span.clone() },
            affiliation: None,
            person: false,
        });
    }
    // "a spokesman who gave his name as Heval Shingal"
    if let Some(k) = (np.start..np.end.saturating_sub(2)).find(|&k| {
        doc.tokens[k].is("name") && doc.tokens[k + 1].is("as")
            || doc.tokens[k].is("identified") && doc.tokens[k + 1].is("as")
    }) {
        let name = k + 2..np.end;
        if person_name(doc, name.clone()).is_some_and(|n| n == name) {
            let head_end =
                (np.start..k).find(|&j| doc.tokens[j].is_any(&["who", "which", "identified"])).unwrap_or(k);
            return Some(person(doc, name, title_affiliation(doc, np.start..head_end)));
        }
    }
    // "the Kurdish news agency Firat Press": a described organisation's name.
    if let Some(name) = described_name(doc, np.clone()) {
        return Some(Speaker {
            name: Spanned { value: doc.slice(name.clone()).to_owned(), span: doc.bytes(name) },
            affiliation: None,
            person: false,
        });
    }
    // "residents of Um al-Keif", "a security official in Nineveh province": the place is not the speaker.
    let np = without_place(doc, np, &words);
    let words: Vec<&str> = doc.tokens[np.clone()].iter().map(|t| t.lower.as_str()).collect();
    // An unnamed speaker: "a source at the Syrian customs authority" is "a
    // source" of that authority; "a monitoring group based in London" stays whole.
    let split = (np.start + 1..np.end).find(|&k| doc.tokens[k].is_any(&["at", "for", "with", "from", "of"]));
    if let Some(k) = split.filter(|&k| unnamed_head(&words[..k - np.start])) {
        if let Some(a) = affiliation_in(doc, k..np.end) {
            let head = np.start..k;
            return Some(Speaker {
                name: Spanned { value: unnamed(doc, head.clone()), span: doc.bytes(head) },
                affiliation: Some(resolve_org(doc, a)),
                person: false,
            });
        }
    }
    // An organisation by name: the speaker, with no affiliation.
    let capitalised_name = doc.capitalized(np.end - 1) && np.len() > 1;
    let org_word = words.iter().any(|w| ORG_WORDS.contains(w));
    if org_word && (capitalised_name || words.iter().any(|w| w.ends_with("'s")))
        || (capitalised_name && !unnamed_head(&words))
    {
        let name = expand_acronym(doc, unnamed(doc, np.clone()));
        return Some(Speaker {
            name: Spanned { value: name, span: doc.bytes(np) },
            affiliation: None,
            person: false,
        });
    }
    let affiliation = appos.and_then(|a| affiliation_in(doc, a)).map(|a| resolve_org(doc, a));
    let name = expand_acronym(doc, unnamed(doc, np.clone()));
    Some(Speaker { name: Spanned { value: name, span: doc.bytes(np) }, affiliation, person: false })
}

/// "its director": the organisation that spoke last.
fn possessive_org(doc: &Doc<'_>, np: Range<usize>, earlier: &[ClaimDraft]) -> Option<Spanned<String>> {
    if !doc.tokens[np.start].is_any(&["its", "their"]) {
        return None;
    }
    let c = earlier.iter().rev().find(|c| !c.person)?;
    Some(Spanned {
        value: c.speaker.value.trim_start_matches("the ").to_owned(),
        span: c.speaker.span.clone(),
    })
}

/// "The aid group, Waer Relief,": a description of an organisation with
/// its name in apposition.
fn appositive_name(doc: &Doc<'_>, np: Range<usize>, appos: Option<Range<usize>>) -> Option<Speaker> {
    let a = trim_punct(doc, appos?);
    let described = doc.tokens[np.start].is_any(&["the", "a", "an"])
        && doc.tokens[np.clone()].iter().any(|t| {
            t.is_any(&[
                "group",
                "organisation",
                "organization",
                "agency",
                "charity",
                "council",
                "monitor",
                "network",
                "association",
            ])
        });
    let person = person_name(doc, a.clone()).is_some_and(|n| n == a);
    let titled = doc.tokens[np.clone()].iter().any(|t| TITLES.contains(&t.lower.as_str()));
    let named = !a.is_empty()
        && !person
        && !titled
        && a.len() <= 6
        && (a.start..a.end).all(|k| doc.capitalized(k) || doc.tokens[k].is_any(&["for", "of", "and", "the"]));
    (described && named).then(|| Speaker {
        name: Spanned { value: doc.slice(a.clone()).to_owned(), span: doc.bytes(a) },
        affiliation: None,
        person: false,
    })
}

/// "the medic", "the official", "the Observatory": an earlier speaker whose
/// description ends with that word.
fn resolve_back(words: &[&str], earlier: &[ClaimDraft]) -> Option<Speaker> {
    let head = *words.last()?;
    let c = earlier.iter().rev().find(|c| {
        let l = c.speaker.value.to_lowercase();
        !c.person
            && (l.split_whitespace().last() == Some(head)
                || (words.len() == 1
                    && head.len() > 5
                    && l.split(|ch: char| !ch.is_alphanumeric()).any(|w| w == head)))
    })?;
    Some(Speaker { name: c.speaker.clone(), affiliation: c.affiliation.clone(), person: c.person })
}

fn person(doc: &Doc<'_>, name: Range<usize>, affiliation: Option<Spanned<String>>) -> Speaker {
    Speaker {
        name: Spanned {
            value: doc.slice(name.clone()).trim_end_matches(['.', ',']).to_owned(),
            span: doc.bytes(name),
        },
        affiliation: affiliation.map(|a| resolve_org(doc, a)),
        person: true,
    }
}

/// "the Kurdish news agency Firat Press" → "Firat Press": lower-case words
/// naming a kind of organisation, then a capitalised name.
fn described_name(doc: &Doc<'_>, np: Range<usize>) -> Option<Range<usize>> {
    let mut s = np.end;
    while s > np.start && doc.capitalized(s - 1) && doc.tokens[s - 1].kind == Tok::Word {
        s -= 1;
    }
    let kind = s > np.start
        && doc.tokens[s - 1].is_any(&[
            "agency",
            "group",
            "monitor",
            "organisation",
            "organization",
            "outlet",
            "channel",
            "network",
            "charity",
            "militia",
            "faction",
            "alliance",
            "broadcaster",
            "newspaper",
            "body",
            "watchdog",
        ]);
    (kind && s < np.end && !doc.capitalized(np.start)).then_some(s..np.end)
}

/// Drops a trailing "in/of/from/at PLACE" from an unnamed speaker.
fn without_place(doc: &Doc<'_>, np: Range<usize>, words: &[&str]) -> Range<usize> {
    if !unnamed_head(words) {
        return np;
    }
    let cut = (np.start + 1..np.end).find(|&k| {
        doc.tokens[k].is_any(&["in", "of", "from", "near"])
            && k + 1 < np.end
            && doc.capitalized(k + 1)
            && !doc.tokens[k + 1..np.end].iter().any(|t| ORG_WORDS.contains(&t.lower.as_str()))
    });
    cut.map_or(np.clone(), |k| np.start..k)
}

/// Words that head a description of unnamed people ("officials", "a source").
fn unnamed_head(words: &[&str]) -> bool {
    words.iter().any(|w| {
        matches!(
            *w,
            "official"
                | "officials"
                | "source"
                | "sources"
                | "residents"
                | "witnesses"
                | "activists"
                | "medic"
                | "medics"
                | "doctor"
                | "doctors"
                | "worker"
                | "workers"
                | "drivers"
                | "driver"
                | "resident"
                | "witness"
                | "rescuers"
                | "spokesman"
                | "spokeswoman"
                | "commander"
                | "neighbours"
                | "survivors"
                | "villagers"
                | "diplomats"
        )
    })
}

fn is_acronym(w: &str) -> bool {
    let w = w.trim_end_matches("'s");
    w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase())
}

/// "the SDF" → "the Syrian Democratic Forces" when the text defines the
/// acronym ("Syrian Democratic Forces (SDF)").
fn expand_acronym(doc: &Doc<'_>, name: String) -> String {
    let Some(acr) = name.split_whitespace().last().filter(|w| is_acronym(w)) else { return name };
    let pattern = format!("({acr})");
    let Some(at) = doc.text.find(&pattern) else { return name };
    let before = doc.text[..at].trim_end();
    let words: Vec<&str> = before
        .split_whitespace()
        .rev()
        .take_while(|w| {
            w.chars().next().is_some_and(|c| c.is_uppercase())
                || matches!(*w, "for" | "of" | "the" | "and")
                || w.contains('-')
        })
        .collect();
    let full: Vec<&str> =
        words.into_iter().rev().skip_while(|w| matches!(*w, "for" | "of" | "the" | "and")).collect();
    if full.len() < 2 {
        return name;
    }
    let prefix = if name.to_lowercase().starts_with("the ") { "the " } else { "" };
    format!("{prefix}{}", full.join(" "))
}

/// "the council" → "Manbij Military Council", when the text names it in full
/// earlier.
fn resolve_org(doc: &Doc<'_>, a: Spanned<String>) -> Spanned<String> {
    let lower = a.value.to_lowercase();
    let single = lower.split_whitespace().count() == 1 && !is_acronym(&a.value);
    if !single {
        return Spanned { value: a.value.trim_start_matches("the ").to_owned(), span: a.span };
    }
    match full_name_before(doc, a.span.start, &[lower.as_str()]) {
        Some(full) => Spanned { value: full, span: a.span },
        None => a,
    }
}

/// The latest capitalised name before byte `at` whose last word is one of
/// `heads` ("Free Aleppo Health Directorate" for "directorate").
fn full_name_before(doc: &Doc<'_>, at: usize, heads: &[&str]) -> Option<String> {
    let mut best = None;
    for (k, t) in doc.tokens.iter().enumerate() {
        if t.span.start >= at {
            break;
        }
        let head = t.lower.trim_end_matches("'s");
        if !heads.contains(&head) {
            continue;
        }
        let mut s = k;
        while s > 0
            && k - s < 6
            && doc.tokens[s - 1].kind == Tok::Word
            && !is_sentence_start(doc, s)
            && !doc.tokens[s - 1].is_any(&["the", "a", "an", "said", "by", "its", "their", "his", "her"])
            && reporting_verb(&doc.tokens[s - 1].lower).is_none()
        {
            s -= 1;
        }
        // From the first capitalised word: "Turkish defence ministry".
        while s < k && (!doc.capitalized(s) || doc.tokens[s].is_any(&["for", "of", "and"])) {
            s += 1;
        }
        if s == k && !doc.capitalized(k) {
            continue;
        }
        let mut e = k + 1;
        while e + 1 < doc.tokens.len() && doc.tokens[e].is_any(&["of", "for"]) && doc.capitalized(e + 1) {
            e += 2;
            while e < doc.tokens.len()
                && (doc.capitalized(e)
                    || (doc.tokens[e].is("and") && e + 1 < doc.tokens.len() && doc.capitalized(e + 1)))
            {
                e += 1;
            }
        }
        if k > s || e > k + 1 {
            let text = doc.text[doc.tokens[s].span.start..doc.tokens[e - 1].span.end]
                .trim_end_matches("'s")
                .to_owned();
            best = Some(text);
        }
    }
    best
}

fn is_sentence_start(doc: &Doc<'_>, k: usize) -> bool {
    doc.sentences.iter().any(|s| s.start == k)
}

/// An unnamed speaker's description, its first letter lower-cased when it
/// was capitalised only for opening the sentence.
fn unnamed(doc: &Doc<'_>, np: Range<usize>) -> String {
    let text = doc.slice(np.clone()).to_owned();
    let first = &doc.tokens[np.start].lower;
    if matches!(
        first.as_str(),
        "a" | "an"
            | "the"
            | "officials"
            | "residents"
            | "activists"
            | "witnesses"
            | "sources"
            | "some"
            | "one"
            | "two"
            | "medics"
            | "doctors"
            | "rescuers"
            | "several"
            | "local"
            | "aid"
            | "security"
            | "military"
            | "government"
    ) {
        let mut c = text.chars();
        return c.next().map(|f| f.to_lowercase().collect::<String>() + c.as_str()).unwrap_or_default();
    }
    text
}

/// The trailing run of a phrase that is a person's name: two or more
/// capitalised words that are neither titles nor organisation words (or one,
/// after a title: "spokesman Haddad").
fn person_name(doc: &Doc<'_>, np: Range<usize>) -> Option<Range<usize>> {
    let mut start = np.end;
    while start > np.start {
        let k = start - 1;
        let t = &doc.tokens[k];
        let particle = t.is_any(&["al", "bin", "ibn", "abu", "abd", "el", "de", "van", "von", "bint"])
            || t.lower.starts_with("al-")
            || t.lower.starts_with("el-");
        let cap = doc.capitalized(k) || particle;
        let bad = ORG_WORDS.contains(&t.lower.as_str())
            || TITLES.contains(&t.lower.as_str())
            || NOT_NAMES.contains(&t.lower.as_str())
            || t.lower.ends_with("'s");
        if t.kind != Tok::Word || !cap || bad || t.lower.chars().any(|c| c.is_ascii_digit()) {
            break;
        }
        start = k;
    }
    let name = start..np.end;
    let after_title = start > np.start && TITLES.contains(&doc.tokens[start - 1].lower.as_str());
    let after_preposition = start > np.start
        && doc.tokens[start - 1]
            .is_any(&["in", "of", "for", "at", "from", "near", "based", "on", "to", "with"]);
    let whole = start == np.start;
    let ok = !after_preposition
        && ((2..=5).contains(&name.len())
            || (name.len() == 1 && (after_title || (whole && is_surname_like(doc, start)))));
    ok.then_some(name)
}

/// A single capitalised word not at the start of its sentence and not a
/// known collective or nationality: read as a surname ("Haddad said").
fn is_surname_like(doc: &Doc<'_>, i: usize) -> bool {
    let t = &doc.tokens[i];
    let sentence_start = doc.sentences.iter().any(|s| s.start == i)
        || (i > 0 && doc.tokens[i - 1].kind == Tok::Quote && !doc.tokens[i - 1].quoted);
    !NOT_NAMES.contains(&t.lower.as_str())
        && !ORG_WORDS.contains(&t.lower.as_str())
        && (!sentence_start || t.lower.len() > 3)
        && !t.lower.ends_with("ians")
        && !t.lower.ends_with("ese")
}

/// An organisation named in a phrase: the object of "for/of/at/with/from",
/// or what precedes "'s" ("the foreign ministry's spokesman").
fn affiliation_in(doc: &Doc<'_>, r: Range<usize>) -> Option<Spanned<String>> {
    let r = trim_punct(doc, r);
    for k in r.clone() {
        let t = &doc.tokens[k];
        if t.lower.ends_with("'s") && k > r.start || (t.lower.ends_with("'s") && doc.capitalized(k)) {
            let mut s = k;
            while s > r.start && !doc.tokens[s - 1].is_any(&["the", "a", "an", ","]) {
                s -= 1;
            }
            let end = doc.tokens[k].span.end - 2;
            let start = doc.tokens[s].span.start;
            let value = doc.text[start..end].to_owned();
            if is_org_text(&value) {
                return Some(Spanned { value, span: start..end });
            }
        }
        if t.is_any(&["for", "of", "at", "with", "from"]) && k + 1 < r.end {
            let mut s = k + 1;
            while s < r.end && doc.tokens[s].is_any(&["the", "a", "an"]) {
                s += 1;
            }
            let e = (s..r.end)
                .find(|&j| {
                    doc.tokens[j].is_any(&["who", "which", "that", "and", "in", "on", ","])
                        || doc.tokens[j].kind != Tok::Word
                })
                .unwrap_or(r.end);
            if e > s {
                let value = doc.slice(s..e).to_owned();
                if is_org_text(&value) {
                    return Some(Spanned { value, span: doc.bytes(s..e) });
                }
            }
        }
    }
    None
}

/// Whether text names an organisation: an organisation word, or a
/// capitalised name.
fn is_org_text(s: &str) -> bool {
    let lower = s.to_lowercase();
    let acronym = s.split_whitespace().any(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase()));
    let capitals = s.split_whitespace().filter(|w| w.chars().next().is_some_and(char::is_uppercase)).count();
    lower.split(|c: char| !c.is_alphanumeric()).any(|w| ORG_WORDS.contains(&w)) || acronym || capitals >= 2
}

/// "Foreign Ministry spokesman" → "Foreign Ministry"; "Health Minister" →
/// "Health Ministry"; "WFP spokeswoman" → "WFP".
fn title_affiliation(doc: &Doc<'_>, prefix: Range<usize>) -> Option<Spanned<String>> {
    let mut r = trim_punct(doc, prefix);
    while r.start < r.end && doc.tokens[r.start].is_any(&["the", "a", "an"]) {
        r.start += 1;
    }
    let mut end = r.end;
    let mut minister = false;
    while end > r.start && TITLES.contains(&doc.tokens[end - 1].lower.as_str()) {
        minister |= doc.tokens[end - 1].is("minister");
        end -= 1;
    }
    if end == r.start {
        return None;
    }
    if let Some(a) = affiliation_in(doc, r.start..end) {
        return Some(a);
    }
    let mut value = doc.slice(r.start..end).to_owned();
    if value.ends_with("'s") || value.ends_with("’s") {
        value.truncate(value.len() - 2);
    }
    if minister {
        value.push_str(" Ministry");
    }
    is_org_text(&value).then(|| Spanned { value, span: doc.bytes(r.start..end) })
}

fn resolve_pronoun(p: &str, earlier: &[ClaimDraft]) -> Option<Speaker> {
    let want_person = matches!(p, "he" | "she" | "i");
    let c = earlier.iter().rev().find(|c| !want_person || c.person).or_else(|| earlier.last())?;
    Some(Speaker { name: c.speaker.clone(), affiliation: c.affiliation.clone(), person: c.person })
}

fn resolve_surname(surname: &str, earlier: &[ClaimDraft]) -> Option<Speaker> {
    let c = earlier
        .iter()
        .rev()
        .find(|c| c.person && c.speaker.value.split_whitespace().last() == Some(surname))?;
    Some(Speaker { name: c.speaker.clone(), affiliation: c.affiliation.clone(), person: true })
}

/// "the ministry", "the monitor", "the group": an earlier speaker with that
/// head word, or an organisation the text names in full before; failing
/// both, for a generic head ("the group", "the agency"), the latest
/// organisation that spoke.
fn resolve_definite(doc: &Doc<'_>, at: usize, words: &[&str], earlier: &[ClaimDraft]) -> Option<Speaker> {
    let head = *words.last()?;
    let synonyms: &[&str] = match head {
        "monitor" | "observatory" => &["observatory", "monitor", "monitoring"],
        "agency" => {
            &["agency", "programme", "office", "sana", "news", "fund", "commission", "unhcr", "wfp", "unicef"]
        }
        "organisation" | "organization" | "group" | "charity" => &[
            "organisation",
            "organization",
            "group",
            "network",
            "watch",
            "observatory",
            "association",
            "council",
            "relief",
            "committee",
        ],
        "administration" | "ministry" | "council" | "army" | "military" | "government" | "directorate"
        | "command" | "office" | "authority" | "authorities" | "agency's" => std::slice::from_ref(&head),
        "alliance" | "coalition" | "faction" | "militia" | "watchdog" | "body" | "force" | "forces"
        | "movement" | "service" | "mission" | "network" | "association" | "committee" | "union"
        | "front" => std::slice::from_ref(&head),
        _ => return None,
    };
    let hit = |s: &str| {
        let l = s.to_lowercase();
        synonyms.iter().any(|w| l.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w))
    };
    if let Some(c) = earlier.iter().rev().find(|c| !c.person && hit(&c.speaker.value)) {
        return Some(Speaker { name: c.speaker.clone(), affiliation: c.affiliation.clone(), person: false });
    }
    let span = doc.tokens[at].span.clone();
    if let Some(full) = full_name_before(doc, span.start, synonyms) {
        return Some(Speaker {
            name: Spanned { value: format!("the {full}"), span },
            affiliation: None,
            person: false,
        });
    }
    let generic = matches!(
        head,
        "group"
            | "organisation"
            | "organization"
            | "agency"
            | "charity"
            | "alliance"
            | "coalition"
            | "faction"
            | "militia"
            | "watchdog"
            | "body"
            | "force"
            | "forces"
            | "movement"
            | "service"
            | "mission"
            | "network"
    );
    let c = earlier.iter().rev().find(|c| !c.person).filter(|_| generic)?;
    Some(Speaker { name: c.speaker.clone(), affiliation: c.affiliation.clone(), person: false })
}

fn build(
    doc: &Doc<'_>,
    speaker: Speaker,
    content: Range<usize>,
    mut stance: Stance,
    verb: usize,
    si: usize,
) -> ClaimDraft {
    if stance == Stance::Assertion && negated(doc, content.clone()) {
        stance = Stance::Denial;
    }
    let text = doc.slice(content.clone()).to_owned();
    ClaimDraft {
        resolved: false,
        person: speaker.person,
        speaker: speaker.name,
        affiliation: speaker.affiliation,
        text: Spanned { value: text, span: doc.bytes(content.clone()) },
        stance: Spanned { value: stance, span: doc.tokens[verb].span.clone() },
        figures: figures(doc, content.clone()),
        content,
        sentence: si,
    }
}

/// Whether reported words reject an accusation: "did not target", "had no
/// role", "were false", "baseless".
fn negated(doc: &Doc<'_>, r: Range<usize>) -> bool {
    let t = &doc.tokens[r.clone()];
    let denial_word = t.iter().any(|x| {
        x.is_any(&[
            "false",
            "baseless",
            "unfounded",
            "fabricated",
            "fabrication",
            "fabrications",
            "untrue",
            "propaganda",
            "groundless",
            "misinformation",
            "disinformation",
        ])
    });
    let not_did = t.windows(3).any(|w| {
        w[0].is_any(&[
            "did", "had", "has", "have", "was", "were", "never", "didn't", "hadn't", "wasn't", "weren't",
        ]) && (w[1].is_any(&["not", "never", "no"]) || w[0].is("never"))
            && (w[2].is_any(&[
                "target",
                "targeted",
                "attack",
                "attacked",
                "strike",
                "struck",
                "shell",
                "shelled",
                "involved",
                "responsible",
                "divert",
                "diverted",
                "bomb",
                "bombed",
                "hit",
                "fire",
                "fired",
                "carry",
                "carried",
                "conduct",
                "conducted",
                "take",
                "role",
                "any",
                "seize",
                "seized",
                "block",
                "blocked",
                "obstruct",
                "obstructed",
                "loot",
                "looted",
            ]) || w[1]
                .is_any(&["targeted", "attacked", "struck", "shelled", "diverted", "bombed", "fired"]))
    });
    let no_role =
        t.windows(2).any(|w| {
            w[0].is_any(&["no", "not"])
                && w[1].is_any(&["role", "involvement", "truth", "responsibility", "basis", "involved"])
        }) || t.windows(4).any(|w| w[0].is("nothing") && w[1].is("to") && w[2].is("do") && w[3].is("with"));
    denial_word || not_did || no_role
}

/// Figures in the content, each with what it counts and its unit.
pub fn figures(doc: &Doc<'_>, r: Range<usize>) -> Vec<FigureDraft> {
    let skip = crate::when::spans(doc, r.clone());
    quantities(doc, r.clone())
        .into_iter()
        .filter(|q| !skip.iter().any(|s| s.start <= q.tokens.start && q.tokens.end <= s.end))
        .filter_map(|q| figure(doc, q, r.clone()))
        .collect()
}

fn figure(doc: &Doc<'_>, q: Quantity, r: Range<usize>) -> Option<FigureDraft> {
    let after = q.tokens.end;
    let w = |k: usize| -> &str {
        if k < r.end && k >= r.start {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let first = &doc.tokens[q.tokens.start];
    let value = q.min.or(q.max).or(q.about).unwrap_or(0.0);
    // Years, ages, dates, resolutions, ordinal phrases.
    let plain_year = (1900.0..=2100.0).contains(&value) && q.min == q.max && first.lower.len() == 4;
    let age = w(after).contains("year-old")
        || w(after) == "years-old"
        || (q.tokens.start > r.start
            && doc.tokens[q.tokens.start - 1].is_any(&[
                "aged",
                "age",
                "resolution",
                "no",
                "number",
                "route",
                "highway",
                "road",
                "m4",
                "m5",
            ]));
    let one = value == 1.0 && first.is_any(&["one", "a"]) && unit(w(after)).is_none();
    if plain_year
        || age
        || one
        || w(after) == "of" && value == 1.0
        || w(after).ends_with("-year-old")
        || w(after) == ":"
    {
        return None;
    }
    // Unit: the noun after the figure, skipping an adjective or two.
    let unit_word = crate::words::unit_after(doc, after, r.end);
    // "killing about 40 people and wounding 12": the verb just before wins.
    let mut what = (q.tokens.start > r.start).then(|| casualty(w(q.tokens.start - 1))).flatten();
    for k in (after..(after + 7).min(r.end)).take_while(|_| what.is_none()) {
        if let Some(c) = casualty(w(k)) {
            what = Some(c);
            break;
        }
        if doc.tokens[k].kind != Tok::Word && !doc.tokens[k].is_punct(",") {
            break;
        }
    }
    if what.is_none() {
        for k in (q.tokens.start.saturating_sub(4).max(r.start)..q.tokens.start).rev() {
            if let Some(c) = casualty(w(k)) {
                what = Some(c);
                break;
            }
        }
    }
    let unit = unit_word.map(|(u, _)| u.to_owned());
    let what = what
        .map(str::to_owned)
        .or_else(|| unit_word.map(|(_, k)| doc.tokens[k].lower.clone()))
        .or_else(|| {
            (doc.tokens.get(after).is_some_and(|t| t.kind == Tok::Word) && after < r.end)
                .then(|| w(after).to_owned())
        })?;
    if what.is_empty() || (unit.is_none() && casualty(&what).is_none() && !what.ends_with('s')) {
        return None;
    }
    let end = unit_word.map_or(q.tokens.end, |(_, k)| k + 1);
    Some(FigureDraft { what, unit, span: doc.bytes(q.tokens.start..end), quantity: q })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<(String, Option<String>, Stance)> {
        let d = Doc::new(text);
        claims(&d)
            .into_iter()
            .map(|c| (c.speaker.value, c.affiliation.map(|a| a.value), c.stance.value))
            .collect()
    }

    #[test]
    fn attribution_styles() {
        assert_eq!(
            run("Ahmed Haddad, a spokesman for the Foreign Ministry, said the convoy was stopped."),
            vec![("Ahmed Haddad".into(), Some("Foreign Ministry".into()), Stance::Assertion)]
        );
        assert_eq!(
            run("\"The road is closed,\" said Rania Daher, a spokeswoman for the World Food Programme."),
            vec![("Rania Daher".into(), Some("World Food Programme".into()), Stance::Assertion)]
        );
        assert_eq!(run("Officials denied the report."), vec![("officials".into(), None, Stance::Denial)]);
        assert_eq!(
            run("At least 12 people were killed, according to a monitoring group based in London."),
            vec![("a monitoring group based in London".into(), None, Stance::Assertion)]
        );
        assert_eq!(
            run("Defence Minister Ali Mahmoud accused rebels of diverting aid."),
            vec![("Ali Mahmoud".into(), Some("Defence Ministry".into()), Stance::Allegation)]
        );
    }

    #[test]
    fn a_subject_speaks_for_its_second_verb() {
        assert_eq!(
            run("Nineveh Governor Muthanna al-Jubouri ordered an investigation and said security would be tightened."),
            vec![("Muthanna al-Jubouri".into(), None, Stance::Assertion)]
        );
    }

    #[test]
    fn according_to_a_document_is_its_author() {
        assert_eq!(
            run("Four attacks were recorded this year, according to figures compiled by the World Health Organization."),
            vec![("the World Health Organization".into(), None, Stance::Assertion)]
        );
    }

    #[test]
    fn pronouns_and_negation() {
        let r = run("Samir Khalil said the strike hit a bakery. The army said its aircraft did not target civilians. \"We saw it,\" Khalil said.");
        assert_eq!(r.len(), 3);
        assert_eq!(r[1], ("the army".into(), None, Stance::Denial));
        assert_eq!(r[2].0, "Samir Khalil");
    }
}
