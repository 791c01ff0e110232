//! The auditwheel question: is a wheel's platform tag true to the ELF inside?

use crate::ecosystem::python::{
    WheelName, always_allowed_by_auditwheel, is_manylinux_system_library,
    lowest_manylinux_policy_for, manylinux_policies, policy_whitelist,
};
use crate::model::{
    Code, ElfFacts, Evidence, Finding, LibcKind, Linkage, PlatformTag, Version, WheelAudit,
};

/// A member as the audit sees it: its path inside the wheel and its facts.
pub struct WheelMember<'a> {
    pub name: &'a str,
    pub facts: &'a ElfFacts,
}

pub fn audit(
    wheel: &WheelName,
    members: &[WheelMember],
    all_names: &[String],
) -> (WheelAudit, Vec<Finding>) {
    let claimed: Vec<PlatformTag> = dedup(wheel.platform_tags.clone());
    let arch = claimed.iter().find_map(|t| t.arch()).unwrap_or("x86_64");
    let content = Content::of(members, arch);
    let supported = content.supported_tag(arch);
    let mut findings: Vec<Finding> = claimed
        .iter()
        .filter_map(|tag| content.tag_finding(tag, supported.as_deref()))
        .collect();
    findings.extend(external_libraries(&claimed, members, all_names));
    let mut why = content.why.clone();
    if let Some((version, member)) = &content.required_glibc {
        why.push(format!(
            "highest glibc version needed: {version} ({member})"
        ));
    }
    // Said where libstdc++ (or libgcc_s, zlib) asks more than glibc does.
    let glibc_policy = manylinux_policies()
        .into_iter()
        .find(|(_, minor)| *minor >= content.required_minor);
    let beyond_glibc = content
        .policy
        .is_none_or(|p| glibc_policy.is_some_and(|g| p > g));
    if let (Some(need), LibcKind::Glibc, true) = (&content.constraint, content.libc, beyond_glibc) {
        why.push(match content.policy {
            Some((major, minor)) => format!(
                "the lowest manylinux policy its needs allow is manylinux_{major}_{minor}: {}",
                need.describe()
            ),
            None => format!("no manylinux policy allows {}", need.describe()),
        });
    }
    let audit = WheelAudit {
        claimed,
        content_libc: content.libc,
        required_glibc: content.required_glibc,
        supported,
        why,
    };
    (audit, findings)
}

/// What the ELF members of a wheel need.
struct Content<'m> {
    libc: LibcKind,
    /// The member that decided `libc`.
    decided_by: Option<&'m WheelMember<'m>>,
    why: Vec<String>,
    /// The highest `GLIBC_x.y` any member needs, and which member.
    required_glibc: Option<(String, String)>,
    /// Its minor version (`2.x`), 5 when nothing is needed.
    required_minor: u32,
    /// The lowest manylinux policy whose symbol versions allow every node
    /// but glibc's the members need of the system's libraries, as
    /// auditwheel weighs them; `None` when none does.
    policy: Option<(u32, u32)>,
    /// The need that decided `policy`, when one did.
    constraint: Option<PolicyNeed>,
}

/// A version node a member needs of a system library.
struct PolicyNeed {
    node: String,
    library: String,
    member: String,
}

impl PolicyNeed {
    fn describe(&self) -> String {
        format!("{} needs {} from {}", self.member, self.node, self.library)
    }
}

/// The lowest manylinux policy on `arch` allowing every version node but
/// glibc's the members need of libraries a policy lets wheels use
/// unbundled (libstdc++'s `GLIBCXX_`, `CXXABI_`; libgcc_s's `GCC_`;
/// zlib's), and the need that decides it.
fn lowest_policy(members: &[WheelMember], arch: &str) -> (Option<(u32, u32)>, Option<PolicyNeed>) {
    let mut policy = manylinux_policies().first().copied();
    let mut constraint = None;
    for member in members {
        for need in &member.facts.version_needs {
            if always_allowed_by_auditwheel(&need.library)
                || !is_manylinux_system_library(&need.library)
            {
                continue;
            }
            // glibc's own versions are weighed by number (`required_minor`):
            // a tag between policies (manylinux_2_14) is as true as one.
            // GLIBC_PRIVATE is in no policy's list: no manylinux tag is true.
            let versioned = |node: &str| Version::glibc_node(node).is_some();
            for node in need.versions.iter().filter(|n| !versioned(n)) {
                let Some(lowest) = lowest_manylinux_policy_for(arch, node) else {
                    continue;
                };
                let raises = match (lowest, policy) {
                    (None, Some(_)) => true,
                    (Some(lowest), Some(current)) => lowest > current,
                    (_, None) => false,
                };
                if raises {
                    policy = lowest;
                    constraint = Some(PolicyNeed {
                        node: node.clone(),
                        library: need.library.clone(),
                        member: member.name.to_string(),
                    });
                }
            }
        }
    }
    (policy, constraint)
}

impl<'m> Content<'m> {
    fn of(members: &'m [WheelMember<'m>], arch: &str) -> Content<'m> {
        // A static member carries its C library inside: it runs on glibc and
        // musl systems alike, so it says nothing about the tag.
        let is_static =
            |m: &WheelMember| matches!(m.facts.linkage, Linkage::Static | Linkage::StaticPie);
        let linked = |kind| {
            members
                .iter()
                .find(|m| m.facts.libc.kind == kind && !is_static(m))
        };
        let (libc, decided_by) = match (linked(LibcKind::Glibc), linked(LibcKind::Musl)) {
            (Some(m), _) => (LibcKind::Glibc, Some(m)),
            (None, Some(m)) => (LibcKind::Musl, Some(m)),
            (None, None) => (LibcKind::None, None),
        };
        let mut why: Vec<String> = decided_by
            .map(|m| format!("{} is {libc}-linked ({})", m.name, m.facts.libc.evidence))
            .into_iter()
            .collect();
        if decided_by.is_none()
            && let Some(m) = members.iter().find(|m| is_static(m))
        {
            why.push(format!(
                "{} needs no C library on the system ({})",
                m.name, m.facts.libc.evidence
            ));
        }
        let required_glibc = members
            .iter()
            .filter_map(|m| Some((m.facts.max_glibc.clone()?, m.name.to_string())))
            .max_by_key(|(v, _)| Version::glibc_node(v));
        let required_minor = required_glibc
            .as_ref()
            .and_then(|(v, _)| Version::glibc_node(v))
            .map_or(5, |version| {
                u32::try_from(version.segment(1)).unwrap_or(u32::MAX)
            });
        let (policy, constraint) = lowest_policy(members, arch);
        Content {
            libc,
            decided_by,
            why,
            required_glibc,
            required_minor,
            policy,
            constraint,
        }
    }

    /// The tag the content supports: the lowest manylinux policy that
    /// allows its glibc needs, or musllinux.
    fn supported_tag(&self, arch: &str) -> Option<String> {
        match self.libc {
            LibcKind::Glibc => {
                let glibc = manylinux_policies()
                    .into_iter()
                    .find(|(_, minor)| *minor >= self.required_minor)?;
                let lowest = glibc.max(self.policy?);
                Some(format!("manylinux_{}_{}_{arch}", lowest.0, lowest.1))
            }
            LibcKind::Musl => Some(format!("musllinux_1_1_{arch} or later")),
            _ => None,
        }
    }

    /// MC301, MC302 or MC303 when `tag` is not true to the content.
    fn tag_finding(&self, tag: &PlatformTag, supported: Option<&str>) -> Option<Finding> {
        let evidence = |detail: String| Evidence::WheelTag {
            tag: tag.to_string(),
            detail,
        };
        let member = self.decided_by.map(|m| m.name).unwrap_or_default();
        let libc_evidence = self
            .decided_by
            .map(|m| m.facts.libc.evidence.clone())
            .unwrap_or_default();
        match (tag, self.libc) {
            (PlatformTag::Manylinux { major, minor, .. }, LibcKind::Glibc) => {
                if let Some((version, needer)) = self.required_glibc.as_ref()
                    && (*major, *minor) < (2, self.required_minor)
                {
                    return Some(
                        Finding::new(
                            Code::TagTooLow,
                            format!("claims {tag} (glibc {major}.{minor}), but {needer} needs {version}: pip will install it on systems where it fails to load"),
                            evidence(format!("{needer} needs {version}")),
                        )
                        .with_remedy(format!(
                            "retag as {} (auditwheel repair), or build against an older glibc",
                            supported.unwrap_or_default()
                        )),
                    );
                }
                let need = self.constraint.as_ref()?;
                let too_low = self.policy.is_none_or(|lowest| (*major, *minor) < lowest);
                too_low.then(|| {
                    let remedy = match supported {
                        Some(supported) => format!(
                            "retag as {supported} (auditwheel repair), or build against an older glibc and libstdc++"
                        ),
                        None => "build against the libraries of a manylinux image: no manylinux policy allows this need".to_string(),
                    };
                    Finding::new(
                        Code::TagTooLow,
                        format!(
                            "claims {tag} (glibc {major}.{minor}), but {}: pip will install it on systems where it fails to load",
                            need.describe()
                        ),
                        evidence(need.describe()),
                    )
                    .with_remedy(remedy)
                })
            }
            (PlatformTag::Musllinux { .. }, LibcKind::Glibc) => Some(Finding::new(
                Code::MusllinuxTagOnGlibc,
                format!("claims {tag}, but {member} is linked against glibc"),
                evidence(libc_evidence),
            )),
            (PlatformTag::Manylinux { .. }, LibcKind::Musl) => Some(Finding::new(
                Code::ManylinuxTagOnMusl,
                format!("claims {tag}, but {member} is linked against musl"),
                evidence(libc_evidence),
            )),
            (PlatformTag::Any, LibcKind::Glibc | LibcKind::Musl) => Some(Finding::new(
                Code::PureTagOnNativeContent,
                format!(
                    "claims {tag} (pure Python: installed on every platform), but {member} is \
                     linked against {}",
                    self.libc
                ),
                evidence(libc_evidence),
            )),
            _ => None,
        }
    }
}

/// MC305: needed libraries neither bundled in the wheel nor allowed by the
/// policy of a claimed tag.
fn external_libraries(
    claimed: &[PlatformTag],
    members: &[WheelMember],
    all_names: &[String],
) -> Vec<Finding> {
    let bundled: Vec<&str> = all_names
        .iter()
        .map(|n| n.rsplit('/').next().unwrap_or(n))
        .collect();
    let mut reported: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for tag in claimed.iter().filter(|t| t.is_glibc() || t.is_musl()) {
        let Some(allowed) = policy_whitelist(tag) else {
            continue;
        };
        for member in members {
            for needed in &member.facts.needed {
                let is_musl_libc = needed.starts_with("libc.musl-") || needed == "libc.so";
                let allowed_here =
                    allowed.iter().any(|a| a == needed) || (tag.is_musl() && is_musl_libc);
                if allowed_here
                    || always_allowed_by_auditwheel(needed)
                    || bundled.contains(&needed.as_str())
                    || reported.contains(&needed.as_str())
                {
                    continue;
                }
                reported.push(needed);
                findings.push(Finding::new(
                    Code::ExternalLibrary,
                    format!(
                        "{} needs {needed}, which is neither bundled nor allowed by {tag}",
                        member.name
                    ),
                    Evidence::WheelTag {
                        tag: tag.to_string(),
                        detail: format!("{} needs {needed}", member.name),
                    },
                ));
            }
        }
    }
    findings
}

fn dedup(tags: Vec<PlatformTag>) -> Vec<PlatformTag> {
    let mut out: Vec<PlatformTag> = Vec::new();
    for tag in tags {
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}
