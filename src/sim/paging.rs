//! Lists answered page by page with `nextLink`, as ARM does: a `$skiptoken` in the link, the
//! caller's other query parameters kept.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::reply::{ArmFault, json};
use super::state::SimState;
use crate::arm::wire::Page;

/// The page of `items` that `query` asks for.
pub fn page<T: Serialize + Clone>(
    state: &SimState,
    path: &str,
    query: Option<&str>,
    items: &[T],
) -> Result<Response, ArmFault> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let token = params
        .iter()
        .find(|(k, _)| k == "$skiptoken")
        .map(|(_, v)| v.as_str());
    // A token is `o<offset>` for a page of items, `e<offset>` for the empty page before it.
    let (offset, empty) = match token {
        None => (0, false),
        Some(t) => {
            let (kind, n) = t.split_at(1.min(t.len()));
            let n: usize = n.parse().map_err(|_| {
                ArmFault::bad_request(
                    "InvalidSkipToken",
                    format!("The skip token '{t}' is not valid."),
                )
            })?;
            (n, kind == "e")
        }
    };
    let size = state.options.page_size.max(1);
    let link = |token: String| {
        let mut url = format!("{}{}?", state.base, path);
        let kept: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k != "$skiptoken")
            .cloned()
            .collect();
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            ser.append_pair(k, v);
        }
        ser.append_pair("$skiptoken", &token);
        url.push_str(&ser.finish());
        url
    };
    if empty {
        return Ok(json(
            StatusCode::OK,
            &Page::<T> {
                value: Vec::new(),
                next_link: Some(link(format!("o{offset}"))),
            },
        ));
    }
    let end = (offset + size).min(items.len());
    let value = items.get(offset..end).unwrap_or(&[]).to_vec();
    let next_link = if end < items.len() {
        let kind = if state.options.empty_pages { "e" } else { "o" };
        Some(link(format!("{kind}{end}")))
    } else if state.options.looping_next_link && offset > 0 {
        // The link that led here, again: a client that does not stop would loop for ever.
        Some(link(format!("o{offset}")))
    } else {
        None
    };
    Ok(json(StatusCode::OK, &Page { value, next_link }))
}
