//! `allowed_outbound_hosts` as Spin applies it to PostgreSQL and Redis: an
//! address is allowed when some entry matches its scheme, host and port (a
//! missing port means the scheme's well-known one; `*` matches anything).

use url::Url;

pub struct AllowedHosts(Vec<Entry>);

struct Entry {
    scheme: String,
    host: String,
    port: Option<u16>, // None = any port
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "redis" => Some(6379),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHosts {
    pub fn parse(entries: &[String]) -> anyhow::Result<AllowedHosts> {
        let mut out = Vec::new();
        for entry in entries {
            let (scheme, rest) = entry
                .split_once("://")
                .ok_or_else(|| anyhow::anyhow!("{entry:?} has no scheme"))?;
            let rest = rest.trim_end_matches('/');
            anyhow::ensure!(
                !rest.contains('/'),
                "{entry:?} has a path but is not allowed to"
            );
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, "*")) => (h, None),
                Some((h, p)) => (h, Some(p.parse::<u16>()?)),
                None => (rest, well_known_port(scheme)),
            };
            out.push(Entry {
                scheme: scheme.to_string(),
                host: host.to_string(),
                port,
            });
        }
        Ok(AllowedHosts(out))
    }

    /// Whether `address` (a connection URL such as `postgres://u:p@host:5432/db`)
    /// may be opened.
    pub fn allows(&self, address: &str, scheme: &str) -> bool {
        let Ok(url) = Url::parse(address) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        let port = url.port().or_else(|| well_known_port(scheme));
        self.0.iter().any(|e| {
            (e.scheme == "*" || e.scheme == url.scheme())
                && (e.host == "*" || e.host == host)
                && (e.port.is_none() || e.port == port)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scheme_host_and_port() {
        let allowed = AllowedHosts::parse(&["postgres://127.0.0.1:5433".into()]).unwrap();
        assert!(allowed.allows("postgres://u:p@127.0.0.1:5433/db", "postgres"));
        assert!(!allowed.allows("postgres://u:p@127.0.0.1:5432/db", "postgres"));
        assert!(!allowed.allows("redis://127.0.0.1:5433", "redis"));
        assert!(AllowedHosts::parse(&["postgres://h:1/db".into()]).is_err());
    }
}
