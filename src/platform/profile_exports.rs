// placeholder until generation
pub(super) const EXPORT_TABLES: &[(&str, &str)] = &[];
