//! Properties of the drafter on any text: it never panics, every span lies
//! within the text on character boundaries, every review span too, and the
//! source digest is the text's.

use corridor_intake::{draft, read_text, sha256_hex, Gazetteer, Options};
use proptest::prelude::*;

/// Words news uses, so that random text reaches the attribution, figure,
/// date and place rules, mixed with arbitrary characters.
const WORDS: &[&str] = &[
    "said",
    "told",
    "denied",
    "accused",
    "according",
    "to",
    "the",
    "a",
    "at",
    "least",
    "as",
    "many",
    "more",
    "than",
    "nearly",
    "between",
    "and",
    "killed",
    "wounded",
    "children",
    "people",
    "airstrike",
    "shelling",
    "convoy",
    "hospital",
    "bakery",
    "in",
    "near",
    "village",
    "of",
    "Rukban",
    "Deir",
    "ez-Zor",
    "al-Tanf",
    "Maarat",
    "al-Numan",
    "on",
    "Wednesday",
    "last",
    "week",
    "since",
    "3",
    "March",
    "past",
    "72",
    "hours",
    "either",
    "or",
    "Russian",
    "Syrian",
    "government",
    "forces",
    "by",
    "\"",
    "“",
    "”",
    ",",
    ".",
    "—",
    "(",
    ")",
    "Ahmed",
    "Haddad",
    "spokesman",
    "ministry",
    "UN",
    "OCHA",
    "twenty-two",
    "half",
    "million",
    "dozens",
    "he",
    "she",
    "it",
    "they",
    "Dr.",
    "SDF",
    "(SDF)",
    "\n\n",
    "𝔸",
    "é",
    "ʿ",
];

fn gazetteer() -> &'static Gazetteer {
    static G: std::sync::OnceLock<Gazetteer> = std::sync::OnceLock::new();
    G.get_or_init(|| Gazetteer::builtin().expect("gazetteer"))
}

fn text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        1 => "\\PC{0,6}",
    ];
    proptest::collection::vec(word, 0..120).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn spans_lie_within_the_text(t in text(), published in proptest::option::of(0i64..4_000_000_000_000_000)) {
        let g = gazetteer();
        let options = Options { published_us: published, ..Options::default() };
        let out = draft(&t, &options, g);
        let chars = t.chars().count();
        prop_assert_eq!(out.source.sha256, sha256_hex(&t));
        for d in &out.drafts {
            prop_assert!(d.kind == "claim.record" || d.kind == "incident.report");
            for (field, [a, b]) in &d.spans {
                prop_assert!(a <= b && *b <= chars, "{} {}..{} of {}", field, a, b, chars);
                prop_assert!(field.starts_with('/'));
            }
            for r in &d.needs_review {
                if let Some([a, b]) = r.span {
                    prop_assert!(a <= b && b <= chars);
                }
            }
        }
    }

    #[test]
    fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(t) = read_text(&bytes) {
            prop_assert!(!t.trim().is_empty());
            prop_assert!(!t.contains('\0'));
        }
    }
}
