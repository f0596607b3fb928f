//! The gateway's cookies (`docs/bkn-api.md`, "Network"): BKN's load balancer sets cookies that
//! the calls after must carry to reach the same node. They are kept per host, sent with every
//! later request to that host (after the cookies configured in `BKN_COOKIES`), and dropped
//! together with the tokens on a token error, as public clients do.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use reqwest::header::{HeaderMap, SET_COOKIE};

#[derive(Default)]
pub struct CookieJar {
    by_host: Mutex<HashMap<String, BTreeMap<String, String>>>,
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_default()
}

impl CookieJar {
    /// Keeps the cookies an answer from `url` set (a `Max-Age=0` or empty value removes one).
    pub fn keep(&self, url: &str, headers: &HeaderMap) {
        let set: Vec<(String, Option<String>)> = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(parse_set_cookie)
            .collect();
        if set.is_empty() {
            return;
        }
        let Ok(mut jar) = self.by_host.lock() else {
            return;
        };
        let cookies = jar.entry(host_of(url)).or_default();
        for (name, value) in set {
            match value {
                Some(v) => cookies.insert(name, v),
                None => cookies.remove(&name),
            };
        }
    }

    /// The `Cookie` header for a request to `url`: the configured cookies, then the kept ones.
    pub fn header_for(&self, url: &str, configured: Option<&str>) -> Option<String> {
        let kept = self
            .by_host
            .lock()
            .ok()
            .and_then(|jar| jar.get(&host_of(url)).cloned())
            .unwrap_or_default();
        let mut parts: Vec<String> = configured
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .into_iter()
            .collect();
        parts.extend(kept.iter().map(|(k, v)| format!("{k}={v}")));
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Drops every kept cookie (a token error: the session at the gateway starts afresh).
    pub fn clear(&self) {
        if let Ok(mut jar) = self.by_host.lock() {
            jar.clear();
        }
    }
}

/// `name=value; Path=/; …` → the name, and the value unless the cookie is being removed.
fn parse_set_cookie(header: &str) -> Option<(String, Option<String>)> {
    let mut attrs = header.split(';');
    let (name, value) = attrs.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let expired = attrs.any(|a| {
        let a = a.trim().to_ascii_lowercase();
        a == "max-age=0" || a.starts_with("max-age=-")
    });
    let value = value.trim().trim_matches('"');
    Some((
        name.to_string(),
        (!expired && !value.is_empty()).then(|| value.to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn set(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn cookies_are_kept_per_host_and_sent_after_the_configured_ones() {
        let jar = CookieJar::default();
        jar.keep(
            "https://apimws.bkn.go.id:8243/apisiasn/1.0/pns/data-utama/1",
            &set(&["BIGipServer=node-3; Path=/; HttpOnly", "lb=a"]),
        );
        let api = "https://apimws.bkn.go.id:8243/apisiasn/1.0/skp22/save";
        assert_eq!(
            jar.header_for(api, Some("fixed=1")).as_deref(),
            Some("fixed=1; BIGipServer=node-3; lb=a")
        );
        assert_eq!(
            jar.header_for("https://sso-siasn.bkn.go.id/token", None),
            None
        );
        jar.keep(api, &set(&["lb=; Max-Age=0"]));
        assert_eq!(
            jar.header_for(api, None).as_deref(),
            Some("BIGipServer=node-3")
        );
        jar.clear();
        assert_eq!(jar.header_for(api, None), None);
    }
}
