//! `muslcheck explain`: one code's explanation, or the aligned list of all
//! codes in id order.

use crate::model::Code;

/// Every code on one line each: id, severity, name, summary, in columns.
pub fn explain_list() -> String {
    let rules: Vec<_> = Code::ALL.iter().map(|code| code.rule()).collect();
    let severity_width = rules
        .iter()
        .map(|r| r.severity.as_str().len())
        .max()
        .unwrap_or(0);
    let name_width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    rules
        .iter()
        .map(|rule| {
            format!(
                "{}  {:<severity_width$}  {:<name_width$}  {}\n",
                rule.id,
                rule.severity.as_str(),
                rule.name,
                rule.summary
            )
        })
        .collect()
}

/// One code: title, summary, explanation, and the generic fix when there is one.
pub fn explain(code: Code) -> String {
    let rule = code.rule();
    let mut text = format!(
        "{} {} ({})\n\n{}\n\n{}\n",
        rule.id, rule.name, rule.severity, rule.summary, rule.explanation
    );
    if let Some(remedy) = rule.remedy {
        text.push_str(&format!("\nUsual fix: {remedy}.\n"));
    }
    text
}
