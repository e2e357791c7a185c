//! Places and units: a unit name resolved to its administrative division
//! (GB/T 2260, from `patterns/places/divisions.toml`), the unit spelled one
//! way, and the id of the disclosure a document is a version of.
//!
//! A place is the longest chain province → city → county of division names
//! the unit name starts with (after a party or CPPCC prefix): 山西省长治市城区
//! → 140402, 长治市政务服务中心 → 140400 under 山西省. A city or county named
//! without its parent must be the only division of that name, and a county
//! named without any parent must have at least three characters (城区 and
//! 郊区 are in many cities): when the name is not enough to tell, the
//! document has no place rather than a guessed one.

use unicode_normalization::UnicodeNormalization;

use crate::patterns::places::{Division, DivisionLevel, Places};
use crate::record::{DocumentMeta, Place};
use crate::text::{sha256_hex, squash};

/// The place `unit` names, if it names one unambiguously.
pub fn place_of(unit: &str, places: &Places) -> Option<Place> {
    let name = normalized(unit);
    let rest = &name[prefix_len(&name, places)..];
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let longest = places.longest_name();
    let mut at = 0usize; // byte offset into `rest`
    let mut chain: Vec<&Division> = Vec::new();
    for level in [
        DivisionLevel::Province,
        DivisionLevel::City,
        DivisionLevel::County,
    ] {
        let parent = chain.last().copied();
        let first = chars
            .iter()
            .position(|&(i, _)| i >= at)
            .unwrap_or(chars.len());
        let mut found: Option<(usize, Vec<&Division>)> = None;
        // Longest name first: 长治市 before a shorter name it starts with.
        for end in (first + 2..=(first + longest).min(chars.len())).rev() {
            let to = chars.get(end).map_or(rest.len(), |&(i, _)| i);
            let candidate = &rest[at..to];
            let mut fits: Vec<&Division> = places
                .named(candidate)
                .filter(|d| d.level() == level && parent.is_none_or(|p| within(d, p)))
                .collect();
            // One code per name: a current name beats a former one.
            if fits.iter().any(|d| !d.former) {
                fits.retain(|d| !d.former);
            }
            fits.dedup_by_key(|d| d.code);
            if !fits.is_empty() {
                found = Some((to, fits));
                break;
            }
        }
        let Some((to, fits)) = found else { continue };
        let unique = fits.len() == 1;
        let long_enough =
            parent.is_some() || level != DivisionLevel::County || rest[at..to].chars().count() >= 3;
        if !unique || !long_enough {
            break;
        }
        chain.push(fits[0]);
        at = to;
    }
    let last = *chain.last()?;
    let name_of = |code: u32| places.by_code(code).map(|d| d.name.clone());
    let province = name_of(last.code / 10_000 * 10_000);
    let city = match last.level() {
        DivisionLevel::Province => None,
        DivisionLevel::City => Some(last.name.clone()),
        DivisionLevel::County => name_of(last.code / 100 * 100),
    };
    Some(Place {
        division_code: format!("{:06}", last.code),
        province,
        city,
        county: (last.level() == DivisionLevel::County).then(|| last.name.clone()),
        matched: rest[..at].to_string(),
        former: chain.iter().any(|d| d.former),
    })
}

/// True when `d` lies within `parent` (a city in its province, a county in
/// its city or, for counties directly under a province, its province).
fn within(d: &Division, parent: &Division) -> bool {
    match parent.level() {
        DivisionLevel::Province => d.code / 10_000 == parent.code / 10_000,
        DivisionLevel::City => d.code / 100 == parent.code / 100,
        DivisionLevel::County => false,
    }
}

/// The length of the `skip_prefix` (中共, 政协) `name` starts with, if any.
fn prefix_len(name: &str, places: &Places) -> usize {
    places
        .skip_prefix
        .0
        .iter()
        .find_map(|r| r.find(name).filter(|m| m.start() == 0).map(|m| m.end()))
        .unwrap_or(0)
}

/// The unit name NFKC-normalized, whitespace removed.
fn normalized(unit: &str) -> String {
    squash(&unit.nfkc().collect::<String>())
}

/// The unit's name spelled one way: NFKC, no whitespace, full-width
/// brackets as ASCII, and the spelling rules of `patterns/places/units.toml`
/// applied in order (中国共产党江苏省委员会办公厅 and 江苏省委办公厅 both
/// become 中共江苏省委办公厅).
pub fn unit_spelling(unit: &str, places: &Places) -> String {
    let mut name = normalized(unit);
    for rule in &places.spelling {
        name = rule
            .pattern
            .replace(&name, rule.replace.as_str())
            .into_owned();
    }
    name
}

/// Fills a document's place, its unit's one spelling and its disclosure id.
///
/// The disclosure id names the disclosure (unit, fiscal year, document kind,
/// scope) a file is one version of: the PDF and the HTML page of one
/// document, or a corrected re-upload, share it. It is the first 16 hex
/// digits of SHA-256 over the division code (or, without a place, the
/// region text), the unit's spelling with that region removed, the year,
/// the kind and the scope; a document whose unit, year or kind is unknown
/// has none.
pub fn settle(meta: &mut DocumentMeta, places: &Places) {
    let Some(unit) = meta.unit.as_deref() else {
        return;
    };
    meta.place = place_of(unit, places);
    let spelled = unit_spelling(unit, places);
    if spelled.is_empty() {
        return;
    }
    let (Some(year), Some(kind)) = (meta.year, meta.kind) else {
        meta.unit_spelling = Some(spelled);
        return;
    };
    // The unit without the region it starts with, so that 山西省长治市X and
    // 长治市X are one unit.
    let (region, bare) = match &meta.place {
        Some(p) => {
            let skip = prefix_len(&spelled, places);
            let head = &spelled[..skip];
            let tail = spelled[skip..]
                .strip_prefix(region_text(p).as_str())
                .or_else(|| spelled[skip..].strip_prefix(p.matched.as_str()))
                .unwrap_or(&spelled[skip..]);
            (p.division_code.clone(), format!("{head}{tail}"))
        }
        None => (meta.region.clone().unwrap_or_default(), spelled.clone()),
    };
    let scope = meta.scope.map(|s| format!("{s:?}")).unwrap_or_default();
    let key = format!("{region}\t{bare}\t{year}\t{kind:?}\t{scope}");
    meta.disclosure_id = Some(sha256_hex(key.as_bytes())[..16].to_string());
    meta.unit_spelling = Some(spelled);
}

/// The full region text of a place (山西省长治市城区), for removing from a
/// unit name that prints it whole.
fn region_text(p: &Place) -> String {
    let mut s = String::new();
    for part in [&p.province, &p.city, &p.county].into_iter().flatten() {
        if !s.ends_with(part.as_str()) {
            s.push_str(part);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        crate::patterns::Patterns::bundled()
            .unwrap_or_else(|e| panic!("{e}"))
            .places
    }

    fn code(unit: &str) -> Option<String> {
        place_of(unit, &places()).map(|p| p.division_code)
    }

    #[test]
    fn unit_names_resolve_to_their_division() {
        let p = places();
        let place = place_of("长治市政务服务中心", &p).unwrap_or_else(|| panic!("no place"));
        assert_eq!(place.division_code, "140400");
        assert_eq!(place.province.as_deref(), Some("山西省"));
        assert_eq!(place.city.as_deref(), Some("长治市"));
        assert_eq!(place.county, None);
        assert_eq!(place.matched, "长治市");
        assert_eq!(code("山西省长治市潞州区教育局").as_deref(), Some("140403"));
        assert_eq!(code("上海市普陀区财政局").as_deref(), Some("310107"));
        assert_eq!(code("江苏省人大常委会办公厅").as_deref(), Some("320000"));
        assert_eq!(code("中共江苏省委办公厅").as_deref(), Some("320000"));
        assert_eq!(code("重庆市交通委员会").as_deref(), Some("500000"));
        // A former name keeps its old code, within today's parents.
        let old = place_of("长治县财政局", &p).unwrap_or_else(|| panic!("no place"));
        assert_eq!((old.division_code.as_str(), old.former), ("140421", true));
        assert_eq!(old.city.as_deref(), Some("长治市"));
        assert_eq!(code("山西省长治市城区教育局").as_deref(), Some("140402"));
    }

    #[test]
    fn names_that_do_not_tell_give_no_place() {
        // No division in front, a university, a street.
        assert_eq!(code("市政务服务中心"), None);
        assert_eq!(code("西南大学"), None);
        assert_eq!(code("北京路小学"), None);
        // 朝阳区 is in 北京市 and in 长春市; 城区 in many cities.
        assert_eq!(code("朝阳区财政局"), None);
        assert_eq!(code("城区教育局"), None);
        // With its parent it is one.
        assert_eq!(code("北京市朝阳区财政局").as_deref(), Some("110105"));
        assert_eq!(code("长春市朝阳区财政局").as_deref(), Some("220104"));
        assert_eq!(code(""), None);
    }

    #[test]
    fn one_unit_one_spelling() {
        let p = places();
        for name in [
            "中国共产党江苏省委员会办公厅",
            "江苏省委办公厅",
            "中共江苏省委办公厅",
            "中共 江苏省委办公厅",
        ] {
            assert_eq!(unit_spelling(name, &p), "中共江苏省委办公厅", "{name}");
        }
        assert_eq!(
            unit_spelling("江苏省人大常委会办公厅", &p),
            "江苏省人大常委会办公厅"
        );
        assert_eq!(
            unit_spelling("上海市普陀区人民政府石泉路街道办事处（本级）", &p),
            "上海市普陀区人民政府石泉路街道办事处(本级)"
        );
    }

    #[test]
    fn renderings_of_one_disclosure_share_an_id() {
        let p = places();
        let meta = |unit: &str, year, scope| {
            let mut m = DocumentMeta {
                unit: Some(unit.into()),
                year,
                kind: Some(crate::record::DocumentKind::FinalAccount),
                scope,
                ..DocumentMeta::default()
            };
            settle(&mut m, &p);
            m.disclosure_id
        };
        use crate::record::Scope::{Department, Unit};
        let a = meta("长治市政务服务中心", Some(2022), Some(Unit));
        assert!(a.is_some());
        assert_eq!(a, meta("山西省长治市政务服务中心", Some(2022), Some(Unit)));
        assert_ne!(a, meta("长治市政务服务中心", Some(2021), Some(Unit)));
        assert_ne!(a, meta("长治市政务服务中心", Some(2022), Some(Department)));
        assert_ne!(a, meta("长治市财政局", Some(2022), Some(Unit)));
        assert_eq!(meta("长治市政务服务中心", None, Some(Unit)), None);
        assert_eq!(
            meta("中共江苏省委办公厅", Some(2018), None),
            meta("江苏省委办公厅", Some(2018), None)
        );
    }
}
