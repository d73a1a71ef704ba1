//! The article as tokens and sentences, with byte offsets into the original
//! text, so that every drafted field can point back at the text it came from.
//!
//! Tokens are words (letters and digits, with inner hyphens, apostrophes and
//! the dots and commas of numbers), quotation marks, and other punctuation.
//! Sentences end at `.`, `!` or `?` followed by space and a capital, a digit or
//! a quotation mark, but not after a known abbreviation, and never inside an
//! open quotation; a blank line always ends one.

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Word,
    /// An opening or closing quotation mark (`"`, `“`, `”`, and `‘`/`’` when
    /// not inside a word).
    Quote,
    Punct,
}

/// One token: its kind, its byte range and its lower-case form.
#[derive(Debug, Clone)]
pub struct Token {
    pub kind: Tok,
    pub span: Range<usize>,
    pub lower: String,
    /// Inside a quotation (between an opening and its closing mark).
    pub quoted: bool,
}

impl Token {
    pub fn is(&self, word: &str) -> bool {
        self.lower == word
    }
    pub fn is_any(&self, words: &[&str]) -> bool {
        words.contains(&self.lower.as_str())
    }
    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == Tok::Punct && self.lower == p
    }
}

/// The tokenised article.
#[derive(Debug)]
pub struct Doc<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    /// Each sentence as a range of token indexes.
    pub sentences: Vec<Range<usize>>,
}

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "gen", "col", "lt", "maj", "capt", "sgt", "brig", "st", "no", "jan", "feb",
    "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "prof", "rep", "sen", "gov", "u.n", "u.s",
    "e.g", "i.e", "approx", "est", "vs", "jr", "sr", "mt",
];

/// Abbreviated titles, kept with their full stop.
const TITLE_ABBREVIATIONS: &[&str] = &[
    "dr", "mr", "mrs", "ms", "gen", "col", "lt", "maj", "capt", "sgt", "brig", "prof", "st", "gov", "sen",
    "rep",
];

impl<'a> Doc<'a> {
    pub fn new(text: &'a str) -> Self {
        let tokens = tokenize(text);
        let sentences = sentences(text, &tokens);
        Self { text, tokens, sentences }
    }

    /// The original text of tokens `range` (from the first's start to the last's end).
    pub fn slice(&self, range: Range<usize>) -> &'a str {
        &self.text[self.bytes(range)]
    }

    /// The byte range covered by tokens `range`.
    pub fn bytes(&self, range: Range<usize>) -> Range<usize> {
        if range.is_empty() {
            let at = self.tokens.get(range.start).map_or(self.text.len(), |t| t.span.start);
            return at..at;
        }
        self.tokens[range.start].span.start..self.tokens[range.end - 1].span.end
    }

    /// The sentence holding token `i`.
    pub fn sentence_of(&self, i: usize) -> Range<usize> {
        self.sentences.iter().find(|s| s.contains(&i)).cloned().unwrap_or(i..i + 1)
    }

    /// Whether the token's original spelling starts with a capital letter.
    pub fn capitalized(&self, i: usize) -> bool {
        self.text[self.tokens[i].span.clone()].chars().next().is_some_and(char::is_uppercase)
    }

    /// The token's original spelling.
    pub fn word(&self, i: usize) -> &'a str {
        &self.text[self.tokens[i].span.clone()]
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '«' | '»')
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        // A byte-order mark or a zero-width character is not text.
        if c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}') {
            i += 1;
            continue;
        }
        if is_word_char(c) {
            let mut j = i + 1;
            while j < chars.len() {
                let (_, d) = chars[j];
                let next_is_word = chars.get(j + 1).is_some_and(|&(_, n)| is_word_char(n));
                let joins = matches!(d, '-' | '\'' | '’' | '‘' | '‐' | '‑')
                    || (matches!(d, '.' | ',')
                        && chars[j - 1].1.is_ascii_digit()
                        && next_is_word
                        && chars[j + 1].1.is_ascii_digit());
                if is_word_char(d) || (joins && next_is_word) {
                    j += 1;
                } else {
                    break;
                }
            }
            // "Dr.", "Gen.": the full stop belongs to a title's abbreviation.
            let stem: String = chars[i..j].iter().map(|&(_, c)| c).collect::<String>().to_lowercase();
            if chars.get(j).is_some_and(|&(_, c)| c == '.') && TITLE_ABBREVIATIONS.contains(&stem.as_str()) {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            out.push(word(text, at..end));
            i = j;
            continue;
        }
        let end = chars.get(i + 1).map_or(text.len(), |&(b, _)| b);
        let kind = if is_quote(c) || matches!(c, '‘' | '’') { Tok::Quote } else { Tok::Punct };
        out.push(Token { kind, span: at..end, lower: c.to_string(), quoted: false });
        i += 1;
    }
    mark_quotes(text, &mut out);
    out
}

fn word(text: &str, span: Range<usize>) -> Token {
    let lower = text[span.clone()].to_lowercase().replace(['’', '‘'], "'").replace(['‐', '‑'], "-");
    let lower = lower.strip_suffix('.').map_or(lower.clone(), str::to_owned);
    Token { kind: Tok::Word, span, lower, quoted: false }
}

/// Marks the tokens inside quotations. `“`/`”` open and close; `"` toggles;
/// single marks count only as quotes when they open after a space and close
/// before one. A paragraph break closes whatever is open.
fn mark_quotes(text: &str, tokens: &mut [Token]) {
    let mut open: Option<char> = None;
    for i in 0..tokens.len() {
        if i > 0 && text[tokens[i - 1].span.end..tokens[i].span.start].contains("\n\n") {
            open = None;
        }
        if tokens[i].kind != Tok::Quote {
            tokens[i].quoted = open.is_some();
            continue;
        }
        let c = tokens[i].lower.chars().next().unwrap_or('"');
        open = match (open, c) {
            (None, '“' | '"' | '«') => Some(c),
            (None, '‘') => Some(c),
            (Some(_), '”' | '"' | '»') => None,
            (Some('‘'), '’') => None,
            (o, _) => o,
        };
        tokens[i].quoted = false;
    }
}

fn sentences(text: &str, tokens: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..tokens.len() {
        let end_here = is_sentence_end(text, tokens, i);
        if end_here {
            // Take trailing closing quotes with the sentence.
            let mut j = i + 1;
            while j < tokens.len() && tokens[j].kind == Tok::Quote && !gap(text, tokens, j) {
                j += 1;
            }
            if j > start {
                out.push(start..j);
            }
            start = j;
        }
    }
    if start < tokens.len() {
        out.push(start..tokens.len());
    }
    // Merge the pieces that a quote-internal stop would have split: a
    // sentence never starts inside a quotation.
    merge_quoted(tokens, out)
}

fn gap(text: &str, tokens: &[Token], j: usize) -> bool {
    j > 0
        && tokens[j - 1].span.end < tokens[j].span.start
        && !text[tokens[j - 1].span.end..tokens[j].span.start].is_empty()
}

fn is_sentence_end(text: &str, tokens: &[Token], i: usize) -> bool {
    let t = &tokens[i];
    if let Some(next) = tokens.get(i + 1) {
        if text[t.span.end..next.span.start].contains("\n\n")
            || (text[t.span.end..next.span.start].contains('\n') && t.kind == Tok::Punct)
        {
            return true;
        }
    }
    if t.kind != Tok::Punct || !matches!(t.lower.as_str(), "." | "!" | "?") {
        return false;
    }
    let prev_abbrev = i > 0 && tokens[i - 1].kind == Tok::Word && {
        let w = &tokens[i - 1].lower;
        ABBREVIATIONS.contains(&w.as_str()) || (w.chars().count() == 1 && w.chars().all(char::is_alphabetic))
    };
    if prev_abbrev {
        return false;
    }
    let mut j = i + 1;
    while j < tokens.len() && tokens[j].kind == Tok::Quote && !gap(text, tokens, j) {
        j += 1;
    }
    match tokens.get(j) {
        None => true,
        Some(n) => {
            let first = text[n.span.clone()].chars().next().unwrap_or(' ');
            gap(text, tokens, j) && (first.is_uppercase() || first.is_ascii_digit() || n.kind == Tok::Quote)
        }
    }
}

fn merge_quoted(tokens: &[Token], pieces: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for p in pieces {
        let starts_inside = tokens.get(p.start).is_some_and(|t| t.quoted);
        match out.last_mut() {
            Some(last) if starts_inside => last.end = p.end,
            _ => out.push(p),
        }
    }
    out
}

/// Converts byte offsets into character (Unicode scalar value) offsets.
#[derive(Debug)]
pub struct CharIndex {
    starts: Vec<usize>,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        Self { starts: text.char_indices().map(|(b, _)| b).collect() }
    }

    /// The character offset of byte offset `b` (a char boundary).
    pub fn of(&self, b: usize) -> usize {
        self.starts.partition_point(|&s| s < b)
    }

    /// `[start, end)` in characters.
    pub fn span(&self, bytes: &Range<usize>) -> [usize; 2] {
        [self.of(bytes.start), self.of(bytes.end)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(text: &str) -> Vec<String> {
        let d = Doc::new(text);
        d.sentences.iter().map(|s| d.slice(s.clone()).to_owned()).collect()
    }

    #[test]
    fn splits_sentences_but_not_quotes_or_abbreviations() {
        let s =
            sents("Dr. Haddad said 1,200 left. \"The road is shut. Nobody passes,\" he said. Mr Ali agreed.");
        assert_eq!(
            s,
            vec![
                "Dr. Haddad said 1,200 left.",
                "\"The road is shut. Nobody passes,\" he said.",
                "Mr Ali agreed.",
            ]
        );
    }

    #[test]
    fn words_keep_hyphens_and_numbers() {
        let d = Doc::new("al-Rukban's twenty-two 1,200.5 trucks.");
        let words: Vec<&str> = d.tokens.iter().map(|t| d.text.get(t.span.clone()).unwrap_or("")).collect();
        assert_eq!(words, vec!["al-Rukban's", "twenty-two", "1,200.5", "trucks", "."]);
    }

    #[test]
    fn char_offsets_count_scalars() {
        let text = "Ḑumayr is here";
        let ci = CharIndex::new(text);
        assert_eq!(ci.of(text.find("is").unwrap_or(0)), 7);
    }
}
