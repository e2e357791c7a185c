//! The pattern loader: the bundled set with one file (chosen by the first
//! byte) replaced by the input, so every schema (common, table kinds,
//! checks, narrative) is reached. Must give an error naming the file, never
//! panic; a set that loads must extract a sample without panicking.
#![no_main]

use gongkai::patterns::bundled_files;
use gongkai::{Extractor, Patterns};
use libfuzzer_sys::fuzz_target;

const SAMPLE: &str = "2022年度单位决算公开\n公开01表\n收入支出决算总表\n部门名称：某单位\t金额单位：元\n项目\t行次\t金额\n一、一般公共预算财政拨款收入\t1\t100.00\n";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let files = bundled_files();
    let chosen = usize::from(pick) % files.len();
    let set = files.iter().enumerate().map(|(i, (name, body))| {
        let body = if i == chosen { text } else { body };
        (name.to_string(), body.to_string())
    });
    if let Ok(set) = Patterns::from_files(set) {
        let _ = Extractor::new(set).extract_bytes(SAMPLE.as_bytes(), "x.txt", None);
    }
});
