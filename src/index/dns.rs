//! Host names resolved without the C library, for the static binary.
//!
//! A statically linked glibc program still loads NSS modules at run time when
//! `/etc/nsswitch.conf` names one (`mdns4_minimal`, `resolve`, `myhostname`):
//! the host's module, built against another glibc, aborts the process
//! (`_dl_call_libc_early_init: Assertion failed`). So the static build asks
//! the name servers of `/etc/resolv.conf` itself (A and AAAA over UDP, after
//! `/etc/hosts`), as musl's resolver does; dynamic builds use getaddrinfo.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::discover::read_text_file;

/// `/etc/resolv.conf` and `/etc/hosts` are small; anything larger is not one.
const SYSTEM_FILE_CAP: u64 = 1024 * 1024;
/// How long one name server gets for one question (glibc's and musl's default).
const PER_SERVER: Duration = Duration::from_secs(5);
/// How long a question waits for its answer before it is sent again.
const RESEND_AFTER: Duration = Duration::from_secs(1);
/// A UDP answer is at most this long without EDNS.
const UDP_ANSWER_CAP: usize = 512;
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

/// Resolves with `/etc/hosts` and the name servers of `/etc/resolv.conf`.
#[derive(Debug, Default)]
pub struct StaticResolver;

impl Resolver for StaticResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(host), Some(port)) = (
            uri.host(),
            uri.port_u16().or(match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            }),
        ) else {
            return Err(ureq::Error::BadUri(uri.to_string()));
        };
        let deadline = Instant::now() + (*timeout.after).min(Duration::from_secs(60));
        let system = SystemFiles::read(Path::new("/etc"));
        let found = lookup(host, &system, deadline)?;
        let mut addrs = self.empty();
        let family = config.ip_family();
        let wanted = family.keep_wanted(found.into_iter().map(|ip| SocketAddr::new(ip, port)));
        for addr in wanted {
            // Full (16 addresses): the rest are not needed.
            if addrs.try_push(addr).is_err() {
                break;
            }
        }
        if addrs.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(addrs)
    }
}

/// What resolution reads from `/etc`.
struct SystemFiles {
    /// Whether `/etc/resolv.conf` was there (an empty root has none).
    has_resolv_conf: bool,
    hosts: String,
    nameservers: Vec<IpAddr>,
    search: Vec<String>,
}

impl SystemFiles {
    fn read(etc: &Path) -> SystemFiles {
        let text = |name: &str| read_text_file(&etc.join(name), SYSTEM_FILE_CAP).ok();
        let resolv = text("resolv.conf");
        let has_resolv_conf = resolv.is_some();
        let resolv = resolv.unwrap_or_default();
        let mut nameservers = Vec::new();
        let mut search = Vec::new();
        for line in resolv.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    // A scoped IPv6 address (fe80::1%eth0) is not usable here.
                    if let Some(ip) = words.next().and_then(|word| word.parse().ok()) {
                        nameservers.push(ip);
                    }
                }
                Some("search" | "domain") => search = words.map(str::to_string).collect(),
                _ => {}
            }
        }
        // Both resolvers' rule: no name server line means the local one.
        if nameservers.is_empty() {
            nameservers.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        SystemFiles {
            has_resolv_conf,
            hosts: text("hosts").unwrap_or_default(),
            nameservers,
            search,
        }
    }
}

/// The addresses of `host`: a literal, then `/etc/hosts`, then DNS (the name
/// as given; a name without a dot also under each search domain).
fn lookup(host: &str, system: &SystemFiles, deadline: Instant) -> Result<Vec<IpAddr>, ureq::Error> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let from_hosts = in_hosts_file(&system.hosts, host);
    if !from_hosts.is_empty() {
        return Ok(from_hosts);
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]);
    }
    let mut names = vec![host.trim_end_matches('.').to_string()];
    if !host.contains('.') {
        names.extend(
            system
                .search
                .iter()
                .map(|domain| format!("{host}.{domain}")),
        );
    }
    let mut unreachable = false;
    for name in names {
        match ask_servers(&name, &system.nameservers, deadline) {
            Ok(found) if !found.is_empty() => return Ok(found),
            Ok(_) => {}
            Err(_) => unreachable = true,
        }
    }
    Err(if unreachable {
        ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            if system.has_resolv_conf {
                format!("no answer from the name servers of /etc/resolv.conf for {host}")
            } else {
                format!(
                    "cannot resolve {host}: there is no /etc/resolv.conf (an empty root?) and no name server on 127.0.0.1"
                )
            },
        ))
    } else {
        ureq::Error::HostNotFound
    })
}

/// The addresses `/etc/hosts` gives `host`.
fn in_hosts_file(hosts: &str, host: &str) -> Vec<IpAddr> {
    hosts
        .lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            words
                .any(|name| name.eq_ignore_ascii_case(host))
                .then_some(ip)
        })
        .collect()
}

/// A and AAAA records of `name` from the first name server that answers:
/// `Ok(empty)` when it says the name has none, `Err` when none answered.
fn ask_servers(
    name: &str,
    servers: &[IpAddr],
    deadline: Instant,
) -> Result<Vec<IpAddr>, std::io::Error> {
    let mut last_error = std::io::Error::new(std::io::ErrorKind::NotFound, "no name server to ask");
    for server in servers {
        match ask(name, SocketAddr::new(*server, 53), deadline) {
            Ok(found) => return Ok(found),
            Err(err) => last_error = err,
        }
    }
    Err(last_error)
}

/// Both questions to one server, both answers read. A question still
/// unanswered is sent again every [`RESEND_AFTER`] (UDP loses datagrams; musl
/// and glibc resend too).
fn ask(name: &str, server: SocketAddr, deadline: Instant) -> Result<Vec<IpAddr>, std::io::Error> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    let base_id = query_id();
    let mut queries = Vec::new();
    for (id, record_type) in [(base_id, TYPE_A), (base_id.wrapping_add(1), TYPE_AAAA)] {
        let query = build_query(id, name, record_type).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a valid host name")
        })?;
        queries.push((id, query, false));
    }
    let server_deadline = deadline.min(Instant::now() + PER_SERVER);
    let mut resend_at = Instant::now();
    let mut found = Vec::new();
    let mut buffer = [0u8; UDP_ANSWER_CAP];
    while queries.iter().any(|(_, _, answered)| !answered) {
        let now = Instant::now();
        if now >= server_deadline {
            break;
        }
        if now >= resend_at {
            for (_, query, _) in queries.iter().filter(|(_, _, answered)| !answered) {
                socket.send(query)?;
            }
            resend_at = now + RESEND_AFTER;
        }
        socket.set_read_timeout(Some(
            resend_at
                .min(server_deadline)
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
        ))?;
        let length = match socket.recv(&mut buffer) {
            Ok(length) => length,
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            // ICMP port unreachable and the like: this server is not there.
            Err(err) => return Err(err),
        };
        let Some(answer) = buffer.get(..length).and_then(parse_answer) else {
            continue;
        };
        let Some(question) = queries.iter_mut().find(|(id, _, _)| *id == answer.id) else {
            continue;
        };
        question.2 = true;
        if answer.refused {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "the name server refused",
            ));
        }
        found.extend(answer.addresses);
    }
    if queries.iter().any(|(_, _, answered)| *answered) {
        Ok(found)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the name server did not answer",
        ))
    }
}

/// An id hard to guess for an off-path attacker: std's per-process random keys.
fn query_id() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let hasher = std::collections::hash_map::RandomState::new().build_hasher();
    (hasher.finish() & 0xffff) as u16
}

/// A recursive query for one record type, or `None` for a name DNS cannot carry.
fn build_query(id: u16, name: &str, record_type: u16) -> Option<Vec<u8>> {
    let mut packet = Vec::with_capacity(18 + name.len());
    packet.extend_from_slice(&id.to_be_bytes());
    // Flags: recursion desired. One question, no other records.
    packet.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        let length = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))?;
        packet.push(length);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    if packet.len() > 12 + 255 {
        return None;
    }
    packet.extend_from_slice(&record_type.to_be_bytes());
    packet.extend_from_slice(&CLASS_IN.to_be_bytes());
    Some(packet)
}

/// What one answer said.
#[derive(Debug, PartialEq)]
struct Answer {
    id: u16,
    /// SERVFAIL or REFUSED: ask the next server.
    refused: bool,
    addresses: Vec<IpAddr>,
}

/// Reads a response: its id, its return code and every A/AAAA record of the
/// answer section (a recursive server puts the CNAME chain's end there).
/// `None` for anything that is not a well-formed response.
fn parse_answer(packet: &[u8]) -> Option<Answer> {
    let mut reader = Reader { packet, at: 0 };
    let id = reader.u16()?;
    let flags = reader.u16()?;
    let is_response = flags & 0x8000 != 0;
    if !is_response {
        return None;
    }
    let rcode = flags & 0x000f;
    let questions = reader.u16()?;
    let answers = reader.u16()?;
    reader.skip(4)?;
    for _ in 0..questions {
        reader.skip_name()?;
        reader.skip(4)?;
    }
    let mut addresses = Vec::new();
    for _ in 0..answers {
        reader.skip_name()?;
        let record_type = reader.u16()?;
        let class = reader.u16()?;
        reader.skip(4)?;
        let length = usize::from(reader.u16()?);
        let data = reader.take(length)?;
        if class != CLASS_IN {
            continue;
        }
        match record_type {
            TYPE_A => {
                let octets: [u8; 4] = data.try_into().ok()?;
                addresses.push(IpAddr::from(octets));
            }
            TYPE_AAAA => {
                let octets: [u8; 16] = data.try_into().ok()?;
                addresses.push(IpAddr::from(octets));
            }
            _ => {}
        }
    }
    Some(Answer {
        id,
        refused: matches!(rcode, 2 | 5),
        addresses,
    })
}

struct Reader<'a> {
    packet: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, length: usize) -> Option<&'a [u8]> {
        let bytes = self.packet.get(self.at..self.at.checked_add(length)?)?;
        self.at += length;
        Some(bytes)
    }

    fn skip(&mut self, length: usize) -> Option<()> {
        self.take(length).map(|_| ())
    }

    fn u16(&mut self) -> Option<u16> {
        let bytes: [u8; 2] = self.take(2)?.try_into().ok()?;
        Some(u16::from_be_bytes(bytes))
    }

    /// A name: labels up to the root label, or up to a compression pointer.
    fn skip_name(&mut self) -> Option<()> {
        loop {
            let length = *self.take(1)?.first()?;
            match length {
                0 => return Some(()),
                0xc0..=0xff => return self.skip(1),
                0x40..=0xbf => return None,
                _ => self.skip(usize::from(length))?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response as a recursive server sends it for pypi.org: the question,
    /// a CNAME (with a compressed name), then two A records.
    fn response(id: u16) -> Vec<u8> {
        let mut packet = Vec::new();
        packet.extend_from_slice(&id.to_be_bytes());
        packet.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0]);
        packet.extend_from_slice(b"\x04pypi\x03org\x00\x00\x01\x00\x01");
        // CNAME pypi.org -> x.pypi.org (pointer to offset 12).
        packet.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4]);
        packet.extend_from_slice(&[1, b'x', 0xc0, 12]);
        for last in [1, 2] {
            packet.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            packet.extend_from_slice(&[151, 101, 0, last]);
        }
        packet
    }

    #[test]
    fn reads_the_addresses_of_an_answer() {
        let answer = parse_answer(&response(7)).unwrap();
        assert_eq!(answer.id, 7);
        assert!(!answer.refused);
        assert_eq!(
            answer.addresses,
            vec![
                IpAddr::from([151, 101, 0, 1]),
                IpAddr::from([151, 101, 0, 2])
            ]
        );
    }

    #[test]
    fn a_truncated_or_hostile_answer_is_none_not_a_panic() {
        let full = response(7);
        for cut in 0..full.len() {
            let _ = parse_answer(full.get(..cut).unwrap());
        }
        assert_eq!(parse_answer(full.get(..full.len() - 1).unwrap()), None);
        // A query (QR bit clear) is not an answer.
        assert_eq!(
            parse_answer(&build_query(7, "pypi.org", TYPE_A).unwrap()),
            None
        );
    }

    #[test]
    fn builds_a_query_dns_servers_read() {
        let query = build_query(0x1234, "pypi.org", TYPE_AAAA).unwrap();
        assert_eq!(
            query,
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04pypi\x03org\x00\x00\x1c\x00\x01"
        );
        assert_eq!(build_query(1, "a..b", TYPE_A), None);
        assert_eq!(build_query(1, &"x".repeat(64), TYPE_A), None);
    }

    /// Through ureq's interface: the scheme's port, an address literal as is.
    #[test]
    fn resolves_a_uri_for_ureq() {
        let resolve = |uri: &str| {
            let timeout = NextTimeout {
                after: ureq::unversioned::transport::time::Duration::NotHappening,
                reason: ureq::Timeout::Global,
                per_read: None,
                per_write: None,
            };
            let found = StaticResolver
                .resolve(&uri.parse().unwrap(), &Config::default(), timeout)
                .unwrap();
            found.iter().copied().collect::<Vec<SocketAddr>>()
        };
        assert_eq!(
            resolve("https://127.0.0.1/simple/"),
            vec![SocketAddr::from(([127, 0, 0, 1], 443))]
        );
        assert_eq!(
            resolve("http://[::1]:8080/x"),
            vec![SocketAddr::from((Ipv6Addr::LOCALHOST, 8080))]
        );
    }

    #[test]
    fn hosts_file_and_literals_answer_first() {
        let system = SystemFiles {
            has_resolv_conf: true,
            hosts: "127.0.0.1 localhost\n10.1.2.3 mirror.corp mirror # pip\n".to_string(),
            nameservers: vec![],
            search: vec![],
        };
        let soon = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            lookup("MIRROR", &system, soon).unwrap(),
            vec![IpAddr::from([10, 1, 2, 3])]
        );
        assert_eq!(
            lookup("[::1]", &system, soon).unwrap(),
            vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]
        );
    }

    /// The whole exchange with a name server of our own on 127.0.0.1 (port 53
    /// needs root, so the server address is passed to `ask` directly).
    #[test]
    fn asks_a_name_server_over_udp() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = server.local_addr().unwrap();
        let answering = std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            for _ in 0..2 {
                let (length, from) = server.recv_from(&mut buffer).unwrap();
                let query = buffer.get(..length).unwrap();
                let id = u16::from_be_bytes([query[0], query[1]]);
                let record_type = u16::from_be_bytes([query[length - 4], query[length - 3]]);
                let mut answer = response(id);
                if record_type == TYPE_AAAA {
                    // No AAAA records: an answer with none.
                    answer.truncate(12 + 14);
                    answer[7] = 0;
                }
                server.send_to(&answer, from).unwrap();
            }
        });
        let found = ask("pypi.org", address, Instant::now() + Duration::from_secs(5)).unwrap();
        answering.join().unwrap();
        assert_eq!(
            found,
            vec![
                IpAddr::from([151, 101, 0, 1]),
                IpAddr::from([151, 101, 0, 2])
            ]
        );
    }

    /// UDP loses datagrams: the first two questions are dropped, and the
    /// answer to the questions sent again a second later is taken.
    #[test]
    fn a_lost_question_is_sent_again() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = server.local_addr().unwrap();
        let answering = std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            let mut seen = 0;
            while seen < 4 {
                let (length, from) = server.recv_from(&mut buffer).unwrap();
                seen += 1;
                if seen <= 2 {
                    continue;
                }
                let id = u16::from_be_bytes([buffer[0], buffer[1]]);
                let record_type = u16::from_be_bytes([buffer[length - 4], buffer[length - 3]]);
                let answer = if record_type == TYPE_A {
                    response(id)
                } else {
                    let mut none = response(id);
                    none.truncate(12 + 14);
                    none[7] = 0;
                    none
                };
                server.send_to(&answer, from).unwrap();
            }
        });
        let started = Instant::now();
        let found = ask("pypi.org", address, Instant::now() + Duration::from_secs(5)).unwrap();
        answering.join().unwrap();
        assert_eq!(found.len(), 2);
        assert!(started.elapsed() >= RESEND_AFTER);
    }

    #[test]
    fn reads_resolv_conf() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("resolv.conf"),
            "# comment\nsearch corp example\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\nnameserver ::1\n",
        )
        .unwrap();
        let system = SystemFiles::read(dir.path());
        assert_eq!(
            system.nameservers,
            vec![IpAddr::from([10, 0, 0, 2]), IpAddr::V6(Ipv6Addr::LOCALHOST)]
        );
        assert_eq!(system.search, vec!["corp", "example"]);
        assert!(system.has_resolv_conf);
        let empty = tempfile::tempdir().unwrap();
        let without = SystemFiles::read(empty.path());
        assert!(!without.has_resolv_conf);
        assert_eq!(without.nameservers, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    }
}
