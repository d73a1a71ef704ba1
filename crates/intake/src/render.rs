//! Drafts as JSON: bodies in the brief's §5 shape, spans in characters, and
//! what the analyst must review.

use std::collections::BTreeMap;
use std::ops::Range;

use corridor_statement::timefmt::format_ms;
use serde_json::{json, Map, Value};

use crate::claim::ClaimDraft;
use crate::gazetteer::Gazetteer;
use crate::incident::IncidentDraft;
use crate::number::Quantity;
use crate::text::{CharIndex, Doc};
use crate::{sha256_hex, Draft, Intake, Options, Review, SourceInfo, MAX_DRAFTS};

/// Longest quote kept in an incident's source (characters).
const MAX_QUOTE_CHARS: usize = 2_000;

struct Out<'a> {
    chars: &'a CharIndex,
    spans: BTreeMap<String, [usize; 2]>,
    review: Vec<Review>,
    hints: Map<String, Value>,
}

impl Out<'_> {
    fn span(&mut self, field: &str, bytes: &Range<usize>) {
        self.spans.insert(field.to_owned(), self.chars.span(bytes));
    }
    fn review(&mut self, field: &str, reason: impl Into<String>, bytes: Option<&Range<usize>>) {
        self.review.push(Review {
            field: field.to_owned(),
            reason: reason.into(),
            span: bytes.map(|b| self.chars.span(b)),
        });
    }
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && (0.0..9e15).contains(&v) {
        json!(v as u64)
    } else {
        json!(v)
    }
}

pub(crate) fn render(
    doc: &Doc<'_>,
    options: &Options,
    g: &Gazetteer,
    claims: &[ClaimDraft],
    incidents: &[IncidentDraft],
) -> Intake {
    let chars = CharIndex::new(doc.text);
    let sha256 = sha256_hex(doc.text);
    let published = options.published_us.map(format_ms);
    let mut drafts: Vec<Draft> = Vec::new();
    for c in claims {
        drafts.push(claim(&chars, options, &sha256, published.as_deref(), c));
    }
    for inc in incidents {
        drafts.push(incident(doc, &chars, options, g, &sha256, published.as_deref(), inc));
    }
    let truncated = drafts.len() > MAX_DRAFTS;
    drafts.truncate(MAX_DRAFTS);
    Intake {
        source: SourceInfo { sha256, outlet: options.outlet.clone(), url: options.url.clone(), published },
        drafts,
        truncated,
    }
}

fn claim(
    chars: &CharIndex,
    options: &Options,
    sha256: &str,
    published: Option<&str>,
    c: &ClaimDraft,
) -> Draft {
    let mut o = Out { chars, spans: BTreeMap::new(), review: Vec::new(), hints: Map::new() };
    let mut body = Map::new();
    body.insert("speaker".into(), json!(c.speaker.value));
    o.span("/speaker", &c.speaker.span);
    if let Some(a) = &c.affiliation {
        body.insert("affiliation".into(), json!(a.value));
        o.span("/affiliation", &a.span);
    }
    source_fields(&mut o, &mut body, options, published);
    body.insert("text".into(), json!(c.text.value));
    o.span("/text", &c.text.span);
    body.insert("stance".into(), json!(c.stance.value.as_str()));
    o.span("/stance", &c.stance.span);
    let mut figures = Vec::new();
    for (i, f) in c.figures.iter().enumerate() {
        let mut fig = Map::new();
        fig.insert("what".into(), json!(f.what));
        let field = format!("/figures/{i}");
        put_range(&mut o, &mut fig, &field, &f.quantity, &f.span);
        if let Some(u) = &f.unit {
            fig.insert("unit".into(), json!(u));
        }
        o.span(&field, &f.span);
        figures.push(Value::Object(fig));
    }
    if !figures.is_empty() {
        body.insert("figures".into(), Value::Array(figures));
    }
    body.insert("source_sha256".into(), json!(sha256));
    Draft {
        kind: "claim.record",
        body: Value::Object(body),
        spans: o.spans,
        needs_review: o.review,
        hints: o.hints,
    }
}

fn source_fields(o: &mut Out<'_>, body: &mut Map<String, Value>, options: &Options, published: Option<&str>) {
    match &options.outlet {
        Some(v) => drop(body.insert("outlet".into(), json!(v))),
        None => o.review("/outlet", "no outlet was given", None),
    }
    if let Some(u) = &options.url {
        body.insert("url".into(), json!(u));
    }
    match published {
        Some(p) => drop(body.insert("published".into(), json!(p))),
        None => o.review("/published", "no publication time was given", None),
    }
}

/// Writes `min`/`max` for a figure or a casualty count; an approximate value
/// ("about 40") leaves both out and goes to review.
fn put_range(o: &mut Out<'_>, into: &mut Map<String, Value>, field: &str, q: &Quantity, span: &Range<usize>) {
    if let Some(v) = q.min {
        into.insert("min".into(), number(v));
    }
    if let Some(v) = q.max {
        into.insert("max".into(), number(v));
    }
    if let Some(v) = q.about {
        o.review(field, format!("approximate ({v}): set min and max"), Some(span));
        let estimates = o.hints.entry("estimates").or_insert_with(|| json!({}));
        if let Some(m) = estimates.as_object_mut() {
            m.insert(field.to_owned(), number(v));
        }
    }
}

fn incident(
    doc: &Doc<'_>,
    chars: &CharIndex,
    options: &Options,
    g: &Gazetteer,
    sha256: &str,
    published: Option<&str>,
    inc: &IncidentDraft,
) -> Draft {
    let mut o = Out { chars, spans: BTreeMap::new(), review: Vec::new(), hints: Map::new() };
    let mut body = Map::new();
    body.insert("kind".into(), json!(inc.kind.as_str()));
    o.span("/kind", &inc.kind_span);
    window(doc, &mut o, &mut body, options, inc);
    place(&mut o, &mut body, g, inc);
    perpetrator(&mut o, &mut body, options, inc);
    casualties(&mut o, &mut body, inc);
    for (cat, span) in &inc.sites {
        o.review(
            "/affected_sites",
            format!("a {} is named: link the site it means", cat.replace('_', " ")),
            Some(span),
        );
        let sites = o.hints.entry("sites").or_insert_with(|| json!([]));
        if let Some(a) = sites.as_array_mut() {
            a.push(json!({"category": cat, "span": chars.span(span)}));
        }
    }
    // The source: the outlet, the article's digest and the first sentence that reports it.
    let first = inc.sentences.first().map(|&s| doc.bytes(doc.sentences[s].clone()));
    let mut source = Map::new();
    match &options.outlet {
        Some(v) => drop(source.insert("outlet".into(), json!(v))),
        None => o.review("/sources/0/outlet", "no outlet was given", None),
    }
    if let Some(u) = &options.url {
        source.insert("url".into(), json!(u));
    }
    if let Some(p) = published {
        source.insert("published".into(), json!(p));
    }
    if let Some(b) = &first {
        let quote: String = doc.text[b.clone()].chars().take(MAX_QUOTE_CHARS).collect();
        source.insert("quote".into(), json!(quote));
        o.span("/sources/0/quote", b);
    }
    source.insert("sha256".into(), json!(sha256));
    body.insert("sources".into(), json!([Value::Object(source)]));
    Draft {
        kind: "incident.report",
        body: Value::Object(body),
        spans: o.spans,
        needs_review: o.review,
        hints: o.hints,
    }
}

fn window(
    doc: &Doc<'_>,
    o: &mut Out<'_>,
    body: &mut Map<String, Value>,
    options: &Options,
    inc: &IncidentDraft,
) {
    let Some(p) = options.published_us else {
        o.review("/window", "no publication time was given, so dates cannot be resolved", None);
        return;
    };
    // A dateline's date is the publication's, not the event's.
    let body_of =
        |s: std::ops::Range<usize>| crate::claim::dateline_end(doc, s.clone()).unwrap_or(s.start)..s.end;
    let in_event =
        inc.sentences.iter().find_map(|&s| crate::when::find(doc, body_of(doc.sentences[s].clone()), p));
    let elsewhere = in_event.is_none();
    let found = in_event.or_else(|| crate::when::find(doc, 0..doc.tokens.len(), p));
    match found {
        Some((w, span)) => {
            // Nothing reported happened after the report: a day window ends at publication.
            let to_us = if w.to_us > p && w.from_us < p { p } else { w.to_us };
            body.insert("window".into(), json!({"from": format_ms(w.from_us), "to": format_ms(to_us)}));
            let bytes = doc.bytes(span);
            o.span("/window", &bytes);
            if elsewhere {
                o.review("/window", "taken from elsewhere in the text", Some(&bytes));
            }
        }
        None => o.review("/window", "the text gives no time for the event", None),
    }
}

fn place(o: &mut Out<'_>, body: &mut Map<String, Value>, g: &Gazetteer, inc: &IncidentDraft) {
    let Some((m, idx)) = &inc.place else {
        o.review("/geometry", "no place in the gazetteer was found: place it on the map", None);
        o.review("/precision_m", "set how far from the point the event may be, in metres", None);
        return;
    };
    let p = g.place(*idx);
    body.insert("geometry".into(), json!({"type": "Point", "coordinates": [p.lon, p.lat]}));
    body.insert("precision_m".into(), json!(p.kind.precision_m()));
    o.span("/geometry", &m.span);
    o.span("/precision_m", &m.span);
    if let Some((text, span)) = &inc.place_text {
        let known = g.find(text).iter().any(|f| f.places.contains(idx));
        let same =
            known || crate::score::same_text(text, &p.name) || o.chars.span(span) == o.chars.span(&m.span);
        if !same {
            o.review(
                "/geometry",
                format!("the text names {text:?}, not in the gazetteer: the point is {}'s", p.name),
                Some(span),
            );
        }
    }
    o.hints.insert(
        "place".into(),
        json!({
            "name": p.name, "kind": p.kind.as_str(), "country": p.country, "geonameid": p.geonameid,
            "matched": o.chars.span(&m.span),
            "text": inc.place_text.as_ref().map(|(t, _)| t.clone()),
        }),
    );
    // A governorate and its seat share a name and a point: no choice to review.
    let apart = m.places.iter().any(|&q| {
        let q = g.place(q);
        (q.lat - p.lat).abs() > 0.05 || (q.lon - p.lon).abs() > 0.05
    });
    if apart {
        o.review(
            "/geometry",
            format!("{} places share this name; the most likely was taken", m.places.len()),
            Some(&m.span),
        );
    }
}

fn perpetrator(o: &mut Out<'_>, body: &mut Map<String, Value>, options: &Options, inc: &IncidentDraft) {
    match inc.perpetrators.as_slice() {
        [] => {}
        [(text, span)] => {
            body.insert("perpetrator_text".into(), json!(text));
            o.span("/perpetrator_text", span);
            if let Some(id) = options.parties.lookup(text) {
                body.insert("alleged_perpetrator".into(), json!(id));
                o.span("/alleged_perpetrator", span);
            }
        }
        many => {
            let joined = many.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(" or ");
            body.insert("perpetrator_text".into(), json!(joined));
            o.span("/perpetrator_text", &many[0].1);
            let alts: Vec<Value> = many
                .iter()
                .map(|(t, s)| {
                    let mut v = json!({"text": t, "span": o.chars.span(s)});
                    if let Some(id) = options.parties.lookup(t) {
                        v["party"] = json!(id);
                    }
                    v
                })
                .collect();
            o.hints.insert("perpetrator_alternatives".into(), Value::Array(alts));
            o.review(
                "/alleged_perpetrator",
                format!("alternatives: {joined}; choose one or leave it out"),
                Some(&many[0].1),
            );
        }
    }
}

fn casualties(o: &mut Out<'_>, body: &mut Map<String, Value>, inc: &IncidentDraft) {
    let mut cas = Map::new();
    let slots = [
        ("killed", &inc.killed, true),
        ("injured", &inc.injured, true),
        ("children_killed", &inc.children_killed, false),
        ("children_injured", &inc.children_injured, false),
    ];
    for (name, slot, always) in slots {
        let field = format!("/casualties/{name}");
        match slot {
            Some((q, span)) => {
                let mut r = Map::new();
                put_range(o, &mut r, &field, q, span);
                o.span(&field, span);
                cas.insert(name.into(), Value::Object(r));
            }
            None if always => drop(cas.insert(name.into(), json!({}))),
            None => {}
        }
    }
    body.insert("casualties".into(), Value::Object(cas));
}
