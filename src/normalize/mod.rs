//! Normalization: printed amounts into exact yuan, classification codes into
//! compact form with their level and parent, names without wrap-spaces, the
//! region of a unit name, its division and its disclosure.

pub mod amount;
pub mod code;
pub mod place;

pub use amount::{grid_amount_cells, grid_amounts, is_amount, parse_amount, parse_unit, to_yuan};
pub use code::{code_level, compact_code, join_split_code, parent_code};

use crate::patterns::AnyOf;

/// The administrative region a unit name starts with (山西省长治市,
/// 上海市普陀区): the group `region` of the first of `patterns` that matches
/// the squashed name. None when the name starts with no division, or is
/// nothing but a region.
pub fn region_of(unit: &str, patterns: &AnyOf) -> Option<String> {
    let squashed = crate::text::squash(unit);
    let c = patterns.captures_all(&squashed)?;
    let m = c.name("region")?.as_str();
    (!m.is_empty() && m.chars().count() < squashed.chars().count()).then(|| m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_from_unit_names() {
        let p = crate::patterns::Patterns::bundled().unwrap_or_else(|e| panic!("{e}"));
        let region = |u: &str| region_of(u, &p.tables.common.region);
        assert_eq!(region("长治市政务服务中心").as_deref(), Some("长治市"));
        assert_eq!(
            region("上海市普陀区财政局").as_deref(),
            Some("上海市普陀区")
        );
        assert_eq!(
            region("山西省长治市城区教育局").as_deref(),
            Some("山西省长治市城区")
        );
        assert_eq!(region("中共长治市委办公室").as_deref(), Some("长治市"));
        assert_eq!(region("市政务服务中心"), None);
        assert_eq!(region("上海市普陀区"), None);
        assert_eq!(region(""), None);
    }
}
