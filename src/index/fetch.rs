//! Index documents over HTTP(S), with a cache on disk in front: a bounded
//! number of requests at once, timeouts, a size cap, and a network failure
//! that turns the rest of the scan's requests to that host to the cache
//! alone.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::discover::{read_bounded, write_atomically};

use super::cache::{
    Cache, CacheEntry, DIGEST_MAGIC, NOT_FOUND, NOT_FOUND_BODY, body_hash, now_seconds,
};

/// The largest index document read (numpy's PyPI page is about 2 MB, a
/// busy npm package's full document tens of MB).
pub const RESPONSE_CAP: u64 = 64 * 1024 * 1024;
/// Requests in flight at once.
const PARALLEL: usize = 8;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// All of a scan's requests, unless one request may take longer: an index
/// that answers each request just within its timeout (a registry a
/// project's `.npmrc` names can) could otherwise hold a scan of a thousand
/// npm packages (two documents each, 19 s each, 8 at a time) for 80 minutes.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a cached document answers without asking the network again.
const FRESH_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The request's error, with what to do when the system lacks CA
/// certificates (a scratch image, an empty root).
fn explain_request_error(err: &ureq::Error) -> String {
    let message = err.to_string();
    if message.contains("No CA certificates") {
        format!(
            "{message}: index lookups need CA certificates (/etc/ssl/certs/ca-certificates.crt or SSL_CERT_FILE), or pass --offline"
        )
    } else {
        message
    }
}

/// One document to get: where, in which media type, and what of it to keep.
pub struct Request {
    pub url: String,
    pub accept: &'static str,
    /// The part of the document muslcheck reads, as lines (`None`: not a
    /// document of this kind). Applied once, before caching: reading a
    /// cached document then costs what the scan uses of it, not what the
    /// index served (numpy's PyPI page is 1.9 MB, next's npm document 21 MB).
    pub compact: fn(&[u8]) -> Option<Vec<u8>>,
}

/// One URL's outcome.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The document's compacted bytes (lines, as the request's `compact` keeps them).
    Document(Vec<u8>),
    /// The index does not have it (404, 410): a private or misspelt package.
    NotFound,
    /// Neither the network nor the cache had it.
    Failed,
}

/// Why a document could not be had, most telling first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Failure {
    /// The network itself (connect, DNS, timeout, 5xx): later requests to
    /// that host stop.
    Network,
    /// The index's answer (a status, too large, not the JSON asked for).
    Answer,
    /// Offline, or after the network to its host failed: the cache does
    /// not have it.
    NotCached,
}

/// The HTTP client, the cache and what they did.
pub struct Fetcher {
    /// The HTTP client, made when the first request goes out (a scan the
    /// cache answers makes none).
    agent: OnceLock<ureq::Agent>,
    timeout: Duration,
    /// All requests: given, and when it ends.
    total: Duration,
    deadline: Instant,
    cache: Cache,
    /// Requests may still go out: not offline, and not past the total.
    online: AtomicBool,
    /// The origins (`scheme://host:port`) whose network failed: no request
    /// goes to them again, though others are still asked (a user's registry
    /// that refuses says nothing about PyPI).
    down: Mutex<HashSet<String>>,
    /// Why lookups failed: the network's own failure first, then the
    /// smallest URL's (parallel requests fail in any order; the summary
    /// names the same one every run).
    reason: Mutex<Option<(Failure, String, String)>>,
    degraded: AtomicBool,
    pub fetched: AtomicUsize,
    pub from_cache: AtomicUsize,
    pub failed: AtomicUsize,
    /// The URLs fetched from the network in this run.
    fetched_now: Mutex<HashSet<String>>,
}

impl Fetcher {
    /// `online: false` asks the cache only (any age); `(timeout, total)`:
    /// one request's, and all of them from now.
    pub fn new(
        online: bool,
        cache_dir: Option<PathBuf>,
        (timeout, total): (Duration, Duration),
    ) -> Fetcher {
        let now = Instant::now();
        Fetcher {
            agent: OnceLock::new(),
            timeout,
            total,
            deadline: now.checked_add(total).unwrap_or(now),
            cache: Cache { dir: cache_dir },
            online: AtomicBool::new(online),
            down: Mutex::new(HashSet::new()),
            reason: Mutex::new(None),
            degraded: AtomicBool::new(false),
            fetched: AtomicUsize::new(0),
            from_cache: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            fetched_now: Mutex::new(HashSet::new()),
        }
    }

    fn agent(&self) -> &ureq::Agent {
        self.agent.get_or_init(|| {
            let config = ureq::Agent::config_builder()
                .timeout_connect(Some(CONNECT_TIMEOUT))
                .timeout_global(Some(self.timeout))
                .http_status_as_error(false)
                .user_agent(concat!("muslcheck/", env!("CARGO_PKG_VERSION")))
                // The system's trust store: a company's proxy or mirror
                // certificate is trusted where pip and npm trust it.
                .tls_config(
                    ureq::tls::TlsConfig::builder()
                        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                        .build(),
                )
                .build();
            // A static glibc build must not reach getaddrinfo (see `dns`).
            if cfg!(target_feature = "crt-static") {
                ureq::Agent::with_parts(
                    config,
                    ureq::unversioned::transport::DefaultConnector::default(),
                    super::dns::StaticResolver,
                )
            } else {
                ureq::Agent::new_with_config(config)
            }
        })
    }

    /// Whether the network failed during the scan (to any host).
    pub fn degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Whether a request for `url` may go out: online, and its host's
    /// network has not failed.
    fn may_ask(&self, url: &str) -> bool {
        self.online.load(Ordering::Relaxed)
            && self
                .down
                .lock()
                .is_ok_and(|down| !down.contains(origin(url)))
    }

    /// Why lookups failed, if any did: the network's own failure, else the
    /// failure of the smallest URL.
    pub fn reason(&self) -> Option<String> {
        let reason = self.reason.lock().ok()?;
        reason.as_ref().map(|(_, _, reason)| reason.clone())
    }

    fn note(&self, failure: Failure, url: &str, reason: String) {
        if let Ok(mut kept) = self.reason.lock() {
            let noted = (failure, url.to_string(), reason);
            if kept
                .as_ref()
                .is_none_or(|kept| (noted.0, &noted.1) < (kept.0, &kept.1))
            {
                *kept = Some(noted);
            }
        }
    }

    /// Every request, results by URL: what the cache answers first (no
    /// thread is started for it), the rest from the network, at most
    /// [`PARALLEL`] at once.
    pub fn get_all(&self, requests: &[Request]) -> HashMap<String, Fetched> {
        // The cache is read on this thread: the lookup runs beside the
        // judging, which holds rayon's threads, and reads queued behind it
        // waited (the native-heavy tree's first round: 3.5 ms, not 2).
        let cached: Vec<(&Request, Result<Fetched, Option<CacheEntry>>)> = requests
            .iter()
            .map(|request| (request, self.cached(request)))
            .collect();
        let mut results = HashMap::new();
        let mut to_fetch: Vec<(&Request, Option<CacheEntry>)> = Vec::new();
        for (request, cached) in cached {
            match cached {
                Ok(fetched) => {
                    results.insert(request.url.clone(), fetched);
                }
                Err(stale) => to_fetch.push((request, stale)),
            }
        }
        self.fetch_each(results, &to_fetch)
    }

    /// The documents of `requests` from the network again, though the cache
    /// still counts them fresh: a cached page that lacks the version a
    /// project installs or pins was written before that release. Only those
    /// not fetched in this run, and only online; the cached document stays
    /// the answer when the network fails.
    pub fn refresh(&self, requests: &[Request]) -> HashMap<String, Fetched> {
        if !self.online.load(Ordering::Relaxed) {
            return HashMap::new();
        }
        let to_fetch: Vec<(&Request, Option<CacheEntry>)> = {
            let Ok(fetched_now) = self.fetched_now.lock() else {
                return HashMap::new();
            };
            requests
                .iter()
                .filter(|request| !fetched_now.contains(&request.url) && self.may_ask(&request.url))
                .map(|request| (request, self.cache.read(request)))
                .collect()
        };
        // Counted once: as fetched now (or read from the cache again on a
        // failure), not also as read from the cache before.
        let _ = self
            .from_cache
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |read| {
                Some(read.saturating_sub(to_fetch.len()))
            });
        self.fetch_each(HashMap::new(), &to_fetch)
    }

    /// `results`, with each of `to_fetch` fetched (a few at a time).
    fn fetch_each(
        &self,
        results: HashMap<String, Fetched>,
        to_fetch: &[(&Request, Option<CacheEntry>)],
    ) -> HashMap<String, Fetched> {
        let next = AtomicUsize::new(0);
        let results = Mutex::new(results);
        std::thread::scope(|scope| {
            for _ in 0..PARALLEL.min(to_fetch.len()) {
                scope.spawn(|| {
                    while let Some((request, stale)) =
                        to_fetch.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let fetched = self.fetch(request, stale.as_ref());
                        if let Ok(mut results) = results.lock() {
                            results.insert(request.url.clone(), fetched);
                        }
                    }
                });
            }
        });
        results.into_inner().unwrap_or_default()
    }

    /// What [`Fetcher::keep_digest`] kept under `key` for `request`'s
    /// document, when this fetcher would answer with the cached document it
    /// was made from (fresh, or the network is not asked): its header is read,
    /// not the document. `None` when there is no such digest, the document
    /// changed since, or it would be fetched again.
    pub fn cached_digest(&self, request: &Request, key: &str) -> Option<Vec<u8>> {
        let dir = self.cache.dir.as_deref()?;
        let (age, hash) = self.cache.header(request)?;
        if age >= FRESH_FOR && self.may_ask(&request.url) {
            return None;
        }
        let path = Cache::digest_path(dir, &request.url, key);
        let mut bytes = read_bounded(&path, RESPONSE_CAP).ok()?;
        let mut parts = bytes.splitn(4, |&b| b == b'\n');
        if parts.next()? != DIGEST_MAGIC.as_bytes() || parts.next()? != hash.as_slice() {
            return None;
        }
        // A digest cut short (even at a line's end) is a miss, never a smaller answer.
        let own_hash = parts.next()?;
        let digest = parts.next()?;
        if own_hash != body_hash(digest).as_bytes() {
            return None;
        }
        let header = bytes.len() - digest.len();
        bytes.drain(..header);
        Some(bytes)
    }

    /// Keeps `digest`, made from `document` (the fetched or cached body of
    /// `request`), under `key`. Best effort, as the cache is.
    pub fn keep_digest(&self, request: &Request, key: &str, document: &[u8], digest: &[u8]) {
        let Some(dir) = self.cache.dir.as_deref() else {
            return;
        };
        let mut bytes = format!(
            "{DIGEST_MAGIC}\n{}\n{}\n",
            body_hash(document),
            body_hash(digest)
        )
        .into_bytes();
        bytes.extend_from_slice(digest);
        let _ = write_atomically(&Cache::digest_path(dir, &request.url, key), &bytes);
    }

    /// One document: the cache when fresh, else the network, else the cache
    /// whatever its age.
    #[cfg(test)]
    fn get(&self, request: &Request) -> Fetched {
        match self.cached(request) {
            Ok(fetched) => fetched,
            Err(stale) => self.fetch(request, stale.as_ref()),
        }
    }

    /// The cache's document when it is fresh (or the network is not asked);
    /// else `Err` with the stale entry, if any.
    fn cached(&self, request: &Request) -> Result<Fetched, Option<CacheEntry>> {
        match self.cache.read(request) {
            Some(entry) if entry.age < FRESH_FOR || !self.may_ask(&request.url) => {
                self.from_cache.fetch_add(1, Ordering::Relaxed);
                Ok(entry.fetched())
            }
            stale_or_none => Err(stale_or_none),
        }
    }

    /// The network's document, else the stale one `cached`, else a failure.
    fn fetch(&self, request: &Request, cached: Option<&CacheEntry>) -> Fetched {
        let url = request.url.as_str();
        let from_network = if self.may_ask(url) {
            self.request(self.agent(), request)
        } else {
            Err(None)
        };
        match from_network {
            Ok(fetched) => {
                self.fetched.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut fetched_now) = self.fetched_now.lock() {
                    fetched_now.insert(url.to_string());
                }
                fetched
            }
            Err(_) if cached.is_some() => {
                self.from_cache.fetch_add(1, Ordering::Relaxed);
                cached.map_or(Fetched::Failed, CacheEntry::fetched_copy)
            }
            Err(reason) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let (failure, reason) = match reason {
                    Some(reason) => (Failure::Answer, reason),
                    None => (
                        Failure::NotCached,
                        format!("not in the cache: {}", shown_url(url)),
                    ),
                };
                self.note(failure, url, reason);
                Fetched::Failed
            }
        }
    }

    /// `Err(Some(reason))` when the request failed; a failure of the network
    /// itself (connect, DNS, timeout, 5xx) stops further requests to its
    /// host; the scan's total running out stops all of them.
    fn request(&self, agent: &ureq::Agent, request: &Request) -> Result<Fetched, Option<String>> {
        let Request {
            url,
            accept,
            compact,
        } = request;
        let shown = shown_url(url);
        let degrade = |why: String| {
            let reason = format!("{shown}: {why}");
            if let Ok(mut down) = self.down.lock() {
                down.insert(origin(url).to_string());
            }
            self.degraded.store(true, Ordering::Relaxed);
            self.note(Failure::Network, url, reason.clone());
            Some(reason)
        };
        // A request started before the deadline ends by it.
        let past_total = || {
            format!(
                "the lookups took {} s in all, the most a scan gives them; the rest were not asked",
                self.total.as_secs()
            )
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        let stop_all = |reason: Option<String>| {
            self.online.store(false, Ordering::Relaxed);
            reason
        };
        if left.is_zero() {
            return Err(stop_all(degrade(past_total())));
        }
        let call = agent
            .get(url)
            .config()
            .timeout_global(Some(self.timeout.min(left)))
            .build()
            .header("Accept", *accept)
            .call();
        let mut response = match call {
            Ok(response) => response,
            Err(_) if left < self.timeout && Instant::now() >= self.deadline => {
                return Err(stop_all(degrade(past_total())));
            }
            Err(err) => return Err(degrade(explain_request_error(&err))),
        };
        let status = response.status().as_u16();
        match status {
            200 => {}
            404 | 410 => {
                // Said once a day, not on every scan: a lockfile's private
                // packages (or a crafted one's thousand names) are not
                // asked about again and again.
                self.cache
                    .write_at(url, NOT_FOUND_BODY, now_seconds(), NOT_FOUND);
                return Ok(Fetched::NotFound);
            }
            500..=599 => return Err(degrade(format!("HTTP {status}"))),
            _ => {
                let reason = format!("{shown}: HTTP {status}");
                self.note(Failure::Answer, url, reason.clone());
                return Err(Some(reason));
            }
        }
        let body = match response
            .body_mut()
            .with_config()
            .limit(RESPONSE_CAP)
            .read_to_vec()
        {
            Ok(body) => body,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                let reason = format!("{shown}: larger than {RESPONSE_CAP} bytes");
                self.note(Failure::Answer, url, reason.clone());
                return Err(Some(reason));
            }
            Err(_) if left < self.timeout && Instant::now() >= self.deadline => {
                return Err(stop_all(degrade(past_total())));
            }
            Err(err) => return Err(degrade(err.to_string())),
        };
        let Some(body) = compact(&body) else {
            let reason = format!(
                "{shown}: the answer is not JSON of the kind asked for, or holds more than muslcheck keeps of one document"
            );
            self.note(Failure::Answer, url, reason.clone());
            return Err(Some(reason));
        };
        self.cache.write(url, &body);
        Ok(Fetched::Document(body))
    }
}

/// Where `url`'s authority (`user@host:port`) starts and ends, when it
/// has a scheme.
fn authority(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let rest = url.get(start..)?;
    Some((
        start,
        start + rest.find(['/', '?', '#']).unwrap_or(rest.len()),
    ))
}

/// `url`'s `scheme://authority`, the unit the network fails by; the whole
/// URL when it has no scheme.
fn origin(url: &str) -> &str {
    authority(url)
        .and_then(|(_, end)| url.get(..end))
        .unwrap_or(url)
}

/// A URL as it may be shown: without a user or password.
pub fn shown_url(url: &str) -> String {
    let parts = authority(url)
        .and_then(|(start, end)| Some((url.get(..start)?, url.get(start..end)?, url.get(end..)?)));
    match parts
        .and_then(|(scheme, authority, path)| Some((scheme, authority.rsplit_once('@')?.1, path)))
    {
        Some((scheme, host, path)) => format!("{scheme}{host}{path}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_drop_credentials() {
        assert_eq!(
            shown_url("https://user:secret@pypi.example/simple/numpy/"),
            "https://pypi.example/simple/numpy/"
        );
        assert_eq!(
            shown_url("https://pypi.org/simple/"),
            "https://pypi.org/simple/"
        );
        // The authority ends at a query too: an `@` after it is not a user's.
        assert_eq!(
            shown_url("https://token@registry.example?a=b@c"),
            "https://registry.example?a=b@c"
        );
    }

    #[test]
    fn the_failure_named_is_the_same_whichever_request_fails_first() {
        let empty_cache = tempfile::tempdir().unwrap();
        let fetcher = Fetcher::new(
            false,
            Some(empty_cache.path().to_path_buf()),
            (Duration::from_secs(1), Duration::from_secs(1)),
        );
        let request = |name: &str| Request {
            url: format!("https://pypi.org/simple/{name}/"),
            accept: super::super::pypi::ACCEPT,
            compact: super::super::pypi::compact,
        };
        // Failed in this order, one by one: the summary still names `aiohttp`.
        for name in ["numpy", "cffi", "aiohttp", "zstd"] {
            assert!(matches!(fetcher.get(&request(name)), Fetched::Failed));
        }
        assert_eq!(
            fetcher.reason().as_deref(),
            Some("not in the cache: https://pypi.org/simple/aiohttp/")
        );
        // The network's own failure outranks a document the cache lacks.
        fetcher.note(
            Failure::Network,
            "https://pypi.org/simple/zstd/",
            "timed out".into(),
        );
        assert_eq!(fetcher.reason().as_deref(), Some("timed out"));
    }

    #[test]
    fn a_host_whose_network_failed_is_not_asked_again_but_other_hosts_are() {
        // A port nothing listens on: connection refused.
        let refusing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let refusing_port = refusing.local_addr().unwrap().port();
        drop(refusing);
        // A host that accepts and hangs up: each connection counted.
        let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listening_port = listening.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::spawn(move || {
            for stream in listening.incoming() {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        let empty_cache = tempfile::tempdir().unwrap();
        let fetcher = Fetcher::new(
            true,
            Some(empty_cache.path().to_path_buf()),
            (Duration::from_secs(5), Duration::from_secs(30)),
        );
        let request = |port: u16, name: &str| Request {
            url: format!("http://127.0.0.1:{port}/simple/{name}/"),
            accept: super::super::pypi::ACCEPT,
            compact: super::super::pypi::compact,
        };
        assert!(matches!(
            fetcher.get(&request(refusing_port, "numpy")),
            Fetched::Failed
        ));
        assert!(fetcher.degraded());
        assert!(matches!(
            fetcher.get(&request(listening_port, "numpy")),
            Fetched::Failed
        ));
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "the other host asked");
        // Its network failed too (hung up): neither host is asked again.
        fetcher.get(&request(listening_port, "cffi"));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert!(!fetcher.may_ask(&request(refusing_port, "cffi").url));
        assert_eq!(fetcher.failed.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn origins_are_scheme_and_authority() {
        assert_eq!(
            origin("https://user:pw@pypi.org:443/simple/numpy/"),
            "https://user:pw@pypi.org:443"
        );
        assert_eq!(origin("http://127.0.0.1:1"), "http://127.0.0.1:1");
        assert_eq!(origin("http://host?x=/y"), "http://host");
        assert_eq!(origin("no scheme/x"), "no scheme/x");
    }
}
