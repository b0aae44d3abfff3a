//! What every Datadog handler does first: who is calling (`DD-API-KEY` and
//! `DD-APPLICATION-KEY`), and the query's time and flag parameters in the
//! formats the docs and the official clients use.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

use super::errors::DatadogError;
use crate::core::cursor::Cursor;
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::vendors::datadog::model::DatadogCaller;

pub const API_KEY_HEADER: &str = "dd-api-key";
pub const APPLICATION_KEY_HEADER: &str = "dd-application-key";

/// The authenticated caller of a Datadog endpoint.
impl FromRequestParts<Arc<Store>> for DatadogCaller {
    type Rejection = DatadogError;

    async fn from_request_parts(
        parts: &mut Parts,
        store: &Arc<Store>,
    ) -> Result<Self, DatadogError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        Ok(store
            .read()
            .authenticate_datadog(header(API_KEY_HEADER), header(APPLICATION_KEY_HEADER))?)
    }
}

/// A query string as an endpoint wants it, parsed with Datadog's rules.
pub trait FromParams: Sized {
    fn from_params(params: &Params) -> Result<Self, DatadogError>;
}

/// The request's query parsed as `Q` (after the caller is authenticated:
/// put it after [`DatadogCaller`] in the handler's arguments).
pub struct Query<Q>(pub Q);

impl<Q: FromParams + Send> FromRequestParts<Arc<Store>> for Query<Q> {
    type Rejection = DatadogError;

    async fn from_request_parts(
        parts: &mut Parts,
        _store: &Arc<Store>,
    ) -> Result<Self, DatadogError> {
        let params = Params::parse(parts.uri.query())?;
        Ok(Query(Q::from_params(&params)?))
    }
}

/// Query parameters with Datadog's parsing rules.
#[derive(Debug)]
pub struct Params(pub QueryParams);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Self, DatadogError> {
        Ok(Params(QueryParams::parse(raw)?))
    }

    /// The value, an empty one counting as absent (free-text parameters).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.non_empty(name)
    }

    /// The raw value, even an empty one: a time, a flag, a number or an
    /// enum given as `name=` is invalid, not absent.
    pub fn given(&self, name: &str) -> Option<&str> {
        self.0.get(name)
    }

    pub fn required(&self, name: &str) -> Result<&str, DatadogError> {
        self.get(name)
            .ok_or_else(|| DatadogError::bad_request(format!("Missing required parameter: {name}")))
    }

    /// An hour: `YYYY-MM-DDThh` as documented, or any longer ISO-8601
    /// timestamp (the official clients send `2024-05-01T10:00:00+00:00`),
    /// truncated to the hour.
    pub fn hour(&self, name: &str) -> Result<Option<DateTime<Utc>>, DatadogError> {
        self.given(name)
            .map(|raw| {
                parse_instant(raw)
                    .map(truncate_to_hour)
                    .ok_or_else(|| invalid(name, raw, "an hour as YYYY-MM-DDThh"))
            })
            .transpose()
    }

    /// A day: `YYYY-MM-DD`, or a timestamp on that day.
    pub fn day(&self, name: &str) -> Result<Option<NaiveDate>, DatadogError> {
        self.given(name)
            .map(|raw| {
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .ok()
                    .or_else(|| parse_instant(raw).map(|t| t.date_naive()))
                    .ok_or_else(|| invalid(name, raw, "a day as YYYY-MM-DD"))
            })
            .transpose()
    }

    /// A month: `YYYY-MM`, or a date or timestamp in that month; the first
    /// day of the month.
    pub fn month(&self, name: &str) -> Result<Option<NaiveDate>, DatadogError> {
        self.given(name)
            .map(|raw| {
                NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
                    .ok()
                    .or_else(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
                    .or_else(|| parse_instant(raw).map(|t| t.date_naive()))
                    .and_then(|d| d.with_day(1))
                    .ok_or_else(|| invalid(name, raw, "a month as YYYY-MM"))
            })
            .transpose()
    }

    pub fn flag(&self, name: &str) -> Result<Option<bool>, DatadogError> {
        self.given(name)
            .map(|raw| match raw {
                "true" | "True" | "TRUE" => Ok(true),
                "false" | "False" | "FALSE" => Ok(false),
                _ => Err(invalid(name, raw, "true or false")),
            })
            .transpose()
    }

    /// A page cursor (`next_record_id`, `page[next_record_id]`): absent or
    /// empty is the first page; the literal `null` (what a client sends back
    /// when it echoes the last page's `null`) is past the last page, an
    /// empty page as Datadog answers it.
    pub fn cursor(&self, name: &str) -> Result<Cursor, DatadogError> {
        match self.get(name) {
            None => Ok(Cursor::first_page()),
            Some("null") => Ok(Cursor::past_the_end()),
            Some(raw) => Ok(Cursor::decode(raw, name)?),
        }
    }

    /// A comma-separated list, without empty items.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_string)
                .collect()
        })
    }
}

fn invalid(name: &str, raw: &str, expected: &str) -> DatadogError {
    DatadogError::bad_request(format!(
        "Invalid parameter {name}: expected {expected}, got {raw:?}"
    ))
}

pub fn truncate_to_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// `YYYY-MM-DDThh[:mm[:ss[.fff]]][Z|±hh:mm]`; no zone means UTC.
fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.to_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(raw, format) {
            return Some(t.to_utc());
        }
    }
    let bare = raw.strip_suffix('Z').unwrap_or(raw);
    for format in [
        "%Y-%m-%dT%H",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        let parsed = if format == "%Y-%m-%dT%H" {
            // chrono needs minutes to build a time.
            NaiveDateTime::parse_from_str(&format!("{bare}:00"), "%Y-%m-%dT%H:%M").ok()
        } else {
            NaiveDateTime::parse_from_str(bare, format).ok()
        };
        if let Some(naive) = parsed {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Params {
        Params::parse(Some(query)).unwrap()
    }

    #[test]
    fn hours_in_every_format_the_docs_and_clients_use() {
        let p = params(
            "a=2024-05-01T10&b=2024-05-01T10:37:12.5%2B00:00&c=2024-05-01T10:59:00Z&d=2024-05-01T12:30%2B02:00",
        );
        let ten: DateTime<Utc> = "2024-05-01T10:00:00Z".parse().unwrap();
        for name in ["a", "b", "c", "d"] {
            assert_eq!(p.hour(name).unwrap(), Some(ten), "{name}");
        }
        assert!(params("x=2024-13-01T10").hour("x").is_err());
        assert!(params("x=yesterday").hour("x").is_err());
    }

    #[test]
    fn months_and_days() {
        let p = params("m=2024-05&n=2024-05-17&o=2024-05-17T03:00:00%2B00:00");
        let may = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        assert_eq!(p.month("m").unwrap(), Some(may));
        assert_eq!(p.month("n").unwrap(), Some(may));
        assert_eq!(p.month("o").unwrap(), Some(may));
        assert_eq!(p.day("o").unwrap(), NaiveDate::from_ymd_opt(2024, 5, 17));
        assert!(params("m=2024-5x").month("m").is_err());
    }
}
