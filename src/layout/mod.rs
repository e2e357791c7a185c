//! Layout: positioned glyphs and ruling lines of a page into text lines and
//! table grids (the rungs: glyphs → words → lines; rules → grid → cells).
