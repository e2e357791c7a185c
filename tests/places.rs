//! Places against a list the project did not write: the province → city →
//! county tree of disclosure portals in `../shared/portals/portals.csv`.
//! Every finance bureau named with its full region (山西省长治市潞州区财政局)
//! must resolve to that county in that province; named by its county alone
//! it must resolve to it or to nothing (never to another division).

use gongkai::normalize::place::place_of;

use crate::util::*;

#[test]
fn the_portal_tree_resolves_to_its_own_divisions() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let path = shared.join("portals/portals.csv");
    let Ok(mut reader) = csv::Reader::from_path(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let places = &patterns().places;
    let (mut rows, mut full_ok, mut bare_ok, mut bare_none) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    let mut missed = Vec::new();
    let mut coarser = Vec::new();
    for r in reader.records().flatten() {
        let (province, city, county, level) = (&r[0], &r[1], &r[2], &r[3]);
        if level != "county" || county.is_empty() {
            continue;
        }
        rows += 1;
        let full = format!("{province}{city}{county}财政局");
        match place_of(&full, places) {
            Some(p)
                if p.province.as_deref() == Some(province)
                    && p.county.as_deref() == Some(county) =>
            {
                full_ok += 1
            }
            // Stopped at a parent: the county is not in the table (两江新区
            // is no division, 米林市 is newer than the table) — coarser,
            // not wrong.
            Some(p)
                if p.province.as_deref() == Some(province)
                    && p.county.is_none()
                    && p.city.as_deref().is_none_or(|c| c == city) =>
            {
                coarser.push(full)
            }
            Some(p) => wrong.push(format!("{full} → {p:?}")),
            None => missed.push(full),
        }
        // The county alone: right, or nothing — a wrong place is a defect.
        match place_of(&format!("{county}财政局"), places) {
            Some(p) if p.county.as_deref() == Some(county) => {
                if p.province.as_deref() == Some(province) {
                    bare_ok += 1;
                } else {
                    wrong.push(format!("{county} alone → {p:?} (listed under {province})"));
                }
            }
            Some(p) => wrong.push(format!("{county} alone → {p:?}")),
            None => bare_none += 1,
        }
    }
    eprintln!(
        "{rows} counties: full name {full_ok} resolved, {} to a parent only, {} not; county alone {bare_ok} resolved, {bare_none} left unplaced; {} wrong",
        coarser.len(),
        missed.len(),
        wrong.len()
    );
    for m in missed.iter().chain(&coarser).take(30) {
        eprintln!("not resolved to the county: {m}");
    }
    assert!(rows > 2000, "{rows} county rows");
    assert!(
        wrong.is_empty(),
        "{} wrong, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    // Names the list spells as the table does resolve; the rest are renamed
    // or newer divisions the table does not hold yet.
    assert!(
        full_ok * 100 >= rows * 95,
        "{full_ok} of {rows} resolved; e.g. {:?}",
        &missed[..missed.len().min(10)]
    );
}
