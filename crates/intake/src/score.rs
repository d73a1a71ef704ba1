//! Precision and recall of drafts against hand labels, field by field
//! (`corpus/README.md` gives the labels' form).
//!
//! Per report, each field is a multiset of values, predicted and labelled;
//! a predicted value is a true positive when it matches a labelled one not
//! already matched. Text fields (speaker, affiliation, place, perpetrator)
//! match when, lower-cased and without articles or punctuation, one is the
//! other or a run of at least half of the other's words; numbers match
//! exactly. Counts are summed over the corpus before precision and recall
//! are taken (micro-averaging).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::incident::norm;

/// The fields scored, in report order.
pub const FIELDS: &[&str] = &[
    "speaker",
    "affiliation",
    "stance",
    "figure_min",
    "figure_max",
    "place",
    "kind",
    "perpetrator",
    "casualties",
    "window",
];

/// True positives, predictions and labels of one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub predicted: usize,
    pub labelled: usize,
}

impl Counts {
    /// Precision; 1 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.tp as f64 / self.predicted as f64
        }
    }
    /// Recall; 1 when nothing was labelled.
    pub fn recall(&self) -> f64 {
        if self.labelled == 0 {
            1.0
        } else {
            self.tp as f64 / self.labelled as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Counts per field.
pub type Scores = BTreeMap<&'static str, Counts>;

/// Adds one report's counts: `expect` is the label's `expect` object,
/// `got` the drafter's output as JSON.
pub fn add(scores: &mut Scores, expect: &Value, got: &Value) {
    let gold = Values::from_expect(expect);
    let pred = Values::from_drafts(got);
    for f in FIELDS {
        let c = scores.entry(f).or_default();
        let (g, p) = (gold.get(f), pred.get(f));
        let tp = match_count(&g, &p, f);
        c.tp += tp;
        c.predicted += p.len();
        c.labelled += g.len();
    }
}

/// The options a labelled report is drafted with: its `published`, `outlet`
/// and `url` (corpus/README.md).
pub fn label_options(label: &Value) -> crate::Options {
    crate::Options {
        published_us: label["published"].as_str().and_then(corridor_statement::timefmt::parse_utc_us),
        outlet: label["outlet"].as_str().map(str::to_owned),
        url: label["url"].as_str().map(str::to_owned),
        parties: crate::Parties::default(),
    }
}

/// One field's labelled and drafted values, each value a list of strings.
pub type Difference = (&'static str, Vec<Vec<String>>, Vec<Vec<String>>);

/// For each field where they differ, the labelled and the predicted values
/// (for looking into a report's score).
pub fn explain(expect: &Value, got: &Value) -> Vec<Difference> {
    let gold = Values::from_expect(expect);
    let pred = Values::from_drafts(got);
    FIELDS
        .iter()
        .filter_map(|f| {
            let (g, p) = (gold.get(f), pred.get(f));
            let tp = match_count(&g, &p, f);
            (tp != g.len() || tp != p.len()).then_some((*f, g, p))
        })
        .collect()
}

/// Values of each field, as comparable strings.
#[derive(Debug, Default)]
struct Values(BTreeMap<&'static str, Vec<Vec<String>>>);

impl Values {
    fn get(&self, f: &str) -> Vec<Vec<String>> {
        self.0.get(f).cloned().unwrap_or_default()
    }
    fn put(&mut self, f: &'static str, v: Vec<String>) {
        self.0.entry(f).or_default().push(v);
    }

    fn from_expect(e: &Value) -> Self {
        let mut v = Self::default();
        for c in arr(&e["claims"]) {
            let sp = s(&c["speaker"]);
            v.put("speaker", vec![sp.clone()]);
            if let Some(a) = c["affiliation"].as_str() {
                v.put("affiliation", vec![sp.clone(), a.to_owned()]);
            }
            v.put("stance", vec![sp.clone(), s(&c["stance"])]);
            for f in arr(&c["figures"]) {
                put_num(&mut v, "figure_min", &f["min"]);
                put_num(&mut v, "figure_max", &f["max"]);
            }
        }
        for i in arr(&e["incidents"]) {
            v.put("kind", vec![s(&i["kind"])]);
            if let Some(p) = i["place"].as_str() {
                v.put("place", vec![p.to_owned()]);
            }
            for p in arr(&i["perpetrator"]) {
                v.put("perpetrator", vec![s(p)]);
            }
            for cat in ["killed", "injured", "children_killed", "children_injured"] {
                put_range(&mut v, cat, &i["casualties"][cat]);
            }
            if let (Some(f), Some(t)) = (i["window"]["from"].as_str(), i["window"]["to"].as_str()) {
                v.put("window", vec![f.to_owned(), t.to_owned()]);
            }
        }
        v
    }

    fn from_drafts(got: &Value) -> Self {
        let mut v = Self::default();
        for d in arr(&got["drafts"]) {
            let b = &d["body"];
            if d["type"] == "claim.record" {
                let sp = s(&b["speaker"]);
                v.put("speaker", vec![sp.clone()]);
                if let Some(a) = b["affiliation"].as_str() {
                    v.put("affiliation", vec![sp.clone(), a.to_owned()]);
                }
                v.put("stance", vec![sp.clone(), s(&b["stance"])]);
                for f in arr(&b["figures"]) {
                    put_num(&mut v, "figure_min", &f["min"]);
                    put_num(&mut v, "figure_max", &f["max"]);
                }
                continue;
            }
            v.put("kind", vec![s(&b["kind"])]);
            let hint = &d["hints"]["place"];
            if let Some(name) = hint["name"].as_str() {
                let matched = matched_text(got, hint);
                let mut names = vec![name.to_owned(), matched];
                names.extend(hint["text"].as_str().map(str::to_owned));
                v.put("place", names);
            }
            match d["hints"]["perpetrator_alternatives"].as_array() {
                Some(alts) => alts.iter().for_each(|a| v.put("perpetrator", vec![s(&a["text"])])),
                None => {
                    if let Some(p) = b["perpetrator_text"].as_str() {
                        v.put("perpetrator", vec![p.to_owned()]);
                    }
                }
            }
            for cat in ["killed", "injured", "children_killed", "children_injured"] {
                put_range(&mut v, cat, &b["casualties"][cat]);
            }
            if let (Some(f), Some(t)) = (b["window"]["from"].as_str(), b["window"]["to"].as_str()) {
                v.put("window", vec![f[..10].to_owned(), ceil_day(t)]);
            }
        }
        v
    }
}

/// The drafter's output carries the matched text only as a span; the bench
/// passes the text alongside as `got["text"]`.
fn matched_text(got: &Value, hint: &Value) -> String {
    let (Some(text), Some(a), Some(b)) =
        (got["text"].as_str(), hint["matched"][0].as_u64(), hint["matched"][1].as_u64())
    else {
        return String::new();
    };
    text.chars().skip(a as usize).take((b - a) as usize).collect()
}

/// An exclusive end time as a day: midnight stays, any later time moves to
/// the next day.
fn ceil_day(t: &str) -> String {
    let day = &t[..10];
    if t.get(11..23) == Some("00:00:00.000") {
        return day.to_owned();
    }
    time::Date::parse(day, &time::macros::format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|d| d.next_day())
        .map_or_else(|| day.to_owned(), |d| d.to_string())
}

fn put_num(v: &mut Values, f: &'static str, n: &Value) {
    if let Some(x) = n.as_f64() {
        v.put(f, vec![format!("{x}")]);
    }
}

fn put_range(v: &mut Values, cat: &str, r: &Value) {
    let (min, max) = (r["min"].as_f64(), r["max"].as_f64());
    if min.is_some() || max.is_some() {
        v.put("casualties", vec![cat.to_owned(), format!("{min:?}"), format!("{max:?}")]);
    }
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Greedy one-to-one matching.
fn match_count(gold: &[Vec<String>], pred: &[Vec<String>], field: &str) -> usize {
    let mut used = vec![false; gold.len()];
    let mut tp = 0;
    for p in pred {
        if let Some(k) = (0..gold.len()).find(|&k| !used[k] && same(field, &gold[k], p)) {
            used[k] = true;
            tp += 1;
        }
    }
    tp
}

fn same(field: &str, gold: &[String], pred: &[String]) -> bool {
    match field {
        "speaker" => same_text(&gold[0], &pred[0]),
        "affiliation" => same_text(&gold[0], &pred[0]) && same_text(&gold[1], &pred[1]),
        "stance" => same_text(&gold[0], &pred[0]) && gold[1] == pred[1],
        "place" => pred.iter().any(|p| same_text(&gold[0], p)),
        "perpetrator" => same_text(&gold[0], &pred[0]),
        _ => gold == pred,
    }
}

/// Whether two names are the same: equal after normalising, or one is a run
/// of at least half of the other's words.
pub fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (norm(&a.replace("'s", "")), norm(&b.replace("'s", "")));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let sw: Vec<&str> = short.split(' ').collect();
    let lw: Vec<&str> = long.split(' ').collect();
    2 * sw.len() >= lw.len() && lw.windows(sw.len()).any(|w| w == sw.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_loosely_but_not_too_loosely() {
        assert!(same_text("the Foreign Ministry", "foreign ministry"));
        assert!(same_text("Syrian Foreign Ministry", "Foreign Ministry"));
        assert!(!same_text("Ministry", "Syrian Ministry of Foreign Affairs"));
        assert!(!same_text("Haddad", "Khalil"));
    }

    #[test]
    fn counts_are_one_to_one() {
        let gold = vec![vec!["40".to_owned()]];
        let pred = vec![vec!["40".to_owned()], vec!["40".to_owned()]];
        assert_eq!(match_count(&gold, &pred, "figure_min"), 1);
    }

    #[test]
    fn end_days_round_up() {
        assert_eq!(ceil_day("2026-03-12T00:00:00.000Z"), "2026-03-12");
        assert_eq!(ceil_day("2026-03-12T09:30:00.000Z"), "2026-03-13");
    }
}
