//! The document's running text as the checks see it: every text line
//! outside tables, squashed and NFKC-normalized into one stream (as the
//! narrative reader joins sentences wrapped over lines and pages), each
//! character traced back to its page and to the characters as printed. A
//! flag quotes the printed text, so a search in the file finds it.

use crate::model::{Block, Heading};
use crate::text::nfkc_char;

/// Longest snippet quoted around a match (characters each side).
const CONTEXT_CHARS: usize = 40;

/// A printed line.
#[derive(Debug, Clone)]
struct Line {
    page: u32,
    printed: String,
}

/// Where one normalized character came from: its line and the byte range
/// of the printed character(s) it was made from.
#[derive(Debug, Clone, Copy)]
struct Origin {
    line: u32,
    start: u32,
    end: u32,
}

/// The running text of a document.
#[derive(Debug, Clone, Default)]
pub struct Text {
    lines: Vec<Line>,
    /// The squashed, normalized stream.
    stream: String,
    /// Byte offset in `stream` of each character, and one past the end.
    offsets: Vec<usize>,
    /// Per character of `stream`.
    origins: Vec<Origin>,
    /// Index in `stream` (chars) where each line starts.
    line_starts: Vec<usize>,
    /// The narrative's section headings, in order.
    pub headings: Vec<Heading>,
    /// Pages of the document.
    pub pages: u32,
    /// Pages that hold a grid (a table).
    pub grid_pages: Vec<u32>,
    /// Each grid row's cells joined (squashed), with the number of text
    /// lines before it: where it falls among [`Text::lines`].
    grid_rows: Vec<(usize, String)>,
}

/// A stretch of the text: its pages and its printed characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The pages it is on.
    pub pages: Vec<u32>,
    /// The text as printed (lines joined without a separator).
    pub printed: String,
    /// Character range in the stream.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
}

impl Text {
    /// The text of a decoded document's blocks (`pages` of them) and the
    /// narrative's headings.
    pub fn new(blocks: &[Block], headings: Vec<Heading>, pages: u32) -> Text {
        let mut t = Text {
            headings,
            pages,
            ..Text::default()
        };
        for block in blocks {
            let line = match block {
                Block::Text(line) => line,
                Block::Grid(g) => {
                    if !t.grid_pages.contains(&g.page) {
                        t.grid_pages.push(g.page);
                    }
                    for row in &g.rows {
                        let joined: String = row
                            .iter()
                            .filter(|c| c.origin)
                            .map(|c| crate::text::squash(&c.text))
                            .collect();
                        if !joined.is_empty() {
                            t.grid_rows.push((t.lines.len(), joined));
                        }
                    }
                    continue;
                }
            };
            let index = t.lines.len() as u32;
            let printed = line.printed();
            t.line_starts.push(t.origins.len());
            // Each printed character NFKC'd alone; when that does not give
            // the line's normalized text (a combining sequence), every
            // character of the line points at the whole line.
            let mut mapped: Vec<(char, Origin)> = Vec::new();
            for (at, c) in printed.char_indices() {
                if c.is_whitespace() {
                    continue;
                }
                let end = (at + c.len_utf8()) as u32;
                for n in nfkc_char(c).filter(|n| !n.is_whitespace()) {
                    mapped.push((
                        n,
                        Origin {
                            line: index,
                            start: at as u32,
                            end,
                        },
                    ));
                }
            }
            let expected = line.text.chars().filter(|c| !c.is_whitespace());
            if !mapped.iter().map(|(c, _)| *c).eq(expected) {
                let whole = Origin {
                    line: index,
                    start: 0,
                    end: printed.len() as u32,
                };
                mapped = line
                    .text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| (c, whole))
                    .collect();
            }
            for (c, o) in mapped {
                t.offsets.push(t.stream.len());
                t.stream.push(c);
                t.origins.push(o);
            }
            t.lines.push(Line {
                page: line.page,
                printed: printed.to_string(),
            });
        }
        t.offsets.push(t.stream.len());
        t
    }

    /// The squashed, normalized stream.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Characters in the stream.
    pub fn len(&self) -> usize {
        self.origins.len()
    }

    /// True when the document has no running text.
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// The character index of a byte offset of the stream.
    pub fn char_at(&self, byte: usize) -> usize {
        self.offsets.partition_point(|&o| o < byte)
    }

    /// The stream's characters `start..end`, normalized.
    pub fn normalized(&self, start: usize, end: usize) -> &str {
        let end = end.min(self.len());
        &self.stream[self.offsets[start.min(end)]..self.offsets[end]]
    }

    /// The first occurrence of `squashed` (normalized, without whitespace).
    pub fn find(&self, squashed: &str) -> Option<Span> {
        if squashed.is_empty() {
            return None;
        }
        let at = self.stream.find(squashed)?;
        let start = self.char_at(at);
        let end = self.char_at(at + squashed.len());
        Some(self.span(start, end))
    }

    /// The stretch `start..end` (character indices of the stream).
    pub fn span(&self, start: usize, end: usize) -> Span {
        let end = end.min(self.len());
        let start = start.min(end);
        let mut pages = Vec::new();
        let mut printed = String::new();
        let mut i = start;
        while i < end {
            let o = self.origins[i];
            // The run of characters from the same line.
            let mut j = i;
            let mut last = o.end;
            while j < end && self.origins[j].line == o.line {
                last = last.max(self.origins[j].end);
                j += 1;
            }
            let line = &self.lines[o.line as usize];
            if !pages.contains(&line.page) {
                pages.push(line.page);
            }
            printed.push_str(
                line.printed
                    .get(o.start as usize..last as usize)
                    .unwrap_or(""),
            );
            i = j;
        }
        Span {
            pages,
            printed,
            start,
            end,
        }
    }

    /// The sentence around `start..end`: back to the previous and on to the
    /// next sentence end (。；！？) or line start, at most
    /// [`CONTEXT_CHARS`] each side.
    pub fn sentence_around(&self, start: usize, end: usize) -> Span {
        let is_end = |i: usize| self.char(i).is_some_and(|c| "。;!?".contains(c));
        let mut s = start;
        while s > 0 && start - s < CONTEXT_CHARS && !is_end(s - 1) {
            s -= 1;
        }
        let mut e = end;
        while e < self.len() && e - end < CONTEXT_CHARS {
            e += 1;
            if is_end(e - 1) {
                break;
            }
        }
        self.span(s, e)
    }

    /// The character at an index of the stream.
    pub fn char(&self, i: usize) -> Option<char> {
        self.stream.get(*self.offsets.get(i)?..)?.chars().next()
    }

    /// The line a character is on (index into the lines), and whether it
    /// is the line's first character.
    pub fn line_of(&self, char_index: usize) -> Option<(usize, bool)> {
        let o = self.origins.get(char_index)?;
        let line = o.line as usize;
        Some((line, self.line_starts.get(line) == Some(&char_index)))
    }

    /// The rows of the grids that come after text line `from` and before
    /// line `to` (indices into [`Text::lines`]), cells joined.
    pub fn grid_rows_between(&self, from: usize, to: usize) -> impl Iterator<Item = &str> {
        self.grid_rows
            .iter()
            .filter(move |(at, _)| *at > from && *at <= to)
            .map(|(_, row)| row.as_str())
    }

    /// Every printed line with its page.
    pub fn printed_lines(&self) -> impl Iterator<Item = (u32, &str)> {
        self.lines.iter().map(|l| (l.page, l.printed.as_str()))
    }

    /// Every line with its page, squashed and normalized (its stretch of
    /// the stream).
    pub fn lines(&self) -> impl Iterator<Item = (u32, &str)> {
        self.lines.iter().enumerate().map(|(i, l)| {
            let end = self.line_starts.get(i + 1).copied().unwrap_or(self.len());
            (l.page, self.normalized(self.line_starts[i], end))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TextLine;

    #[test]
    fn finds_the_printed_text_over_lines_and_pages() {
        let blocks = vec![
            Block::Text(TextLine::new(3, "支出决算3,649,100元，")),
            Block::Text(TextLine::new(4, "主要原因是主要原因是人员增加。")),
        ];
        let t = Text::new(&blocks, Vec::new(), 4);
        let span = t.find("100元,主要原因").unwrap_or_else(|| panic!("found"));
        assert_eq!(span.pages, vec![3, 4]);
        assert_eq!(span.printed, "100元，主要原因");
        let around = t.sentence_around(span.start, span.end);
        assert_eq!(
            around.printed,
            "支出决算3,649,100元，主要原因是主要原因是人员增加。"
        );
    }
}
