#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the bundled samples and patterns, and from
# the shared corpus beside the project when it is there (its HTML pages and
# workbooks; its PDFs only when small, so that libFuzzer's input size stays
# useful).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/pdf corpus/html corpus/text corpus/patterns corpus/sheet corpus/docx corpus/ofd
cp ../samples/*.pdf corpus/pdf/
cp ../tests/data/crashers/* corpus/pdf/ 2>/dev/null || true
rm -f corpus/pdf/README.md
cp ../samples/*.html corpus/html/
printf '<html><body><table><tr><td rowspan="2">a</td><td colspan="3">b</td></tr></table></body></html>' > corpus/html/tiny.html
cp ../samples/*.txt corpus/text/
head -c 4000 ../samples/seed_changzhi_2022_final.txt > corpus/text/head.txt
# The sheet target reads its input as a workbook and as a sheet's XML.
cat > corpus/sheet/sheet.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B4"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>2023年部门收支预算总表</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>单位：元</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>项目</t></is></c><c r="B3" t="inlineStr"><is><t>预算数</t></is></c></row><row r="4"><c r="A4" t="inlineStr"><is><t>一般公共预算拨款收入</t></is></c><c r="B4"><v>1000.5</v></c></row></sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>
XML
# The docx target reads its input as a file and as the main part's XML.
cat > corpus/docx/document.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body><w:p><w:pPr><w:pageBreakBefore/></w:pPr><w:r><w:t>收入支出决算总表</w:t><w:tab/><w:t>公开01表</w:t></w:r></w:p><w:p><w:r><w:t>单位：元</w:t><w:br w:type="page"/><w:lastRenderedPageBreak/></w:r></w:p><w:tbl><w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc><w:tcPr><w:gridSpan w:val="2"/><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>项目</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>1,000.50</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/><w:tbl><w:tr><w:tc><w:p><w:r><w:t>合计</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl><w:p><w:r><w:instrText>PAGE</w:instrText><mc:AlternateContent><mc:Choice><w:t>框</w:t></mc:Choice><mc:Fallback><w:t>框</w:t></mc:Fallback></mc:AlternateContent></w:r><w:del><w:r><w:delText>删</w:delText></w:r></w:del></w:p></w:body></w:document>
XML
# The ofd target reads its input as a package and as a page's Content.xml.
cat > corpus/ofd/content.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="1"><ofd:PageBlock ID="2"><ofd:TextObject ID="3" Boundary="20 20 120 8" Font="1" Size="4" CTM="1 0 0 1 0 0"><ofd:TextCode X="0" Y="4" DeltaX="g 7 4 2 2">收入支出决算总表公开01表</ofd:TextCode></ofd:TextObject><ofd:TextObject ID="4" Boundary="20 30 60 6" Size="3.5"><ofd:TextCode X="0" Y="3.5">合计</ofd:TextCode><ofd:TextCode X="40" DeltaX="1.75 g 3 1.75 1 1.75">1,000.50</ofd:TextCode></ofd:TextObject><ofd:PathObject ID="5" Boundary="20 28 160 20" Stroke="true"><ofd:AbbreviatedData>M 0 0 L 160 0 L 160 20 L 0 20 C S 80 0 L 80 20 B 1 1 2 2 3 3</ofd:AbbreviatedData></ofd:PathObject></ofd:PageBlock></ofd:Layer></ofd:Content></ofd:Page>
XML
shared=../../shared/corpus/raw
if [ -d "$shared" ]; then
  i=0
  while IFS= read -r -d '' f; do
    case "$f" in
      *.html|*.htm) cp "$f" "corpus/html/corpus_$i.html" ;;
      # Large .xls seeds are left out: mutants of them make calamine size
      # its sheets by what the damaged records declare (gigabytes), which the
      # decode worker's memory limit contains (too_large) but an in-process
      # fuzz target cannot.
      *.xls|*.xlsx) [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "corpus/sheet/corpus_$i.${f##*.}" ;;
      *.pdf) [ "$(stat -c %s "$f")" -le 1048576 ] && cp "$f" "corpus/pdf/corpus_$i.pdf" ;;
    esac
    i=$((i + 1))
  done < <(find "$shared" -type f \( -name '*.html' -o -name '*.htm' -o -name '*.xls' -o -name '*.xlsx' -o -name '*.pdf' \) -print0)
fi
# The first byte picks which bundled file the input replaces (in bundle order: sorted paths).
i=0
for f in $(cd ../patterns && find . -name '*.toml' | sed 's|^\./||' | sort); do
  { printf "\\$(printf '%03o' "$i")"; cat "../patterns/$f"; } > "corpus/patterns/$(echo "$f" | tr / _)"
  i=$((i + 1))
done
