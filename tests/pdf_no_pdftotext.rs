//! Without pdftotext (simulated by an empty `GONGKAI_PDFTOTEXT`; a separate
//! test binary so the variable does not leak into other tests), PDFs that
//! pdf-extract cannot read give an error naming the cause.

use gongkai::settings::Limits;
use gongkai::ErrorKind;

#[test]
fn predefined_cmaps_without_pdftotext_are_errors() {
    std::env::set_var("GONGKAI_PDFTOTEXT", "");
    for path in [
        "samples/f_unigb_ucs2_h_noembed_notounicode.pdf",
        "samples/g_gbk_euc_h_noembed_notounicode.pdf",
    ] {
        let bytes = std::fs::read(path).unwrap();
        let e = gongkai::decode::pdf::decode(&bytes, &Limits::default()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::DecoderFailed | ErrorKind::UnsupportedEncoding
            ),
            "{path}: {e:?}"
        );
        assert!(e.message.contains("poppler-utils"), "{path}: {}", e.message);
    }
    // A readable PDF still decodes.
    let bytes = std::fs::read("samples/d_wp_portrait_uming.pdf").unwrap();
    let d = gongkai::decode::pdf::decode(&bytes, &Limits::default()).unwrap();
    assert_eq!(d.engine, "pdf-extract");
}
