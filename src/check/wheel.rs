//! The auditwheel question: is a wheel's platform tag true to the ELF inside?

use crate::ecosystem::python::{WheelName, manylinux_policies, policy_whitelist};
use crate::model::{Code, ElfFacts, Evidence, Finding, LibcKind, PlatformTag, Version, WheelAudit};
use crate::platform::musl::is_reserved_name;

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
    let mut why = Vec::new();
    let glibc_member = members
        .iter()
        .find(|m| m.facts.libc.kind == LibcKind::Glibc);
    let musl_member = members.iter().find(|m| m.facts.libc.kind == LibcKind::Musl);
    let content_libc = match (glibc_member, musl_member) {
        (Some(m), _) => {
            why.push(format!(
                "{} is glibc-linked ({})",
                m.name, m.facts.libc.evidence
            ));
            LibcKind::Glibc
        }
        (None, Some(m)) => {
            why.push(format!(
                "{} is musl-linked ({})",
                m.name, m.facts.libc.evidence
            ));
            LibcKind::Musl
        }
        (None, None) => LibcKind::None,
    };
    let required_glibc = members
        .iter()
        .filter_map(|m| {
            m.facts
                .max_glibc
                .as_ref()
                .map(|v| (v.clone(), m.name.to_string()))
        })
        .max_by_key(|(v, _)| Version::glibc_node(v));
    let required_minor = required_glibc
        .as_ref()
        .and_then(|(v, _)| Version::glibc_node(v))
        .map_or(5, |version| {
            u32::try_from(version.segment(1)).unwrap_or(u32::MAX)
        });
    let arch = claimed
        .iter()
        .find_map(|t| t.arch())
        .unwrap_or("x86_64")
        .to_string();
    let supported = match content_libc {
        LibcKind::Glibc => manylinux_policies()
            .into_iter()
            .find(|(_, minor)| *minor >= required_minor)
            .map(|(major, minor)| format!("manylinux_{major}_{minor}_{arch}")),
        LibcKind::Musl => Some(format!("musllinux_1_1_{arch} or later")),
        _ => None,
    };
    if let Some((version, member)) = &required_glibc {
        why.push(format!(
            "highest glibc version needed: {version} ({member})"
        ));
    }

    let mut findings = Vec::new();
    for tag in &claimed {
        match tag {
            PlatformTag::Manylinux { major, minor, .. } if content_libc == LibcKind::Glibc => {
                if (*major, *minor) < (2, required_minor)
                    && let Some((version, member)) = &required_glibc
                {
                    findings.push(Finding::new(
                        Code::TagTooLow,
                        format!("claims {tag} (glibc {major}.{minor}), but {member} needs {version}: pip will install it on systems where it fails to load"),
                        Evidence::WheelTag {
                            tag: tag.to_string(),
                            detail: format!("{member} needs {version}"),
                        },
                    ).with_remedy(format!(
                        "retag as {} (auditwheel repair), or build against an older glibc",
                        supported.clone().unwrap_or_default()
                    )));
                }
            }
            PlatformTag::Musllinux { .. } if content_libc == LibcKind::Glibc => {
                let member = glibc_member.map(|m| m.name).unwrap_or_default();
                findings.push(
                    Finding::new(
                        Code::MusllinuxTagOnGlibc,
                        format!("claims {tag}, but {member} is linked against glibc"),
                        Evidence::WheelTag {
                            tag: tag.to_string(),
                            detail: glibc_member
                                .map(|m| m.facts.libc.evidence.clone())
                                .unwrap_or_default(),
                        },
                    )
                    .with_remedy("build the musllinux wheel in a musllinux image (e.g. quay.io/pypa/musllinux_1_2_x86_64)"),
                );
            }
            PlatformTag::Manylinux { .. } if content_libc == LibcKind::Musl => {
                let member = musl_member.map(|m| m.name).unwrap_or_default();
                findings.push(
                    Finding::new(
                        Code::ManylinuxTagOnMusl,
                        format!("claims {tag}, but {member} is linked against musl"),
                        Evidence::WheelTag {
                            tag: tag.to_string(),
                            detail: musl_member
                                .map(|m| m.facts.libc.evidence.clone())
                                .unwrap_or_default(),
                        },
                    )
                    .with_remedy(
                        "tag the wheel musllinux_1_x (auditwheel repair on a musl system)",
                    ),
                );
            }
            _ => {}
        }
    }

    // External libraries: neither bundled in the wheel nor allowed by the policy.
    let bundled: Vec<&str> = all_names
        .iter()
        .map(|n| n.rsplit('/').next().unwrap_or(n))
        .collect();
    let mut reported = Vec::new();
    for tag in claimed.iter().filter(|t| t.is_glibc() || t.is_musl()) {
        let Some(allowed) = policy_whitelist(tag) else {
            continue;
        };
        for member in members {
            for needed in &member.facts.needed {
                let is_musl_libc = needed.starts_with("libc.musl-") || needed == "libc.so";
                let allowed_here = allowed.iter().any(|a| a == needed)
                    || (tag.is_musl() && is_musl_libc)
                    || (tag.is_glibc()
                        && is_reserved_name(needed)
                        && allowed.iter().any(|a| a == needed));
                if allowed_here || bundled.contains(&needed.as_str()) || reported.contains(needed) {
                    continue;
                }
                reported.push(needed.clone());
                findings.push(
                    Finding::new(
                        Code::ExternalLibrary,
                        format!("{} needs {needed}, which is neither bundled nor allowed by {tag}", member.name),
                        Evidence::WheelTag {
                            tag: tag.to_string(),
                            detail: format!("{} needs {needed}", member.name),
                        },
                    )
                    .with_remedy("bundle it with `auditwheel repair`, or make it an install requirement users know about"),
                );
            }
        }
    }
    (
        WheelAudit {
            claimed,
            content_libc,
            required_glibc,
            supported,
            why,
        },
        findings,
    )
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
