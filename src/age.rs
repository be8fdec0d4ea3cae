//! Times as people read them, for the command line and the console alike.

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

/// RFC 3339 text of a timestamp.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
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
}
