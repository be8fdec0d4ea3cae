//! Human formatting, for the command line and the console alike: ages, ordinals, and the
//! nearest known word for a typo ("did you mean").

use time::OffsetDateTime;

/// How long ago `then` was, in the largest unit that reads well: `45m`, `30h`, `12d`.
pub fn age(then: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    let Some(then) = then else { return "?".into() };
    let secs = (now - then).whole_seconds().max(0);
    match secs {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A span of time as a person writes it: `45s`, `90m` → `1h30m`, `3h`.
pub fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}h{}m", s / 3600, (s % 3600) / 60),
    }
}

/// RFC 3339 text of a timestamp.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `1 image`, `2 images`: a count with its noun (regular plurals only).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1st`, `2nd`, `3rd`, `11th`, `22nd`.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    closest(word, candidates, false)
}

/// The candidate a reference like `publisher/offer/sku` most likely meant: one that starts
/// with what was typed (a sku cut short, `2022-datacenter` for
/// `2022-datacenter-azure-edition`), else the nearest by edits.
pub fn nearest_reference<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
        .min_by_key(|c| c.len())
        .copied()
        .or_else(|| nearest(word, candidates))
}

/// Like `nearest`, but a shortened key (`params` for `parameters`) also counts: people
/// abbreviate keys, not values.
pub fn nearest_key<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    closest(word, candidates, true)
}

fn closest<'a>(word: &str, candidates: &[&'a str], abbreviations: bool) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| {
            *d <= (c.len().max(word.len()) / 3).max(2)
                || (abbreviations && common_prefix(&word, &c.to_ascii_lowercase()) >= 4)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_largest_readable_unit() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000_000).unwrap();
        let ago = |s: i64| age(Some(now - time::Duration::seconds(s)), now);
        assert_eq!(ago(90), "1m");
        assert_eq!(ago(5 * 3600), "5h");
        assert_eq!(ago(47 * 3600), "47h");
        assert_eq!(ago(12 * 86_400), "12d");
        assert_eq!(age(None, now), "?");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(0, "image"), "0 images");
        assert_eq!(count(1, "image"), "1 image");
        assert_eq!(count(2, "lab"), "2 labs");
    }

    #[test]
    fn ordinals_read_as_english() {
        let words: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111]
            .iter()
            .map(|n| ordinal(*n))
            .collect();
        assert_eq!(
            words,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th"
            ]
        );
    }

    #[test]
    fn nearest_finds_typos_but_not_strangers() {
        assert_eq!(
            nearest("parallelsm", &["parallelism", "vm_size"]),
            Some("parallelism")
        );
        assert_eq!(nearest("colour", &["parallelism", "vm_size"]), None);
        assert_eq!(
            nearest_key("params", &["parameters", "name"]),
            Some("parameters")
        );
        assert_eq!(nearest("params", &["parameters", "name"]), None);
    }
}
