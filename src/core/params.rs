//! Query strings, parsed once per request with errors that name the parameter.

use crate::core::error::{EngineResult, bad_request};

#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> EngineResult<Self> {
        let pairs = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| bad_request(format!("malformed query string: {e}")))?;
        Ok(QueryParams { pairs })
    }

    /// The parameter's value (the first, if repeated).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a repeated parameter (`regionIn=us&regionIn=eu`), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The parameter's value, treating an empty one as absent.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A typed parameter (number, flag, time, id, enum). Given empty
    /// (`pageSize=`), it is invalid, not absent.
    pub fn parse_with<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &str,
    ) -> EngineResult<Option<T>> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => parse(raw)
                .map(Some)
                .ok_or_else(|| bad_request(format!("{name} must be {expected}, got {raw:?}"))),
        }
    }

    /// The query string again, with `name` set to `value` (replacing any).
    pub fn with(&self, name: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(key, _)| key != name)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.push((name, value));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_one_parameter_and_keeps_the_rest() {
        let params = QueryParams::parse(Some("region=us&name=a%20b&pageCursor=old")).unwrap();
        assert_eq!(params.get("name"), Some("a b"));
        assert_eq!(
            params.with("pageCursor", "new"),
            "region=us&name=a+b&pageCursor=new"
        );
        let err = params.parse_with("name", |v| v.parse::<u32>().ok(), "a number");
        assert!(err.unwrap_err().message().contains("name must be a number"));
        let empty = QueryParams::parse(Some("pageSize=")).unwrap();
        assert_eq!(empty.non_empty("pageSize"), None);
        let err = empty.parse_with("pageSize", |v| v.parse::<u32>().ok(), "a number");
        assert!(err.unwrap_err().message().contains("got \"\""));
        let absent = empty.parse_with("other", |v| v.parse::<u32>().ok(), "a number");
        assert_eq!(absent.unwrap(), None);
    }
}
