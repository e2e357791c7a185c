//! Prints the block stream of a PDF (one line per text line, grids as
//! tab-separated rows), or with `--debug N` the layout rungs of page N
//! (glyphs and rules included).
use gongkai::settings::{DecodeOptions, Limits};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or_else(|| anyhow::anyhow!("usage: pdf_blocks FILE [--debug N]"))?;
    let bytes = std::fs::read(path)?;
    if let Some(n) = args
        .iter()
        .position(|a| a == "--debug")
        .and_then(|i| args.get(i + 1))
    {
        let page: u32 = n.parse()?;
        let pages =
            gongkai::decode::pdf::pages(&bytes, &Limits::default(), &DecodeOptions::default())?;
        for p in pages.pages.iter().filter(|p| p.number == page) {
            println!(
                "{}",
                serde_json::to_string_pretty(&gongkai::layout::debug_page(p))?
            );
        }
        return Ok(());
    }
    let decoded =
        gongkai::decode::pdf::decode(&bytes, &Limits::default(), &DecodeOptions::default())?;
    println!(
        "# engine {} pages {} warnings {:?}",
        decoded.engine, decoded.pages, decoded.warnings
    );
    for b in &decoded.blocks {
        match b {
            gongkai::model::Block::Text(t) => println!("p{} T {}", t.page, t.text),
            gongkai::model::Block::Grid(g) => {
                println!(
                    "p{} GRID {}x{} spans_known={}",
                    g.page,
                    g.rows.len(),
                    g.width(),
                    g.spans_known
                );
                for r in &g.rows {
                    let cells: Vec<String> = r
                        .iter()
                        .map(|c| {
                            if c.origin {
                                c.text.clone()
                            } else {
                                format!("^{}", c.text)
                            }
                        })
                        .collect();
                    println!("  | {}", cells.join("\t"));
                }
            }
        }
    }
    Ok(())
}
